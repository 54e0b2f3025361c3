package emd

import (
	"context"
	"errors"
	"math"
)

// Finish turns the complete assignment of a finished auction into an
// exactly optimal plan for the n×n row-major cost (up to floating-point
// rounding), computes its Cost and checks its certificate against CertTol,
// like Solve; Plan.Iterations is left 0. It needs the whole cost matrix.
// The auction is consumed.
//
// With the final prices p, a row is tight if its column attains its
// minimum value u_i = min_j C_ij + p_j (up to 10^-13·max|C|). First the
// prices of the columns of non-tight rows are lowered by the rows' slack,
// in row-parallel passes, while that makes most rows tight (see tighten:
// it settles ties between identical rows at once); the rows that are still
// not tight are freed. Then the free rows are reassigned one by one along
// shortest augmenting paths in the reduced costs C_ij + p_j − u_i
// (Dijkstra's algorithm, as in Jonker–Volgenant), which raise the prices of
// the columns the search settles so that every assigned row stays tight
// and the potentials (u, −p) stay dual feasible. When the augmentations
// scan many rows in full, tightening is tried again (at most 4 times).
// After the last augmentation the assignment and the potentials
// U_i = C_{i,σ(i)} + p_{σ(i)}, V_j = −p_j satisfy complementary slackness,
// which proves optimality.
//
// The passes and the searches use a BidCache of the rows: a row whose
// cached columns decide its minimum is not scanned, and a search relaxes
// only the cached columns of a row until its bound shows that the other
// columns could matter. The cache stays valid because the searches only
// raise prices, and the passes that lower them lower the bounds by as much.
func (a *Auction) Finish(ctx context.Context, cost []float32, opt Options) (*Plan, error) {
	if err := checkShape(cost, a.n, a.n); err != nil {
		return nil, err
	}
	if a.n < 2 {
		return nil, errors.New("emd: the auction needs at least 2 rows")
	}
	workers := clampWorkers(opt.Workers, a.n)
	st, err := scanCost(ctx, cost, a.n, a.n, workers)
	if err != nil {
		return nil, err
	}
	p, err := a.finish(ctx, cost, workers, NewBidCache(0, a.n, bidCacheSize), tightTol(st.absMax))
	if err != nil {
		return nil, err
	}
	p.Method = MethodAuction
	p.Cost = planCost(cost, a.n, p)
	if err := certify(ctx, cost, a.n, a.n, p, workers, st.absMax); err != nil {
		return nil, err
	}
	return p, nil
}

func (a *Auction) finish(ctx context.Context, cost []float32, workers int, cache *BidCache, tol float64) (*Plan, error) {
	n := a.n
	if a.prices == nil {
		return nil, errConsumed
	}
	if !a.Done() {
		return nil, errors.New("emd: auction phase not finished")
	}
	x, y, p := a.assigned, a.owner, a.prices
	slack := make([]float64, n)
	aug := newSparseAugmenter(n)
	budget := n / 2 // full row relaxations per round of augmentations
	for round := 0; ; round++ {
		if err := tighten(ctx, cost, n, workers, x, y, p, cache, slack, tol, round < maxTightenRounds, true); err != nil {
			return nil, err
		}
		var free []int32
		for i := range n {
			if x[i] < 0 {
				free = append(free, int32(i))
			}
		}
		if len(free) == 0 {
			break
		}
		// Augment until the budget of full row relaxations is spent;
		// then tighten again, which resolves ties between identical rows
		// far more cheaply than augmenting paths.
		aug.fullRelax = 0
		for k, f := range free {
			if k&15 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			if k > 0 && aug.fullRelax > budget && round < maxTightenRounds {
				break
			}
			if err := aug.augment(cost, n, x, y, p, cache, f); err != nil {
				return nil, err
			}
		}
		budget *= 2
	}
	a.prices = nil // p becomes −V: the auction is consumed
	v := p
	for j := range v {
		v[j] = -v[j]
	}
	return assignmentPlan(cost, n, x, v), nil
}

