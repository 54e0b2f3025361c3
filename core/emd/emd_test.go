package emd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var allMethods = []string{MethodJV, MethodAuction, MethodNetwork}

// checkPlan verifies the marginals, the support, Cost and the dual
// certificate of p, and returns the certificate's numbers.
func checkPlan(t *testing.T, cost []float32, n, m int, p *Plan) (infeasible, slack float64) {
	t.Helper()
	if len(p.Rows) != len(p.Mass) || len(p.Cols) != len(p.Mass) || len(p.U) != n || len(p.V) != m {
		t.Fatalf("plan shapes: %d rows, %d cols, %d mass, %d U, %d V", len(p.Rows), len(p.Cols), len(p.Mass), len(p.U), len(p.V))
	}
	if len(p.Mass) > n+m-1 {
		t.Errorf("support has %d > n+m-1 = %d entries", len(p.Mass), n+m-1)
	}
	rs, cs := make([]float64, n), make([]float64, m)
	total, c := 0.0, 0.0
	absMax := 0.0
	for _, x := range cost {
		absMax = math.Max(absMax, math.Abs(float64(x)))
	}
	for k, mass := range p.Mass {
		i, j := int(p.Rows[k]), int(p.Cols[k])
		if k > 0 && (i < int(p.Rows[k-1]) || i == int(p.Rows[k-1]) && j <= int(p.Cols[k-1])) {
			t.Errorf("support not sorted at %d", k)
		}
		if !(mass > 0) {
			t.Errorf("mass[%d] = %g", k, mass)
		}
		rs[i] += mass
		cs[j] += mass
		total += mass
		c += mass * float64(cost[i*m+j])
	}
	for i, s := range rs {
		if math.Abs(s-1/float64(n)) > 1e-12 {
			t.Fatalf("row %d sums to %g, want %g", i, s, 1/float64(n))
		}
	}
	for j, s := range cs {
		if math.Abs(s-1/float64(m)) > 1e-12 {
			t.Fatalf("column %d sums to %g, want %g", j, s, 1/float64(m))
		}
	}
	if math.Abs(total-1) > 1e-12 {
		t.Errorf("mass sums to %g", total)
	}
	if c != p.Cost {
		t.Errorf("Cost = %.17g, recomputed %.17g", p.Cost, c)
	}
	infeasible, slack, err := Certificate(context.Background(), cost, n, m, p, 0)
	if err != nil {
		t.Fatal(err)
	}
	tol := CertTol * math.Max(absMax, math.SmallestNonzeroFloat64)
	if infeasible > tol || slack > tol {
		t.Errorf("certificate: infeasibility %g, slackness %g > %g", infeasible, slack, tol)
	}
	dual := 0.0
	for _, u := range p.U {
		dual += u / float64(n)
	}
	for _, v := range p.V {
		dual += v / float64(m)
	}
	if math.Abs(dual-p.Cost) > 1e-9*absMax+1e-15 {
		t.Errorf("dual objective %.17g != cost %.17g", dual, p.Cost)
	}
	return infeasible, slack
}

// bruteForce returns the minimum over all permutations σ of Σ C_{i,σ(i)}.
func bruteForce(cost []float32, n int) float64 {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	best := math.Inf(1)
	var rec func(k int, acc float64)
	rec = func(k int, acc float64) {
		if k == n {
			best = math.Min(best, acc)
			return
		}
		for t := k; t < n; t++ {
			perm[k], perm[t] = perm[t], perm[k]
			rec(k+1, acc+float64(cost[k*n+perm[k]]))
			perm[k], perm[t] = perm[t], perm[k]
		}
	}
	rec(0, 0)
	return best
}

func TestBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	for n := 1; n <= 7; n++ {
		for trial := range 60 {
			var cost []float32
			switch trial % 4 {
			case 0, 1:
				cost = uniformCost(n, n, 100, false, rng)
			case 2:
				cost = uniformCost(n, n, 4, true, rng) // many ties
			case 3:
				cost = uniformCost(n, n, 1e4, false, rng)
				for k := range cost {
					cost[k] -= 5e3 // negative costs
				}
			}
			want := bruteForce(cost, n) / float64(n)
			for _, method := range allMethods {
				p, err := Solve(ctx, cost, n, n, Options{Method: method})
				if err != nil {
					t.Fatalf("n=%d trial %d %s: %v", n, trial, method, err)
				}
				checkPlan(t, cost, n, n, p)
				if math.Abs(p.Cost-want) > 1e-12*math.Max(1, math.Abs(want)) {
					t.Errorf("n=%d trial %d %s: cost %.17g, brute force %.17g", n, trial, method, p.Cost, want)
				}
				if len(p.Mass) != n {
					t.Errorf("n=%d %s: support %d, want a permutation", n, method, len(p.Mass))
				}
			}
		}
	}
}

// replicate expands the n×m problem with uniform weights into the
// equivalent L×L assignment problem, L = lcm(n, m), by copying each row
// m/g times and each column n/g times.
func replicate(cost []float32, n, m int) ([]float32, int) {
	g := gcd(n, m)
	rr, cr := m/g, n/g
	L := n * rr
	big := make([]float32, L*L)
	for a := range L {
		for b := range L {
			big[a*L+b] = cost[(a/rr)*m+b/cr]
		}
	}
	return big, L
}

func TestUnequalSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	for trial := range 300 {
		n, m := 1+rng.IntN(12), 1+rng.IntN(12)
		if trial < 20 {
			n, m = 1+trial%5, 1+trial/5 // all small shapes
		}
		integer := trial%3 == 2
		cost := uniformCost(n, m, 10, integer, rng)
		p, err := Solve(ctx, cost, n, m, Options{})
		if err != nil {
			t.Fatalf("%d×%d: %v", n, m, err)
		}
		checkPlan(t, cost, n, m, p)
		big, L := replicate(cost, n, m)
		if L > 200 {
			continue
		}
		q, err := Solve(ctx, big, L, L, Options{Method: MethodJV})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(p.Cost-q.Cost) > 1e-12*math.Max(1, q.Cost) {
			t.Errorf("%d×%d: network cost %.17g, replicated assignment %.17g", n, m, p.Cost, q.Cost)
		}
	}
}

func TestMethodsAgree(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ n, d int }{{300, 19}, {500, 19}, {400, 256}} {
		xs, xt := clusteredFeatures(tc.n, tc.n, tc.d, uint64(tc.n))
		cost := sqDistCost(xs, xt, tc.n, tc.n, tc.d)
		var costs []float64
		for _, method := range allMethods {
			for _, workers := range []int{1, 3} {
				p, err := Solve(ctx, cost, tc.n, tc.n, Options{Method: method, Workers: workers})
				if err != nil {
					t.Fatalf("%s: %v", method, err)
				}
				inf, sl := checkPlan(t, cost, tc.n, tc.n, p)
				t.Logf("n=%d d=%d %-7s workers=%d cost %.12f iterations %d infeasibility %.2g slackness %.2g",
					tc.n, tc.d, method, workers, p.Cost, p.Iterations, inf, sl)
				costs = append(costs, p.Cost)
			}
		}
		for _, c := range costs {
			if math.Abs(c-costs[0]) > 1e-9*costs[0] {
				t.Errorf("n=%d: costs differ: %v", tc.n, costs)
			}
		}
	}
}

