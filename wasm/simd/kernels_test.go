package simd

import (
	"crypto/sha256"
	"fmt"
	"testing"
)

// TestKernelIndices checks the fn constants against the list of kernels,
// and that every kernel has a distinct name. (Native: the module is built
// by plain Go; simd_test.go runs it.)
func TestKernelIndices(t *testing.T) {
	ks := kernels()
	for _, c := range []struct {
		i    int
		name string
	}{{fnSegdotsparse, "segdotsparse"}, {fnScattersparse, "scattersparse"}, {fnSiftin, "siftin"},
		{fnSegdotsparse16, "segdotsparse16"}, {fnScattersparse16, "scattersparse16"}} {
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

// moduleSHA256 pins the module's bytes: the SHA-256 of Module() (11029
// bytes), re-recorded when the exact plan's scan took a padded heap and a
// first column (scan, function 10: eight columns a step, the first one
// below the root sifted in without branches on the values, as core/emd's
// AVX2 scan; siftin, function 14, that sift). Before that it was a65892c7…
// (10412 bytes), recorded when the sparse kernels with 16-bit columns were
// added (segdotsparse16 … compactrow16, functions 20–24: the builders of
// the sparse kernels take the columns' width; the 20 functions before them
// kept their bodies byte for byte), and before that 33a038e8… (8463
// bytes), as main built it before the builders were factored into fn's
// idioms (2782170). Refactors of the builders must leave it unchanged,
// byte for byte; it is updated deliberately, and only, when a kernel
// changes on purpose (then make test-simd checks the new kernels against
// the Go ones).
const moduleSHA256 = "49d38f69320ebec493f5a183dd3acf173b746e42f758d59dc5cf7732d53fe680"

// TestModuleBytes checks Module() against moduleSHA256. (Native: the
// module is assembled by plain Go.)
func TestModuleBytes(t *testing.T) {
	m := Module()
	if got := fmt.Sprintf("%x", sha256.Sum256(m)); got != moduleSHA256 {
		t.Errorf("Module() (%d bytes) hashes to %s, not the pinned %s: a builder changed the generated code", len(m), got, moduleSHA256)
	}
}
