package emd

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// Rows is the cost matrix of an n×n assignment problem as the auction
// (SolveRows, and Solve's MethodAuction) sees it: a fixed partition of the
// rows into blocks, each holding its rows of the cost and a BidCache of them
// (a RowBlock). The scans over all rows — the bidding rounds, the
// price-lowering passes, the certificate — run in the blocks, which may do
// so concurrently, on goroutines or in web workers; the reduce (Resolve,
// the price updates) and the sequential augmenting path searches run in the
// caller, which reads the cached columns of all rows (Cached) and, rarely,
// single whole rows (Row).
//
// Implementations must combine the blocks' answers in block order, so that
// the result depends on the partition only, never on where or how
// concurrently the blocks run.
type Rows interface {
	// Range returns the smallest and the largest cost. It fails if a cost
	// is NaN or infinite. Range is called first and starts a solve: the
	// blocks forget their caches.
	Range(ctx context.Context) (lo, hi float64, err error)

	// Bid runs one round of bidding (RowBlock.Bid) in every block that
	// holds rows of round.Pending and appends the bids of all blocks, in
	// block order, to dst.
	Bid(ctx context.Context, dst []Bid, round *BidRound) ([]Bid, error)

	// Slack first lowers the cache bounds of every row by lower, then sets
	// slack[i] = C_{i,x_i} + p_{x_i} − min_j (C_ij + p_j) for every
	// assigned row i (x[i] >= 0) and slack[i] = 0 for the others
	// (RowBlock.Slack). slack, x and prices have length n.
	Slack(ctx context.Context, slack []float64, x []int32, prices []float64, lower float64) error

	// Cached copies the caches of all rows and the costs of the
	// assignment x into c (RowBlock.Cached), whose slices have the lengths
	// NewRowCache gives them.
	Cached(ctx context.Context, x []int32, c *RowCache) error

	// Row returns the costs of row i. The slice may be read until the next
	// call on Rows and must not be modified.
	Row(ctx context.Context, i int) ([]float32, error)

	// Infeasibility returns max_ij U_i + V_j − C_ij.
	Infeasibility(ctx context.Context, u, v []float64) (float64, error)
}

// BidRound is one round of bidding: the pending rows, the prices they bid
// against and the assignment.
type BidRound struct {
	// Pending holds the rows that bid, in ascending order.
	Pending []int32
	// Assigned is the assignment row → column (-1 for none), set in the
	// first round of a phase only: rows that still satisfy ε-complementary
	// slackness keep their column (see BidRows). It is nil in the other
	// rounds, where every pending row is unassigned.
	Assigned []int32
	// Prices holds all n current prices.
	Prices []float64
	// Changed lists the columns whose prices changed since the previous
	// round, unless AllChanged is set (the first round of a solve or of a
	// phase). Blocks that keep a copy of the prices need only these.
	Changed    []int32
	AllChanged bool
	// Eps is the increment ε of the phase.
	Eps float64
}

// RowCache is the caller's copy of the bid caches of all n rows, with the
// costs of the cached columns: the augmenting path searches read it instead
// of the rows. Row i caches the columns Cols[i·K:(i+1)·K] (-1 for unused
// slots) with costs Costs[i·K:(i+1)·K]; every other column j has
// C_ij + p_j >= Bound[i] (NaN when the row has no cache yet). Assigned[i] is
// C_{i,x_i} for an assigned row, 0 for the others.
type RowCache struct {
	K        int
	Cols     []int32
	Costs    []float32
	Bound    []float64
	Assigned []float32

	heap topK // refresh's heap when a kernel scans (see BidCache.heap)
}

// NewRowCache returns an empty RowCache for n rows of the size RowBlock
// uses.
func NewRowCache(n int) *RowCache {
	k := bidCacheSize
	return &RowCache{
		K:        k,
		Cols:     make([]int32, n*k),
		Costs:    make([]float32, n*k),
		Bound:    make([]float64, n),
		Assigned: make([]float32, n),
	}
}

// refresh scans row i in full under prices and stores its K best columns,
// their costs and the bound, as BidCache.refresh does.
func (c *RowCache) refresh(row []float32, i int, prices []float64) {
	var t topK
	if accel.Scan != nil {
		h := &c.heap
		steps := h.resetPadded(c.K)
		accel.Scan(h.vals[:2<<steps-1], h.idx[:2<<steps-1], steps, row, prices[:len(row)], 0)
		t = *h
	} else {
		t.scan(c.K, row, prices)
	}
	cols := c.Cols[i*c.K : (i+1)*c.K]
	costs := c.Costs[i*c.K : (i+1)*c.K]
	for s := 1; s <= c.K; s++ {
		j := t.idx[s]
		cols[s-1] = j
		costs[s-1] = 0
		if j >= 0 {
			costs[s-1] = row[j]
		}
	}
	c.Bound[i] = t.vals[0]
}

