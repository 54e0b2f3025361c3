package ot

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/otceseg/otceseg/core/arrays"
)

// readDumped reads one array of a repetition written by otce score
// --dump-sample as float64 values and its shape.
func readDumped(tb testing.TB, dir, name string) ([]float64, []int) {
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

// dumpedProblem is the problem of a dumped repetition (xs, ys, xt, yt.npy),
// its target points ordered by class (stably, as the sampler orders them).
func dumpedProblem(tb testing.TB, dir string) *Problem {
	xs, sh := readDumped(tb, dir, "xs.npy")
	xt, _ := readDumped(tb, dir, "xt.npy")
	ys, _ := readDumped(tb, dir, "ys.npy")
	yt, _ := readDumped(tb, dir, "yt.npy")
	if len(sh) != 2 || len(xt) != len(xs) || len(ys) != sh[0] || len(yt) != sh[0] {
		tb.Fatalf("%s: not an N×N repetition", dir)
	}
	n, d := sh[0], sh[1]
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return yt[idx[a]] < yt[idx[b]] })
	p := &Problem{N: n, M: n, D: d, Xs: make([]float32, n*d), Ys: make([]int32, n), Xt: make([]float32, n*d), Yt: make([]int32, n)}
	for i := range n {
		for k := range d {
			p.Xs[i*d+k] = float32(xs[i*d+k])
			p.Xt[i*d+k] = float32(xt[idx[i]*d+k])
		}
		p.Ys[i], p.Yt[i] = int32(ys[i]), int32(yt[idx[i]])
		p.La, p.Lb = max(p.La, int(p.Ys[i])+1), max(p.Lb, int(p.Yt[i])+1)
	}
	return p
}

// dumpedFromEnv is the problem of the repetition in the folder OTCE_DUMP
// names (dumpedProblem); without it, b is skipped.
func dumpedFromEnv(b *testing.B) *Problem {
	dir := os.Getenv("OTCE_DUMP")
	if dir == "" {
		b.Skip("OTCE_DUMP is not set")
	}
	return dumpedProblem(b, dir)
}

// rawSinkhorn are the parameters of BenchmarkDumped's raw-sinkhorn: the
// authors' setting (raw cost, ε = 0.1), Sinkhorn from the exact warm
// start with the score rule.
var rawSinkhorn = Params{Eps: 0.1, CostNorm: NormNone, Tol: 1e-6, MaxIter: 10000, ScoreTol: 1e-4, WarmStart: true}

// BenchmarkDumped solves a repetition dumped by the CLI at the authors'
// setting (raw cost, ε = 0.1) with the exact solver and with Sinkhorn's
// exact warm start, reporting each phase's seconds: the rows on features
// of trained networks, which are not in the repository (OTCE_DUMP names
// the repetition's folder; skipped without it). For example, logits of a
// network of scripts/reproduce on its own and a shifted domain:
//
//	otce score --n 10000 --k 1 --dump-sample build/dump … (the exported .npz bundles)
//	OTCE_DUMP=build/dump/candidate/rep0 go test -run '^$' -bench Dumped -benchtime 1x ./core/ot
func BenchmarkDumped(b *testing.B) {
	p := dumpedFromEnv(b)
	for _, set := range []struct {
		name string
		prm  Params
	}{
		{"raw-emd", Params{Eps: 0.1, CostNorm: NormNone, Tol: 1e-6, MaxIter: 10000, Exact: true}},
		{"raw-sinkhorn", rawSinkhorn},
	} {
		b.Run(set.name, func(b *testing.B) {
			var sol *Solution
			for range b.N {
				var err error
				sol, err = Solve(context.Background(), NewLocalBlocks(p, 0), p, set.prm)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(sol.Iterations), "iterations")
			b.ReportMetric(sol.CE, "CE")
			b.ReportMetric(sol.EpsOverMedian(set.prm.Eps), "eps/median")
			for op, sec := range sol.Seconds {
				b.ReportMetric(sec, op+"-s")
			}
		})
	}
}
