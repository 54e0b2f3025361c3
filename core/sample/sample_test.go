package sample

import (
	"fmt"
	"github.com/otceseg/otceseg/core/arrays"
	"math"
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
