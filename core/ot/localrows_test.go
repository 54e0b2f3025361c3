package ot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"testing"

	"github.com/otceseg/otceseg/core/emd"
)

// opBidBlocks hides a LocalBlocks' type from ExactOverBlocks: its bidding
// rounds then go to every block as an OpBid through LocalBlocks.Do (the
// busy blocks on goroutines, each block's reply its reused bidRep, read in
// place), not through localRows.
type opBidBlocks struct{ l *LocalBlocks }

func (o opBidBlocks) Do(op *Op) ([]*Reply, error) { return o.l.Do(op) }

// localBlocks returns the blocks of p over the rows ranges parts (in
// order, covering [0, N)), sharing one Target, on workers goroutines.
func localBlocks(p *Problem, parts [][2]int, workers int) *LocalBlocks {
	t := NewTarget(p)
	l := &LocalBlocks{Workers: workers}
	for _, r := range parts {
		l.Blocks = append(l.Blocks, NewBlock(p, t, r[0], r[1]))
	}
	return l
}

// tiedProblem is clustered(seed, n, n, d, 3, 3, 1) with its features
// rounded to integers and every source point repeated in the next rows up
// to reps times: integer costs with many ties and equal rows, which bid
// for the same columns (a block's private prices).
func tiedProblem(seed uint64, n, d, reps int) *Problem {
	p := clustered(seed, n, n, d, 3, 3, 1)
	for k := range p.Xs {
		p.Xs[k] = float32(math.Round(float64(p.Xs[k])))
	}
	for k := range p.Xt {
		p.Xt[k] = float32(math.Round(float64(p.Xt[k])))
	}
	for i := range n {
		if i%reps != 0 {
			copy(p.Xs[i*d:(i+1)*d], p.Xs[(i-i%reps)*d:(i-i%reps+1)*d])
		}
	}
	return p
}

// TestLocalRowsSameAsOpBid: ExactOverBlocks over a LocalBlocks, whose
// bidding rounds call the busy blocks' emd.RowBlock.BidAt against the
// caller's prices (localRows), finds the plan that the same blocks find
// when every round is an OpBid to all of them (each updating its copy of
// the prices, its reply reused from round to round), bit for bit, with 1
// goroutine and with 3; on partitions with blocks of one row, uneven
// blocks, pending rows in several blocks, tied costs and equal rows (the
// blocks' private prices), and N = 2 and 3.
func TestLocalRowsSameAsOpBid(t *testing.T) {
	type c struct {
		name  string
		p     *Problem
		parts [][2]int
	}
	var cases []c
	p := clustered(5, 300, 300, 6, 4, 4, 2)
	cases = append(cases,
		c{"clustered-partition", p, Partition(300)},
		c{"clustered-one-row-blocks", p, [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 150}, {150, 151}, {151, 299}, {299, 300}}},
	)
	var even [][2]int
	for b := range 16 {
		even = append(even, [2]int{300 * b / 16, 300 * (b + 1) / 16})
	}
	tied := tiedProblem(6, 300, 3, 5)
	cases = append(cases,
		c{"tied-16-blocks", tied, even},
		c{"tied-one-row-blocks", tied, [][2]int{{0, 1}, {1, 7}, {7, 8}, {8, 200}, {200, 300}}},
	)
	for _, n := range []int{2, 3} {
		q := clustered(uint64(n), n, n, 2, 1, 1, 1)
		var ones [][2]int
		for i := range n {
			ones = append(ones, [2]int{i, i + 1})
		}
		cases = append(cases, c{fmt.Sprintf("n%d-one-block", n), q, [][2]int{{0, n}}}, c{fmt.Sprintf("n%d-one-row-blocks", n), q, ones})
	}
	for _, tc := range cases {
		ref := exactOver(t, opBidBlocks{localBlocks(tc.p, tc.parts, 1)}, tc.p)
		for _, w := range []int{1, 3} {
			for _, bs := range []BlockSet{localBlocks(tc.p, tc.parts, w), opBidBlocks{localBlocks(tc.p, tc.parts, w)}} {
				if got := exactOver(t, bs, tc.p); !samePlan(ref, got) {
					t.Errorf("%s: the plan over %T with %d goroutines differs from OpBid's with 1 (cost %.17g, %.17g; %d, %d rounds)",
						tc.name, bs, w, got.Cost, ref.Cost, got.Iterations, ref.Iterations)
				}
			}
		}
		t.Logf("%s: %d blocks, %d rounds, cost %.12g", tc.name, len(tc.parts), ref.Iterations, ref.Cost)
	}
}

// countdownCtx is a context whose Err reports cancellation from the given
// call on, to cancel a solve at a deterministic point.
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

// TestExactOverBlocksCancel: ExactOverBlocks over LocalBlocks (localRows'
// rounds) with 1 and 3 goroutines, cancelled at its 0th … 1000th check of
// the context, returns context.Canceled and no plan, or, past its last
// check, the plan of the uncancelled solve; and it checks the context
// again at most once after the check that reported the cancellation.
func TestExactOverBlocksCancel(t *testing.T) {
	p := clustered(7, 400, 400, 6, 4, 4, 2)
	want := exactOver(t, NewLocalBlocks(p, 1), p)
	for _, w := range []int{1, 3} {
		for _, calls := range []int64{0, 1, 2, 3, 5, 8, 30, 100, 1000, 1 << 40} {
			bs := NewLocalBlocks(p, w)
			if _, err := bs.Do(&Op{Kind: OpCost}); err != nil {
				t.Fatal(err)
			}
			ctx := &countdownCtx{Context: context.Background()}
			ctx.left.Store(calls)
			plan, err := ExactOverBlocks(ctx, bs, p)
			switch {
			case err == nil && !samePlan(plan, want):
				t.Errorf("%d goroutines, cancelled at check %d: a plan other than the uncancelled one", w, calls)
			case err != nil && (!errors.Is(err, context.Canceled) || plan != nil):
				t.Errorf("%d goroutines, cancelled at check %d: plan %v, error %v", w, calls, plan != nil, err)
			case calls == 1<<40 && err != nil:
				t.Errorf("%d goroutines: %v", w, err)
			}
			if left := ctx.left.Load(); err != nil && left < -2 {
				t.Errorf("%d goroutines, cancelled at check %d: %d more checks after the cancellation", w, calls, -left-1)
			}
		}
	}
}

// TestLocalRowsNoAllocs: a bidding round of localRows on one goroutine (the
// page's sampler runs LocalBlocks with Workers = 1, 10⁵ rounds a
// repetition) allocates nothing once its buffers have grown, like the
// blocks' OpBid path it replaced.
func TestLocalRowsNoAllocs(t *testing.T) {
	p := clustered(5, 300, 300, 6, 4, 4, 2)
	l := NewLocalBlocks(p, 1)
	if _, err := l.Do(&Op{Kind: OpCost}); err != nil {
		t.Fatal(err)
	}
	r := &localRows{blockRows: &blockRows{bs: l, n: p.N}, l: l}
	if _, _, err := r.Range(context.Background()); err != nil {
		t.Fatal(err)
	}
	round := &emd.BidRound{Pending: []int32{3, 100, 101, 250}, Prices: make([]float64, p.N), Eps: 0.1, AllChanged: true}
	var dst []emd.Bid
	bid := func() {
		var err error
		if dst, err = r.Bid(context.Background(), dst[:0], round); err != nil || len(dst) != len(round.Pending) {
			t.Fatalf("%d bids, error %v", len(dst), err)
		}
	}
	bid()
	if n := testing.AllocsPerRun(50, bid); n != 0 {
		t.Errorf("%v allocations a round", n)
	}
}
