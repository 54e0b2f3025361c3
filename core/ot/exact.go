package ot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/otceseg/otceseg/core/emd"
)

// errNoCost reports an exact operation on a block that no longer holds the
// cost.
var errNoCost = errors.New("ot: the exact solver needs the cost, which the blocks no longer hold")

// ExactOverBlocks computes the exact optimal transport plan of p on the cost
// its blocks hold (after OpCost, before OpKernel), driving the blocks with
// the exact solver's operations.
//
// When N == M (OTCE samples as many pixels in both domains) it runs the
// auction of emd.SolveRows: each block bids for its pending rows with its
// own bid cache (OpBid; over a LocalBlocks, whose blocks share the
// caller's memory, the busy blocks' emd.RowBlock is called directly
// against the caller's prices instead: localRows) and runs the
// price-lowering passes over its rows (OpSlack); the reduce of the bids,
// the price updates and the augmenting
// paths run in the caller, which reads the blocks' caches (OpCached) and,
// rarely, single rows (OpRows); the certificate is checked in the blocks
// (OpInfeasibility). The caller holds O(N) memory (about 2 MB at N = 10⁴)
// besides the blocks.
//
// When N != M, or N == 1, the rows are gathered into a dense N×M matrix in
// the caller (OpRows), which emd.Solve solves with the network simplex: it
// is meant for N, M up to a few thousand, where the matrix is at most a
// few tens of MB.
//
// The plan depends on the costs and on the partition of the rows
// (Partition) only, so every BlockSet — goroutines in the CLI, web workers
// in the browser — gives the same plan, bit for bit.
func ExactOverBlocks(ctx context.Context, bs BlockSet, p *Problem) (*emd.Plan, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if p.N != p.M || p.N < 2 {
		reps, err := bs.Do(&Op{Kind: OpRows})
		if err != nil {
			return nil, err
		}
		dense := make([]float32, 0, p.N*p.M)
		for _, r := range reps {
			dense = append(dense, r.Costs...)
		}
		if len(dense) != p.N*p.M {
			return nil, fmt.Errorf("ot: the blocks hold %d costs, want %d×%d", len(dense), p.N, p.M)
		}
		return emd.Solve(ctx, dense, p.N, p.M, emd.Options{Workers: 1})
	}
	br := &blockRows{bs: bs, n: p.N}
	if l, ok := bs.(*LocalBlocks); ok {
		return emd.SolveRows(ctx, &localRows{blockRows: br, l: l}, p.N)
	}
	return emd.SolveRows(ctx, br, p.N)
}

// localRows is blockRows over the blocks of a LocalBlocks, which share the
// caller's memory: its bidding rounds call the emd.RowBlock of each block
// holding pending rows directly, against the caller's prices (BidAt), and
// leave the other blocks alone, instead of an OpBid to every block, each
// updating its copy of the prices and searching the pending rows for its
// own. The bids are the same, bit for bit: a block's copy of the prices
// is the caller's. On a trained network's logits (N = 10⁴, 16 blocks,
// 109 415 rounds, a few pending rows in most) the operations to the idle
// blocks were a tenth of the page's exact plan. As LocalBlocks.Do, rounds
// with two busy blocks or more share them out on the goroutines.
type localRows struct {
	*blockRows
	l    *LocalBlocks
	busy [][3]int // block, first and end index in the round's pending rows
	bufs [][]emd.Bid
	errs []error
}

