package emd

import (
	"context"
	"errors"
	"math"
)

// Bid is one row's offer for a column in a round of the auction.
type Bid struct {
	Row, Col int32
	// Price is the price the row offers for Col: the column's current
	// price plus the row's margin between its best and second best column
	// plus ε.
	Price float64
}

// BidCache remembers, for each row of a block, the K columns with the
// smallest values C_ij + p_j found by the row's last full scan and the
// (K+1)-th smallest value W. Because auction prices never decrease, every
// other column still has a value of at least W; a later bid whose best
// cached column is below W is therefore exact without scanning the row (its
// second best value is bounded below by W, which only makes the bid more
// cautious). A cache belongs to one block of rows and one auction, whose
// prices must never decrease while the cache is in use.
type BidCache struct {
	lo, k int
	cols  []int32   // K columns per row
	bound []float64 // W per row; NaN when the row has no cache yet
}

// maxBidCache is the largest number of columns per row of a BidCache.
const maxBidCache = 64

// NewBidCache returns an empty cache of k columns per row (k is clamped to
// [1, 64]) for the rows [lo, hi). Different rows of one cache may be used
// by concurrent BidRows calls.
func NewBidCache(lo, hi, k int) *BidCache {
	k = min(max(k, 1), maxBidCache)
	hi = max(hi, lo)
	c := &BidCache{
		lo:    lo,
		k:     k,
		cols:  make([]int32, (hi-lo)*k),
		bound: make([]float64, hi-lo),
	}
	for r := range c.bound {
		c.bound[r] = math.NaN()
	}
	return c
}

// errMalformedBid and errMissingBid report bids that do not fit the
// auction's state.
var (
	errMalformedBid = errors.New("emd: malformed auction bid")
	errMissingBid   = errors.New("emd: an unassigned pending row did not bid")
)

// errConsumed reports the use of an auction after Finish.
var errConsumed = errors.New("emd: auction already finished")

// errBidArgs reports inconsistent arguments to BidRows.
var errBidArgs = errors.New("emd: BidRows arguments do not match (rows outside the block, short prices or assignment, or a cache for other rows)")

// BidRows computes the bids of one round of a forward auction for the
// given rows, which must lie in the block of rows [lo, lo+len(block)/m) of
// a row-major cost matrix with m >= 2 columns; block holds exactly those
// rows. It appends the bids to dst and returns the extended slice; it
// fails, without bidding, if a row lies outside the block or outside the
// cache, if prices has fewer than m entries, or if assigned is too short
// or holds a column outside [-1, m).
//
// Row i values column j at C_ij + prices[j] (lower is better). With best
// value w1 at column j1 and second best value w2, it bids
// prices[j1] + (w2 − w1) + eps for j1. If assigned is not nil and row i is
// assigned to a column a = assigned[i] that is within eps of its best
// value (ε-complementary slackness), the row keeps a and does not bid.
//
// cache may be nil; otherwise it must cover the given rows, and the rows
// are only scanned in full when their cached columns cannot
// decide the bid (see BidCache); w2 is then replaced by a lower bound.
//
// BidRows only reads its arguments other than dst and cache, so disjoint
// row sets can be bid for concurrently (on goroutines sharing a cache, or
// in web workers that each hold a block of rows and its cache); the bids
// are then combined by Auction.Resolve.
func BidRows(dst []Bid, block []float32, m, lo int, rows []int32, assigned []int32, prices []float64, eps float64, cache *BidCache) ([]Bid, error) {
	if m < 2 || len(block)%m != 0 || len(prices) < m {
		return dst, errBidArgs
	}
	hi := lo + len(block)/m
	for _, r := range rows {
		switch {
		case int(r) < lo || int(r) >= hi,
			assigned != nil && (int(r) >= len(assigned) || assigned[r] < -1 || int(assigned[r]) >= m),
			cache != nil && (int(r) < cache.lo || int(r) >= cache.lo+len(cache.bound)):
			return dst, errBidArgs
		}
	}
	prices = prices[:m]
	for _, r := range rows {
		off := (int(r) - lo) * m
		row := block[off : off+m]
		var w1, w2 float64
		var j1 int
		if cache != nil {
			w1, w2, j1 = cache.best(row, int(r), prices)
		} else {
			w1, w2, j1 = scanBest(row, prices)
		}
		if assigned != nil {
			if a := assigned[r]; a >= 0 && float64(row[a])+prices[a] <= w1+eps {
				continue
			}
		}
		dst = append(dst, Bid{Row: r, Col: int32(j1), Price: prices[j1] + (w2 - w1) + eps})
	}
	return dst, nil
}

