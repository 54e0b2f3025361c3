package ot

import (
	"context"
	"os"
	"testing"

	"github.com/otceseg/otceseg/core/ot/dumptest"
)

// dumpedProblem is the problem of a dumped repetition (dumptest.Read).
func dumpedProblem(tb testing.TB, dir string) *Problem {
	r := dumptest.Read(tb, dir)
	return &Problem{N: r.N, M: r.N, D: r.D, Xs: r.Xs, Ys: r.Ys, Xt: r.Xt, Yt: r.Yt, La: r.La, Lb: r.Lb}
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
