package emd

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestStress solves structured n×n problems that are hard for some
// methods (ties everywhere, identical rows, low rank) and reports the
// times. It is skipped unless EMD_STRESS is set.
func TestStress(t *testing.T) {
	if os.Getenv("EMD_STRESS") == "" {
		t.Skip("set EMD_STRESS=1")
	}
	n := 3000
	if v, err := strconv.Atoi(os.Getenv("EMD_STRESS_N")); err == nil {
		n = v
	}
	rng := rand.New(rand.NewPCG(1, 1))
	cases := map[string][]float32{
		"uniform":   uniformCost(n, n, 1, false, rng),
		"int0-9":    uniformCost(n, n, 10, true, rng),
		"int0-1":    uniformCost(n, n, 2, true, rng),
		"sameRows":  make([]float32, n*n),
		"constant":  make([]float32, n*n),
		"rank1":     make([]float32, n*n),
		"sortedDup": make([]float32, n*n),
	}
	col := uniformCost(1, n, 100, false, rng)
	a, b := uniformCost(1, n, 10, false, rng), uniformCost(1, n, 10, false, rng)
	for i := range n {
		for j := range n {
			cases["sameRows"][i*n+j] = col[j]
			cases["constant"][i*n+j] = 3
			cases["rank1"][i*n+j] = a[i] * b[j]
			d := float32(i/10 - j/10)
			cases["sortedDup"][i*n+j] = d * d
		}
	}
	methods := []string{MethodAuction}
	if os.Getenv("EMD_STRESS") == "all" {
		methods = allMethods
	}
	for name, cost := range cases {
		if only := os.Getenv("EMD_STRESS_CASE"); only != "" && only != name {
			continue
		}
		for _, method := range methods {
			start, cpu := time.Now(), cpuTime()
			p, err := Solve(context.Background(), cost, n, n, Options{Method: method})
			if err != nil {
				t.Fatalf("%s %s: %v", name, method, err)
			}
			t.Logf("%-9s %-7s %8.3fs (cpu %.3fs) cost %.9g iterations %d", name, method, time.Since(start).Seconds(), (cpuTime() - cpu).Seconds(), p.Cost, p.Iterations)
		}
	}
	m := n * 9 / 10
	for name, cost := range cases {
		if os.Getenv("EMD_STRESS") != "all" {
			break
		}
		start := time.Now()
		p, err := Solve(context.Background(), cost[:n*m], n, m, Options{})
		if err != nil {
			t.Fatalf("%s %d×%d: %v", name, n, m, err)
		}
		t.Logf("%-9s network %d×%d %8.3fs cost %.9g pivots %d", name, n, m, time.Since(start).Seconds(), p.Cost, p.Iterations)
	}
}