// scanBest returns the smallest and second smallest of row[j] + prices[j]
// and the column of the smallest.
func scanBest(row []float32, prices []float64) (w1, w2 float64, j1 int) {
	w1, w2 = math.Inf(1), math.Inf(1)
	for j, c := range row {
		val := float64(c) + prices[j]
		if val < w2 {
			if val < w1 {
				w2 = w1
				w1, j1 = val, j
			} else {
				w2 = val
			}
		}
	}
	return w1, w2, j1
}

// best returns the best value w1 of row r (global index) at column j1 and
// a lower bound w2 on its second best value, from the cache if it decides
// them and from a full scan (which refreshes the cache) otherwise.
func (c *BidCache) best(row []float32, r int, prices []float64) (w1, w2 float64, j1 int) {
	if w1, w2, j1, ok := c.cached(row, r, prices); ok {
		return w1, w2, j1
	}
	return c.refresh(row, r, prices)
}

// cached returns the best value w1 of row r at column j1 and a lower bound
// w2 on its second best value if the cache decides them.
func (c *BidCache) cached(row []float32, r int, prices []float64) (w1, w2 float64, j1 int, ok bool) {
	W := c.bound[r-c.lo]
	if math.IsNaN(W) {
		return 0, 0, 0, false
	}
	w1, w2, j1 = math.Inf(1), math.Inf(1), -1
	for _, j := range c.cols[(r-c.lo)*c.k : (r-c.lo+1)*c.k] {
		if j < 0 {
			break
		}
		val := float64(row[j]) + prices[j]
		if val < w2 {
			if val < w1 {
				w2 = w1
				w1, j1 = val, int(j)
			} else {
				w2 = val
			}
		}
	}
	if w1 <= W {
		return w1, min(w2, W), j1, true
	}
	return 0, 0, 0, false
}

// refresh scans row r in full, stores its K best columns and the bound in
// the cache, and returns its best value w1 at column j1 and its second best
// value w2.
func (c *BidCache) refresh(row []float32, r int, prices []float64) (w1, w2 float64, j1 int) {
	k := c.k
	// Keep the k+1 smallest values in vals/idx, sorted.
	var valsBuf [maxBidCache + 1]float64
	var idxBuf [maxBidCache + 1]int32
	vals, idx := valsBuf[:k+1], idxBuf[:k+1]
	for t := range vals {
		vals[t], idx[t] = math.Inf(1), -1
	}
	last := len(vals) - 1
	thr := math.Inf(1)
	prices = prices[:len(row)]
	for j, cv := range row {
		val := float64(cv) + prices[j]
		if val < thr {
			t := last
			for t > 0 && vals[t-1] > val {
				vals[t], idx[t] = vals[t-1], idx[t-1]
				t--
			}
			vals[t], idx[t] = val, int32(j)
			thr = vals[last]
		}
	}
	// With fewer than k+1 columns the unused slots keep column -1 and the
	// bound +Inf: nothing lies beyond it.
	copy(c.cols[(r-c.lo)*k:(r-c.lo+1)*k], idx[:k])
	c.bound[r-c.lo] = vals[k]
	return vals[0], vals[1], int(idx[0])
}

