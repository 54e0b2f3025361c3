package arrays

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The fixtures in testdata/nifti are written by nibabel
// (scripts/make_volume_fixtures.py); expected.json holds what nibabel reads
// from them: the shape and the values of np.asanyarray(img.dataobj).

func TestNIfTIFixtures(t *testing.T) {
	b, err := os.ReadFile("testdata/nifti/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var exp map[string]expectedArray
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	if len(exp) < 10 {
		t.Fatalf("only %d fixtures", len(exp))
	}
	for name, e := range exp {
		t.Run(name, func(t *testing.T) {
			f, size := openFixture(t, filepath.Join("nifti", name))
			a, err := Open(f, size, name, "")
			if err != nil {
				t.Fatal(err)
			}
			checkArray(t, a, e, name)
		})
	}
}

// TestNIfTIMatchesNibabelArray checks the axis order: the volume read from
// a .nii.gz has the shape and the elements, index for index, of the array
// nibabel gives for it (saved with np.save), which is what a feature
// exporter working on nibabel-loaded images sees.
func TestNIfTIMatchesNibabelArray(t *testing.T) {
	f, size := openFixture(t, "nifti/labels_i16.nii.gz")
	vol, err := Open(f, size, "labels_i16.nii.gz", "")
	if err != nil {
		t.Fatal(err)
	}
	g, gsize := openFixture(t, "nifti/labels_i16_dataobj.npy")
	ref, err := Open(g, gsize, "labels_i16_dataobj.npy", "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(vol.Shape, ref.Shape) || !slices.Equal(vol.Shape, []int{6, 5, 4}) {
		t.Fatalf("shape %v, nibabel %v", vol.Shape, ref.Shape)
	}
	x, y := make([]float64, vol.Len()), make([]float64, ref.Len())
	if err := vol.ReadRange(0, x); err != nil {
		t.Fatal(err)
	}
	if err := ref.ReadRange(0, y); err != nil {
		t.Fatal(err)
	}
	compareValues(t, "volume vs nibabel", x, y)
}

// niftiFile builds a NIfTI-1 file: a header with the given dims, datatype,
// slope and intercept, then data.
func niftiFile(dims []int16, code int16, slope, inter float32, data []byte) []byte {
	h := make([]byte, 352)
	le := binary.LittleEndian
	le.PutUint32(h[0:], 348)
	le.PutUint16(h[40:], uint16(len(dims)))
	for i, d := range dims {
		le.PutUint16(h[42+2*i:], uint16(d))
	}
	le.PutUint16(h[70:], uint16(code))
	le.PutUint32(h[108:], math.Float32bits(352))
	le.PutUint32(h[112:], math.Float32bits(slope))
	le.PutUint32(h[116:], math.Float32bits(inter))
	copy(h[344:], "n+1\x00")
	return append(h, data...)
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestBadNIfTI(t *testing.T) {
	good := niftiFile([]int16{2, 3, 4}, 2, 1, 0, make([]byte, 24))
	if _, err := OpenNIfTI(bytes.NewReader(good), int64(len(good)), "good.nii"); err != nil {
		t.Fatalf("good file: %v", err)
	}
	patch := func(b []byte, off int, v ...byte) []byte {
		c := slices.Clone(b)
		copy(c[off:], v)
		return c
	}
	u16 := func(v int) []byte { return binary.LittleEndian.AppendUint16(nil, uint16(v)) }
	f32 := func(v float32) []byte { return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)) }
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty.nii", nil, "not a NIfTI file: only 0 bytes"},
		{"sizeof540.nii", patch(good, 0, 0x1c, 2, 0, 0), "376 bytes, too short for a NIfTI-2 header of 540"},
		{"sizeof2.nii", patch(good, 0, 100, 0, 0, 0), "not a NIfTI file: sizeof_hdr is 100, want 348 (NIfTI-1) or 540 (NIfTI-2)"},
		{"short.nii", good[:200], "too short for a NIfTI-1 header"},
		{"magic.nii", patch(good, 344, 'x'), `bad magic "x+1\x00"`},
		{"pair.hdr.nii", patch(good, 344, 'n', 'i', '1'), "two-file NIfTI-1 pair"},
		{"rgb.nii", patch(good, 70, u16(128)...), "unsupported NIfTI datatype DT_RGB24"},
		{"complex.nii", patch(good, 70, u16(32)...), "unsupported NIfTI datatype DT_COMPLEX64"},
		{"binary.nii", patch(good, 70, u16(1)...), "unsupported NIfTI datatype DT_BINARY"},
		{"odd.nii", patch(good, 70, u16(3)...), "unsupported NIfTI datatype code 3"},
		{"ndim.nii", patch(good, 40, u16(0)...), "dim[0] (the number of dimensions) is 0"},
		{"ndim8.nii", patch(good, 40, u16(9)...), "dim[0] (the number of dimensions) is 9"},
		{"negdim.nii", patch(good, 44, u16(0xffff)...), "bad header: dim[2] is -1"},
		{"long.nii", patch(good, 46, u16(5)...), "header dims (2, 3, 5) of uint8 claim 30 bytes of data at offset 352, file holds 24"},
		{"longer.nii", append(slices.Clone(good), 0), "claim 24 bytes of data at offset 352, file holds 25"},
		{"i16.nii", patch(good, 70, u16(4)...), "header dims (2, 3, 4) of int16 claim 48 bytes"},
		{"offset.nii", patch(good, 108, f32(100)...), "vox_offset 100 is not a byte offset past the header"},
		{"offset_frac.nii", patch(good, 108, f32(352.5)...), "vox_offset 352.5"},
		{"inter.nii", patch(patch(good, 112, f32(2)...), 116, f32(float32(math.NaN()))...), "scl_slope 2 with scl_inter NaN"},
		{"bad.nii.gz", append([]byte{0x1f, 0x8b}, good[2:]...), "not a gzip file"},
		{"short.nii.gz", gzipped(good[:100]), "too short for a NIfTI-1 header"},
		{"gzsizeof.nii.gz", gzipped(patch(good, 0, 7, 0)), "sizeof_hdr is 7,"},
	}
	for _, c := range cases {
		_, err := Open(bytes.NewReader(c.data), int64(len(c.data)), c.name, "")
		wantError(t, err, c.name, c.want)
		if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Errorf("%s: error of more than one line: %q", c.name, err)
		}
	}
	// A gzipped volume whose data end early fails when read.
	short := gzipped(good[:len(good)-5])
	a, err := Open(bytes.NewReader(short), int64(len(short)), "trunc.nii.gz", "")
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, a.ReadRange(0, make([]float64, a.Len())), "trunc.nii.gz", "truncated")
	// A corrupt deflate stream is an error naming the file.
	bad := gzipped(append(slices.Clone(good), make([]byte, 1000)...))
	bad[len(bad)/2] ^= 0xff
	if a, err := Open(bytes.NewReader(bad), int64(len(bad)), "corrupt.nii.gz", ""); err == nil {
		if err := a.ReadRange(0, make([]float64, a.Len())); err != nil {
			wantError(t, err, "corrupt.nii.gz", "")
		}
	} else {
		wantError(t, err, "corrupt.nii.gz", "")
	}
}

