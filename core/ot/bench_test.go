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
					for op, sec := range sol.Seconds {
						b.ReportMetric(sec, op+"-s")
					}
				})
			}
		}
	}
}

// BenchmarkBlockOps times the per-entry block operations on one block of
// 256 rows of a 2000-point problem (dense kernel at the easy setting, sparse
// at a small ε). In the browser the ratio to native is what matters:
//
//	GOOS=js GOARCH=wasm go test -run '^$' -bench BlockOps -exec "$PWD/wasm/simd/testdata/go_js_wasm_exec" ./core/ot
func BenchmarkBlockOps(b *testing.B) {
	p := clustered(11, 2000, 2000, 19, 19, 19, 4)
	for _, c := range []struct {
		name string
		eps  float64
	}{{"dense", 0.1}, {"sparse", 0.002}} {
		t := NewTarget(p)
		blk := NewBlock(p, t, 0, 256)
		rep, _ := blk.Do(&Op{Kind: OpCost})
		g := make([]float64, p.M)
		if _, err := blk.Do(&Op{Kind: OpKernel, G: g, Eps: c.eps, Scale: rep.Max}); err != nil {
			b.Fatal(err)
		}
		v := make([]float64, p.M)
		for j := range v {
			v[j] = 1
		}
		b.Run(c.name+"/finish", func(b *testing.B) {
			for range b.N {
				blk.Do(&Op{Kind: OpFinish, V: v, G: g})
			}
		})
		b.Run(c.name+"/iterate", func(b *testing.B) {
			for range b.N {
				blk.Do(&Op{Kind: OpIterate, V: v, Omega: 1})
			}
		})
		b.Run(c.name+"/absorb", func(b *testing.B) {
			for range b.N {
				blk.Do(&Op{Kind: OpAbsorb, V: v})
			}
		})
		b.Logf("%s: density %.3g, sparse %v", c.name, blk.density(), blk.sparse)
	}
}

// BenchmarkSqDistTiles times a panel of the squared distances' 4×4 tiles
// (64 rows by the panel's columns) in plain Go and, on amd64, in SSE2
// (tile4), at the authors' d = 19 and a decoder's d = 256: compare the two
// in one run.
func BenchmarkSqDistTiles(b *testing.B) {
	for _, d := range []int{19, 256} {
		n, m := 64, sqDistPanel(d)
		x, y := make([]float64, n*d), make([]float64, m*d)
		for i := range x {
			x[i] = float64(i%7) - 3
		}
		for i := range y {
			y[i] = float64(i%5) - 2
		}
		nx, ny := make([]float64, n), make([]float64, m)
		out := make([]float32, n*m)
		kernels := map[string]func(out []float32, m int, x, nx, y, ny []float64, n, d, j0, j1 int){"go": sqDistPanelTilesGo}
		if haveSSE2 {
			kernels["sse2"] = sqDistPanelTilesSSE2
		}
		for _, name := range []string{"go", "sse2"} {
			f, ok := kernels[name]
			if !ok {
				continue
			}
			b.Run(fmt.Sprintf("d%d/%s", d, name), func(b *testing.B) {
				b.SetBytes(int64(4 * n * m))
				for range b.N {
					f(out, m, x, nx, y, ny, n, d, 0, m)
				}
			})
		}
	}
}
