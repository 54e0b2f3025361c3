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

// BidRows computes the bids of one round of a forward auction for the
// given rows, which must lie in the block of rows [lo, lo+len(block)/m) of
// a row-major cost matrix with m >= 2 columns; block holds exactly those
// rows. It appends the bids to dst and returns the extended slice.
//
// Row i values column j at C_ij + prices[j] (lower is better). With best
// value w1 at column j1 and second best value w2, it bids
// prices[j1] + (w2 − w1) + eps for j1. If assigned is not nil and row i is
// assigned to a column a = assigned[i] that is within eps of its best
// value (ε-complementary slackness), the row keeps a and does not bid.
//
// BidRows only reads its arguments, so disjoint row sets can be bid for
// concurrently (on goroutines, or in web workers that each hold a block of
// rows); the bids are then combined by Auction.Resolve.
func BidRows(dst []Bid, block []float32, m, lo int, rows []int32, assigned []int32, prices []float64, eps float64) []Bid {
	prices = prices[:m]
	for _, r := range rows {
		off := (int(r) - lo) * m
		row := block[off : off+m]
		w1, w2 := math.Inf(1), math.Inf(1)
		j1 := 0
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
		if assigned != nil {
			if a := assigned[r]; a >= 0 && float64(row[a])+prices[a] <= w1+eps {
				continue
			}
		}
		dst = append(dst, Bid{Row: r, Col: int32(j1), Price: prices[j1] + (w2 - w1) + eps})
	}
	return dst
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
	eps      float64
	first    bool // the next round is the first of its phase
}

// NewAuction returns an auction for n rows and n columns with zero prices
// and no assignment.
func NewAuction(n int) *Auction {
	a := &Auction{
		n:        n,
		prices:   make([]float64, n),
		owner:    make([]int32, n),
		assigned: make([]int32, n),
		best:     make([]int32, n),
	}
	for i := range n {
		a.owner[i], a.assigned[i], a.best[i] = -1, -1, -1
	}
	return a
}

// EpsilonSchedule returns the decreasing ε values of the phases for costs
// spanning the range costRange = max C − min C: it starts at costRange/4
// and divides by 8 down to costRange·1e-7 (and 1e-7 when the range is 0).
func EpsilonSchedule(costRange float64) []float64 {
	if !(costRange > 0) || math.IsInf(costRange, 0) {
		costRange = 1
	}
	final := costRange * 1e-7
	var s []float64
	for eps := costRange / 4; ; eps /= 8 {
		if eps <= final {
			s = append(s, final)
			return s
		}
		s = append(s, eps)
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
// pending; the losing bidders stay pending. It returns an error if a bid is
// malformed.
func (a *Auction) Resolve(bids []Bid) error {
	n := int32(a.n)
	for _, b := range bids {
		if b.Row < 0 || b.Row >= n || b.Col < 0 || b.Col >= n || !(b.Price > a.prices[b.Col]) || math.IsInf(b.Price, 0) {
			return errors.New("emd: malformed auction bid")
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

// run performs all phases of EpsilonSchedule(costRange), bidding with up
// to workers goroutines, and returns the number of rounds.
func (a *Auction) run(ctx context.Context, cost []float32, workers int, costRange float64) (int, error) {
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
			if w := min(workers, len(rows)/4); w > 1 {
				parallelRows(len(rows), w, func(t, lo, hi int) {
					bufs[t] = BidRows(bufs[t][:0], cost, n, 0, rows[lo:hi], a.assigned, a.prices, eps)
				})
				bids = bids[:0]
				for t := range w {
					bids = append(bids, bufs[t]...)
				}
			} else {
				bids = BidRows(bids[:0], cost, n, 0, rows, a.assigned, a.prices, eps)
			}
			if err := a.Resolve(bids); err != nil {
				return rounds, err
			}
			rounds++
		}
	}
	return rounds, nil
}

// Finish turns the auction's complete assignment into an exactly optimal
// plan for the n×n row-major cost (up to floating-point rounding; Solve
// checks the result against CertTol). With v = −prices it computes
// u_i = min_j C_ij − v_j (row-parallel), frees every row whose column does
// not attain that minimum exactly, and reassigns the freed rows by
// Jonker–Volgenant shortest augmenting paths, which keep (u, v) dual
// feasible and every assigned row tight. The auction must be Done; it is
// consumed.
func (a *Auction) Finish(ctx context.Context, cost []float32, opt Options) (*Plan, error) {
	if err := checkShape(cost, a.n, a.n); err != nil {
		return nil, err
	}
	return a.finish(ctx, cost, clampWorkers(opt.Workers, a.n))
}

func (a *Auction) finish(ctx context.Context, cost []float32, workers int) (*Plan, error) {
	n := a.n
	if !a.Done() {
		return nil, errors.New("emd: auction phase not finished")
	}
	x, y, v := a.assigned, a.owner, a.prices
	for j := range v {
		v[j] = -v[j]
	}
	tight := make([]bool, n)
	parallelRows(n, workers, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			best := math.Inf(1)
			row := cost[i*n : (i+1)*n]
			for j, c := range row {
				if h := float64(c) - v[j]; h < best {
					best = h
				}
			}
			tight[i] = float64(row[x[i]])-v[x[i]] == best
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var free []int32
	for i := range n {
		if !tight[i] {
			y[x[i]] = -1
			x[i] = -1
			free = append(free, int32(i))
		}
	}
	aug := newAugmenter(n)
	for k, f := range free {
		if k&15 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		aug.augment(cost, n, x, y, v, f)
	}
	a.prices = nil // v aliases the prices: the auction is consumed
	return assignmentPlan(cost, n, x, v), nil
}
