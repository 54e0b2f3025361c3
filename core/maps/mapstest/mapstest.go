// Package mapstest holds the data of the dense maps' benchmarks, shared by
// core/maps (natively) and wasm/simd (the page's SIMD128 kernels), so that
// both measure the very same map.
package mapstest

import (
	"math/rand/v2"
	"testing"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/ot"
)

// Problem is a repetition of n source points in R^d with 19 classes, for
// maps.NewRep(p, classes, classes, joint, pot): potentials F = 0 and
// ε·Scale spanning the costs, so that every source point carries weight in
// every pixel's c-transform (the most exponentials; at the paper's raw
// cost and ε = 0.1 nearly all are flushed instead). exact makes it an
// exact plan's (an arg-min per pixel, no exponential). The data depend on
// d alone (seeded).
func Problem(n, d int, exact bool) (p *ot.Problem, classes []int, joint []float64, pot *ot.Potentials) {
	rng := rand.New(rand.NewPCG(1, uint64(d)))
	p = &ot.Problem{N: n, M: 19, D: d, La: 19, Lb: 19, Xs: make([]float32, n*d), Ys: make([]int32, n), Yt: make([]int32, 19)}
	for i := range p.Xs {
		p.Xs[i] = float32(rng.NormFloat64())
	}
	for i := range p.Ys {
		p.Ys[i] = int32(i % 19)
	}
	classes = make([]int, 19)
	joint = make([]float64, 19*19)
	for k := range classes {
		classes[k] = k
		p.Yt[k] = int32(k)
	}
	for k := range joint {
		joint[k] = (1 + rng.Float64()) / 19 / 19 / 1.5
	}
	pot = &ot.Potentials{F: make([]float64, n), Eps: 0.1, Scale: float64(2 * d), Exact: exact, Columns: make([]float64, 19*19)}
	return p, classes, joint, pot
}

// Image is one target image of d×128×256 features, every pixel valid
// (seeded by d).
func Image(tb testing.TB, d int) *dataset.Image {
	tb.Helper()
	const h, w = 128, 256
	rng := rand.New(rand.NewPCG(2, uint64(d)))
	x := make([]float32, d*h*w)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	lab := make([]uint8, h*w)
	for i := range lab {
		lab[i] = uint8(i % 19)
	}
	fb, err := arrays.EncodeNPY([]int{d, h, w}, "<f4", x)
	if err != nil {
		tb.Fatal(err)
	}
	lb, err := arrays.EncodeNPY([]int{h, w}, "|u1", lab)
	if err != nil {
		tb.Fatal(err)
	}
	dom, err := dataset.Open("target", []dataset.File{dataset.NewMemFile("t_features.npy", fb)}, []dataset.File{dataset.NewMemFile("t_labels.npy", lb)}, dataset.DefaultOptions())
	if err != nil {
		tb.Fatal(err)
	}
	return dom.Images[0]
}
