package sample

import (
	"fmt"
	"github.com/otceseg/otceseg/core/arrays"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/otceseg/otceseg/core/dataset"
)

// domain makes a domain of one (C=1, H, W) image whose feature at pixel p is
// p, with every third pixel ignored.
func domain(t *testing.T, h, w int) *dataset.Domain {
	t.Helper()
	feats := make([]float32, h*w)
	labels := make([]uint8, h*w)
	for p := range feats {
		feats[p] = float32(p)
		labels[p] = uint8(p % 4)
		if p%3 == 0 {
			labels[p] = 255
		}
	}
	d, err := dataset.Open("d", []dataset.File{dataset.NewMemFile("f.npy", npy([]int{1, h, w}, "<f4", feats))},
		[]dataset.File{dataset.NewMemFile("l.npy", npy([]int{h, w}, "|u1", labels))}, dataset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func npy(shape []int, descr string, data any) []byte {
	b, err := arrays.EncodeNPY(shape, descr, data)
	if err != nil {
		panic(err)
	}
	return b
}

func TestDeterministicValidCanonical(t *testing.T) {
	d := domain(t, 30, 40)
	a, err := Draw(d, 200, 5, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Draw(d, 200, 5, 1, false)
	c, _ := Draw(d, 200, 5, 2, false)
	if fmt.Sprint(a.X) != fmt.Sprint(b.X) {
		t.Fatal("same seed and stream gave different pixels")
	}
	if fmt.Sprint(a.X) == fmt.Sprint(c.X) {
		t.Fatal("different streams gave the same pixels")
	}
	for k, x := range a.X {
		p := int(x)
		if p%3 == 0 {
			t.Fatalf("ignored pixel %d sampled", p)
		}
		if int(a.Y[k]) != p%4 {
			t.Fatalf("pixel %d has label %d, want %d", p, a.Y[k], p%4)
		}
		if k > 0 && x <= a.X[k-1] {
			t.Fatal("pixels are not in canonical order (or repeat)")
		}
	}
	if a.N != 200 || a.Exhausted {
		t.Errorf("N %d exhausted %v", a.N, a.Exhausted)
	}
}

// TestUniform: over many seeds every valid pixel is drawn about equally often.
func TestUniform(t *testing.T) {
	d := domain(t, 6, 10) // 40 valid pixels
	counts := map[float32]int{}
	const draws, n = 4000, 10
	for s := 0; s < draws; s++ {
		px, err := Draw(d, n, uint64(s), 0, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range px.X {
			counts[x]++
		}
	}
	if len(counts) != 40 {
		t.Fatalf("%d distinct pixels drawn, want 40", len(counts))
	}
	want := float64(draws*n) / 40
	chi := 0.0
	for _, c := range counts {
		chi += (float64(c) - want) * (float64(c) - want) / want
	}
	// 39 degrees of freedom: the 99.9% quantile is about 72.
	if chi > 72 {
		t.Errorf("χ² = %.1f: draws are not uniform", chi)
	}
}

func TestExhaustedAndNonFinite(t *testing.T) {
	d := domain(t, 3, 4) // 8 valid pixels
	px, err := Draw(d, 100, 0, 0, false)
	if err != nil || px.N != 8 || !px.Exhausted {
		t.Fatalf("N %d exhausted %v err %v", px.N, px.Exhausted, err)
	}
	feats := []float32{0, 1, float32(math.NaN()), 3, 4, float32(math.Inf(1)), 6, 7}
	labels := make([]uint8, 8)
	nd, err := dataset.Open("d", []dataset.File{dataset.NewMemFile("nan.npy", npy([]int{8, 1}, "<f4", feats))},
		[]dataset.File{dataset.NewMemFile("l.npy", npy([]int{8}, "|u1", labels))}, dataset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Draw(nd, 8, 0, 0, false); err == nil || !strings.Contains(err.Error(), "nan.npy") || !strings.Contains(err.Error(), "2 of 8") {
		t.Errorf("non-finite: %v", err)
	}
	px, err = Draw(nd, 7, 0, 0, true)
	if err != nil || px.N != 6 || px.Dropped != 2 || !px.Exhausted {
		t.Fatalf("drop: N %d dropped %d err %v", px.N, px.Dropped, err)
	}
	for _, x := range px.X {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatal("non-finite value kept")
		}
	}
}

func TestQuotas(t *testing.T) {
	for _, c := range []struct {
		sizes []int64
		n     int64
		want  string
	}{
		{[]int64{100, 100, 100}, 30, "[10 10 10]"},
		{[]int64{100, 100, 100}, 31, "[11 10 10]"}, // the remainder to the first
		{[]int64{5, 100, 100}, 31, "[5 13 13]"},    // a small class gives all, the rest is spread
		{[]int64{5, 100, 100}, 32, "[5 14 13]"},    //
		{[]int64{5, 7, 100}, 50, "[5 7 38]"},       //
		{[]int64{5, 7, 100}, 500, "[5 7 100]"},     // fewer pixels than n: all
		{[]int64{0, 100, 3}, 10, "[0 7 3]"},        //
		{[]int64{10000}, 10000, "[10000]"},         // uniform: one stratum
		{[]int64{4, 4, 4, 4}, 3, "[1 1 1 0]"},      // fewer pixels than classes
		{[]int64{1 << 40, 1 << 40}, 1 << 20, "[524288 524288]"},
	} {
		if got := fmt.Sprint(Quotas(c.sizes, c.n)); got != c.want {
			t.Errorf("Quotas(%v, %d) = %s, want %s", c.sizes, c.n, got, c.want)
		}
	}
}

// skewed makes a domain of two (1, 20, 50) images whose feature at pixel p
// of image i is 1000·i + p, with class 0 on 90 % of the pixels, class 7 on
// 9 % and class 300 on 1 % (10 pixels), a few pixels ignored.
func skewed(t *testing.T, nan func(i, p int) bool, reverse bool) *dataset.Domain {
	t.Helper()
	var fs, ls []dataset.File
	for i := range 2 {
		feats := make([]float32, 1000)
		labels := make([]uint16, 1000)
		for p := range feats {
			feats[p] = float32(1000*i + p)
			if nan != nil && nan(i, p) {
				feats[p] = float32(math.NaN())
			}
			switch {
			case p%100 == 0 && i == 1:
				labels[p] = 300
			case p%11 == 1:
				labels[p] = 7
			case p%97 == 5:
				labels[p] = 255
			}
		}
		fs = append(fs, dataset.NewMemFile(fmt.Sprintf("im%d_feat.npy", i), npy([]int{1, 20, 50}, "<f4", feats)))
		ls = append(ls, dataset.NewMemFile(fmt.Sprintf("im%d_labels.npy", i), npy([]int{20, 50}, "<u2", labels)))
	}
	if reverse {
		slices.Reverse(fs)
	}
	d, err := dataset.Open("d", fs, ls, dataset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func classCounts(px *Pixels) map[int32]int {
	m := map[int32]int{}
	for _, y := range px.Y {
		m[y]++
	}
	return m
}

// TestPerClass: per-class sampling takes N/C pixels of each class present,
// all of a class that has fewer and the rest spread over the others; the
// pixels are valid, distinct, of the right class and in canonical order,
// and the draw is a function of the seed and the stream only (the order in
// which files are given does not matter).
func TestPerClass(t *testing.T) {
	d := skewed(t, nil, false)
	if fmt.Sprint(d.Classes) != "[0 7 300]" || d.ClassPixels[2] != 10 {
		t.Fatalf("classes %v pixels %v", d.Classes, d.ClassPixels)
	}
	px, err := DrawWith(d, 301, 3, 1, Options{PerClass: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(classCounts(px)); got != "map[0:146 7:145 300:10]" {
		t.Errorf("class counts %s, want 146, 145, 10", got)
	}
	uni, _ := DrawWith(d, 301, 3, 1, Options{})
	if c := classCounts(uni); c[300] > 10 || c[0] < 200 {
		t.Errorf("uniform class counts %v", c)
	}
	for k, x := range px.X {
		p, i := int(x)%1000, int(x)/1000
		want := int32(0)
		switch {
		case p%100 == 0 && i == 1:
			want = 300
		case p%11 == 1:
			want = 7
		case p%97 == 5:
			t.Fatalf("ignored pixel %v drawn", x)
		}
		if px.Y[k] != want {
			t.Fatalf("pixel %v has label %d, want %d", x, px.Y[k], want)
		}
		if k > 0 && x <= px.X[k-1] {
			t.Fatal("pixels not in canonical order (or repeated)")
		}
	}
	again, _ := DrawWith(d, 301, 3, 1, Options{PerClass: true})
	other, _ := DrawWith(d, 301, 3, 2, Options{PerClass: true})
	if fmt.Sprint(again.X) != fmt.Sprint(px.X) || fmt.Sprint(other.X) == fmt.Sprint(px.X) {
		t.Error("per-class draw not a function of seed and stream")
	}
	// The same files given in the other order: the same pixels.
	rev, _ := DrawWith(skewed(t, nil, true), 301, 3, 1, Options{PerClass: true})
	if fmt.Sprint(rev.X) != fmt.Sprint(px.X) {
		t.Error("per-class draw depends on the order of the files")
	}
	// Fewer valid pixels than N: all of them, as uniform sampling does.
	all, _ := DrawWith(d, 5000, 3, 1, Options{PerClass: true})
	if int64(all.N) != d.Valid || !all.Exhausted {
		t.Errorf("N %d of %d valid, exhausted %v", all.N, d.Valid, all.Exhausted)
	}
}

// TestPerClassDropNonFinite: with --drop-nonfinite, a class whose pixels
// are all skipped gives its share to the others.
func TestPerClassDropNonFinite(t *testing.T) {
	d := skewed(t, func(i, p int) bool { return p%11 == 1 }, false) // class 7 all NaN, and pixel 100 of class 300
	px, err := DrawWith(d, 300, 0, 0, Options{PerClass: true, DropNonFinite: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(classCounts(px)); got != "map[0:291 300:9]" || px.Dropped != 182 || px.Exhausted {
		t.Errorf("class counts %s, dropped %d, exhausted %v", got, px.Dropped, px.Exhausted)
	}
}

// TestAllNonFinite: a domain whose features are all NaN is read in a number
// of batches logarithmic in its size (not one batch of N per N pixels) and
// the message names the files.
func TestAllNonFinite(t *testing.T) {
	d := skewed(t, func(i, p int) bool { return true }, false)
	_, err := DrawWith(d, 10, 0, 0, Options{DropNonFinite: true})
	if err == nil || err.Error() != "im0_feat.npy (and 1 more feature files): no pixel with finite features: every value read is NaN or Inf (a diverged or overflowed float16 export?)" {
		t.Fatalf("all NaN: %v", err)
	}
	// One finite pixel among 2000: found after about log₂(2000/10) rounds.
	d = skewed(t, func(i, p int) bool { return i != 1 || p != 999 }, false)
	px, err := DrawWith(d, 10, 0, 0, Options{DropNonFinite: true})
	if err != nil || px.N != 1 || px.X[0] != 1999 || !px.Exhausted {
		t.Fatalf("one finite pixel: %+v, %v", px, err)
	}
	if px.rounds > 10 {
		t.Errorf("%d rounds of reading, want at most 10", px.rounds)
	}
}