func (r *localRows) Bid(ctx context.Context, dst []emd.Bid, round *emd.BidRound) ([]emd.Bid, error) {
	// A round is an operation of the blocks' as an OpBid was: the
	// browser's sampler returns to the event loop here (LocalBlocks.Yield).
	if r.l.Yield != nil {
		r.l.Yield()
	}
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	blocks, pending := r.l.Blocks, round.Pending
	if len(r.bufs) != len(blocks) {
		r.bufs, r.errs = make([][]emd.Bid, len(blocks)), make([]error, len(blocks))
	}
	// The blocks' rows of pending (ascending), in one pass.
	r.busy = r.busy[:0]
	k := 0
	for i, b := range blocks {
		if k < len(pending) && int(pending[k]) < b.Lo {
			break // a row before the block: not in the partition
		}
		lo := k
		for k < len(pending) && int(pending[k]) < b.Hi {
			k++
		}
		if k > lo {
			if b.ex == nil || b.eps != 0 || b.sparse || b.buf == nil {
				return dst, fmt.Errorf("ot: %v asked before the exact solve started", OpBid)
			}
			if round.Assigned != nil && len(round.Assigned) != r.n {
				return dst, errors.New("ot: bid with a short assignment")
			}
			r.busy = append(r.busy, [3]int{i, lo, k})
		}
	}
	if k != len(pending) || len(round.Prices) != r.n {
		return dst, errors.New("ot: bid for rows outside the blocks or with a short price vector")
	}
	w := r.l.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	if w = min(w, len(r.busy)); w <= 1 {
		for _, s := range r.busy {
			r.bid(s, round)
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		wg.Add(w)
		for range w {
			go func() {
				defer wg.Done()
				for t := int(next.Add(1)) - 1; t < len(r.busy); t = int(next.Add(1)) - 1 {
					r.bid(r.busy[t], round)
				}
			}()
		}
		wg.Wait()
	}
	for _, s := range r.busy {
		if err := r.errs[s[0]]; err != nil {
			return dst, err
		}
		dst = append(dst, r.bufs[s[0]]...)
	}
	return dst, nil
}

// bid runs the bids of busy block s (block, first and end index in
// round.Pending) into its buffer. A method, not a closure in Bid: that
// closure escaped to the goroutines, an allocation a round even on one.
func (r *localRows) bid(s [3]int, round *emd.BidRound) {
	b := r.l.Blocks[s[0]]
	r.bufs[s[0]], r.errs[s[0]] = b.ex.BidAt(r.bufs[s[0]][:0], round.Pending[s[1]:s[2]], round.Assigned, round.Prices, round.Eps)
}

// blockRows implements emd.Rows over the blocks of a BlockSet.
type blockRows struct {
	bs BlockSet
	n  int
	// bid is the operation of the bidding rounds, reused from round to
	// round with its PriceVals (the blocks do not keep an Op).
	bid Op
}

func (r *blockRows) do(ctx context.Context, op *Op) ([]*Reply, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r.bs.Do(op)
}

func (r *blockRows) Range(ctx context.Context) (float64, float64, error) {
	reps, err := r.do(ctx, &Op{Kind: OpExactStart})
	if err != nil {
		return 0, 0, err
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, rep := range reps {
		if rep.Zero != 0 {
			return 0, 0, errors.New("ot: the cost matrix has a NaN or infinite entry")
		}
		lo, hi = math.Min(lo, rep.Min), math.Max(hi, rep.Max)
	}
	return lo, hi, nil
}

func (r *blockRows) Bid(ctx context.Context, dst []emd.Bid, round *emd.BidRound) ([]emd.Bid, error) {
	op := &r.bid
	*op = Op{Kind: OpBid, Rows: round.Pending, Assigned: round.Assigned, Eps: round.Eps, PriceVals: op.PriceVals[:0]}
	if round.AllChanged {
		op.Prices, op.PriceVals = round.Prices, nil
	} else {
		op.PriceCols = round.Changed
		for _, j := range round.Changed {
			op.PriceVals = append(op.PriceVals, round.Prices[j])
		}
	}
	reps, err := r.do(ctx, op)
	if err != nil {
		return dst, err
	}
	for _, rep := range reps {
		if len(rep.Cols) != len(rep.Rows) || len(rep.Values) != len(rep.Rows) {
			return dst, errors.New("ot: malformed bids")
		}
		for k, row := range rep.Rows {
			dst = append(dst, emd.Bid{Row: row, Col: rep.Cols[k], Price: rep.Values[k]})
		}
	}
	return dst, nil
}

// concat copies the blocks' per-row replies, in block order, into dst,
// which they must fill exactly.
func concat[T any](dst []T, reps []*Reply, part func(*Reply) []T) error {
	off := 0
	for _, rep := range reps {
		s := part(rep)
		if off+len(s) > len(dst) {
			return errors.New("ot: the blocks replied with too many rows")
		}
		off += copy(dst[off:], s)
	}
	if off != len(dst) {
		return errors.New("ot: the blocks replied with too few rows")
	}
	return nil
}

func (r *blockRows) Slack(ctx context.Context, slack []float64, x []int32, prices []float64, lower float64) error {
	reps, err := r.do(ctx, &Op{Kind: OpSlack, Assigned: x, Prices: prices, Lower: lower})
	if err != nil {
		return err
	}
	return concat(slack, reps, func(rep *Reply) []float64 { return rep.Values })
}

func (r *blockRows) Cached(ctx context.Context, x []int32, c *emd.RowCache) error {
	reps, err := r.do(ctx, &Op{Kind: OpCached, Assigned: x})
	if err != nil {
		return err
	}
	return errors.Join(
		concat(c.Cols, reps, func(rep *Reply) []int32 { return rep.Cols }),
		concat(c.Costs, reps, func(rep *Reply) []float32 { return rep.Costs }),
		concat(c.Bound, reps, func(rep *Reply) []float64 { return rep.Values }),
		concat(c.Assigned, reps, func(rep *Reply) []float32 { return rep.AssignedCost }),
	)
}

func (r *blockRows) Row(ctx context.Context, i int) ([]float32, error) {
	reps, err := r.do(ctx, &Op{Kind: OpRows, Rows: []int32{int32(i)}})
	if err != nil {
		return nil, err
	}
	for _, rep := range reps {
		if len(rep.Costs) > 0 {
			if len(rep.Costs) != r.n {
				return nil, errors.New("ot: a block replied with a row of the wrong length")
			}
			return rep.Costs, nil
		}
	}
	return nil, fmt.Errorf("ot: no block holds row %d", i)
}

func (r *blockRows) Infeasibility(ctx context.Context, u, v []float64) (float64, error) {
	reps, err := r.do(ctx, &Op{Kind: OpInfeasibility, F: u, G: v})
	if err != nil {
		return 0, err
	}
	worst := math.Inf(-1)
	for _, rep := range reps {
		worst = math.Max(worst, rep.Max)
	}
	return worst, nil
}

// exact performs the exact solver's operations on the block.
func (b *Block) exact(op *Op) (*Reply, error) {
	if b.eps != 0 || b.sparse || b.buf == nil {
		return nil, errNoCost
	}
	m := b.p.M
	switch op.Kind {
	case OpExactStart:
		if err := b.startExact(); err != nil {
			return nil, err
		}
		lo, hi, ok := b.ex.Range()
		rep := &Reply{Min: lo, Max: hi}
		if !ok {
			rep.Zero = 1
		}
		return rep, nil
	case OpRows:
		rep := &Reply{}
		if op.Rows == nil {
			rep.Costs = b.buf[:b.rows()*m]
			return rep, nil
		}
		for _, i := range op.Rows {
			if int(i) >= b.Lo && int(i) < b.Hi {
				r := int(i) - b.Lo
				rep.Costs = append(rep.Costs, b.buf[r*m:(r+1)*m]...)
			}
		}
		return rep, nil
	}
	if b.ex == nil {
		return nil, fmt.Errorf("ot: %v asked before the exact solve started", op.Kind)
	}
	var cached []int32 // this block's rows of op.Rows, when op carries their caches
	if op.CacheCols != nil || op.CacheBound != nil {
		var err error
		if cached, err = b.loadCache(op); err != nil {
			return nil, err
		}
	}
	rep, err := b.exactOp(op)
	if err != nil || cached == nil {
		return rep, err
	}
	if rep == noBids {
		rep = &Reply{}
	}
	k := b.ex.CacheSize()
	rep.CacheCols, rep.CacheBound = make([]int32, len(cached)*k), make([]float64, len(cached))
	return rep, b.ex.CacheRows(cached, rep.CacheCols, rep.CacheBound)
}

// loadCache loads the bid caches op carries for the block's rows of op.Rows
// and returns those rows.
func (b *Block) loadCache(op *Op) ([]int32, error) {
	k := b.ex.CacheSize()
	if (op.Kind != OpBid && op.Kind != OpSlack) || len(op.CacheCols) != len(op.Rows)*k || len(op.CacheBound) != len(op.Rows) {
		return nil, fmt.Errorf("ot: %v with bid caches for %d rows (%d columns, %d bounds)", op.Kind, len(op.Rows), len(op.CacheCols), len(op.CacheBound))
	}
	lo, _ := slices.BinarySearch(op.Rows, int32(b.Lo))
	hi, _ := slices.BinarySearch(op.Rows, int32(b.Hi))
	if op.Kind == OpSlack && hi-lo != b.rows() {
		return nil, errors.New("ot: a slack pass with bid caches must carry all the block's rows")
	}
	rows := op.Rows[lo:hi]
	if err := b.ex.SetCacheRows(rows, op.CacheCols[lo*k:hi*k], op.CacheBound[lo:hi]); err != nil {
		return nil, err
	}
	return rows, nil
}

// exactOp performs the exact solver's operations that need the block's
// emd.RowBlock.
func (b *Block) exactOp(op *Op) (*Reply, error) {
	n := b.p.M
	switch op.Kind {
	case OpBid:
		if op.Prices != nil {
			if len(op.Prices) != n {
				return nil, errors.New("ot: bid with a short price vector")
			}
			b.ex.SetPrices(op.Prices)
		}
		if err := b.ex.UpdatePrices(op.PriceCols, op.PriceVals); err != nil {
			return nil, err
		}
		if op.Assigned != nil && len(op.Assigned) != n {
			return nil, errors.New("ot: bid with a short assignment")
		}
		bids, err := b.ex.Bid(b.bids[:0], op.Rows, op.Assigned, op.Eps)
		if err != nil {
			return nil, err
		}
		b.bids = bids
		if len(bids) == 0 {
			// Most blocks have no pending row in most rounds: one shared
			// empty reply, which nobody writes to, instead of an allocation
			// a block and a round (71 000 rounds at N = 10⁴).
			return noBids, nil
		}
		// One reply a block, its slices reused from round to round: the
		// caller reads the bids before the block's next operation (a
		// reply and three slices a block and a round were a twentieth of
		// the page's exact plan, with the collections they caused).
		rep := &b.bidRep
		*rep = Reply{Rows: rep.Rows[:0], Cols: rep.Cols[:0], Values: rep.Values[:0]}
		for _, bid := range bids {
			rep.Rows = append(rep.Rows, bid.Row)
			rep.Cols = append(rep.Cols, bid.Col)
			rep.Values = append(rep.Values, bid.Price)
		}
		return rep, nil
	case OpSlack:
		if err := checkAssigned(op.Assigned, n); err != nil || len(op.Prices) != n {
			return nil, errors.New("ot: slack pass with a malformed assignment or prices")
		}
		rep := &Reply{Values: make([]float64, b.rows())}
		b.ex.Slack(rep.Values, op.Assigned, op.Prices, op.Lower)
		return rep, nil
	case OpCached:
		if err := checkAssigned(op.Assigned, n); err != nil {
			return nil, err
		}
		k, rows := b.ex.CacheSize(), b.rows()
		rep := &Reply{Cols: make([]int32, rows*k), Costs: make([]float32, rows*k), Values: make([]float64, rows), AssignedCost: make([]float32, rows)}
		b.ex.Cached(op.Assigned, rep.Cols, rep.Costs, rep.Values, rep.AssignedCost)
		return rep, nil
	case OpInfeasibility:
		if len(op.F) != n || len(op.G) != n {
			return nil, errors.New("ot: infeasibility asked with potentials of the wrong length")
		}
		return &Reply{Max: b.ex.Infeasibility(op.F, op.G)}, nil
	}
	return nil, fmt.Errorf("ot: unknown block operation %d", op.Kind)
}

// startExact starts the block's part of an exact solve (OpExactStart without
// the range of its costs).
func (b *Block) startExact() error {
	if b.eps != 0 || b.sparse || b.buf == nil {
		return errNoCost
	}
	if b.p.N != b.p.M {
		return errors.New("ot: the auction needs as many source as target points")
	}
	b.ex = emd.NewRowBlock(b.buf, b.p.M, b.Lo)
	return nil
}

// noBids is the reply of a block without bids in a round of the auction.
var noBids = &Reply{}

// checkAssigned checks an assignment of n rows to n columns.
func checkAssigned(x []int32, n int) error {
	if len(x) != n {
		return errors.New("ot: assignment of the wrong length")
	}
	for _, j := range x {
		if j < -1 || int(j) >= n {
			return errors.New("ot: assignment out of range")
		}
	}
	return nil
}
