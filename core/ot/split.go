package ot

import (
	"errors"
	"fmt"
	"slices"
)

// SplitBlocks is a BlockSet for ExactOverBlocks whose blocks are all here
// (Local: the whole partition, in order) while blocks [First, len(Local))
// also live elsewhere (Remote), where operations on those copies run at
// the same time as the operations here. It is the browser's sampler
// worker, which holds every cost row to run the auction without a message
// a bidding round, and the other workers, which computed the rows from
// First on and keep them.
//
// The operations that scan many rows share the work: a bidding round with
// at least MinRows pending rows in the remote blocks, every
// price-lowering pass, and the certificate. The remote copies then get the
// bid caches of their rows with the operation and send them back, which
// the local copies adopt: the caches are the only state the auction's
// blocks keep between operations (emd.RowBlock.CacheRows), so every later
// operation here runs as if the local copies had done the work. Every
// other operation, and the rounds with fewer pending rows there, whose
// messages would cost more than their work, run here alone. The replies
// are those of the local blocks bit for bit, so the plan is the one
// ExactOverBlocks finds over the local blocks alone, and the CLI's.
type SplitBlocks struct {
	Local []*Block
	// First is the first of the blocks that Remote also holds.
	First int
	// Remote starts op on the remote copies of blocks [First, len(Local))
	// and returns a function that waits for their replies, in block
	// order. It must not keep op, nor its slices, past the wait.
	Remote func(op *Op) (wait func() ([]*Reply, error))
	// MinRows is the fewest pending rows of the remote blocks for which a
	// bidding round is shared.
	MinRows int
	// Shared counts the operations run on both sides, by kind.
	Shared map[OpKind]int

	prices []float64 // the prices of the last bidding round
}

// Do implements BlockSet.
func (s *SplitBlocks) Do(op *Op) ([]*Reply, error) {
	if s.First < 0 || s.First > len(s.Local) {
		return nil, fmt.Errorf("ot: remote blocks from %d of %d", s.First, len(s.Local))
	}
	if s.First == len(s.Local) || s.Remote == nil {
		return s.local(op, 0, len(s.Local))
	}
	switch op.Kind {
	case OpExactStart:
		// The remote copies start their auction and scan their costs'
		// range; the local copies of their blocks only start.
		s.prices = nil
		wait := s.Remote(op)
		reps, err := s.local(op, 0, s.First)
		for _, b := range s.Local[s.First:] {
			if err == nil {
				err = b.startExact()
			}
		}
		return s.join(reps, err, wait)
	case OpBid:
		s.track(op)
		k, _ := slices.BinarySearch(op.Rows, int32(s.Local[s.First].Lo))
		if s.prices == nil || len(op.Rows)-k < max(s.MinRows, 1) {
			return s.local(op, 0, len(s.Local))
		}
		rows := op.Rows[k:]
		remote := &Op{Kind: OpBid, Rows: rows, Assigned: op.Assigned, Eps: op.Eps, Prices: s.prices}
		// The local copies take the round's prices without bidding.
		prices := *op
		prices.Rows, prices.Assigned = nil, nil
		return s.shared(op, remote, &prices)
	case OpSlack:
		var rows []int32
		for _, b := range s.Local[s.First:] {
			for i := b.Lo; i < b.Hi; i++ {
				rows = append(rows, int32(i))
			}
		}
		remote := &Op{Kind: OpSlack, Rows: rows, Assigned: op.Assigned, Prices: op.Prices, Lower: op.Lower}
		return s.shared(op, remote, nil)
	case OpInfeasibility:
		return s.shared(op, op, nil)
	}
	return s.local(op, 0, len(s.Local))
}

// track keeps the prices of the bidding rounds: all of them, or the
// changes since the last round.
func (s *SplitBlocks) track(op *Op) {
	switch {
	case op.Prices != nil:
		s.prices = append(s.prices[:0], op.Prices...)
	case s.prices != nil:
		for k, j := range op.PriceCols {
			if j < 0 || int(j) >= len(s.prices) || k >= len(op.PriceVals) {
				s.prices = nil // malformed: the local blocks will say so
				return
			}
			s.prices[j] = op.PriceVals[k]
		}
	}
}

