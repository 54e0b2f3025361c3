package emd

import (
	"context"
	"fmt"
	"testing"
)

// benchCosts caches the clustered cost matrices of the benchmarks: the one
// for n = 10^4 takes 400 MB and a few seconds to compute.
var benchCosts = map[[3]int][]float32{}

func benchCost(n, m, d int) []float32 {
	key := [3]int{n, m, d}
	if c, ok := benchCosts[key]; ok {
		return c
	}
	clear(benchCosts) // keep at most one large matrix alive
	xs, xt := clusteredFeatures(n, m, d, uint64(n*1000+m+d))
	c := sqDistCost(xs, xt, n, m, d)
	benchCosts[key] = c
	return c
}

func benchSolve(b *testing.B, n, m, d int, method string) {
	cost := benchCost(n, m, d)
	b.ResetTimer()
	var p *Plan
	cpu0 := cpuTime()
	for b.Loop() {
		var err error
		p, err = Solve(context.Background(), cost, n, m, Options{Method: method})
		if err != nil {
			b.Fatal(err)
		}
	}
	// CPU time is reported because wall time is unreliable on a busy
	// machine.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(p.Iterations), "iters")
	b.ReportMetric(p.Cost, "cost")
}

// BenchmarkAssignment solves clustered n×n problems with each assignment
// method. Run with -benchtime=1x: one solve at n = 10^4 takes seconds.
func BenchmarkAssignment(b *testing.B) {
	for _, d := range []int{19, 256} {
		for _, n := range []int{1000, 5000, 10000} {
			for _, method := range []string{MethodJV, MethodAuction} {
				b.Run(fmt.Sprintf("d=%d/n=%d/%s", d, n, method), func(b *testing.B) {
					benchSolve(b, n, n, d, method)
				})
			}
		}
	}
}

// BenchmarkNetwork solves clustered n×m problems, m = 0.9n, with the
// network simplex.
func BenchmarkNetwork(b *testing.B) {
	for _, d := range []int{19, 256} {
		for _, n := range []int{1000, 2000, 3000} {
			m := n * 9 / 10
			b.Run(fmt.Sprintf("d=%d/n=%d/m=%d", d, n, m), func(b *testing.B) {
				benchSolve(b, n, m, d, MethodNetwork)
			})
		}
	}
}

// BenchmarkLogits solves, with the auction, the assignment problem of
// logitFeatures (logits of a trained network on its own and a shifted
// domain, d = 7) beside the clustered features of BenchmarkAssignment
// (d = 19) at the same n: the ratio of their cpu-s/op and rounds (iters)
// is what the logits cost more. Run several times (-count) on a loaded
// machine:
//
//	go test -run '^$' -bench Logits -benchtime 1x -count 3 ./core/emd
func BenchmarkLogits(b *testing.B) {
	const n = 10000
	for _, data := range []string{"clustered-d19", "logits-d7"} {
		b.Run(fmt.Sprintf("n=%d/%s", n, data), func(b *testing.B) {
			var cost []float32
			if data == "clustered-d19" {
				cost = benchCost(n, n, 19)
			} else {
				clear(benchCosts)
				xs, xt := logitFeatures(n, n, 21)
				cost = sqDistCost(xs, xt, n, n, 7)
			}
			b.ResetTimer()
			var p *Plan
			cpu0 := cpuTime()
			for b.Loop() {
				var err error
				p, err = Solve(context.Background(), cost, n, n, Options{Method: MethodAuction})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(p.Iterations), "iters")
			b.ReportMetric(p.Cost, "cost")
		})
	}
}
