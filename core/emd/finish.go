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
// columns could matter. The passes run over blocks of rows, each with the
// cache of its rows (see Rows); the searches read a copy of the caches
// (RowCache) and fetch a whole row only when its bound demands it. The
// caches stay valid because the searches only raise prices, and the
// passes that lower them lower the bounds by as much.
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
	p, _, err := a.finish(ctx, newDenseRows(cost, a.n, workers), tightTol(st.absMax))
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

// finish is Finish over the blocks of rows, whose caches it uses and
// refreshes. It returns the plan without its Cost and the caller's copy of
// the caches, whose Assigned holds the costs of the final assignment.
func (a *Auction) finish(ctx context.Context, rows Rows, tol float64) (*Plan, *RowCache, error) {
	n := a.n
	if a.prices == nil {
		return nil, nil, errConsumed
	}
	if !a.Done() {
		return nil, nil, errors.New("emd: auction phase not finished")
	}
	x, y, p := a.assigned, a.owner, a.prices
	slack := make([]float64, n)
	aug := newSparseAugmenter(n)
	rc := NewRowCache(n)
	fetched := false
	budget := n / 2 // full row relaxations per round of augmentations
	for round := 0; ; round++ {
		if err := tighten(ctx, rows, x, y, p, slack, tol, round < maxTightenRounds, true); err != nil {
			return nil, nil, err
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
		// The searches read the caches of the rows as the passes of
		// tighten left them, and the costs of the assignment.
		if err := rows.Cached(ctx, x, rc); err != nil {
			return nil, nil, err
		}
		fetched = true
		// Augment until the budget of full row relaxations is spent;
		// then tighten again, which resolves ties between identical rows
		// far more cheaply than augmenting paths.
		aug.fullRelax = 0
		for k, f := range free {
			if k&15 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, nil, err
				}
			}
			if k > 0 && aug.fullRelax > budget && round < maxTightenRounds {
				break
			}
			if err := aug.augment(ctx, rows, x, y, p, rc, f); err != nil {
				return nil, nil, err
			}
		}
		budget *= 2
	}
	if !fetched {
		// The augmentations keep rc.Assigned up to date; without any,
		// fetch the costs of the assignment.
		if err := rows.Cached(ctx, x, rc); err != nil {
			return nil, nil, err
		}
	}
	a.prices = nil // p becomes −V: the auction is consumed
	v := p
	for j := range v {
		v[j] = -v[j]
	}
	return assignedPlan(rc.Assigned, x, v), rc, nil
}

// tighten makes every assigned row tight, that is its column attains its
// minimum value C_ij + p_j, by lowering the prices of the columns of the
// rows that are not, in passes over the rows (Rows.Slack, row-parallel in
// the blocks; a pass reads only the cached columns of most rows). Each
// pass lowers the price of the column of a non-tight row by its slack,
// which makes that row tight but may make others, whose best column it is,
// lose their tightness: the passes are Jacobi iterations of a shortest path
// computation that converges when the assignment is optimal, in a single
// pass for identical rows. The passes stop when all rows are tight or when
// a pass does not halve the number of non-tight rows; the rows still not
// tight are then freed. Lowered prices loosen the cache bounds by the
// largest decrease, at the start of the next pass.
//
// A row counts as tight when its slack is at most tol: the price updates
// of the augmenting paths leave rounding errors of a few ulps. If lower is
// false, tighten does not lower prices; if free is false, it does not free
// rows (between the phases of the auction, where the next phase's first
// round checks every row anyway).
func tighten(ctx context.Context, rows Rows, x, y []int32, p []float64, slack []float64, tol float64, lower, free bool) error {
	n := len(x)
	prev := math.MaxInt
	drop := 0.0 // bound decrease owed to the caches
	for pass := 0; ; pass++ {
		if err := rows.Slack(ctx, slack, x, p, drop); err != nil {
			return err
		}
		drop = 0
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
		for i := range n {
			if x[i] >= 0 && slack[i] > tol {
				p[x[i]] -= slack[i]
				drop = max(drop, slack[i])
			}
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
	cost    []float32 // the cost of pred's row at the column
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
		cost:    make([]float32, n),
	}
}

// relax offers distance dist through row i, whose cost at column j is c, to
// column j.
func (s *sparseAugmenter) relax(j int32, dist float64, i int32, c float32) {
	if s.settled[j] == s.search {
		return
	}
	if s.stamp[j] != s.search || dist < s.d[j] {
		s.stamp[j] = s.search
		s.d[j] = dist
		s.pred[j] = i
		s.cost[j] = c
		s.cols.push(heapItem{key: dist, id: j})
	}
}

// augment assigns the free row f along a shortest augmenting path. Row
// values are C_ij + p_j; every assigned row i is tight (its column attains
// its minimum u_i) and, for every row, the columns outside its cache rc
// have values of at least its cache bound. The search reads rc and fetches
// a whole row from rows only when its bound shows that the row's other
// columns could matter (or it has no cache yet); such a row's cache in rc
// is then refreshed. rc.Assigned follows the new assignment.
func (s *sparseAugmenter) augment(ctx context.Context, rows Rows, x, y []int32, p []float64, rc *RowCache, f int32) error {
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
	k := rc.K
	relaxRow := func(i int32, base, u float64, full bool) error {
		off := base - u
		if full || math.IsNaN(rc.Bound[i]) {
			row, err := rows.Row(ctx, int(i))
			if err != nil {
				return err
			}
			p := p[:len(row)]
			for j, c := range row {
				if s.settled[j] != s.search {
					s.relax(int32(j), float64(c)+p[j]+off, i, c)
				}
			}
			rc.refresh(row, int(i), p)
			s.fullRelax++
			return nil
		}
		r := int(i) * k
		costs := rc.Costs[r : r+k]
		for t, j := range rc.Cols[r : r+k] {
			if j < 0 {
				continue
			}
			s.relax(j, float64(costs[t])+p[j]+off, i, costs[t])
		}
		if W := rc.Bound[i]; !math.IsInf(W, 1) {
			s.rows.push(heapItem{key: W + off, id: i, base: base, u: u})
		}
		return nil
	}

	// The free row's distances are its values (its potential is implicit).
	if err := relaxRow(f, 0, 0, false); err != nil {
		return err
	}
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
			if err := relaxRow(it.id, it.base, it.u, true); err != nil {
				return err
			}
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
		if err := relaxRow(i, it.key, float64(rc.Assigned[i])+p[j], false); err != nil {
			return err
		}
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
		rc.Assigned[i] = s.cost[j]
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
