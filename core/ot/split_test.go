package ot

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// remoteCopies are the remote copies of blocks [first, nb) for SplitBlocks:
// their own Target and cost, and every op and reply copied as if it
// crossed postMessage; each op runs on a goroutine of its own, as in
// another worker, while the local blocks work.
func remoteCopies(t *testing.T, p *Problem, first int) func(*Op) func() ([]*Reply, error) {
	t.Helper()
	tgt := NewTarget(p)
	var blocks []*Block
	for _, r := range Partition(p.N)[first:] {
		b := NewBlock(p, tgt, r[0], r[1])
		if _, err := b.Do(&Op{Kind: OpCost}); err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, b)
	}
	return func(op *Op) func() ([]*Reply, error) {
		o := *op
		o.V, o.G, o.F = slices.Clone(op.V), slices.Clone(op.G), slices.Clone(op.F)
		o.Rows, o.Assigned, o.Prices = slices.Clone(op.Rows), slices.Clone(op.Assigned), slices.Clone(op.Prices)
		o.PriceCols, o.PriceVals = slices.Clone(op.PriceCols), slices.Clone(op.PriceVals)
		o.CacheCols, o.CacheBound = slices.Clone(op.CacheCols), slices.Clone(op.CacheBound)
		type result struct {
			reps []*Reply
			err  error
		}
		done := make(chan result, 1)
		go func() {
			var out []*Reply
			for _, b := range blocks {
				r, err := b.Do(&o)
				if err != nil {
					done <- result{nil, err}
					return
				}
				c := *r
				c.Rows, c.Cols, c.Values = slices.Clone(r.Rows), slices.Clone(r.Cols), slices.Clone(r.Values)
				c.CacheCols, c.CacheBound = slices.Clone(r.CacheCols), slices.Clone(r.CacheBound)
				out = append(out, &c)
			}
			done <- result{out, nil}
		}()
		return func() ([]*Reply, error) {
			r := <-done
			return r.reps, r.err
		}
	}
}

// TestSplitBlocks: the exact plan over SplitBlocks, whose remote copies
// bid in the rounds with enough pending rows there, lower the prices of
// their rows and check the certificate, is the plan over the local blocks
// alone, bit for bit (the same columns, duals, cost and rounds), whatever
// blocks are remote and whatever the threshold; on clustered data, on the
// POT fixtures and on a cost full of ties (features on a coarse grid).
func TestSplitBlocks(t *testing.T) {
	problems := map[string]*Problem{
		"clustered-2000": clustered(3, 2000, 2000, 19, 19, 19, 4),
		"emd_n1000_d19":  loadFixture(t, "emd_n1000_d19.json").problem(),
	}
	ties := clustered(5, 1200, 1200, 4, 6, 6, 2)
	for _, x := range [][]float32{ties.Xs, ties.Xt} {
		for i := range x {
			x[i] = float32(math.Round(float64(x[i]) * 2))
		}
	}
	problems["ties-1200"] = ties
	for name, p := range problems {
		want := exactOver(t, NewLocalBlocks(p, 1), p)
		nb := len(Partition(p.N))
		for _, c := range []struct{ first, minRows int }{{nb / 2, 1}, {nb / 2, 40}, {1, 10}, {nb - 1, 1}} {
			t.Run(fmt.Sprintf("%s/first=%d/min=%d", name, c.first, c.minRows), func(t *testing.T) {
				local := NewLocalBlocks(p, 1)
				if _, err := local.Do(&Op{Kind: OpCost}); err != nil {
					t.Fatal(err)
				}
				s := &SplitBlocks{Local: local.Blocks, First: c.first, Remote: remoteCopies(t, p, c.first), MinRows: c.minRows}
				got := exactOver(t, s, p)
				if !samePlan(want, got) {
					t.Errorf("the plan differs from the one over the local blocks alone: cost %.17g, %d rounds; want %.17g, %d rounds",
						got.Cost, got.Iterations, want.Cost, want.Iterations)
				}
				if s.Shared[OpBid] == 0 || s.Shared[OpSlack] == 0 || s.Shared[OpInfeasibility] != 1 {
					t.Errorf("shared operations %v: want bidding rounds, slack passes and one certificate", s.Shared)
				}
				t.Logf("%d rounds, shared %v", got.Iterations, s.Shared)
			})
		}
	}
}

// TestSplitBlocksRemoteErrors: a remote failure, or remote replies that do
// not fit, fail the solve with an error instead of a wrong plan.
func TestSplitBlocksRemoteErrors(t *testing.T) {
	p := clustered(3, 600, 600, 8, 5, 5, 4)
	nb := len(Partition(p.N))
	for name, remote := range map[string]func(ok func(*Op) func() ([]*Reply, error)) func(*Op) func() ([]*Reply, error){
		"fails": func(ok func(*Op) func() ([]*Reply, error)) func(*Op) func() ([]*Reply, error) {
			return func(op *Op) func() ([]*Reply, error) {
				if op.Kind == OpSlack {
					return func() ([]*Reply, error) { return nil, fmt.Errorf("worker 2: gone") }
				}
				return ok(op)
			}
		},
		"short caches": func(ok func(*Op) func() ([]*Reply, error)) func(*Op) func() ([]*Reply, error) {
			return func(op *Op) func() ([]*Reply, error) {
				wait := ok(op)
				return func() ([]*Reply, error) {
					reps, err := wait()
					for _, r := range reps {
						if len(r.CacheBound) > 0 {
							r.CacheBound = r.CacheBound[1:]
						}
					}
					return reps, err
				}
			}
		},
		"missing block": func(ok func(*Op) func() ([]*Reply, error)) func(*Op) func() ([]*Reply, error) {
			return func(op *Op) func() ([]*Reply, error) {
				wait := ok(op)
				return func() ([]*Reply, error) {
					reps, err := wait()
					if op.Kind == OpInfeasibility {
						reps = reps[1:]
					}
					return reps, err
				}
			}
		},
	} {
		local := NewLocalBlocks(p, 1)
		if _, err := local.Do(&Op{Kind: OpCost}); err != nil {
			t.Fatal(err)
		}
		s := &SplitBlocks{Local: local.Blocks, First: nb / 2, Remote: remote(remoteCopies(t, p, nb/2)), MinRows: 1}
		if _, err := ExactOverBlocks(t.Context(), s, p); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
