package dataset

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/otceseg/otceseg/core/arrays"
)

func mustNPY(t *testing.T, shape []int, descr string, data any) []byte {
	t.Helper()
	b, err := arrays.EncodeNPY(shape, descr, data)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fortranOf returns the C-order data of an array of the given shape in
// Fortran order.
func fortranOf[T any](shape []int, c []T) []T {
	f := make([]T, len(c))
	idx := make([]int, len(shape))
	for i := range c {
		// C index i → multi-index → Fortran position.
		r := i
		for a := len(shape) - 1; a >= 0; a-- {
			idx[a] = r % shape[a]
			r /= shape[a]
		}
		p, st := 0, 1
		for a := range shape {
			p += idx[a] * st
			st *= shape[a]
		}
		f[p] = c[i]
	}
	return f
}

// TestVolumeLabelGrid checks the nearest-neighbour rule in 3-D: feature voxel
// (d, h, w) takes the label at (d·sd, h·sh, w·sw), whether the labels come
// as a C-order .npy, a plain NIfTI or a gzipped NIfTI (Fortran order), and
// that Gather reads the features of voxel (d, h, w) in both layouts.
func TestVolumeLabelGrid(t *testing.T) {
	const D, H, W, C = 3, 4, 5, 2
	const SD, SH, SW = 2, 1, 3
	shape := []int{D * SD, H * SH, W * SW}
	rng := rand.New(rand.NewPCG(1, 2))
	labels := make([]uint8, D*SD*H*SH*W*SW)
	for i := range labels {
		labels[i] = uint8(rng.IntN(7))
		if rng.IntN(9) == 0 {
			labels[i] = 255
		}
	}
	feats := make([]float32, C*D*H*W) // ncdhw: value 1000c + voxel
	for c := range C {
		for p := range D * H * W {
			feats[c*D*H*W+p] = float32(1000*c + p)
		}
	}
	last := make([]float32, len(feats)) // ndhwc
	for c := range C {
		for p := range D * H * W {
			last[p*C+c] = feats[c*D*H*W+p]
		}
	}
	nii, err := arrays.EncodeNIfTI(shape, fortranOf(shape, labels), false)
	if err != nil {
		t.Fatal(err)
	}
	niigz, _ := arrays.EncodeNIfTI(shape, fortranOf(shape, labels), true)
	labelFiles := map[string][]byte{
		"l.npy":    mustNPY(t, shape, "|u1", labels),
		"l.nii":    nii,
		"l.nii.gz": niigz,
	}
	featFiles := map[string][]byte{
		"ncdhw": mustNPY(t, []int{C, D, H, W}, "<f4", feats),
		"ndhwc": mustNPY(t, []int{D, H, W, C}, "<f4", last),
	}
	for lname, lb := range labelFiles {
		for layout, fb := range featFiles {
			d, err := Open("t", []File{NewMemFile("f.npy", fb)}, []File{NewMemFile(lname, lb)}, DefaultOptions())
			if err != nil {
				t.Fatalf("%s, %s: %v", lname, layout, err)
			}
			im := d.Images[0]
			if d.Layout != layout || im.D != D || im.H != H || im.W != W || im.C != C {
				t.Fatalf("%s, %s: layout %s, image %dx%dx%d C %d", lname, layout, d.Layout, im.D, im.H, im.W, im.C)
			}
			valid := 0
			for z := range D {
				for y := range H {
					for x := range W {
						p := (z*H+y)*W + x
						want := labels[((z*SD)*H*SH+y*SH)*W*SW+x*SW]
						l, ok := im.Label(p)
						if want == 255 {
							if ok {
								t.Errorf("%s: (%d,%d,%d) should be ignored", lname, z, y, x)
							}
							continue
						}
						valid++
						if !ok || l != int(want) {
							t.Errorf("%s: label at (%d,%d,%d) = %d, want %d", lname, z, y, x, l, want)
						}
					}
				}
			}
			if im.Valid != valid {
				t.Errorf("%s: %d valid, want %d", lname, im.Valid, valid)
			}
			dst := make([]float64, 2*C)
			if err := im.Gather([]int{7, 59}, dst); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dst, []float64{7, 1007, 59, 1059}) {
				t.Errorf("%s: Gather = %v", layout, dst)
			}
		}
	}
}