// TestNIfTIGzipStreams checks that reading the first slices of a large
// gzipped volume reads only the start of the compressed file, and that
// forward reads continue one pass.
func TestNIfTIGzipStreams(t *testing.T) {
	const X, Y, Z = 64, 64, 128 // 512 KiB of uint8 noise: incompressible
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, X*Y*Z)
	for i := range data {
		data[i] = byte(rng.IntN(256))
	}
	file := gzipped(niftiFile([]int16{X, Y, Z}, 2, 1, 0, data))
	cr := &countingReader{r: bytes.NewReader(file)}
	a, err := OpenNIfTI(cr, int64(len(file)), "big.nii.gz")
	if err != nil {
		t.Fatal(err)
	}
	if !a.Fortran || !slices.Equal(a.Shape, []int{X, Y, Z}) {
		t.Fatalf("shape %v fortran %v", a.Shape, a.Fortran)
	}
	// Element (x, y, z) is at storage position x + X·(y + Y·z).
	at := func(x, y, z int) (int64, float64) {
		return int64(x*Y*Z + y*Z + z), float64(data[x+X*(y+Y*z)])
	}
	var idx []int64
	var want []float64
	for _, p := range [][3]int{{0, 0, 0}, {5, 7, 0}, {63, 63, 1}, {1, 0, 0}, {0, 1, 2}} {
		i, v := at(p[0], p[1], p[2])
		idx, want = append(idx, i), append(want, v)
	}
	cr.reset()
	got := make([]float64, len(idx))
	if err := a.Gather(idx, got); err != nil {
		t.Fatal(err)
	}
	compareValues(t, "first slices", got, want)
	if cr.bytes > int64(len(file))/2 {
		t.Errorf("reading the first 3 of %d slices read %d of %d compressed bytes", Z, cr.bytes, len(file))
	}
	// A later slice continues the stream: the bytes read in all stay about
	// one pass.
	i, v := at(9, 9, Z-1)
	if err := a.Gather([]int64{i}, got[:1]); err != nil || got[0] != v {
		t.Fatalf("last slice: %v, %v want %v", err, got[0], v)
	}
	if cr.bytes > int64(len(file))+int64(inflateBuffer) {
		t.Errorf("two forward reads read %d bytes of a %d-byte file", cr.bytes, len(file))
	}
}

