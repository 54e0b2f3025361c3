// Package dumptest reads a repetition that the CLI wrote with
// otce score --dump-sample (xs, ys, xt, yt.npy) for the benchmarks that
// solve it again: core/ot's natively and wasm/simd's in WebAssembly, so
// that both measure the very same problem. It does not import core/ot, so
// that core/ot's own tests can use it.
package dumptest

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/otceseg/otceseg/core/arrays"
)

// Rep is a dumped repetition as the solver takes it (the fields of an
// ot.Problem with M = N): N source and N target points in R^D, their
// labels below La and Lb, the target points ordered by class (stably, as
// the sampler orders them).
type Rep struct {
	N, D   int
	Xs, Xt []float32
	Ys, Yt []int32
	La, Lb int
}

// Read reads the repetition in dir; a missing or malformed file fails tb.
func Read(tb testing.TB, dir string) *Rep {
	tb.Helper()
	xs, sh := array(tb, dir, "xs.npy")
	xt, _ := array(tb, dir, "xt.npy")
	ys, _ := array(tb, dir, "ys.npy")
	yt, _ := array(tb, dir, "yt.npy")
	if len(sh) != 2 || len(xt) != len(xs) || len(ys) != sh[0] || len(yt) != sh[0] {
		tb.Fatalf("%s: not an N×N repetition", dir)
	}
	n, d := sh[0], sh[1]
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return yt[idx[a]] < yt[idx[b]] })
	r := &Rep{N: n, D: d, Xs: make([]float32, n*d), Ys: make([]int32, n), Xt: make([]float32, n*d), Yt: make([]int32, n)}
	for i := range n {
		for k := range d {
			r.Xs[i*d+k] = float32(xs[i*d+k])
			r.Xt[i*d+k] = float32(xt[idx[i]*d+k])
		}
		r.Ys[i], r.Yt[i] = int32(ys[i]), int32(yt[idx[i]])
		r.La, r.Lb = max(r.La, int(r.Ys[i])+1), max(r.Lb, int(r.Yt[i])+1)
	}
	return r
}

// array reads one array of the repetition as float64 values, and its
// shape.
func array(tb testing.TB, dir, name string) ([]float64, []int) {
	tb.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	a, err := arrays.OpenNPY(f, st.Size(), name)
	if err != nil {
		tb.Fatal(err)
	}
	v := make([]float64, a.Len())
	if err := a.ReadRange(0, v); err != nil {
		tb.Fatal(err)
	}
	return v, a.Shape
}
