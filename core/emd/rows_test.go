package emd

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// blockRowsTest implements Rows over RowBlocks of uneven sizes, each with
// its own copy of the prices kept up to date from BidRound.Changed, the
// way a web worker holds its blocks.
type blockRowsTest struct {
	n      int
	blocks []*RowBlock
	rows   int // whole rows fetched
}

func (r *blockRowsTest) Range(context.Context) (float64, float64, error) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, b := range r.blocks {
		l, h, ok := b.Range()
		if !ok {
			return 0, 0, errNotFinite
		}
		lo, hi = min(lo, l), max(hi, h)
	}
	return lo, hi, nil
}

func (r *blockRowsTest) Bid(_ context.Context, dst []Bid, round *BidRound) ([]Bid, error) {
	for _, b := range r.blocks {
		if round.AllChanged {
			b.SetPrices(round.Prices)
		} else {
			vals := make([]float64, len(round.Changed))
			for k, j := range round.Changed {
				vals[k] = round.Prices[j]
			}
			if err := b.UpdatePrices(round.Changed, vals); err != nil {
				return dst, err
			}
		}
		var err error
		if dst, err = b.Bid(dst, round.Pending, round.Assigned, round.Eps); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func (r *blockRowsTest) Slack(_ context.Context, slack []float64, x []int32, prices []float64, lower float64) error {
	for _, b := range r.blocks {
		b.Slack(slack[b.lo:b.hi], x, prices, lower)
	}
	return nil
}

func (r *blockRowsTest) Cached(_ context.Context, x []int32, c *RowCache) error {
	k := c.K
	for _, b := range r.blocks {
		b.Cached(x, c.Cols[b.lo*k:b.hi*k], c.Costs[b.lo*k:b.hi*k], c.Bound[b.lo:b.hi], c.Assigned[b.lo:b.hi])
	}
	return nil
}

func (r *blockRowsTest) Row(_ context.Context, i int) ([]float32, error) {
	r.rows++
	for _, b := range r.blocks {
		if i >= b.lo && i < b.hi {
			return slices.Clone(b.cost[(i-b.lo)*r.n : (i-b.lo+1)*r.n]), nil
		}
	}
	return nil, errors.New("no such row")
}

func (r *blockRowsTest) Infeasibility(_ context.Context, u, v []float64) (float64, error) {
	worst := math.Inf(-1)
	for _, b := range r.blocks {
		worst = max(worst, b.Infeasibility(u, v))
	}
	return worst, nil
}

// TestSolveRows: the auction over blocks of uneven sizes (one of a single
// row) that keep their own prices finds the optimum, on clustered data and
// on integer costs with many ties.
func TestSolveRows(t *testing.T) {
	const n = 500
	xs, xt := clusteredFeatures(n, n, 8, 5)
	costs := map[string][]float32{"clustered": sqDistCost(xs, xt, n, n, 8)}
	ties := make([]float32, n*n)
	for i := range n {
		for j := range n {
			ties[i*n+j] = float32((i/10 - j/7) * (i/10 - j/7) % 5)
		}
	}
	costs["ties"] = ties
	rng := rand.New(rand.NewPCG(3, 4))
	costs["uniform"] = uniformCost(n, n, 1, false, rng)
	a, b := uniformCost(1, n, 10, false, rng), uniformCost(1, n, 10, false, rng)
	same, rank1 := make([]float32, n*n), make([]float32, n*n)
	for i := range n {
		for j := range n {
			same[i*n+j] = a[j]
			rank1[i*n+j] = a[i] * b[j]
		}
	}
	costs["sameRows"], costs["rank1"] = same, rank1
	for name, cost := range costs {
		r := &blockRowsTest{n: n}
		bounds := []int{0, 120, 121, 300, n}
		for k := 0; k+1 < len(bounds); k++ {
			r.blocks = append(r.blocks, NewRowBlock(cost[bounds[k]*n:bounds[k+1]*n], n, bounds[k]))
		}
		p, err := SolveRows(context.Background(), r, n)
		if err != nil {
			t.Fatal(err)
		}
		checkPlan(t, cost, n, n, p)
		want, err := Solve(context.Background(), cost, n, n, Options{Method: MethodJV})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(p.Cost-want.Cost) > 1e-12*math.Max(1, want.Cost) {
			t.Errorf("%s: cost %.15g over the blocks, JV %.15g", name, p.Cost, want.Cost)
		}
		t.Logf("%s: %d rounds, %d whole rows fetched, cost %.12g", name, p.Iterations, r.rows, p.Cost)
	}
	if _, err := SolveRows(context.Background(), &blockRowsTest{n: 1}, 1); err == nil {
		t.Error("SolveRows accepted a single row")
	}
}

// TestScanKernelSameAuction solves assignment problems (ties and equal rows
// among them) with the auction's full-row scans done by its own loop and
// by an installed Kernels.Scan (here ScanPaddedGo, the reference of the
// browser's kernel, on padded heaps; the scans under a block's private
// prices go through it in pieces), and asks for the same plan, bit for
// bit: the same columns, duals and rounds.
func TestScanKernelSameAuction(t *testing.T) {
	const n = 400
	xs, xt := clusteredFeatures(n, n, 8, 6)
	costs := map[string][]float32{"clustered": sqDistCost(xs, xt, n, n, 8)}
	ties := make([]float32, n*n)
	same := make([]float32, n*n)
	rng := rand.New(rand.NewPCG(5, 6))
	a := uniformCost(1, n, 10, true, rng)
	for i := range n {
		for j := range n {
			ties[i*n+j] = float32((i/10 - j/7) * (i/10 - j/7) % 5)
			same[i*n+j] = a[j]
		}
	}
	costs["ties"], costs["sameRows"] = ties, same
	costs["uniform"] = uniformCost(n, n, 1, false, rng)
	for name, cost := range costs {
		plain, err := Solve(context.Background(), cost, n, n, Options{Method: MethodAuction, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		var calls, pieces int
		SetKernels(Kernels{Scan: func(vals []float64, idx []int32, steps int, row []float32, prices []float64, from int) {
			calls++
			if from > 0 || len(row) < n {
				pieces++
			}
			ScanPaddedGo(vals, idx, steps, row, prices, from)
		}})
		filtered, err := Solve(context.Background(), cost, n, n, Options{Method: MethodAuction, Workers: 1})
		SetKernels(Kernels{})
		if err != nil {
			t.Fatal(err)
		}
		if calls == 0 {
			t.Fatalf("%s: the kernel was never called", name)
		}
		t.Logf("%s: %d scans, %d of them pieces of a row", name, calls, pieces)
		if plain.Iterations != filtered.Iterations || plain.Cost != filtered.Cost || !slices.Equal(plain.Cols, filtered.Cols) ||
			!slices.Equal(plain.U, filtered.U) || !slices.Equal(plain.V, filtered.V) {
			t.Errorf("%s: own scans %d rounds, cost %v; kernel %d rounds, cost %v (or the columns or duals differ)",
				name, plain.Iterations, plain.Cost, filtered.Iterations, filtered.Cost)
		}
	}
}

// TestCacheRows: CacheRows gives what SetCacheRows set, rows outside the
// block, out of order or with slices of the wrong length are refused, and
// so is a cached column outside the matrix.
func TestCacheRows(t *testing.T) {
	const n = 50
	rng := rand.New(rand.NewPCG(1, 2))
	cost := uniformCost(n, n, 1, false, rng)
	b := NewRowBlock(cost[10*n:20*n], n, 10)
	k := b.CacheSize()
	rows := []int32{11, 14, 19}
	cols := make([]int32, len(rows)*k)
	for i := range cols {
		cols[i] = int32(i%(n+1)) - 1
	}
	bound := []float64{1.5, math.NaN(), -2}
	if err := b.SetCacheRows(rows, cols, bound); err != nil {
		t.Fatal(err)
	}
	gotCols, gotBound := make([]int32, len(cols)), make([]float64, len(bound))
	if err := b.CacheRows(rows, gotCols, gotBound); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gotCols, cols) || gotBound[0] != 1.5 || !math.IsNaN(gotBound[1]) || gotBound[2] != -2 {
		t.Errorf("CacheRows gave %v %v, want %v %v", gotCols, gotBound, cols, bound)
	}
	for name, c := range map[string]struct {
		rows  []int32
		cols  []int32
		bound []float64
	}{
		"row outside":   {[]int32{9}, make([]int32, k), make([]float64, 1)},
		"row past end":  {[]int32{20}, make([]int32, k), make([]float64, 1)},
		"not ascending": {[]int32{12, 12}, make([]int32, 2*k), make([]float64, 2)},
		"short cols":    {[]int32{12}, make([]int32, k-1), make([]float64, 1)},
		"long bound":    {[]int32{12}, make([]int32, k), make([]float64, 2)},
		"column n":      {[]int32{12}, append(make([]int32, k-1), n), make([]float64, 1)},
	} {
		if err := b.SetCacheRows(c.rows, c.cols, c.bound); err == nil {
			t.Errorf("SetCacheRows accepted %s", name)
		}
		if name != "column n" {
			if err := b.CacheRows(c.rows, c.cols, c.bound); err == nil {
				t.Errorf("CacheRows accepted %s", name)
			}
		}
	}
}
