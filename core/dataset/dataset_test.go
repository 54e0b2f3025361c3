package dataset

import (
	"encoding/binary"
	"fmt"

	"github.com/otceseg/otceseg/core/arrays"
	"strings"
	"testing"
)

func TestStem(t *testing.T) {
	for name, want := range map[string]string{
		"aachen_000000_000019_leftImg8bit.npy":          "aachen_000000_000019",
		"aachen_000000_000019_gtFine_labelTrainIds.png": "aachen_000000_000019",
		"dir/sub/img01_features.npy":                    "img01",
		"img01_labels.npy":                              "img01",
		"img01.npy":                                     "img01",
		"img01.tar.npy":                                 "img01",
		"_labels.npy":                                   "_labels",
		`C:\data\x_feat.npy`:                            "x",
	} {
		if got := Stem(name); got != want {
			t.Errorf("Stem(%q) = %q, want %q", name, got, want)
		}
	}
}

func npy(shape []int, descr string, data any) []byte {
	b, err := arrays.EncodeNPY(shape, descr, data)
	if err != nil {
		panic(err)
	}
	return b
}

func TestPairErrors(t *testing.T) {
	f := func(n string) File { return NewMemFile(n, nil) }
	_, err := Pair([]File{f("a_feat.npy"), f("b_feat.npy")}, []File{f("a_labels.png"), f("c_labels.png")})
	if err == nil || !strings.Contains(err.Error(), "b_feat.npy") {
		t.Errorf("missing pair: %v", err)
	}
	_, err = Pair([]File{f("a_feat.npy"), f("x/a_feat.npy")}, []File{f("a_labels.png")})
	if err == nil || !strings.Contains(err.Error(), "stem") {
		t.Errorf("duplicate stem: %v", err)
	}
	pairs, err := Pair([]File{f("b_feat.npy"), f("a_feat.npy")}, []File{f("a_labels.png"), f("b_labels.png")})
	if err != nil || pairs[0][0].Name() != "a_feat.npy" || pairs[0][1].Name() != "a_labels.png" {
		t.Errorf("pairs %v, %v", pairs, err)
	}
}

// TestLabelGrid checks the nearest-neighbour rule: feature pixel (h, w)
// takes the label at (h·s, w·s).
func TestLabelGrid(t *testing.T) {
	const H, W, C, S = 3, 4, 2, 2
	labels := make([]uint8, H*S*W*S)
	for y := 0; y < H*S; y++ {
		for x := 0; x < W*S; x++ {
			labels[y*W*S+x] = uint8(10*y + x)
		}
	}
	labels[0] = 255 // ignored
	feats := make([]float32, C*H*W)
	d, err := Open("t", []File{NewMemFile("f.npy", npy([]int{C, H, W}, "<f4", feats))},
		[]File{NewMemFile("l.npy", npy([]int{H * S, W * S}, "|u1", labels))}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	im := d.Images[0]
	if im.Layout != "nchw" || im.H != H || im.W != W || im.C != C {
		t.Fatalf("image %+v", im)
	}
	if d.Valid != H*W-1 {
		t.Errorf("valid %d, want %d", d.Valid, H*W-1)
	}
	for h := 0; h < H; h++ {
		for w := 0; w < W; w++ {
			l, ok := im.Label(h*W + w)
			want := 10*h*S + w*S
			if h == 0 && w == 0 {
				if ok {
					t.Errorf("(0,0) should be ignored")
				}
				continue
			}
			if !ok || l != want {
				t.Errorf("label at (%d,%d) = %d, want %d", h, w, l, want)
			}
		}
	}
}

func TestLayoutChoiceAndErrors(t *testing.T) {
	lab := func(shape []int) File {
		n := 1
		for _, s := range shape {
			n *= s
		}
		return NewMemFile("l.npy", npy(shape, "|u1", make([]uint8, n)))
	}
	feat := func(shape []int) File {
		n := 1
		for _, s := range shape {
			n *= s
		}
		return NewMemFile("f.npy", npy(shape, "<f4", make([]float32, n)))
	}
	cases := []struct {
		feat, lab []int
		layout    string
		err       string
	}{
		{[]int{2, 8, 5, 6}, []int{2, 5, 6}, "nchw", ""},
		{[]int{2, 5, 6, 8}, []int{2, 5, 6}, "nhwc", ""},
		{[]int{2, 5, 6, 8}, []int{2, 20, 24}, "nhwc", ""},
		{[]int{5, 6, 8}, []int{5, 6}, "nhwc", ""},
		{[]int{8, 5, 6}, []int{1, 5, 6}, "nchw", ""},
		{[]int{30, 8}, []int{30}, "nc", ""},
		{[]int{2, 8, 5, 6}, []int{3, 5, 6}, "", "2 feature images but 3 label maps"},
		{[]int{2, 8, 5, 6}, []int{2, 7, 6}, "", "not an integer multiple"},
		{[]int{2, 2, 2, 2, 2, 2}, []int{2, 2}, "", "want (N,C)"},
	}
	for _, tc := range cases {
		d, err := Open("t", []File{feat(tc.feat)}, []File{lab(tc.lab)}, Options{Layout: "auto", IgnoreIndex: 255})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v / %v: error %v, want %q", tc.feat, tc.lab, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v / %v: %v", tc.feat, tc.lab, err)
			continue
		}
		if d.Layout != tc.layout {
			t.Errorf("%v / %v: layout %s, want %s", tc.feat, tc.lab, d.Layout, tc.layout)
		}
	}
}

