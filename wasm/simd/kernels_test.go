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
	}{{fnDot32, "dot32"}} {
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

// moduleSHA256 pins the module's bytes: the SHA-256 of Module() (13874
// bytes), re-recorded when siftin (function 14), which no kernel called
// since the scan sifts inline and Go never imported, was removed (the
// other functions' bodies byte for byte; those after it one index down).
// Before that it was 60a15c26… (14101 bytes), recorded when two branches'
// kernel changes met (the exact plan's scan, functions 10 and 14: a padded
// heap, eight columns a step, the first one below the root sifted in
// without branches on the values, as core/emd's AVX2 scan; the iteration's
// sparse kernels, functions 8, 9, 22, 23: the rows in the lanes of f64x2
// sums, a lane taking the next row when its row ends, two entries of each
// lane a step, the scatter four entries a step with the row loop inline;
// every other function kept its body byte for byte). Before that it was
// a65892c7… (10412 bytes), recorded when the sparse kernels with 16-bit
// columns were added (segdotsparse16 … compactrow16, functions 20–24), and
// before that 33a038e8… (8463 bytes), as main built it before the builders
// were factored into fn's idioms (2782170). Refactors of the builders must
// leave it unchanged, byte for byte; it is updated deliberately, and only,
// when a kernel changes on purpose (then make test-simd checks the new
// kernels against the Go ones).
const moduleSHA256 = "5eab979841f5f82d44d34a473b817f7db9735be75fc1f64c5d193631d0a85e0f"

// TestModuleBytes checks Module() against moduleSHA256. (Native: the
// module is assembled by plain Go.)
func TestModuleBytes(t *testing.T) {
	m := Module()
	if got := fmt.Sprintf("%x", sha256.Sum256(m)); got != moduleSHA256 {
		t.Errorf("Module() (%d bytes) hashes to %s, not the pinned %s: a builder changed the generated code", len(m), got, moduleSHA256)
	}
}