// tighten makes every assigned row tight, that is its column attains its
// minimum value C_ij + p_j, by lowering the prices of the columns of the
// rows that are not, in passes over the rows (row-parallel; a pass reads
// only the cached columns of most rows). Each pass lowers the price of the
// column of a non-tight row by its slack, which makes that row tight but
// may make others, whose best column it is, lose their tightness: the
// passes are Jacobi iterations of a shortest path computation that
// converges when the assignment is optimal, in a single pass for identical
// rows. The passes stop when all rows are tight or when a pass does not
// halve the number of non-tight rows; the rows still not tight are then
// freed. Lowered prices loosen the cache bounds by the largest decrease.
//
// A row counts as tight when its slack is at most tol: the price updates
// of the augmenting paths leave rounding errors of a few ulps. If lower is
// false, tighten does not lower prices; if free is false, it does not free
// rows (between the phases of the auction, where the next phase's first
// round checks every row anyway).
func tighten(ctx context.Context, cost []float32, n, workers int, x, y []int32, p []float64, cache *BidCache, slack []float64, tol float64, lower, free bool) error {
	prev := math.MaxInt
	for pass := 0; ; pass++ {
		parallelRows(n, workers, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				if x[i] < 0 {
					continue
				}
				row := cost[i*n : (i+1)*n]
				w1, _, _, ok := cache.cached(row, i, p)
				if !ok {
					w1, _, _ = cache.refresh(row, i, p)
				}
				slack[i] = float64(row[x[i]]) + p[x[i]] - w1
			}
		})
		if err := ctx.Err(); err != nil {
			return err
		}
		count := 0
		for i := range n {
			if x[i] >= 0 && slack[i] > tol {
				count++
			}
		}
		if count == 0 {
			return nil
		}
		if !lower || pass >= maxTightenPasses || 2*count > prev {
			if !free {
				return nil
			}
			for i := range n {
				if x[i] >= 0 && slack[i] > tol {
					y[x[i]] = -1
					x[i] = -1
				}
			}
			return nil
		}
		prev = count
		delta := 0.0
		for i := range n {
			if x[i] >= 0 && slack[i] > tol {
				p[x[i]] -= slack[i]
				delta = max(delta, slack[i])
			}
		}
		for r := range cache.bound {
			cache.bound[r] -= delta
		}
	}
}

// tightTol is the slack below which finish treats a row as tight, for
// costs of magnitude at most absMax: far below CertTol, far above the
// rounding errors of the price updates.
func tightTol(absMax float64) float64 { return 1e-13 * absMax }

// maxTightenPasses bounds the number of price-lowering passes of tighten,
// and maxTightenRounds the number of times finish tightens before it
// augments all the remaining free rows.
const (
	maxTightenPasses = 8
	maxTightenRounds = 4
)

// sparseAugmenter holds the work arrays of the cache-aware shortest
// augmenting path search. Arrays indexed by column are reset lazily through
// a per-search stamp.
type sparseAugmenter struct {
	stamp   []uint32  // column → search in which d and pred are valid
	settled []uint32  // column → search in which it was settled
	d       []float64 // tentative distances
	pred    []int32   // row from which the distance was reached
	search  uint32
	cols    colHeap // touched columns by distance
	rows    rowHeap // rows with unrelaxed columns, by lower bound
	done    []int32 // settled columns in order

	fullRelax int // number of rows relaxed in full, for the caller's budget
}

func newSparseAugmenter(n int) *sparseAugmenter {
	return &sparseAugmenter{
		stamp:   make([]uint32, n),
		settled: make([]uint32, n),
		d:       make([]float64, n),
		pred:    make([]int32, n),
	}
}

// relax offers distance dist through row i to column j.
func (s *sparseAugmenter) relax(j int32, dist float64, i int32) {
	if s.settled[j] == s.search {
		return
	}
	if s.stamp[j] != s.search || dist < s.d[j] {
		s.stamp[j] = s.search
		s.d[j] = dist
		s.pred[j] = i
		s.cols.push(heapItem{key: dist, id: j})
	}
}