// shared runs op on the local blocks before First, remote on the remote
// copies, and then, if not nil, rest on the local copies of the remote
// blocks. When remote carries rows (OpBid, OpSlack), the caches of those
// rows go with it and come back into the local copies.
func (s *SplitBlocks) shared(op, remote, rest *Op) ([]*Reply, error) {
	if remote.Rows != nil {
		if err := s.caches(remote); err != nil {
			return nil, err
		}
	}
	wait := s.Remote(remote)
	reps, err := s.local(op, 0, s.First)
	if err == nil && rest != nil {
		_, err = s.local(rest, s.First, len(s.Local))
	}
	n := len(reps)
	all, err := s.join(reps, err, wait)
	if err != nil {
		return nil, err
	}
	if remote.Rows != nil {
		if err := s.adopt(remote.Rows, all[n:]); err != nil {
			return nil, err
		}
	}
	if s.Shared == nil {
		s.Shared = map[OpKind]int{}
	}
	s.Shared[op.Kind]++
	return all, nil
}

// join awaits the remote replies (whatever happened here, so that the
// next operation's replies are not taken for these) and returns the local
// replies reps followed by them, or the first error: err from here, the
// remote one, or a remote reply count that is not one a remote block.
func (s *SplitBlocks) join(reps []*Reply, err error, wait func() ([]*Reply, error)) ([]*Reply, error) {
	rreps, rerr := wait()
	if err != nil {
		return nil, err
	}
	if rerr != nil {
		return nil, rerr
	}
	if len(rreps) != len(s.Local)-s.First {
		return nil, fmt.Errorf("ot: %d replies from %d remote blocks", len(rreps), len(s.Local)-s.First)
	}
	return append(reps, rreps...), nil
}

// caches sets remote's CacheCols and CacheBound to the local copies' bid
// caches of remote.Rows.
func (s *SplitBlocks) caches(remote *Op) error {
	k, err := s.cacheSize()
	if err != nil {
		return err
	}
	remote.CacheCols = make([]int32, len(remote.Rows)*k)
	remote.CacheBound = make([]float64, len(remote.Rows))
	for _, b := range s.Local[s.First:] {
		lo, hi := rowsIn(remote.Rows, b)
		if err := b.ex.CacheRows(remote.Rows[lo:hi], remote.CacheCols[lo*k:hi*k], remote.CacheBound[lo:hi]); err != nil {
			return err
		}
	}
	return nil
}

// adopt loads the caches of rows that the remote blocks' replies carry
// into the local copies.
func (s *SplitBlocks) adopt(rows []int32, reps []*Reply) error {
	k, err := s.cacheSize()
	if err != nil {
		return err
	}
	for t, b := range s.Local[s.First:] {
		lo, hi := rowsIn(rows, b)
		rep := reps[t]
		if rep == nil || len(rep.CacheCols) != (hi-lo)*k || len(rep.CacheBound) != hi-lo {
			return fmt.Errorf("ot: a remote block sent back the bid caches of the wrong rows (block at row %d)", b.Lo)
		}
		if err := b.ex.SetCacheRows(rows[lo:hi], rep.CacheCols, rep.CacheBound); err != nil {
			return err
		}
		rep.CacheCols, rep.CacheBound = nil, nil
	}
	return nil
}

// cacheSize returns the bid cache's columns a row of the remote blocks'
// local copies.
func (s *SplitBlocks) cacheSize() (int, error) {
	for _, b := range s.Local[s.First:] {
		if b.ex == nil {
			return 0, errors.New("ot: a bid cache asked before the exact solve started")
		}
	}
	return s.Local[s.First].ex.CacheSize(), nil
}

// rowsIn returns the range of the ascending rows that lie in block b.
func rowsIn(rows []int32, b *Block) (lo, hi int) {
	lo, _ = slices.BinarySearch(rows, int32(b.Lo))
	hi, _ = slices.BinarySearch(rows, int32(b.Hi))
	return lo, hi
}

// local runs op on the local blocks [from, to), in order.
func (s *SplitBlocks) local(op *Op, from, to int) ([]*Reply, error) {
	reps := make([]*Reply, 0, to-from)
	for _, b := range s.Local[from:to] {
		r, err := b.Do(op)
		if err != nil {
			return nil, err
		}
		reps = append(reps, r)
	}
	return reps, nil
}
