package arrays

import (
	"strings"
	"testing"
)

func TestExtensions(t *testing.T) {
	if got := strings.Join(Extensions, ", "); got != Supported {
		t.Errorf("Extensions %q, Supported %q", got, Supported)
	}
	for name, want := range map[string][2]bool{
		"a.npy": {true, false}, "A.NPZ": {true, true}, "x/b.safetensors": {true, true}, "c.png": {true, false},
		"v.nii.gz": {true, false}, "v.NII": {true, false}, "d.gz": {false, false}, "e.txt": {false, false}, "noext": {false, false},
	} {
		if IsSupported(name) != want[0] || IsBundle(name) != want[1] {
			t.Errorf("%s: supported %v, bundle %v; want %v", name, IsSupported(name), IsBundle(name), want)
		}
	}
}
