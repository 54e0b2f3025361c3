package emd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
)

// Method names accepted by Options.Method.
const (
	// MethodAuto selects the default method: MethodAuction when n == m
	// (the fastest on the benchmarks, see the package documentation) and
	// MethodNetwork otherwise.
	MethodAuto = ""
	// MethodJV is the Jonker–Volgenant shortest augmenting path solver for
	// the assignment problem (n == m only).
	MethodJV = "jv"
	// MethodAuction is the forward auction with ε-scaling and Jacobi
	// (row-parallel) bidding, finished by shortest augmenting paths so that
	// the result is exactly optimal (n == m only).
	MethodAuction = "auction"
	// MethodNetwork is the transportation network simplex, for any n and m.
	MethodNetwork = "network"
)

// CertTol is the relative tolerance of the optimality certificate: Solve
// fails unless U[i]+V[j] <= C_ij + CertTol·max|C| for every pair (i, j) and
// |U[i]+V[j] − C_ij| <= CertTol·max|C| on the support of the plan. Since the
// mass of a plan sums to 1, such a certificate proves that Plan.Cost exceeds
// the optimal cost by at most CertTol·max|C| (plus the rounding of the sum).
const CertTol = 1e-9

// Plan is an optimal transport plan in sparse form with its dual certificate.
//
// For uniform weights a_i = 1/n and b_j = 1/m the plan solves
//
//	minimise Σ_ij π_ij C_ij  subject to  Σ_j π_ij = 1/n, Σ_i π_ij = 1/m, π >= 0,
//
// and (U, V) solves the dual
//
//	maximise Σ_i U_i/n + Σ_j V_j/m  subject to  U_i + V_j <= C_ij.
type Plan struct {
	// Rows, Cols and Mass hold the support of the plan: entry k moves
	// Mass[k] from source row Rows[k] to target column Cols[k]. Entries are
	// sorted by row, then column, and every Mass[k] is positive. When
	// n == m the plan is a permutation: Rows[k] == k and Mass[k] == 1/n.
	// Otherwise the support is a forest with at most n+m−1 entries.
	Rows, Cols []int32
	Mass       []float64 // sums to 1; row sums 1/n, column sums 1/m

	// U and V are dual potentials of length n and m: U[i]+V[j] <= C_ij up
	// to CertTol·max|C|, with equality on the support. They are dual to
	// the transport problem with weights 1/n and 1/m (the dual objective is
	// Σ U_i/n + Σ V_j/m, which equals Cost); when n == m they are also the
	// duals of the assignment problem.
	U, V []float64

	// Cost is Σ_k Mass[k]·C[Rows[k]*m+Cols[k]], accumulated in float64
	// from the float32 costs.
	Cost float64

	// Iterations is a solver-specific count: augmenting path searches for
	// MethodJV, bidding rounds (over all ε phases) for MethodAuction, and
	// pivots for MethodNetwork.
	Iterations int

	// Method is the method that produced the plan: MethodJV,
	// MethodAuction, MethodNetwork, or "trivial" when n == 1 or m == 1
	// (every pair is then in the support).
	Method string
}

// Options configures Solve. The zero value is ready to use.
type Options struct {
	// Workers is the number of goroutines used for the row-parallel parts
	// (cost validation, column reduction, auction bidding, the optimality
	// certificate). Zero or negative means runtime.GOMAXPROCS(0).
	Workers int

	// Method selects the algorithm: MethodAuto (""), MethodJV,
	// MethodAuction or MethodNetwork.
	Method string
}

