package metrics_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/otceseg/otceseg/core/metrics"
	"github.com/otceseg/otceseg/core/ot"
)

// BenchmarkMetrics times all the other scores of one repetition's target
// pixels (N = 10⁴, d = 19 and 256, 19 classes, clustered features) against
// one repetition's OT on the same pixels in the same invocation, at the
// cheapest OT setting (cost-norm max, ε = 0.1: the conservative reference;
// the authors' raw-cost setting takes 1.4–2× longer), and reports the
// ratio:
//
//	go test -run '^$' -bench Metrics -benchtime 1x ./core/metrics/
func BenchmarkMetrics(b *testing.B) {
	const n, classes = 10000, 19
	for _, d := range []int{19, 256} {
		b.Run(fmt.Sprintf("N=%d/d=%d", n, d), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(14, uint64(d)))
			p := &ot.Problem{N: n, M: n, D: d, La: classes, Lb: classes}
			p.Xs, p.Ys = clustered(rng, n, d, classes)
			p.Xt, p.Yt = clustered(rng, n, d, classes)
			x := make([]float64, len(p.Xt))
			labels := make([]int32, n)
			copy(labels, p.Yt)
			names := []string{"logme", "leep", "nce", "hscore", "gbc", "zeroshot"}
			var tm, to time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				for k, v := range p.Xt {
					x[k] = float64(v) // as otce's sampler converts
				}
				vals, errs := metrics.Compute(names, x, d, labels, metrics.Options{HScoreRcond: 1e-15})
				tm += time.Since(t0)
				if len(errs) > 0 || len(vals) != 7 {
					b.Fatal(errs)
				}
				t1 := time.Now()
				if _, err := ot.Solve(context.Background(), ot.NewLocalBlocks(p, 0), p, ot.Params{Eps: 0.1, CostNorm: ot.NormMax, Tol: 1e-6, MaxIter: 10000, ScoreTol: 1e-4}); err != nil {
					b.Fatal(err)
				}
				to += time.Since(t1)
			}
			b.ReportMetric(tm.Seconds()/float64(b.N), "metrics-s")
			b.ReportMetric(to.Seconds()/float64(b.N), "ot-s")
			b.ReportMetric(tm.Seconds()/to.Seconds(), "metrics/ot")
		})
	}
}

// clustered draws n points of d channels around one centre per class,
// ordered by class (as ot.Problem wants the target).
func clustered(rng *rand.Rand, n, d, classes int) ([]float32, []int32) {
	centres := make([]float64, classes*d)
	for i := range centres {
		centres[i] = 3 * rng.NormFloat64()
	}
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(rng.IntN(classes))
	}
	slices.Sort(y)
	x := make([]float32, n*d)
	for i, c := range y {
		for k := 0; k < d; k++ {
			x[i*d+k] = float32(centres[int(c)*d+k] + rng.NormFloat64())
		}
	}
	return x, y
}
