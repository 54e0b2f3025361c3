package simd

import "testing"

// TestKernelIndices checks the fn constants against the list of kernels,
// and that every kernel has a distinct name. (Native: the module is built
// by plain Go; simd_test.go runs it.)
func TestKernelIndices(t *testing.T) {
	ks := kernels()
	for _, c := range []struct {
		i    int
		name string
	}{{fnSegdotsparse, "segdotsparse"}, {fnScattersparse, "scattersparse"}, {fnSiftin, "siftin"}} {
		if ks[c.i].name != c.name {
			t.Errorf("function %d is %s, not %s", c.i, ks[c.i].name, c.name)
		}
	}
	seen := map[string]bool{}
	for _, k := range ks {
		if seen[k.name] {
			t.Errorf("two kernels named %s", k.name)
		}
		seen[k.name] = true
	}
	if m := Module(); len(m) < 8 || string(m[:4]) != "\x00asm" {
		t.Errorf("Module() does not start with the wasm magic")
	}
}
