package ot

import (
	"runtime"
	"sync"
)

// BlockSet is the set of row blocks a solver drives. Do sends op to every
// block and returns the replies in block order; blocks may run concurrently.
type BlockSet interface {
	Do(op *Op) ([]*Reply, error)
}

// LocalBlocks runs the blocks of a problem on goroutines in this process.
type LocalBlocks struct {
	Blocks  []*Block
	Workers int // goroutines used; 0 means GOMAXPROCS
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
	w := l.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	if w > len(l.Blocks) {
		w = len(l.Blocks)
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
		for i := range l.Blocks {
			next <- i
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
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	return out, nil
}