// Auction is the state of a forward auction (D. P. Bertsekas, "The auction
// algorithm: a distributed relaxation method for the assignment problem",
// Annals of Operations Research 14, 1988) for an n×n assignment problem
// with minimisation of cost, run in Jacobi fashion: in each round every
// pending row bids against the same prices (BidRows, row-parallel) and the
// bids are then resolved column by column (Resolve, a reduce).
//
// A solve runs phases of decreasing ε (EpsilonSchedule). A phase starts
// with StartPhase; rounds follow until Done. Throughout a phase every
// assigned row is within ε of its best value (ε-complementary slackness),
// so when the last phase ends the assignment is within n·ε of optimal.
// Finish then makes it exactly optimal.
type Auction struct {
	n        int
	prices   []float64
	owner    []int32 // column → row, -1 if unassigned
	assigned []int32 // row → column, -1 if unassigned
	pending  []int32 // rows that bid in the next round
	next     []int32
	best     []int32 // column → index in the bids of its best bid, -1
	touched  []int32
	mark     []uint32 // row → round in which it was pending (1) or bid (2), see Resolve
	round    uint32
	eps      float64
	first    bool // the next round is the first of its phase
}

// NewAuction returns an auction for n rows and n columns with zero prices
// and no assignment.
func NewAuction(n int) *Auction {
	n = max(n, 0)
	a := &Auction{
		n:        n,
		prices:   make([]float64, n),
		owner:    make([]int32, n),
		assigned: make([]int32, n),
		best:     make([]int32, n),
		mark:     make([]uint32, n),
	}
	for i := range n {
		a.owner[i], a.assigned[i], a.best[i] = -1, -1, -1
	}
	return a
}

// EpsilonSchedule returns the decreasing ε values of the phases for costs
// spanning the range costRange = max C − min C (1 when the range is 0): it
// starts at costRange/32 and divides by 8 until it reaches costRange·1e-6
// or less. These constants were chosen from the benchmarks on clustered
// data; the number of phases barely matters for the final cost of the
// exact finish (Finish), while early phases with large ε waste bids.
func EpsilonSchedule(costRange float64) []float64 {
	if !(costRange > 0) || math.IsInf(costRange, 0) {
		costRange = 1
	}
	final := costRange * 1e-6
	var s []float64
	for eps := costRange / 32; ; eps /= 8 {
		s = append(s, eps)
		if eps <= final {
			return s
		}
	}
}

// StartPhase starts a phase with increment eps > 0. Every row bids in the
// first round of the phase, passing Assignment to BidRows: rows whose
// current column still satisfies ε-complementary slackness keep it.
func (a *Auction) StartPhase(eps float64) {
	a.eps = eps
	a.first = true
	a.pending = a.pending[:0]
	for i := range a.n {
		a.pending = append(a.pending, int32(i))
	}
}

// Epsilon returns the increment of the current phase.
func (a *Auction) Epsilon() float64 { return a.eps }

// Pending returns the rows that must bid in the next round. The slice is
// owned by the auction and valid until the next call to Resolve or
// StartPhase.
func (a *Auction) Pending() []int32 { return a.pending }

// Prices returns the current column prices. The slice is owned by the
// auction; it must not be modified, and it changes in Resolve.
func (a *Auction) Prices() []float64 { return a.prices }

// Assignment returns the current assignment, row → column (-1 for an
// unassigned row). The slice is owned by the auction.
func (a *Auction) Assignment() []int32 { return a.assigned }

// Done reports whether the current phase is over: every row is assigned.
func (a *Auction) Done() bool { return len(a.pending) == 0 }