func TestDegenerate(t *testing.T) {
	ctx := context.Background()
	// Constant, all-zero and duplicated rows/columns.
	n := 40
	cases := map[string][]float32{
		"zero":     make([]float32, n*n),
		"constant": make([]float32, n*n),
		"dupes":    make([]float32, n*n),
	}
	for k := range cases["constant"] {
		cases["constant"][k] = 7.5
	}
	rng := rand.New(rand.NewPCG(5, 6))
	base := uniformCost(5, 5, 3, true, rng)
	for i := range n {
		for j := range n {
			cases["dupes"][i*n+j] = base[(i%5)*5+j%5]
		}
	}
	for name, cost := range cases {
		for _, method := range allMethods {
			p, err := Solve(ctx, cost, n, n, Options{Method: method})
			if err != nil {
				t.Fatalf("%s %s: %v", name, method, err)
			}
			checkPlan(t, cost, n, n, p)
		}
		for _, m := range []int{24, 30} {
			p, err := Solve(ctx, cost[:n*m], n, m, Options{})
			if err != nil {
				t.Fatalf("%s %d×%d: %v", name, n, m, err)
			}
			checkPlan(t, cost[:n*m], n, m, p)
		}
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	good := []float32{1, 2, 3, 4}
	nan := []float32{1, float32(math.NaN()), 3, 4}
	inf := []float32{1, 2, float32(math.Inf(1)), 4}
	ninf := []float32{1, 2, 3, float32(math.Inf(-1))}
	for _, tc := range []struct {
		name string
		cost []float32
		n, m int
		opt  Options
	}{
		{"nan", nan, 2, 2, Options{}},
		{"inf", inf, 2, 2, Options{Method: MethodAuction}},
		{"-inf", ninf, 2, 2, Options{Method: MethodNetwork}},
		{"nan-trivial", nan[:2], 1, 2, Options{}},
		{"length", good, 2, 3, Options{}},
		{"empty", nil, 0, 0, Options{}},
		{"negative", good, -2, -2, Options{}},
		{"method", good, 2, 2, Options{Method: "simplex"}},
		{"jv-rect", good, 1, 4, Options{Method: MethodJV}},
		{"auction-rect", good, 4, 1, Options{Method: MethodAuction}},
		{"overflow", good, math.MaxInt32, math.MaxInt32 / 2, Options{}},
	} {
		p, err := Solve(ctx, tc.cost, tc.n, tc.m, tc.opt)
		if err == nil || p != nil {
			t.Errorf("%s: got plan %v, error %v", tc.name, p, err)
		}
	}
}

func TestCancel(t *testing.T) {
	xs, xt := clusteredFeatures(1500, 1500, 19, 9)
	cost := sqDistCost(xs, xt, 1500, 1500, 19)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, method := range allMethods {
		if _, err := Solve(cancelled, cost, 1500, 1500, Options{Method: method}); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: error %v, want context.Canceled", method, err)
		}
	}
	// A deadline in the middle of a long solve.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Solve(ctx, cost[:1500*1200], 1500, 1200, Options{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("network: error %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancellation took %v", d)
	}
}

func TestDeterministic(t *testing.T) {
	xs, xt := clusteredFeatures(700, 700, 19, 11)
	cost := sqDistCost(xs, xt, 700, 700, 19)
	for _, method := range allMethods {
		var ref *Plan
		for _, workers := range []int{1, 2, 5} {
			p, err := Solve(context.Background(), cost, 700, 700, Options{Method: method, Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref = p
				continue
			}
			if fmt.Sprint(p.Cols, p.U, p.V) != fmt.Sprint(ref.Cols, ref.U, ref.V) {
				t.Errorf("%s: result depends on the number of workers", method)
			}
		}
	}
}

func TestScales(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	base := uniformCost(60, 60, 1, false, rng)
	for _, scale := range []float32{1e-30, 1e-5, 1e5, 1e30, -1e30} {
		cost := make([]float32, len(base))
		for k, c := range base {
			cost[k] = c * scale
		}
		var ref float64
		for k, method := range allMethods {
			p, err := Solve(context.Background(), cost, 60, 60, Options{Method: method})
			if err != nil {
				t.Fatalf("scale %g %s: %v", scale, method, err)
			}
			checkPlan(t, cost, 60, 60, p)
			if k == 0 {
				ref = p.Cost
			} else if math.Abs(p.Cost-ref) > 1e-12*math.Abs(ref) {
				t.Errorf("scale %g %s: cost %g, %s %g", scale, method, p.Cost, allMethods[0], ref)
			}
		}
		p, err := Solve(context.Background(), cost[:60*45], 60, 45, Options{})
		if err != nil {
			t.Fatalf("scale %g 60×45: %v", scale, err)
		}
		checkPlan(t, cost[:60*45], 60, 45, p)
	}
}