// augment assigns the free row f along a shortest augmenting path. Row
// values are C_ij + p_j; every assigned row i is tight (its column attains
// its minimum u_i) and, for every row, the columns outside its cache have
// values of at least its cache bound.
func (s *sparseAugmenter) augment(cost []float32, n int, x, y []int32, p []float64, cache *BidCache, f int32) error {
	s.search++
	if s.search == 0 { // wrapped: reset the stamps
		clear(s.stamp)
		clear(s.settled)
		s.search = 1
	}
	s.cols = s.cols[:0]
	s.rows = s.rows[:0]
	s.done = s.done[:0]

	// relaxRow relaxes the columns of row i, reached at distance base
	// with row potential u: all of them when full is set, else only the
	// cached ones, recording the bound of the others.
	relaxRow := func(i int32, base, u float64, full bool) {
		row := cost[int(i)*n : (int(i)+1)*n]
		off := base - u
		if full || math.IsNaN(cache.bound[i-int32(cache.lo)]) {
			for j, c := range row {
				if s.settled[j] != s.search {
					s.relax(int32(j), float64(c)+p[j]+off, i)
				}
			}
			cache.refresh(row, int(i), p)
			s.fullRelax++
			return
		}
		k := cache.k
		r := int(i) - cache.lo
		for _, j := range cache.cols[r*k : (r+1)*k] {
			if j < 0 {
				continue
			}
			s.relax(j, float64(row[j])+p[j]+off, i)
		}
		if W := cache.bound[r]; !math.IsInf(W, 1) {
			s.rows.push(heapItem{key: W + off, id: i, base: base, u: u})
		}
	}

	// The free row's distances are its values (its potential is implicit).
	relaxRow(f, 0, 0, false)
	var end int32 = -1
	var dEnd float64
	for end < 0 {
		dc, dr := math.Inf(1), math.Inf(1)
		if len(s.cols) > 0 {
			dc = s.cols[0].key
		}
		if len(s.rows) > 0 {
			dr = s.rows[0].key
		}
		if dr < dc {
			// Columns beyond a row's cache might be closer than any
			// touched column: relax that row in full.
			it := s.rows.pop()
			relaxRow(it.id, it.base, it.u, true)
			continue
		}
		if len(s.cols) == 0 {
			// Unreachable: relaxing the free row in full reaches every
			// column, and a free column exists.
			return errNoPath
		}
		it := s.cols.pop()
		j := it.id
		if s.settled[j] == s.search || it.key != s.d[j] {
			continue // stale heap entry
		}
		s.settled[j] = s.search
		s.done = append(s.done, j)
		i := y[j]
		if i < 0 {
			end, dEnd = j, it.key
			break
		}
		// Row i is tight on j: u_i = C_ij + p_j.
		relaxRow(i, it.key, float64(cost[int(i)*n+int(j)])+p[j], false)
	}

	// Raise the prices of the settled columns: p_j += dEnd − d_j keeps the
	// rows tight and the potentials feasible.
	for _, j := range s.done {
		p[j] += dEnd - s.d[j]
	}
	for {
		i := s.pred[end]
		y[end] = i
		j := end
		end = x[i]
		x[i] = j
		if i == f {
			return nil
		}
	}
}

// errNoPath reports an augmenting path search that found no free column,
// which would mean corrupted state.
var errNoPath = errors.New("emd: no augmenting path")

// heapItem is an entry of the search heaps: a column (colHeap) or a row
// with its distance base and potential (rowHeap).
type heapItem struct {
	key     float64
	id      int32
	base, u float64
}

// colHeap and rowHeap are binary min-heaps on key.
type (
	colHeap []heapItem
	rowHeap = colHeap
)

func (h *colHeap) push(it heapItem) {
	*h = append(*h, it)
	a := *h
	k := len(a) - 1
	for k > 0 {
		par := (k - 1) / 2
		if a[par].key <= a[k].key {
			break
		}
		a[par], a[k] = a[k], a[par]
		k = par
	}
}

func (h *colHeap) pop() heapItem {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	k := 0
	for {
		l := 2*k + 1
		if l >= len(a) {
			break
		}
		if r := l + 1; r < len(a) && a[r].key < a[l].key {
			l = r
		}
		if a[k].key <= a[l].key {
			break
		}
		a[k], a[l] = a[l], a[k]
		k = l
	}
	*h = a
	return top
}
