package emd

import (
	"context"
	"errors"
	"math"
	"slices"
)

// Bid is one row's offer for a column in a round of the auction.
type Bid struct {
	Row, Col int32
	// Price is the price the row offers for Col: the column's price when
	// the row bid, plus the row's margin between its best and second best
	// column, plus ε.
	Price float64
}

// BidCache holds the bidding state of a block of rows [lo, hi).
//
// For each row it remembers the K columns with the smallest values
// C_ij + p_j found by the row's last full scan and the (K+1)-th smallest
// value W. Because auction prices never decrease, every other column still
// has a value of at least W: a later bid whose best cached column is below
// W is exact without scanning the row (its second best value is bounded
// below by W, which only makes the bid more cautious). A cache therefore
// belongs to one auction, whose prices must never decrease while the cache
// is in use.
//
// It also holds the block's private view of the prices during a BidRows
// call. BidRows calls on one cache must not run concurrently; calls on
// caches of disjoint blocks may.
type BidCache struct {
	lo, k int
	cols  []int32   // K columns per row, -1 for unused slots
	costs []float32 // C_ij at those columns (0 at unused slots)
	bound []float64 // W per row; NaN when the row has no cache yet

	// Scratch of BidRows, valid where stamp == call.
	call      uint32
	stamp     []uint32  // column → call in which local and holder are valid
	local     []float64 // column → private price
	holder    []int32   // column → row holding it in the private view
	touched   int       // number of columns with a private price
	priced    []int32   // those columns (refreshLocal sorts them)
	fastScore int       // success of full scans under the shared prices
	rowCol    []int32   // row−lo → column it holds in the private view, -1
	rowPrice  []float64 // row−lo → its bid for that column
	heap      topK      // refresh's and refreshLocal's heap when a kernel scans
}

// maxBidCache is the largest number of columns per row of a BidCache.
const maxBidCache = 64

// NewBidCache returns an empty cache of k columns per row (k is clamped to
// [1, 64]) for the block of rows [lo, hi).
func NewBidCache(lo, hi, k int) *BidCache {
	k = min(max(k, 1), maxBidCache)
	hi = max(hi, lo)
	c := &BidCache{
		lo:    lo,
		k:     k,
		cols:  make([]int32, (hi-lo)*k),
		costs: make([]float32, (hi-lo)*k),
		bound: make([]float64, hi-lo),
	}
	for r := range c.bound {
		c.bound[r] = math.NaN()
	}
	return c
}