// RowBlock is the block side of Rows: rows [lo, hi) of an n×n cost matrix
// with their BidCache and the block's own copy of the prices (which Bid
// reads; BidAt reads the caller's instead, and leaves the copy as it was).
// Its methods must not run concurrently; the RowBlocks of a partition may,
// BidAt on the same prices too, which nobody changes meanwhile.
type RowBlock struct {
	lo, hi, n int
	cost      []float32 // (hi−lo)×n
	cache     *BidCache
	prices    []float64
}

// NewRowBlock returns the block of rows [lo, lo+len(cost)/n) of an n×n cost
// matrix whose rows it holds in cost (row-major, not copied). It returns
// nil unless n >= 1 and len(cost) is a multiple of n.
func NewRowBlock(cost []float32, n, lo int) *RowBlock {
	if n < 1 || len(cost)%n != 0 {
		return nil
	}
	hi := lo + len(cost)/n
	return &RowBlock{lo: lo, hi: hi, n: n, cost: cost, cache: NewBidCache(lo, hi, bidCacheSize), prices: make([]float64, n)}
}

// Range returns the smallest and the largest cost of the block, and false
// if a cost is NaN or infinite (or the block is empty).
func (b *RowBlock) Range() (lo, hi float64, ok bool) {
	if len(b.cost) == 0 {
		return 0, 0, false
	}
	minMax := MinMax32Go
	if accel.MinMax32 != nil {
		minMax = accel.MinMax32
	} else if haveAVX2 {
		minMax = minMax32AVX2
	}
	lo32, hi32, bad := minMax(b.cost)
	lo, hi = float64(lo32), float64(hi32)
	return lo, hi, !bad && !math.IsInf(lo, 0) && !math.IsInf(hi, 0)
}

// SetPrices replaces the block's copy of the prices by prices (length n).
func (b *RowBlock) SetPrices(prices []float64) { copy(b.prices, prices) }

// UpdatePrices sets the prices of columns cols to vals in the block's copy.
func (b *RowBlock) UpdatePrices(cols []int32, vals []float64) error {
	if len(cols) != len(vals) {
		return errBidArgs
	}
	for k, j := range cols {
		if j < 0 || int(j) >= b.n {
			return errBidArgs
		}
		b.prices[j] = vals[k]
	}
	return nil
}

// Bid appends to dst the bids (BidRows) of the rows of pending (ascending)
// that lie in the block, against the block's copy of the prices.
func (b *RowBlock) Bid(dst []Bid, pending, assigned []int32, eps float64) ([]Bid, error) {
	lo, _ := slices.BinarySearch(pending, int32(b.lo))
	hi, _ := slices.BinarySearch(pending, int32(b.hi))
	if lo == hi {
		return dst, nil
	}
	return BidRows(dst, b.cost, b.n, b.lo, pending[lo:hi], assigned, b.prices, eps, b.cache)
}

// BidAt is Bid for rows (ascending, all in the block; Bid's part of
// pending) against prices (length n) instead of the block's copy: for a
// caller whose blocks share its memory, which need not keep copies. With
// the prices of the block's copy it bids as Bid does, bit for bit.
func (b *RowBlock) BidAt(dst []Bid, rows, assigned []int32, prices []float64, eps float64) ([]Bid, error) {
	if len(rows) == 0 {
		return dst, nil
	}
	return BidRows(dst, b.cost, b.n, b.lo, rows, assigned, prices, eps, b.cache)
}

// Slack lowers the cache bounds of the block's rows by lower, then sets
// slack[r] = C_{i,x_i} + p_{x_i} − min_j (C_ij + p_j) for each assigned row
// i = lo+r of the block, and 0 for the others. slack has one entry per row
// of the block; x and prices have length n. A row whose cached columns do
// not decide its minimum is scanned in full, which refreshes its cache.
func (b *RowBlock) Slack(slack []float64, x []int32, prices []float64, lower float64) {
	c := b.cache
	if lower != 0 {
		for r := range c.bound {
			c.bound[r] -= lower
		}
	}
	n := b.n
	for i := b.lo; i < b.hi; i++ {
		r := i - b.lo
		if x[i] < 0 {
			slack[r] = 0
			continue
		}
		row := b.cost[r*n : (r+1)*n]
		w1, _, _, ok := c.cached(row, i, prices)
		if !ok {
			w1, _, _ = c.refresh(row, i, prices)
		}
		slack[r] = float64(row[x[i]]) + prices[x[i]] - w1
	}
}