// TestVolumeLayouts checks the choice of layout for volumes, and its
// warning when images and volumes fit alike.
func TestVolumeLayouts(t *testing.T) {
	size := func(shape []int) int {
		n := 1
		for _, s := range shape {
			n *= s
		}
		return n
	}
	feat := func(shape []int) File {
		return NewMemFile("f.npy", mustNPY(t, shape, "<f4", make([]float32, size(shape))))
	}
	lab := func(name string, shape []int) File {
		if strings.HasSuffix(name, ".nii") {
			b, err := arrays.EncodeNIfTI(shape, make([]uint8, size(shape)), false)
			if err != nil {
				t.Fatal(err)
			}
			return NewMemFile(name, b)
		}
		return NewMemFile(name, mustNPY(t, shape, "|u1", make([]uint8, size(shape))))
	}
	cases := []struct {
		feat     []int
		lname    string
		lab      []int
		layout   string
		d, h, w  int
		warn     bool
		err      string
		explicit string
	}{
		{feat: []int{8, 4, 5, 6}, lname: "l.npy", lab: []int{4, 5, 6}, layout: "ncdhw", d: 4, h: 5, w: 6},
		{feat: []int{4, 5, 6, 8}, lname: "l.npy", lab: []int{1, 4, 5, 6}, layout: "ndhwc", d: 4, h: 5, w: 6},
		{feat: []int{4, 5, 6, 8}, lname: "l.nii", lab: []int{4, 5, 6}, layout: "ndhwc", d: 4, h: 5, w: 6, warn: true},
		// Unequal label/feature ratios per axis (2, 4, 2), (3, 2, 2): a warning (axisOrderWarning).
		{feat: []int{2, 8, 4, 5, 6}, lname: "l.npy", lab: []int{2, 8, 20, 12}, layout: "ncdhw", d: 4, h: 5, w: 6, warn: true},
		{feat: []int{2, 4, 5, 6, 8}, lname: "l.npy", lab: []int{2, 1, 4, 5, 6}, layout: "ndhwc", d: 4, h: 5, w: 6},
		{feat: []int{8, 4, 5, 6}, lname: "l.nii", lab: []int{8, 10, 12}, layout: "ncdhw", d: 4, h: 5, w: 6, warn: true},
		{feat: []int{8, 4, 5, 6}, lname: "l.nii", lab: []int{12, 10, 12}, layout: "ncdhw", d: 4, h: 5, w: 6, warn: true},
		{feat: []int{8, 4, 5, 1}, lname: "l.nii", lab: []int{4, 5, 1}, layout: "ncdhw", d: 4, h: 5, w: 1},
		{feat: []int{8, 4, 5}, lname: "l.nii", lab: []int{4, 5, 1}, layout: "nchw", d: 1, h: 4, w: 5},
		{feat: []int{8, 1, 4, 5}, lname: "l.npy", lab: []int{4, 5}, layout: "ncdhw", d: 1, h: 4, w: 5},
		// (2, 2, 4, 4) is a batch of two images or a volume of two slices.
		{feat: []int{2, 2, 4, 4}, lname: "l.npy", lab: []int{2, 4, 4}, layout: "nchw", d: 1, h: 4, w: 4, warn: true},
		{feat: []int{2, 2, 4, 4}, lname: "l.nii", lab: []int{2, 4, 4}, layout: "ncdhw", d: 2, h: 4, w: 4, warn: true},
		{feat: []int{2, 2, 4, 4}, lname: "l.npy", lab: []int{2, 4, 4}, layout: "ncdhw", d: 2, h: 4, w: 4, explicit: "ncdhw"},
		{feat: []int{8, 4, 5, 6}, lname: "l.nii", lab: []int{8, 10, 11}, err: "label grid 8x10x11 is not an integer multiple of feature grid 4x5x6"},
		{feat: []int{2, 8, 4, 5, 6}, lname: "l.npy", lab: []int{3, 4, 5, 6}, err: "2 feature volumes but 3 label maps"},
		{feat: []int{8, 4, 5, 6}, lname: "l.npy", lab: []int{4, 5, 6}, err: "layout nc does not fit", explicit: "nc"},
	}
	for _, tc := range cases {
		opt := DefaultOptions()
		if tc.explicit != "" {
			opt.Layout = tc.explicit
		}
		d, err := Open("t", []File{feat(tc.feat)}, []File{lab(tc.lname, tc.lab)}, opt)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v / %s %v: error %v, want %q", tc.feat, tc.lname, tc.lab, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v / %s %v: %v", tc.feat, tc.lname, tc.lab, err)
			continue
		}
		im := d.Images[0]
		if d.Layout != tc.layout || im.D != tc.d || im.H != tc.h || im.W != tc.w {
			t.Errorf("%v / %s %v: layout %s grid %dx%dx%d, want %s %dx%dx%d", tc.feat, tc.lname, tc.lab, d.Layout, im.D, im.H, im.W, tc.layout, tc.d, tc.h, tc.w)
		}
		if got := len(d.Warnings) > 0; got != tc.warn {
			t.Errorf("%v / %s %v: warnings %q", tc.feat, tc.lname, tc.lab, d.Warnings)
		}
	}
}

// countingFile counts the bytes read through it.
type countingFile struct {
	File
	n atomic.Int64
}

func (c *countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.File.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// TestGzipLabelsOnePass checks that the labels of a gzipped NIfTI volume
// larger than a read chunk are inflated in one forward pass.
func TestGzipLabelsOnePass(t *testing.T) {
	const X, Y, Z = 48, 48, 40 // 92160 voxels: more than one chunk of 65536
	rng := rand.New(rand.NewPCG(5, 6))
	labels := make([]uint8, X*Y*Z)
	for i := range labels {
		labels[i] = uint8(rng.IntN(200))
	}
	b, err := arrays.EncodeNIfTI([]int{X, Y, Z}, labels, true)
	if err != nil {
		t.Fatal(err)
	}
	lf := &countingFile{File: NewMemFile("l.nii.gz", b)}
	ff := NewMemFile("f.npy", mustNPY(t, []int{2, X, Y, Z}, "<f4", make([]float32, 2*X*Y*Z)))
	d, err := Open("t", []File{ff}, []File{lf}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if d.Valid != X*Y*Z || d.Layout != "ncdhw" {
		t.Fatalf("valid %d layout %s", d.Valid, d.Layout)
	}
	// The header is read once to open, the data once to read.
	if n := lf.n.Load(); n > 2*int64(len(b))+1<<18 {
		t.Errorf("read %d bytes of a %d-byte file", n, len(b))
	}
	im := d.Images[0]
	for _, p := range [][3]int{{0, 0, 0}, {47, 0, 0}, {3, 17, 39}, {47, 47, 39}} {
		l, _ := im.Label((p[0]*Y+p[1])*Z + p[2])
		if want := labels[p[0]+X*(p[1]+Y*p[2])]; l != int(want) {
			t.Errorf("label at %v = %d, want %d", p, l, want)
		}
	}
}