// Block returns a cache for the rows [lo, hi) that shares the cached
// columns and bounds of c (which must cover those rows) but has its own
// bidding scratch, so that blocks of one cache can bid concurrently. It
// returns nil if c does not cover [lo, hi).
func (c *BidCache) Block(lo, hi int) *BidCache {
	if lo < c.lo || hi > c.lo+len(c.bound) || hi < lo {
		return nil
	}
	return &BidCache{
		lo:    lo,
		k:     c.k,
		cols:  c.cols[(lo-c.lo)*c.k : (hi-c.lo)*c.k],
		costs: c.costs[(lo-c.lo)*c.k : (hi-c.lo)*c.k],
		bound: c.bound[lo-c.lo : hi-c.lo],
	}
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
var errBidArgs = errors.New("emd: BidRows arguments do not match (rows outside the block or the cache, short prices or assignment)")

// BidRows computes the bids of one round of a forward auction for the
// given rows of one block, Gauss–Seidel style. The rows must lie in the
// block of rows [lo, lo+len(block)/m) of a row-major cost matrix with
// m >= 2 columns (block holds exactly those rows), and in cache, which
// must not be nil. BidRows appends the bids to dst and returns the
// extended slice; it fails, without bidding, if a row lies outside the
// block or the cache, if prices has fewer than m entries, if assigned is
// too short or holds a column outside [-1, m), or if a row is repeated.
//
// Row i values column j at C_ij + p_j, lower is better. The rows are
// processed in the given order against a private copy of prices: with
// best value w1 at column j1 and second best value w2 (or a lower bound of
// it, see BidCache), row i bids p_j1 + (w2 − w1) + ε for j1 and the private
// price of j1 becomes that bid; a row whose column is taken over by a
// later, higher bid of the same call bids again. When BidRows returns,
// each bidding row holds a different column in the private view, and its
// bid is the private price of that column; these are the bids returned.
// If assigned is not nil, a row that is assigned to a column a =
// assigned[i] within eps of its best value (ε-complementary slackness)
// keeps a and does not bid; this is the rule of the first round of a
// phase.
//
// BidRows reads block, rows, assigned and prices and changes only dst and
// cache, so the blocks of a partition of the rows can bid concurrently (on
// goroutines, or in web workers that each hold some blocks of rows and
// their caches); their bids are then combined by Auction.Resolve, where
// blocks compete for columns like the rows of a Jacobi auction.
func BidRows(dst []Bid, block []float32, m, lo int, rows []int32, assigned []int32, prices []float64, eps float64, cache *BidCache) ([]Bid, error) {
	if m < 2 || len(block)%m != 0 || len(prices) < m || cache == nil {
		return dst, errBidArgs
	}
	c := cache
	if len(c.stamp) != m {
		c.stamp = make([]uint32, m)
		c.local = make([]float64, m)
		c.holder = make([]int32, m)
		c.call = 0
	}
	if len(c.rowCol) != len(c.bound) {
		c.rowCol = make([]int32, len(c.bound))
		c.rowPrice = make([]float64, len(c.bound))
		for r := range c.rowCol {
			c.rowCol[r] = -1
		}
	}
	hi := lo + len(block)/m
	for _, r := range rows {
		switch {
		case int(r) < lo || int(r) >= hi || int(r) < c.lo || int(r) >= c.lo+len(c.bound),
			assigned != nil && (int(r) >= len(assigned) || assigned[r] < -1 || int(assigned[r]) >= m),
			c.rowCol[int(r)-c.lo] == -2:
			for _, q := range rows { // undo the repetition marks
				if int(q) >= c.lo && int(q) < c.lo+len(c.bound) {
					c.rowCol[int(q)-c.lo] = -1
				}
			}
			return dst, errBidArgs
		}
		c.rowCol[int(r)-c.lo] = -2 // seen
	}
	for _, r := range rows {
		c.rowCol[int(r)-c.lo] = -1
	}
	prices = prices[:m]
	c.call++
	if c.call == 0 {
		clear(c.stamp)
		c.call = 1
	}
	c.touched = 0
	c.priced = c.priced[:0]
	c.fastScore = 0

	queue := rows
	owned := false // queue aliases rows until a displaced row is appended
	for q := 0; q < len(queue); q++ {
		r := queue[q]
		off := (int(r) - lo) * m
		row := block[off : off+m]
		w1, w2, j1 := c.bestLocal(row, int(r), prices)
		if q < len(rows) && assigned != nil {
			if a := assigned[r]; a >= 0 && float64(row[a])+c.price(prices, int(a)) <= w1+eps {
				continue
			}
		}
		bid := c.price(prices, j1) + (w2 - w1) + eps
		if c.stamp[j1] == c.call {
			if h := c.holder[j1]; h >= 0 {
				// Displaced within the block: h bids again.
				c.rowCol[int(h)-c.lo] = -1
				if !owned {
					queue = slices.Clone(queue)
					owned = true
				}
				queue = append(queue, h)
			}
		} else {
			c.stamp[j1] = c.call
			c.touched++
			c.priced = append(c.priced, int32(j1))
		}
		c.local[j1] = bid
		c.holder[j1] = r
		c.rowCol[int(r)-c.lo] = int32(j1)
		c.rowPrice[int(r)-c.lo] = bid
	}
	for _, r := range rows {
		if j := c.rowCol[int(r)-c.lo]; j >= 0 {
			dst = append(dst, Bid{Row: r, Col: j, Price: c.rowPrice[int(r)-c.lo]})
			c.rowCol[int(r)-c.lo] = -1
		}
	}
	return dst, nil
}

// price returns the private price of column j in the current BidRows call.
func (c *BidCache) price(prices []float64, j int) float64 {
	if c.stamp[j] == c.call {
		return c.local[j]
	}
	return prices[j]
}

// bestLocal returns the best value w1 of row r (global index) at column j1
// and a lower bound w2 on its second best value under the private prices
// of the current BidRows call, from the cache if it decides them and from
// a full scan otherwise. The scan uses the shared prices, which is faster,
// and its result is re-evaluated under the private prices; if that does
// not decide (the private prices raised most of the row's best columns),
// the row is scanned again under the private prices, and the call goes
// straight to such scans while they are the more successful.
func (c *BidCache) bestLocal(row []float32, r int, prices []float64) (w1, w2 float64, j1 int) {
	if w1, w2, j1, ok := c.cachedLocal(row, r, prices); ok {
		return w1, w2, j1
	}
	if c.touched == 0 || c.fastScore >= 0 {
		c.refresh(row, r, prices)
		if w1, w2, j1, ok := c.cachedLocal(row, r, prices); ok {
			c.fastScore = min(c.fastScore+1, 4)
			return w1, w2, j1
		}
		c.fastScore--
	} else {
		c.fastScore++ // try the fast scan again now and then
	}
	return c.refreshLocal(row, r, prices)
}

// cachedLocal is cached under the private prices.
func (c *BidCache) cachedLocal(row []float32, r int, prices []float64) (w1, w2 float64, j1 int, ok bool) {
	return c.scanCached(row, r, prices, true)
}

// cached returns the best value w1 of row r at column j1 and a lower bound
// w2 on its second best value under prices if the cache decides them.
func (c *BidCache) cached(row []float32, r int, prices []float64) (w1, w2 float64, j1 int, ok bool) {
	return c.scanCached(row, r, prices, false)
}

// scanCached is cachedLocal (local: the block's private prices where it
// has them) and cached (prices as given).
func (c *BidCache) scanCached(row []float32, r int, prices []float64, local bool) (w1, w2 float64, j1 int, ok bool) {
	W := c.bound[r-c.lo]
	if math.IsNaN(W) {
		return 0, 0, 0, false
	}
	w1, w2, j1 = math.Inf(1), math.Inf(1), -1
	// The cached costs, not row[j]: the row is one of many megabytes, and
	// its K scattered entries were most of the time of a bid.
	at := (r - c.lo) * c.k
	costs := c.costs[at : at+c.k]
	for s, j := range c.cols[at : at+c.k] {
		if j < 0 {
			continue
		}
		p := prices[j]
		if local {
			p = c.price(prices, int(j))
		}
		val := float64(costs[s]) + p
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
		// An explicit comparison: min calls the runtime in WebAssembly.
		if W < w2 {
			w2 = W
		}
		return w1, w2, j1, true
	}
	return 0, 0, 0, false
}

// topK keeps the k+1 smallest values offered to it, with their columns,
// in a binary max-heap. The arrays have room for scanAVX2's padding: a
// complete tree of 127 slots (k+1 <= 65).
type topK struct {
	vals [2*maxBidCache - 1]float64
	idx  [2*maxBidCache - 1]int32
	size int
}

// reset empties the heap for k+1 values and returns the threshold +Inf.
func (t *topK) reset(k int) float64 {
	t.size = k + 1
	for s := 0; s <= k; s++ {
		t.vals[s], t.idx[s] = math.Inf(1), -1
	}
	return math.Inf(1)
}

// resetPadded is reset for scanAVX2: it pads the heap of k+1 slots with
// −Inf to the complete tree of 2^(steps+1) − 1 slots, the smallest that
// holds k+1, and returns steps (>= 1), the depth of its leaves.
func (t *topK) resetPadded(k int) (steps int) {
	t.reset(k)
	for steps = 1; 2<<steps-1 < k+1; steps++ {
	}
	for s := k + 1; s < 2<<steps-1; s++ {
		t.vals[s], t.idx[s] = math.Inf(-1), -1
	}
	return steps
}

// scan offers the values float64(row[j]) + prices[j] of a row to the empty
// heap of k+1 slots, as ScanGo (prices has at least len(row) entries): in
// AVX2 where the CPU has it (scanAVX2, the same heap slot for slot), else
// in Go.
func (t *topK) scan(k int, row []float32, prices []float64) {
	if haveAVX2 {
		steps := t.resetPadded(k)
		scanAVX2(t.vals[:2<<steps-1], t.idx[:2<<steps-1], steps, row, prices, 0)
		return
	}
	thr := t.reset(k)
	prices = prices[:len(row)]
	for j, cv := range row {
		if val := float64(cv) + prices[j]; val < thr {
			thr = t.insert(val, j)
		}
	}
}

// insert replaces the largest kept value by val (which must be smaller) at
// column j and returns the new threshold, the largest kept value.
func (t *topK) insert(val float64, j int) float64 {
	return SiftIn(t.vals[:t.size], t.idx[:t.size], val, j)
}

// SiftIn replaces the root of the max-heap (vals, idx) by val at column j
// (val must be below it) and sifts it down: from s = 0, while s has a child
// l (the larger of two, the left on a tie) with vals[l] > val, the child
// moves up to s and s = l. It returns the new root, the heap's largest
// value.
func SiftIn(vals []float64, idx []int32, val float64, j int) float64 {
	n := len(vals)
	idx = idx[:n]
	s := 0
	for {
		l := 2*s + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && vals[r] > vals[l] {
			l = r
		}
		if vals[l] <= val {
			break
		}
		vals[s], idx[s] = vals[l], idx[l]
		s = l
	}
	vals[s], idx[s] = val, int32(j)
	return vals[0]
}

// store saves the k smallest kept columns and the bound (the largest kept
// value) of row r and returns the best value w1 at column j1 (the first
// such column found) and the second best value w2. With fewer than k+1
// columns, unused slots keep column -1 and the bound is +Inf: nothing lies
// beyond it.
func (c *BidCache) store(t *topK, r int, row []float32) (w1, w2 float64, j1 int) {
	k := c.k
	cols := c.cols[(r-c.lo)*k : (r-c.lo+1)*k]
	costs := c.costs[(r-c.lo)*k : (r-c.lo+1)*k]
	w1, w2, j1 = math.Inf(1), math.Inf(1), -1
	// The heap root holds the largest value: it is the bound.
	for s := 1; s <= k; s++ {
		v, j := t.vals[s], t.idx[s]
		cols[s-1] = j
		costs[s-1] = 0
		if j >= 0 {
			costs[s-1] = row[j]
		}
		if v < w2 {
			if v < w1 || (v == w1 && j >= 0 && j < int32(j1)) {
				w2 = w1
				w1, j1 = v, int(j)
			} else {
				w2 = v
			}
		}
	}
	if t.vals[0] < w2 {
		w2 = t.vals[0]
	}
	c.bound[r-c.lo] = t.vals[0]
	if j1 < 0 { // a single column: it is the root
		w1, j1 = t.vals[0], int(t.idx[0])
	}
	return w1, w2, j1
}

// refresh scans row r in full under prices, stores its K best columns and
// the bound in the cache, and returns its best value w1 at column j1 and
// its second best value w2.
func (c *BidCache) refresh(row []float32, r int, prices []float64) (w1, w2 float64, j1 int) {
	prices = prices[:len(row)]
	if accel.Scan != nil {
		// The heap lives in the cache: handed to a kernel it would
		// escape, an allocation of 800 bytes a scan (70 MB a repetition
		// at N = 10⁴, which the worker's frequent collections paid for).
		t := &c.heap
		steps := t.resetPadded(c.k)
		accel.Scan(t.vals[:2<<steps-1], t.idx[:2<<steps-1], steps, row, prices, 0)
		return c.store(t, r, row)
	}
	var t topK
	t.scan(c.k, row, prices)
	return c.store(&t, r, row)
}

// Kernels are alternative implementations of the auction's hot loop, for a
// platform where faster code computes the same result: the browser's
// worker installs the WebAssembly SIMD128 one of wasm/simd.
type Kernels struct {
	// Scan is scanAVX2 (ScanGo on a padded heap, from column from on):
	// a row's values offered to a heap of its best columns (one call a
	// row scanned in full under the shared prices; under a block's
	// private ones, one call for each run of columns between those with
	// a private price).
	Scan func(vals []float64, idx []int32, steps int, row []float32, prices []float64, from int)
	// MinMax32 is MinMax32Go: the smallest and largest of x and whether
	// an entry is NaN.
	MinMax32 func(x []float32) (lo, hi float32, nan bool)
	// MaxSlack is MaxSlackGo: max over j of (ui + v[j]) − float64(row[j]).
	MaxSlack func(row []float32, v []float64, ui float64) float64
}

// MinMax32Go returns the smallest and the largest entry of x by the
// comparisons x < lo and x > hi, in order (so a NaN never wins; +Inf and
// −Inf for an empty x), and whether an entry is NaN.
func MinMax32Go(x []float32) (lo, hi float32, nan bool) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, c := range x {
		if c < lo {
			lo = c
		}
		if c > hi {
			hi = c
		}
		if c != c {
			nan = true
		}
	}
	return lo, hi, nan
}