// Cached copies the cache of the block's rows — their cached columns, the
// costs there and the bounds, see RowCache — into cols, costs (K entries
// per row) and bound, and the costs of the assignment x (length n) into
// assigned (0 for an unassigned row). The slices hold the block's rows
// only: row lo+r goes to cols[r·K:(r+1)·K], bound[r] and so on.
func (b *RowBlock) Cached(x []int32, cols []int32, costs []float32, bound []float64, assigned []float32) {
	c, n, k := b.cache, b.n, b.cache.k
	copy(cols, c.cols)
	copy(bound, c.bound)
	for r := range b.hi - b.lo {
		row := b.cost[r*n : (r+1)*n]
		for s, j := range c.cols[r*k : (r+1)*k] {
			costs[r*k+s] = 0
			if j >= 0 {
				costs[r*k+s] = row[j]
			}
		}
		assigned[r] = 0
		if j := x[b.lo+r]; j >= 0 {
			assigned[r] = row[j]
		}
	}
}

// CacheRows copies the bid cache of rows (ascending, all in the block) —
// their K cached columns each and their bounds, see BidCache — into cols
// (K entries a row) and bound. With SetCacheRows on another RowBlock of the
// same rows and costs, it moves the only state that the block's Bid and
// Slack keep from one call to the next besides the prices: that block then
// bids and lowers prices as this one would, bit for bit.
func (b *RowBlock) CacheRows(rows []int32, cols []int32, bound []float64) error {
	c, k := b.cache, b.cache.k
	if err := b.checkCacheRows(rows, len(cols), len(bound)); err != nil {
		return err
	}
	for t, i := range rows {
		r := int(i) - b.lo
		copy(cols[t*k:(t+1)*k], c.cols[r*k:(r+1)*k])
		bound[t] = c.bound[r]
	}
	return nil
}

// SetCacheRows replaces the bid cache of rows (ascending, all in the block)
// by cols (K columns a row, -1 for an unused slot) and bound, as CacheRows
// gives them.
func (b *RowBlock) SetCacheRows(rows []int32, cols []int32, bound []float64) error {
	c, k := b.cache, b.cache.k
	if err := b.checkCacheRows(rows, len(cols), len(bound)); err != nil {
		return err
	}
	for _, j := range cols {
		if j < -1 || int(j) >= b.n {
			return errCacheRows
		}
	}
	for t, i := range rows {
		r := int(i) - b.lo
		copy(c.cols[r*k:(r+1)*k], cols[t*k:(t+1)*k])
		row := b.cost[r*b.n : (r+1)*b.n]
		for s, j := range cols[t*k : (t+1)*k] {
			c.costs[r*k+s] = 0
			if j >= 0 {
				c.costs[r*k+s] = row[j]
			}
		}
		c.bound[r] = bound[t]
	}
	return nil
}

// errCacheRows reports arguments of CacheRows or SetCacheRows that do not
// fit the block.
var errCacheRows = errors.New("emd: cache rows outside the block, not ascending, or of the wrong length")

func (b *RowBlock) checkCacheRows(rows []int32, ncols, nbound int) error {
	if ncols != len(rows)*b.cache.k || nbound != len(rows) {
		return errCacheRows
	}
	for t, i := range rows {
		if int(i) < b.lo || int(i) >= b.hi || (t > 0 && i <= rows[t-1]) {
			return errCacheRows
		}
	}
	return nil
}

// CacheSize returns the number K of cached columns per row.
func (b *RowBlock) CacheSize() int { return b.cache.k }

// Infeasibility returns max U_i + V_j − C_ij over the block's rows i and
// all columns j (−Inf for an empty block).
func (b *RowBlock) Infeasibility(u, v []float64) float64 {
	maxSlack := MaxSlackGo
	if accel.MaxSlack != nil {
		maxSlack = accel.MaxSlack
	} else if haveAVX2 {
		maxSlack = maxSlackAVX2
	}
	worst := math.Inf(-1)
	n := b.n
	v = v[:n]
	for i := b.lo; i < b.hi; i++ {
		if d := maxSlack(b.cost[(i-b.lo)*n:(i-b.lo+1)*n], v, u[i]); d > worst {
			worst = d
		}
	}
	return worst
}