func TestBadLabels(t *testing.T) {
	feat := NewMemFile("f.npy", npy([]int{4, 2}, "<f4", make([]float32, 8)))
	for _, tc := range []struct {
		vals []float32
		want string
	}{
		{[]float32{0, 1, 2.5, 3}, "not an integer"},
		{[]float32{0, 1, -2, 3}, "negative label"},
		{[]float32{0, 1, 70000, 3}, "larger than 65534"},
	} {
		_, err := Open("t", []File{feat}, []File{NewMemFile("bad.npy", npy([]int{4}, "<f4", tc.vals))}, DefaultOptions())
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.npy") {
			t.Errorf("%v: %v, want %q", tc.vals, err, tc.want)
		}
	}
}

// TestInstanceIDsRefused: a label map of thousands of distinct values (an
// instance-id or depth map given as labels) is refused at opening, naming
// the file and the likely mistake, whatever the largest value; up to
// MaxClasses distinct labels are counted per class.
func TestInstanceIDsRefused(t *testing.T) {
	open := func(labels []uint16) (*Domain, error) {
		n := len(labels)
		return Open("d", []File{NewMemFile("f.npy", npy([]int{n, 2}, "<f4", make([]float32, 2*n)))},
			[]File{NewMemFile("ids.npy", npy([]int{n}, "<u2", labels))}, DefaultOptions())
	}
	ids := make([]uint16, 3000)
	for i := range ids {
		ids[i] = uint16(26000 + i) // Cityscapes instance ids: class·1000 + instance
	}
	_, err := open(ids)
	if err == nil || !strings.HasPrefix(err.Error(), "ids.npy: more than 1024 distinct label values") || !strings.Contains(err.Error(), "instance-id") {
		t.Fatalf("instance ids: %v", err)
	}
	ok := make([]uint16, 3000)
	for i := range ok {
		ok[i] = uint16(65534 - i%MaxClasses*7) // MaxClasses distinct, large values
	}
	d, err := open(ok)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Classes) != MaxClasses || d.Classes[len(d.Classes)-1] != 65534 {
		t.Fatalf("%d classes, last %v", len(d.Classes), d.Classes[len(d.Classes)-1])
	}
	var sum int64
	for _, c := range d.ClassPixels {
		sum += c
	}
	if sum != d.Valid || d.ClassPixels[len(d.ClassPixels)-1] != 3 {
		t.Fatalf("class pixels sum %d (valid %d), last %d", sum, d.Valid, d.ClassPixels[len(d.ClassPixels)-1])
	}
}

// headerCountingFile counts the reads of the first 8 bytes of a file (where a
// .safetensors header's length is).
type headerCountingFile struct {
	File
	starts *int
}

func (c headerCountingFile) ReadAt(p []byte, off int64) (int, error) {
	if off == 0 {
		*c.starts++
	}
	return c.File.ReadAt(p, off)
}

// TestBundleParsedOnce: a bundle given as both features and labels has its
// header parsed once, not once per array.
func TestBundleParsedOnce(t *testing.T) {
	feats := npy([]int{4, 2}, "<f4", []float32{0, 1, 2, 3, 4, 5, 6, 7})
	hdr := `{"features":{"dtype":"F32","shape":[4,2],"data_offsets":[0,32]},"labels":{"dtype":"U8","shape":[4],"data_offsets":[32,36]}}`
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	b = append(b, hdr...)
	b = append(b, feats[len(feats)-32:]...)
	b = append(b, 0, 1, 1, 0)
	n := 0
	f := headerCountingFile{NewMemFile("b.safetensors", b), &n}
	d, err := Open("d", []File{f}, []File{f}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if d.Valid != 4 || fmt.Sprint(d.Classes) != "[0 1]" {
		t.Fatalf("valid %d classes %v", d.Valid, d.Classes)
	}
	if n != 1 {
		t.Errorf("header read %d times, want 1", n)
	}
}

// TestLabelsOneByte: labels are kept in one byte a pixel while an image has
// at most 255 distinct labels, two bytes beyond, and read back the same
// either way (with ignored pixels among them).
func TestLabelsOneByte(t *testing.T) {
	for _, distinct := range []int{3, 255, 256, 701} {
		n := 2000
		labels := make([]uint16, n)
		for i := range labels {
			labels[i] = uint16(1000 + (i*7)%distinct)
			if i%13 == 0 {
				labels[i] = 255
			}
		}
		d, err := Open("d", []File{NewMemFile("f.npy", npy([]int{n, 1}, "<f4", make([]float32, n)))},
			[]File{NewMemFile("l.npy", npy([]int{n}, "<u2", labels))}, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		im := d.Images[0]
		if oneByte := im.labels8 != nil; oneByte != (distinct <= 255) {
			t.Errorf("%d distinct labels: one byte a pixel %v", distinct, oneByte)
		}
		var valid []int
		for p, want := range labels {
			got, ok := im.Label(p)
			if ok != (want != 255) || ok && got != int(want) {
				t.Fatalf("%d distinct: pixel %d: label %d %v, want %d", distinct, p, got, ok, want)
			}
			if ok {
				valid = append(valid, p)
			}
		}
		ranks := make([]int, len(valid))
		for i := range ranks {
			ranks[i] = i
		}
		if fmt.Sprint(im.ValidPixels(ranks)) != fmt.Sprint(valid) {
			t.Errorf("%d distinct: valid pixels differ", distinct)
		}
	}
}