func FuzzOpenNIfTI(f *testing.F) {
	paths, _ := filepath.Glob("testdata/nifti/*.nii*")
	if len(paths) == 0 {
		f.Fatal("no NIfTI fixtures")
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(niftiFile([]int16{2, 3, 4}, 4, 2, 1, make([]byte, 48)))
	f.Add(gzipped(niftiFile([]int16{3, 1, 1, 2}, 64, 0, 0, make([]byte, 48))))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.nii"
		a, err := OpenNIfTI(bytes.NewReader(data), int64(len(data)), name)
		if err != nil {
			checkFuzzError(t, err, name)
			return
		}
		if len(a.Shape) < 1 || len(a.Shape) > 7 {
			t.Fatalf("shape %v", a.Shape)
		}
		if _, gz := a.src.(*streamSource); !gz && a.Len()*int64(a.DType.Size) > int64(len(data)) {
			t.Fatalf("opened %d elements of %v from %d bytes", a.Len(), a.DType, len(data))
		}
		exercise(t, a, name)
	})
}

func TestNIfTIExtension(t *testing.T) {
	for name, want := range map[string]string{
		"a.nii": ".nii", "dir/A.NII.GZ": ".nii.gz", `C:\x\b.nii.gz`: ".nii.gz", "c.tar.gz": ".gz", ".nii.gz": ".gz", "d.npy": ".npy",
	} {
		if got := Extension(name); got != want {
			t.Errorf("Extension(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestEncodeNIfTI(t *testing.T) {
	data := []int16{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	for _, gz := range []bool{false, true} {
		b, err := EncodeNIfTI([]int{2, 3, 2}, data, gz)
		if err != nil {
			t.Fatal(err)
		}
		a, err := OpenNIfTI(bytes.NewReader(b), int64(len(b)), "enc.nii")
		if err != nil {
			t.Fatal(err)
		}
		// Element (x, y, z) is data[x + 2y + 6z]; C-order index 6x + 2y + z.
		got := make([]float64, 12)
		if err := a.ReadRange(0, got); err != nil {
			t.Fatal(err)
		}
		for x := range 2 {
			for y := range 3 {
				for z := range 2 {
					if got[6*x+2*y+z] != float64(data[x+2*y+6*z]) {
						t.Fatalf("gz %v: (%d,%d,%d) = %v", gz, x, y, z, got[6*x+2*y+z])
					}
				}
			}
		}
	}
	if _, err := EncodeNIfTI([]int{2, 2}, data, false); err == nil {
		t.Error("shape and data length disagree, no error")
	}
}