// SolveRows solves the n×n assignment problem of rows (n >= 2) with the
// auction (MethodAuction): the bidding rounds and the price-lowering
// passes run in the blocks of rows, the reduce and the augmenting paths
// in the caller. The plan, its Cost and its certificate (checked against
// CertTol, with Rows.Infeasibility) are those of Solve; the plan depends
// on the costs and on the partition of the rows into blocks.
func SolveRows(ctx context.Context, rows Rows, n int) (*Plan, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if n < 2 || n > math.MaxInt32 {
		return nil, errors.New("emd: SolveRows needs 2 <= n < 2^31 rows")
	}
	lo, hi, err := rows.Range(ctx)
	if err != nil {
		return nil, err
	}
	absMax := math.Max(math.Abs(lo), math.Abs(hi))
	a := NewAuction(n)
	tol := tightTol(absMax)
	iters, err := a.run(ctx, rows, hi-lo, tol)
	if err != nil {
		return nil, err
	}
	p, rc, err := a.finish(ctx, rows, tol)
	if err != nil {
		return nil, err
	}
	p.Iterations = iters
	p.Method = MethodAuction
	slack := 0.0
	for i := range n {
		c := float64(rc.Assigned[i])
		p.Cost += p.Mass[i] * c
		slack = math.Max(slack, math.Abs(p.U[i]+p.V[p.Cols[i]]-c))
	}
	infeasible, err := rows.Infeasibility(ctx, p.U, p.V)
	if err != nil {
		return nil, err
	}
	return p, checkCert(p, infeasible, slack, absMax)
}

// denseRows implements Rows over a dense n×n matrix in memory, split into
// bidBlocks fixed blocks that run on up to workers goroutines.
type denseRows struct {
	cost    []float32
	n       int
	workers int
	blocks  []*RowBlock
	bufs    [][]Bid
	errs    []error
	worst   []float64
}

func newDenseRows(cost []float32, n, workers int) *denseRows {
	d := &denseRows{cost: cost, n: n, workers: workers}
	nb := min(bidBlocks, n)
	for b := range nb {
		lo, hi := n*b/nb, n*(b+1)/nb
		d.blocks = append(d.blocks, NewRowBlock(cost[lo*n:hi*n], n, lo))
	}
	d.bufs = make([][]Bid, nb)
	d.errs = make([]error, nb)
	d.worst = make([]float64, nb)
	return d
}

// each calls f for every block, on up to w goroutines.
func (d *denseRows) each(w int, f func(b int)) {
	nb := len(d.blocks)
	if w = min(w, nb); w <= 1 {
		for b := range nb {
			f(b)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(w)
	for range w {
		go func() {
			defer wg.Done()
			for b := int(next.Add(1)) - 1; b < nb; b = int(next.Add(1)) - 1 {
				f(b)
			}
		}()
	}
	wg.Wait()
}

func (d *denseRows) Range(ctx context.Context) (float64, float64, error) {
	st, err := scanCost(ctx, d.cost, d.n, d.n, d.workers)
	for _, b := range d.blocks {
		*b = *NewRowBlock(b.cost, d.n, b.lo)
	}
	return st.min, st.max, err
}

func (d *denseRows) Bid(ctx context.Context, dst []Bid, r *BidRound) ([]Bid, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	d.each(min(d.workers, len(r.Pending)/4), func(k int) {
		b := d.blocks[k]
		// The blocks share the caller's prices, which do not change
		// during the round.
		lo, _ := slices.BinarySearch(r.Pending, int32(b.lo))
		hi, _ := slices.BinarySearch(r.Pending, int32(b.hi))
		if lo == hi {
			d.bufs[k], d.errs[k] = d.bufs[k][:0], nil
			return
		}
		d.bufs[k], d.errs[k] = BidRows(d.bufs[k][:0], b.cost, d.n, b.lo, r.Pending[lo:hi], r.Assigned, r.Prices, r.Eps, b.cache)
	})
	for k := range d.blocks {
		dst = append(dst, d.bufs[k]...)
	}
	return dst, errors.Join(d.errs...)
}

func (d *denseRows) Slack(ctx context.Context, slack []float64, x []int32, prices []float64, lower float64) error {
	d.each(d.workers, func(k int) {
		b := d.blocks[k]
		b.Slack(slack[b.lo:b.hi], x, prices, lower)
	})
	return ctx.Err()
}

func (d *denseRows) Cached(ctx context.Context, x []int32, c *RowCache) error {
	k := c.K
	for _, b := range d.blocks {
		b.Cached(x, c.Cols[b.lo*k:b.hi*k], c.Costs[b.lo*k:b.hi*k], c.Bound[b.lo:b.hi], c.Assigned[b.lo:b.hi])
	}
	return ctx.Err()
}

func (d *denseRows) Row(_ context.Context, i int) ([]float32, error) {
	return d.cost[i*d.n : (i+1)*d.n], nil
}

func (d *denseRows) Infeasibility(ctx context.Context, u, v []float64) (float64, error) {
	d.each(d.workers, func(k int) { d.worst[k] = d.blocks[k].Infeasibility(u, v) })
	return slices.Max(d.worst), ctx.Err()
}