// Solve returns an optimal transport plan between n sources with weight 1/n
// and m targets with weight 1/m for the row-major n×m cost matrix cost
// (len(cost) == n*m). The cost matrix is read but never modified or copied.
//
// With n == m the problem is an assignment problem and the default method is
// MethodAuction; with n != m the default (and only) method is
// MethodNetwork, whose running time grows quickly with size: it is meant
// for n, m up to a few thousand (see the package documentation for
// measurements).
//
// Solve fails if n or m is not positive, if len(cost) != n*m, if a cost is
// NaN or infinite, if the method is unknown or does not support n != m, if
// ctx is cancelled (the error is then ctx.Err()), or if the solution fails
// its optimality certificate (see CertTol), which would indicate a bug.
func Solve(ctx context.Context, cost []float32, n, m int, opt Options) (*Plan, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := checkShape(cost, n, m); err != nil {
		return nil, err
	}
	method := opt.Method
	switch method {
	case MethodAuto:
		if n == m {
			method = MethodAuction
		} else {
			method = MethodNetwork
		}
	case MethodJV, MethodAuction:
		if n != m {
			return nil, fmt.Errorf("emd: method %q needs a square cost matrix, have %d×%d", method, n, m)
		}
	case MethodNetwork:
	default:
		return nil, fmt.Errorf("emd: unknown method %q", opt.Method)
	}
	workers := clampWorkers(opt.Workers, n)
	st, err := scanCost(ctx, cost, n, m, workers)
	if err != nil {
		return nil, err
	}

	var p *Plan
	switch {
	case n == 1 || m == 1:
		p = solveTrivial(cost, n, m)
		method = "trivial"
	case method == MethodJV:
		x, v, iters, err := solveJV(ctx, cost, n, workers)
		if err != nil {
			return nil, err
		}
		p = assignmentPlan(cost, n, x, v)
		p.Iterations = iters
	case method == MethodAuction:
		a := NewAuction(n)
		rows := newDenseRows(cost, n, workers)
		rounds, err := a.run(ctx, rows, st.max-st.min, tightTol(st.absMax))
		if err != nil {
			return nil, err
		}
		p, _, err = a.finish(ctx, rows, tightTol(st.absMax))
		if err != nil {
			return nil, err
		}
		p.Iterations = rounds
	case method == MethodNetwork:
		p, err = solveNetwork(ctx, cost, n, m, st.absMax)
		if err != nil {
			return nil, err
		}
	}
	p.Method = method
	p.Cost = planCost(cost, m, p)
	if err := certify(ctx, cost, n, m, p, workers, st.absMax); err != nil {
		return nil, err
	}
	return p, nil
}

// checkShape validates n, m and the length of cost.
func checkShape(cost []float32, n, m int) error {
	if n <= 0 || m <= 0 {
		return fmt.Errorf("emd: empty problem (%d×%d)", n, m)
	}
	if n > math.MaxInt32 || m > math.MaxInt32 || n > math.MaxInt/m {
		return fmt.Errorf("emd: problem too large (%d×%d)", n, m)
	}
	if len(cost) != n*m {
		return fmt.Errorf("emd: cost has %d entries, want %d×%d = %d", len(cost), n, m, n*m)
	}
	return nil
}

// costStats summarises a cost matrix.
type costStats struct {
	min, max, absMax float64
}

// errNotFinite reports a NaN or infinite cost.
var errNotFinite = errors.New("emd: cost matrix has a NaN or infinite entry")

// scanCost checks that every cost is finite and returns its range.
func scanCost(ctx context.Context, cost []float32, n, m, workers int) (costStats, error) {
	parts := make([]costStats, workers)
	bad := make([]bool, workers)
	parallelRows(n, workers, func(w, lo, hi int) {
		lo32, hi32 := float32(math.Inf(1)), float32(math.Inf(-1))
		for i := lo; i < hi; i++ {
			if i&63 == 0 && ctx.Err() != nil {
				return
			}
			for _, c := range cost[i*m : (i+1)*m] {
				// NaN fails both comparisons; ±Inf becomes the min or max.
				if c < lo32 {
					lo32 = c
				}
				if c > hi32 {
					hi32 = c
				}
				if c != c {
					bad[w] = true
				}
			}
		}
		parts[w] = costStats{min: float64(lo32), max: float64(hi32)}
	})
	if err := ctx.Err(); err != nil {
		return costStats{}, err
	}
	st := costStats{min: math.Inf(1), max: math.Inf(-1)}
	for w, p := range parts {
		if bad[w] {
			return costStats{}, errNotFinite
		}
		st.min = math.Min(st.min, p.min)
		st.max = math.Max(st.max, p.max)
	}
	if math.IsInf(st.min, 0) || math.IsInf(st.max, 0) {
		return costStats{}, errNotFinite
	}
	st.absMax = math.Max(math.Abs(st.min), math.Abs(st.max))
	return st, nil
}

// clampWorkers resolves a requested worker count for n rows.
func clampWorkers(workers, n int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return max(1, min(workers, n))
}

// parallelRows splits [0, n) into at most workers contiguous blocks of
// nearly equal size and calls f(w, lo, hi) for block w on its own goroutine.
func parallelRows(n, workers int, f func(w, lo, hi int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		go func() {
			defer wg.Done()
			f(w, lo, hi)
		}()
	}
	wg.Wait()
}

