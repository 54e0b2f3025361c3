package ot

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkRepetition times one repetition (cost, solve, score) on clustered
// features like a segmentation model's (19 source and 19 target classes), at
// the easy setting (cost-norm max, ε = 0.1) and at the authors' setting (raw
// cost, ε = 0.1) with both solvers. Ratios between the settings of the same
// samples are what the benchmarks report (make bench):
//
//	go test -run '^$' -bench Repetition -benchtime 1x ./core/ot
func BenchmarkRepetition(b *testing.B) {
	for _, n := range []int{2000, 10000} {
		for _, d := range []int{19, 256} {
			scale := 4.0
			if d == 256 {
				scale = 1.0
			}
			p := clustered(11, n, n, d, 19, 19, scale)
			for _, set := range []struct {
				name string
				prm  Params
			}{
				{"easy-max", Params{Eps: 0.1, CostNorm: NormMax, Tol: 1e-6, MaxIter: 10000, ScoreTol: 1e-4}},
				{"raw-sinkhorn", Params{Eps: 0.1, CostNorm: NormNone, Tol: 1e-6, MaxIter: 10000, ScoreTol: 1e-4, WarmStart: true}},
				{"raw-emd", Params{Eps: 0.1, CostNorm: NormNone, Tol: 1e-6, MaxIter: 10000, Exact: true}},
			} {
				b.Run(fmt.Sprintf("N=%d/d=%d/%s", n, d, set.name), func(b *testing.B) {
					var sol *Solution
					for i := 0; i < b.N; i++ {
						var err error
						sol, err = Solve(context.Background(), NewLocalBlocks(p, 0), p, set.prm)
						if err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(sol.Iterations), "iterations")
					b.ReportMetric(sol.MarginalError, "marginal-error")
					b.ReportMetric(sol.CE, "CE")
					b.ReportMetric(sol.EpsOverMedian(set.prm.Eps), "eps/median")
				})
			}
		}
	}
}
