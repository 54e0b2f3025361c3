package arrays

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addSeeds seeds f with the testdata fixtures of the given extension.
func addSeeds(f *testing.F, ext string) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*"+ext))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no %s fixtures: %v", ext, err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// checkFuzzError checks that an error is one line naming the file.
func checkFuzzError(t *testing.T, err error, name string) {
	msg := err.Error()
	if !strings.HasPrefix(msg, name+":") || strings.ContainsAny(msg, "\n\r") {
		t.Fatalf("bad error message %q", msg)
	}
}

// exercise reads a few elements of an array that opened.
func exercise(t *testing.T, a *Array, name string) {
	n := a.Len()
	if p, ok := elements(a.Shape); !ok || p != n {
		t.Fatalf("Len %d for shape %v", n, a.Shape)
	}
	if !a.DType.valid() {
		t.Fatalf("invalid DType %#v", a.DType)
	}
	check := func(err error) {
		if err != nil {
			checkFuzzError(t, err, name)
		}
	}
	if n > 0 {
		idx := []int64{n - 1, 0, n / 2, n - 1, n / 3}
		check(a.Gather(idx, make([]float64, len(idx))))
		check(a.ReadRange(0, make([]float64, min(n, 1000))))
		m := min(n, 100)
		check(a.ReadRange(n-m, make([]float64, m)))
	}
	check(a.Gather([]int64{n}, make([]float64, 1)))
}

func FuzzOpenNPY(f *testing.F) {
	addSeeds(f, ".npy")
	big, _ := fortranNPY(3, 4, 5, 2)
	f.Add(big)
	f.Add(npyFile(3, npyDict(">u8", true, 2, 2), make([]byte, 32)))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.npy"
		a, err := OpenNPY(bytes.NewReader(data), int64(len(data)), name)
		if err != nil {
			checkFuzzError(t, err, name)
			return
		}
		if a.Len()*int64(a.DType.Size) > int64(len(data)) {
			t.Fatalf("opened %d elements of %v from %d bytes", a.Len(), a.DType, len(data))
		}
		exercise(t, a, name)
	})
}

func FuzzOpenNPZ(f *testing.F) {
	addSeeds(f, ".npz")
	fo, _ := fortranNPY(3, 4, 5)
	ramp := rampNPY(10)
	f.Add(makeZip(f,
		zipMember{name: "features.npy", data: fo, method: zip.Deflate},
		zipMember{name: "labels.npy", data: ramp, method: zip.Store},
		zipMember{name: "lie.npy", data: ramp, method: zip.Deflate, lie: 1 << 20}))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.npz"
		b, err := OpenNPZ(bytes.NewReader(data), int64(len(data)), name)
		if err != nil {
			checkFuzzError(t, err, name)
			return
		}
		names := b.Names()
		for i, m := range names {
			if i == 5 {
				break
			}
			a, err := b.Array(m)
			if err != nil {
				checkFuzzError(t, err, name)
				continue
			}
			exercise(t, a, name)
		}
		if _, err := b.Array("\x00nonesuch"); err == nil {
			t.Fatal("opened a member that is not there")
		}
	})
}

func FuzzOpenSafetensors(f *testing.F) {
	addSeeds(f, ".safetensors")
	f.Add(safetensorsFile(map[string]any{
		"a": stEntry{"U8", []int64{0, 5}, []int64{4, 4}},
		"b": stEntry{"I16", []int64{2}, []int64{0, 4}},
		"c": stEntry{"BOOL", []int64{}, []int64{4, 5}},
		"d": stEntry{"BF16", []int64{1, 2}, []int64{5, 9}},
	}, []byte{1, 2, 3, 4, 7, 0x80, 0x3f, 0xc0, 0x7f}))
	for _, h := range []string{
		`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`,
		`{"__metadata__":{"k":"v"},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}   `,
		`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}} {}`,
		`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2],"extra":[1,[2,{}]]}}`,
	} {
		f.Add(append(append(binary.LittleEndian.AppendUint64(nil, uint64(len(h))), h...), 1, 2))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.safetensors"
		b, err := OpenSafetensors(bytes.NewReader(data), int64(len(data)), name)
		if err != nil {
			checkFuzzError(t, err, name)
			return
		}
		for _, m := range b.Names() {
			a, err := b.Array(m)
			if err != nil {
				t.Fatalf("listed array %q does not open: %v", m, err)
			}
			exercise(t, a, name)
		}
	})
}

func FuzzDecodePNG(f *testing.F) {
	addSeeds(f, ".png")
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.png"
		a, err := DecodePNG(bytes.NewReader(data), int64(len(data)), name)
		if err != nil {
			checkFuzzError(t, err, name)
			return
		}
		if len(a.Shape) != 2 || a.Len() > maxPNGPixels {
			t.Fatalf("shape %v", a.Shape)
		}
		exercise(t, a, name)
	})
}
