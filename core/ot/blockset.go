package ot

import (
	"context"
	"runtime"
	"slices"
	"sync"

	"github.com/otceseg/otceseg/core/emd"
)

// BlockSet is the set of row blocks a solver drives. Do sends op to every
// block and returns the replies in block order; blocks may run concurrently.
type BlockSet interface {
	Do(op *Op) ([]*Reply, error)
}

// Exact is implemented by block sets that can compute the exact optimal
// plan of the cost their blocks hold (after OpCost).
type Exact interface {
	ExactPlan(ctx context.Context, p *Problem) (*emd.Plan, error)
}

// LocalBlocks runs the blocks of a problem on goroutines in this process.
// The blocks' cost rows lie in one contiguous matrix.
type LocalBlocks struct {
	Blocks  []*Block
	Workers int // goroutines used; 0 means GOMAXPROCS
	// Yield, when set, is called before each operation (and so before
	// each round of the exact plan's auction, ExactOverBlocks): the
	// browser's sampler returns to the JavaScript event loop there while
	// another repetition iterates on other workers (its single thread
	// runs no other goroutine until this one waits). It changes no bit.
	Yield func()
	dense []float32
}

// ExactPlan solves the exact OT problem on the cost held by the blocks, with
// ExactOverBlocks.
func (l *LocalBlocks) ExactPlan(ctx context.Context, p *Problem) (*emd.Plan, error) {
	return ExactOverBlocks(ctx, l, p)
}

// NewLocalBlocks partitions p's rows (Partition) into blocks that share one
// Target.
func NewLocalBlocks(p *Problem, workers int) *LocalBlocks {
	t := NewTarget(p)
	var bs []*Block
	for _, r := range Partition(p.N) {
		bs = append(bs, NewBlock(p, t, r[0], r[1]))
	}
	return &LocalBlocks{Blocks: bs, Workers: workers}
}

// Do implements BlockSet.
func (l *LocalBlocks) Do(op *Op) ([]*Reply, error) {
	if l.Yield != nil {
		l.Yield()
	}
	w := l.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	if w > len(l.Blocks) {
		w = len(l.Blocks)
	}
	if op.Kind == OpRows && op.Rows != nil {
		w = 1 // copies of a few rows: too little work to share
	}
	var busy []int // OpBid: the blocks holding pending rows
	if op.Kind == OpBid {
		// ExactOverBlocks sends none here: its rounds over a LocalBlocks
		// call the busy blocks directly (localRows). An OpBid sent to a
		// LocalBlocks otherwise (a caller of Do, or a BlockSet wrapping
		// one) runs as in a worker: most bidding rounds of the auction
		// have a few pending rows (at N = 10⁴ on a trained network's
		// logits, 663 424 bids in 109 415 rounds), yet a bid whose row
		// cache is undecided scans the whole row (45 % of those bids):
		// rounds whose rows lie in two blocks or more share those blocks
		// out; the other blocks only take the prices. Each block bids
		// alone, so the bids are the same. The busy blocks' replies are
		// their own reused buffers (Reply).
		busy = pendingBlocks(l.Blocks, op.Rows)
		if len(busy) < 2 {
			w = 1
		}
		w = min(w, len(busy))
	}
	if op.Kind == OpCost && l.dense == nil && len(l.Blocks) > 0 {
		// One contiguous matrix for all blocks' rows.
		m := l.Blocks[0].p.M
		l.dense = make([]float32, l.Blocks[len(l.Blocks)-1].Hi*m)
		for _, b := range l.Blocks {
			b.buf = l.dense[b.Lo*m : b.Hi*m : b.Hi*m]
		}
	}
	out := make([]*Reply, len(l.Blocks))
	errs := make([]error, len(l.Blocks))
	if w <= 1 {
		for i, b := range l.Blocks {
			out[i], errs[i] = b.Do(op)
		}
	} else {
		var wg sync.WaitGroup
		next := make(chan int, len(l.Blocks))
		if busy != nil {
			for i, b := range l.Blocks {
				if !slices.Contains(busy, i) {
					out[i], errs[i] = b.Do(op)
				}
			}
			for _, i := range busy {
				next <- i
			}
		} else {
			for i := range l.Blocks {
				next <- i
			}
		}
		close(next)
		for g := 0; g < w; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					out[i], errs[i] = l.Blocks[i].Do(op)
				}
			}()
		}
		wg.Wait()
	}
	if op.Kind == OpKernel || op.Kind == OpRelease {
		// The blocks own their rows from now on; each frees its part of
		// the matrix when it switches to the sparse form.
		l.dense = nil
	}
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	return out, nil
}

// pendingBlocks returns the indices of the blocks that hold a row of rows
// (ascending, as an OpBid carries them).
func pendingBlocks(blocks []*Block, rows []int32) []int {
	var busy []int
	for i, b := range blocks {
		lo, _ := slices.BinarySearch(rows, int32(b.Lo))
		hi, _ := slices.BinarySearch(rows, int32(b.Hi))
		if lo < hi {
			busy = append(busy, i)
		}
	}
	return busy
}