// MaxSlackGo returns the largest (ui + v[j]) − float64(row[j]) over the
// columns of row by the comparison d > worst, in order (a NaN never wins;
// −Inf for an empty row).
func MaxSlackGo(row []float32, v []float64, ui float64) float64 {
	worst := math.Inf(-1)
	v = v[:len(row)]
	for j, c := range row {
		if d := ui + v[j] - float64(c); d > worst {
			worst = d
		}
	}
	return worst
}

var accel Kernels

// SetKernels installs k for every later auction; call it once at start,
// before any solve (it is not synchronised).
func SetKernels(k Kernels) { accel = k }

// ScanGo offers float64(row[j]) + prices[j] for each column j of row, in
// order, to the max-heap (vals, idx) of len(vals) entries (vals[0] its
// largest value): a value below the root replaces it (SiftIn). It is
// Kernels.Scan in Go, the reference an installed kernel is tested against.
func ScanGo(vals []float64, idx []int32, row []float32, prices []float64) {
	thr := vals[0]
	prices = prices[:len(row)]
	for j, cv := range row {
		if val := float64(cv) + prices[j]; val < thr {
			thr = SiftIn(vals, idx, val, j)
		}
	}
}

// ScanPaddedGo is Kernels.Scan in Go, the reference an installed kernel is
// tested against: ScanGo on the columns j >= from of row (prices has at
// least len(row) entries) into the padded heap (vals, idx) of 2^(steps+1) −
// 1 slots that topK.resetPadded sets up, as scanAVX2 takes it. SiftIn runs
// on all the slots: a −Inf padding slot never moves up, so the heap ends
// as on its entries alone.
func ScanPaddedGo(vals []float64, idx []int32, steps int, row []float32, prices []float64, from int) {
	vals, idx = vals[:2<<steps-1], idx[:2<<steps-1]
	prices = prices[:len(row)]
	thr := vals[0]
	for j := from; j < len(row); j++ {
		if val := float64(row[j]) + prices[j]; val < thr {
			thr = SiftIn(vals, idx, val, j)
		}
	}
}

