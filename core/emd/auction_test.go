package emd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
)

// TestAuctionBlocks drives the exported auction the way a browser would:
// the rows are split into blocks, each held with its own cache by a
// "worker" that only sees its block of the cost matrix, and the main
// thread resolves the bids.
func TestAuctionBlocks(t *testing.T) {
	const n, d = 600, 19
	xs, xt := clusteredFeatures(n, n, d, 21)
	cost := sqDistCost(xs, xt, n, n, d)
	want, err := Solve(context.Background(), cost, n, n, Options{Method: MethodJV})
	if err != nil {
		t.Fatal(err)
	}
	type worker struct {
		lo, hi int
		block  []float32
		cache  *BidCache
	}
	bounds := []int{0, 170, 171, 400, n} // uneven blocks, one of a single row
	var ws []worker
	for k := 0; k+1 < len(bounds); k++ {
		lo, hi := bounds[k], bounds[k+1]
		ws = append(ws, worker{lo, hi, cost[lo*n : hi*n], NewBidCache(lo, hi, 7)})
	}
	lo32, hi32 := cost[0], cost[0]
	for _, c := range cost {
		lo32, hi32 = min(lo32, c), max(hi32, c)
	}
	a := NewAuction(n)
	rounds := 0
	for _, eps := range EpsilonSchedule(float64(hi32 - lo32)) {
		a.StartPhase(eps)
		for !a.Done() {
			var bids []Bid
			for _, w := range ws {
				var mine []int32
				for _, r := range a.Pending() {
					if int(r) >= w.lo && int(r) < w.hi {
						mine = append(mine, r)
					}
				}
				bids, err = BidRows(bids, w.block, n, w.lo, mine, a.Assignment(), a.Prices(), eps, w.cache)
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := a.Resolve(bids); err != nil {
				t.Fatal(err)
			}
			rounds++
		}
		// ε-complementary slackness holds at the end of every phase.
		p := a.Prices()
		for i, j := range a.Assignment() {
			w1, _, _ := scanBest(cost[i*n:(i+1)*n], p)
			if got := float64(cost[i*n+int(j)]) + p[j]; got > w1+eps*(1+1e-9) {
				t.Fatalf("row %d violates ε-CS: %g > %g + %g", i, got, w1, eps)
			}
		}
	}
	p, err := a.Finish(context.Background(), cost, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Finish(context.Background(), cost, Options{}); err == nil {
		t.Error("second Finish succeeded")
	}
	if err := a.Resolve(nil); err == nil {
		t.Error("Resolve after Finish succeeded")
	}
	checkPlan(t, cost, n, n, p)
	if math.Abs(p.Cost-want.Cost) > 1e-12*want.Cost {
		t.Errorf("block auction cost %.15f, JV %.15f", p.Cost, want.Cost)
	}
	t.Logf("%d rounds, cost %.12f", rounds, p.Cost)
}

// scanBest returns the smallest and second smallest of row[j] + prices[j]
// and the column of the smallest.
func scanBest(row []float32, prices []float64) (w1, w2 float64, j1 int) {
	w1, w2 = math.Inf(1), math.Inf(1)
	for j, c := range row {
		val := float64(c) + prices[j]
		if val < w1 {
			w1, w2, j1 = val, w1, j
		} else if val < w2 {
			w2 = val
		}
	}
	return w1, w2, j1
}

func TestBidRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n, m, eps = 50, 40, 0.01
	cost := uniformCost(n, m, 10, false, rng)
	prices := make([]float64, m)
	cache := NewBidCache(0, n, 5)
	for round := range 200 {
		// A single row bids exactly like the textbook auction, except that
		// a cached second best value may be a lower bound.
		r := int32(rng.IntN(n))
		one, err := BidRows(nil, cost, m, 0, []int32{r}, nil, prices, eps, cache)
		if err != nil || len(one) != 1 {
			t.Fatal(one, err)
		}
		w1, w2, j1 := scanBest(cost[int(r)*m:(int(r)+1)*m], prices)
		if b := one[0]; b.Row != r || int(b.Col) != j1 || b.Price > prices[j1]+(w2-w1)+eps || b.Price < prices[j1]+eps {
			t.Fatalf("round %d: bid %+v, want column %d price %g", round, b, j1, prices[j1]+(w2-w1)+eps)
		}

		// Many rows bid Gauss–Seidel style: distinct columns, and every
		// row is within eps of its best value under the private prices.
		rows := make([]int32, 0, n)
		for _, i := range rng.Perm(n)[:1+rng.IntN(n-10)] {
			rows = append(rows, int32(i))
		}
		bids, err := BidRows(nil, cost, m, 0, rows, nil, prices, eps, cache)
		if err != nil {
			t.Fatal(err)
		}
		if len(bids) != len(rows) {
			t.Fatalf("round %d: %d bids for %d rows", round, len(bids), len(rows))
		}
		private := slices.Clone(prices)
		seen := map[int32]bool{}
		for k, b := range bids {
			if b.Row != rows[k] || seen[b.Col] || !(b.Price > prices[b.Col]) {
				t.Fatalf("round %d: bid %+v (row %d expected, columns so far %v)", round, b, rows[k], seen)
			}
			seen[b.Col] = true
			private[b.Col] = b.Price
		}
		for _, b := range bids {
			row := cost[int(b.Row)*m : (int(b.Row)+1)*m]
			best, _, _ := scanBest(row, private)
			if v := float64(row[b.Col]) + private[b.Col]; v > best+eps*(1+1e-9) {
				t.Fatalf("round %d: row %d violates ε-CS: %g > %g + %g", round, b.Row, v, best, eps)
			}
		}
		// Accept the bids, as Resolve would, and raise some prices: the
		// prices of an auction never fall, and they never fall below a
		// block's private prices after its bids are resolved, which is
		// what keeps the cache valid.
		copy(prices, private)
		for range 5 {
			prices[rng.IntN(m)] += rng.Float64() * 2
		}
	}
}

// countdownCtx is a context whose Err reports cancellation from the
// given call on, to cancel a solve at a deterministic point.
type countdownCtx struct {
	context.Context
	left atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestCancelMidway(t *testing.T) {
	const n = 300
	xs, xt := clusteredFeatures(n, n, 19, 5)
	cost := sqDistCost(xs, xt, n, n, 19)
	for _, method := range allMethods {
		for _, calls := range []int64{0, 1, 2, 3, 5, 8, 13, 30, 100, 1000, 1 << 40} {
			for _, m := range []int{n, n - 40} {
				if m != n && method != MethodNetwork {
					continue
				}
				ctx := &countdownCtx{Context: context.Background()}
				ctx.left.Store(calls)
				p, err := Solve(ctx, cost[:n*m], n, m, Options{Method: method, Workers: 2})
				switch {
				case err == nil:
					checkPlan(t, cost[:n*m], n, m, p)
				case !errors.Is(err, context.Canceled) || p != nil:
					t.Errorf("%s after %d checks: plan %v, error %v", method, calls, p != nil, err)
				}
				if calls == 0 && err == nil {
					t.Errorf("%s: cancelled context not noticed", method)
				}
				if calls == 1<<40 && err != nil {
					t.Errorf("%s: %v", method, err)
				}
			}
		}
	}
}

func TestBidRowsArgs(t *testing.T) {
	block := make([]float32, 3*4) // rows 10..12 of a 4-column matrix
	prices := make([]float64, 4)
	cache := NewBidCache(10, 13, 2)
	ok := []int32{10, 12}
	for name, f := range map[string]func() error{
		"row below":  func() error { _, err := BidRows(nil, block, 4, 10, []int32{9}, nil, prices, 1, nil); return err },
		"row above":  func() error { _, err := BidRows(nil, block, 4, 10, []int32{13}, nil, prices, 1, nil); return err },
		"one column": func() error { _, err := BidRows(nil, block, 1, 10, ok, nil, prices, 1, nil); return err },
		"ragged":     func() error { _, err := BidRows(nil, block[:11], 4, 10, ok, nil, prices, 1, nil); return err },
		"prices":     func() error { _, err := BidRows(nil, block, 4, 10, ok, nil, prices[:3], 1, nil); return err },
		"assigned":   func() error { _, err := BidRows(nil, block, 4, 10, ok, make([]int32, 11), prices, 1, nil); return err },
		"bad column": func() error { _, err := BidRows(nil, block, 4, 10, ok, []int32{12: 4}, prices, 1, nil); return err },
		"cache": func() error {
			_, err := BidRows(nil, block, 4, 10, ok, nil, prices, 1, NewBidCache(0, 11, 2))
			return err
		},
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
	bids, err := BidRows(nil, block, 4, 10, ok, nil, prices, 1, cache)
	if err != nil || len(bids) != 2 {
		t.Errorf("valid call: %v, %v", bids, err)
	}
}

func TestResolveChecks(t *testing.T) {
	a := NewAuction(3)
	a.StartPhase(1)
	for name, bids := range map[string][]Bid{
		"missing":   {{Row: 0, Col: 0, Price: 1}, {Row: 1, Col: 1, Price: 1}},
		"twice":     {{Row: 0, Col: 0, Price: 1}, {Row: 0, Col: 1, Price: 1}, {Row: 1, Col: 1, Price: 1}, {Row: 2, Col: 2, Price: 1}},
		"low price": {{Row: 0, Col: 0, Price: 0}, {Row: 1, Col: 1, Price: 1}, {Row: 2, Col: 2, Price: 1}},
		"column":    {{Row: 0, Col: 3, Price: 1}, {Row: 1, Col: 1, Price: 1}, {Row: 2, Col: 2, Price: 1}},
		"row":       {{Row: -1, Col: 0, Price: 1}, {Row: 1, Col: 1, Price: 1}, {Row: 2, Col: 2, Price: 1}},
		"nan":       {{Row: 0, Col: 0, Price: math.NaN()}, {Row: 1, Col: 1, Price: 1}, {Row: 2, Col: 2, Price: 1}},
	} {
		if err := a.Resolve(bids); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Rows 0 and 1 compete for column 0; row 2 takes column 2.
	if err := a.Resolve([]Bid{{Row: 0, Col: 0, Price: 1}, {Row: 1, Col: 0, Price: 2}, {Row: 2, Col: 2, Price: 1}}); err != nil {
		t.Fatal(err)
	}
	if got := a.Pending(); len(got) != 1 || got[0] != 0 {
		t.Fatalf("pending %v, want [0]", got)
	}
	// An assigned row may not bid after the first round of a phase.
	if err := a.Resolve([]Bid{{Row: 0, Col: 1, Price: 1}, {Row: 2, Col: 1, Price: 1}}); err == nil {
		t.Error("bid of an assigned row accepted")
	}
	if err := a.Resolve([]Bid{{Row: 0, Col: 1, Price: 1}}); err != nil || !a.Done() {
		t.Fatalf("%v, done %v", err, a.Done())
	}
	if fmt.Sprint(a.Assignment(), a.Prices()) != "[1 0 2] [2 1 1]" {
		t.Errorf("assignment %v, prices %v", a.Assignment(), a.Prices())
	}
}