// Resolve performs the reduce of a round: bids holds the bids of the
// pending rows (in any order; rows that did not bid keep their column).
// Each column that received bids goes to its highest bid (ties to the
// smallest row), its price becomes that bid and its previous owner becomes
// pending; the losing bidders stay pending. It fails, changing nothing, if
// a bid is malformed (out of range, not above the column's price, or from
// a row that is not pending or bids twice) or if an unassigned pending
// row did not bid.
func (a *Auction) Resolve(bids []Bid) error {
	if a.prices == nil {
		return errConsumed
	}
	// Marks: 2·round for pending rows, 2·round+1 once they bid.
	a.round++
	if a.round >= math.MaxUint32/2 {
		clear(a.mark)
		a.round = 1
	}
	pend, bid := 2*a.round, 2*a.round+1
	for _, r := range a.pending {
		a.mark[r] = pend
	}
	n := int32(a.n)
	for _, b := range bids {
		if b.Row < 0 || b.Row >= n || b.Col < 0 || b.Col >= n || !(b.Price > a.prices[b.Col]) || math.IsInf(b.Price, 0) || a.mark[b.Row] != pend {
			return errMalformedBid
		}
		a.mark[b.Row] = bid
	}
	for _, r := range a.pending {
		if a.mark[r] == pend && a.assigned[r] < 0 {
			return errMissingBid
		}
	}
	// A row that bids gives up its column (only in the first round of a
	// phase can a bidder hold a column).
	if a.first {
		for _, b := range bids {
			if c := a.assigned[b.Row]; c >= 0 {
				a.owner[c] = -1
				a.assigned[b.Row] = -1
			}
		}
		a.first = false
	}
	a.touched = a.touched[:0]
	for k, b := range bids {
		switch t := a.best[b.Col]; {
		case t < 0:
			a.best[b.Col] = int32(k)
			a.touched = append(a.touched, b.Col)
		case b.Price > bids[t].Price || (b.Price == bids[t].Price && b.Row < bids[t].Row):
			a.best[b.Col] = int32(k)
		}
	}
	next := a.next[:0]
	for _, b := range bids {
		if bids[a.best[b.Col]].Row != b.Row {
			next = append(next, b.Row) // lost
		}
	}
	for _, j := range a.touched {
		w := bids[a.best[j]]
		a.best[j] = -1
		if old := a.owner[j]; old >= 0 {
			a.assigned[old] = -1
			next = append(next, old)
		}
		a.owner[j] = w.Row
		a.assigned[w.Row] = j
		a.prices[j] = w.Price
	}
	a.next, a.pending = a.pending, next
	return nil
}

// bidCacheSize is the number of columns per row in the caches of Solve's
// auction.
const bidCacheSize = 24

// run performs all phases of EpsilonSchedule(costRange), bidding with up
// to workers goroutines, and returns the number of rounds.
func (a *Auction) run(ctx context.Context, cost []float32, workers int, costRange float64, cache *BidCache) (int, error) {
	n := a.n
	bufs := make([][]Bid, workers)
	var bids []Bid
	rounds := 0
	for _, eps := range EpsilonSchedule(costRange) {
		a.StartPhase(eps)
		for !a.Done() {
			if err := ctx.Err(); err != nil {
				return rounds, err
			}
			rows := a.pending
			// Below a few rows per worker the goroutines cost more than
			// they save.
			var err error
			if w := min(workers, len(rows)/4); w > 1 {
				errs := make([]error, w)
				parallelRows(len(rows), w, func(t, lo, hi int) {
					bufs[t], errs[t] = BidRows(bufs[t][:0], cost, n, 0, rows[lo:hi], a.assigned, a.prices, eps, cache)
				})
				bids = bids[:0]
				for t := range w {
					bids = append(bids, bufs[t]...)
				}
				err = errors.Join(errs...)
			} else {
				bids, err = BidRows(bids[:0], cost, n, 0, rows, a.assigned, a.prices, eps, cache)
			}
			if err != nil {
				return rounds, err
			}
			if err := a.Resolve(bids); err != nil {
				return rounds, err
			}
			rounds++
		}
	}
	return rounds, nil
}