// refreshLocal is refresh under the private prices.
func (c *BidCache) refreshLocal(row []float32, r int, prices []float64) (w1, w2 float64, j1 int) {
	prices = prices[:len(row)]
	if accel.Scan != nil {
		// As with AVX2 below: the shared prices' scan between the columns
		// with a private price, each offered in its turn.
		k := c.k
		t := &c.heap
		steps := t.resetPadded(k)
		vals, idx := t.vals[:2<<steps-1], t.idx[:2<<steps-1]
		slices.Sort(c.priced)
		from := 0
		for _, j := range c.priced {
			accel.Scan(vals, idx, steps, row[:j], prices[:j], from)
			if val := float64(row[j]) + c.local[j]; val < vals[0] {
				SiftIn(vals[:k+1], idx[:k+1], val, int(j))
			}
			from = int(j) + 1
		}
		accel.Scan(vals, idx, steps, row, prices, from)
		return c.store(t, r, row)
	}
	var t topK
	if haveAVX2 {
		// The shared prices' scan between the columns with a private
		// price, each of which is offered in its turn: the same values in
		// the same order, so the same heap.
		k := c.k
		steps := t.resetPadded(k)
		vals, idx := t.vals[:2<<steps-1], t.idx[:2<<steps-1]
		slices.Sort(c.priced)
		from := 0
		for _, j := range c.priced {
			scanAVX2(vals, idx, steps, row[:j], prices[:j], from)
			if val := float64(row[j]) + c.local[j]; val < vals[0] {
				SiftIn(vals[:k+1], idx[:k+1], val, int(j))
			}
			from = int(j) + 1
		}
		scanAVX2(vals, idx, steps, row, prices, from)
		return c.store(&t, r, row)
	}
	thr := t.reset(c.k)
	stamp, local := c.stamp[:len(row)], c.local[:len(row)]
	for j, cv := range row {
		p := prices[j]
		if stamp[j] == c.call {
			p = local[j]
		}
		if val := float64(cv) + p; val < thr {
			thr = t.insert(val, j)
		}
	}
	return c.store(&t, r, row)
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

// bidBlocks is the number of row blocks of Solve's auction. The blocks
// bid concurrently, Gauss–Seidel style within a block and Jacobi style
// between blocks; the partition depends only on n, so the result does not
// depend on the number of workers.
const bidBlocks = 8

// run performs all phases of EpsilonSchedule(costRange), bidding in the
// blocks of rows, and returns the number of rounds. Between phases it
// lowers prices with tighten (without freeing rows), which makes rows
// exactly tight wherever a few passes can: those rows keep their columns
// in the next phase, and ties (identical rows, integer costs) are settled
// without a new price war in every phase.
func (a *Auction) run(ctx context.Context, rows Rows, costRange, tol float64) (int, error) {
	n := a.n
	var bids []Bid
	var err error
	rounds := 0
	var slack []float64
	var round BidRound // one for all rounds: it escapes to rows.Bid
	for phase, eps := range EpsilonSchedule(costRange) {
		if phase > 0 {
			// Lower the prices to make assigned rows exactly tight where a
			// few passes can: such rows keep their columns in the next
			// phase, and identical rows then need no new price war.
			if slack == nil {
				slack = make([]float64, n)
			}
			if err := tighten(ctx, rows, a.assigned, a.owner, a.prices, slack, tol, true, false); err != nil {
				return rounds, err
			}
		}
		a.StartPhase(eps)
		all := true // prices changed outside Resolve since the last round
		for !a.Done() {
			if err := ctx.Err(); err != nil {
				return rounds, err
			}
			pending := a.pending
			slices.Sort(pending)
			round = BidRound{Pending: pending, Prices: a.prices, Eps: eps, AllChanged: all}
			if a.first {
				round.Assigned = a.assigned
			}
			if !all {
				round.Changed = a.touched
			}
			bids, err = rows.Bid(ctx, bids[:0], &round)
			if err != nil {
				return rounds, err
			}
			if err := a.Resolve(bids); err != nil {
				return rounds, err
			}
			all = false
			rounds++
		}
	}
	return rounds, nil
}