// solveTrivial solves the problem when n == 1 or m == 1: every pair is in
// the support.
func solveTrivial(cost []float32, n, m int) *Plan {
	k := max(n, m)
	p := &Plan{
		Rows: make([]int32, k),
		Cols: make([]int32, k),
		Mass: make([]float64, k),
		U:    make([]float64, n),
		V:    make([]float64, m),
	}
	for t := range k {
		i, j := 0, t
		if m == 1 {
			i, j = t, 0
		}
		p.Rows[t], p.Cols[t] = int32(i), int32(j)
		p.Mass[t] = 1 / float64(k)
		if n == 1 {
			p.V[j] = float64(cost[j])
		} else {
			p.U[i] = float64(cost[i])
		}
	}
	return p
}

// assignmentPlan builds the plan of the assignment x (row i → column x[i])
// with column potentials v; the row potentials make every assigned pair
// tight.
func assignmentPlan(cost []float32, n int, x []int32, v []float64) *Plan {
	ax := make([]float32, n)
	for i, j := range x {
		ax[i] = cost[i*n+int(j)]
	}
	return assignedPlan(ax, x, v)
}

// assignedPlan builds the plan of the assignment x (row i → column x[i],
// at cost ax[i]) with column potentials v; the row potentials make every
// assigned pair tight.
func assignedPlan(ax []float32, x []int32, v []float64) *Plan {
	n := len(x)
	p := &Plan{
		Rows: make([]int32, n),
		Cols: make([]int32, n),
		Mass: make([]float64, n),
		U:    make([]float64, n),
		V:    v,
	}
	for i := range n {
		j := int(x[i])
		p.Rows[i], p.Cols[i] = int32(i), int32(j)
		p.Mass[i] = 1 / float64(n)
		p.U[i] = float64(ax[i]) - v[j]
	}
	return p
}

// planCost returns Σ Mass[k]·C[Rows[k]*m+Cols[k]].
func planCost(cost []float32, m int, p *Plan) float64 {
	s := 0.0
	for k, mass := range p.Mass {
		s += mass * float64(cost[int(p.Rows[k])*m+int(p.Cols[k])])
	}
	return s
}

// Certificate measures how far (U, V) is from certifying the optimality of
// the plan p for cost: Infeasible is max(U[i]+V[j]−C_ij) over all pairs
// (dual infeasibility, <= 0 for an exactly feasible dual) and Slack is
// max |U[i]+V[j]−C_ij| over the support of p (complementary slackness).
// If both are at most δ and the plan's marginals are right, then p.Cost is
// within δ of the optimal cost.
func Certificate(ctx context.Context, cost []float32, n, m int, p *Plan, workers int) (infeasible, slack float64, err error) {
	if err := checkShape(cost, n, m); err != nil {
		return 0, 0, err
	}
	if len(p.U) != n || len(p.V) != m || len(p.Rows) != len(p.Mass) || len(p.Cols) != len(p.Mass) {
		return 0, 0, errors.New("emd: plan does not match the cost matrix")
	}
	workers = clampWorkers(workers, n)
	for k := range p.Mass {
		i, j := int(p.Rows[k]), int(p.Cols[k])
		if i < 0 || i >= n || j < 0 || j >= m {
			return 0, 0, errors.New("emd: plan support out of range")
		}
		slack = math.Max(slack, math.Abs(p.U[i]+p.V[j]-float64(cost[i*m+j])))
	}
	parts := make([]float64, workers)
	parallelRows(n, workers, func(w, lo, hi int) {
		worst := math.Inf(-1)
		for i := lo; i < hi; i++ {
			if i&63 == 0 && ctx.Err() != nil {
				return
			}
			u := p.U[i]
			for j, c := range cost[i*m : (i+1)*m] {
				if d := u + p.V[j] - float64(c); d > worst {
					worst = d
				}
			}
		}
		parts[w] = worst
	})
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	return slices.Max(parts), slack, nil
}

// certify checks the certificate of p against CertTol.
func certify(ctx context.Context, cost []float32, n, m int, p *Plan, workers int, absMax float64) error {
	infeasible, slack, err := Certificate(ctx, cost, n, m, p, workers)
	if err != nil {
		return err
	}
	return checkCert(p, infeasible, slack, absMax)
}

// checkCert checks measured certificate violations against CertTol.
func checkCert(p *Plan, infeasible, slack, absMax float64) error {
	tol := CertTol * math.Max(absMax, math.SmallestNonzeroFloat64)
	if infeasible > tol || slack > tol || math.IsNaN(infeasible) || math.IsNaN(slack) {
		return fmt.Errorf("emd: %s solution failed its optimality certificate (dual infeasibility %g, slackness %g, tolerance %g)",
			p.Method, infeasible, slack, tol)
	}
	return nil
}
