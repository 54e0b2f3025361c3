//go:build js && wasm

package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"syscall/js"
	"time"

	"github.com/otceseg/otceseg/core/emd"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/schedule"
	"github.com/otceseg/otceseg/wasm/internal/proto"
	"github.com/otceseg/otceseg/wasm/internal/wire"
)

// The sampler drives a solve over the pool (Score, blockFactory) itself: it runs the
// solver, hosts its own blocks, and sends each block operation to the other
// workers through a MessagePort each (KindPort: the page makes a
// MessageChannel per other worker when it starts the pool). A round of the
// Sinkhorn iteration is then one message to each other worker and its
// answer, instead of a message to every worker and back through the page's
// main thread, which also draws the page: at N = 10⁴ (d = 19, raw cost) an
// iteration's messages and waiting cost about 4.4 ms through the page and
// 2 ms this way.
// The blocks, their partition and the reduction tree are the page's and the
// CLI's, so the score is the same, bit for bit.

// peer is the sampler's end of a MessageChannel to another worker.
type peer struct {
	port    js.Value
	replies chan js.Value
	next    int
	// inFlight are the requests sent and not yet answered, oldest first
	// (the worker answers in order): at most maxInFlight.
	inFlight []sent
	fn       js.Func
}

// sent is a request in flight: its number and kind.
type sent struct {
	id   int
	kind proto.Kind
}

// maxInFlight is the most requests the sampler has in flight to one peer:
// a team's member gets the Job and lookAhead repetitions beyond the one
// awaited (teamRep); everything else sends one and waits for its answer.
const maxInFlight = lookAhead + 2

// connect handles KindPort: the sampler keeps the port as its way to worker
// index; any other worker answers the requests that come on it.
func (w *worker) connect(index int, port js.Value) {
	if index <= 0 {
		// A worker other than the sampler: requests on the port are queued
		// with the others, and their responses go back on the port.
		port.Set("onmessage", js.FuncOf(func(_ js.Value, args []js.Value) any {
			enqueue(message{data: args[0].Get("data"), reply: port})
			return nil
		}))
		return
	}
	for len(w.peers) <= index {
		w.peers = append(w.peers, nil)
	}
	if old := w.peers[index]; old != nil {
		old.port.Call("close")
		old.fn.Release()
	}
	p := &peer{port: port, replies: make(chan js.Value, maxInFlight)}
	p.fn = js.FuncOf(func(_ js.Value, args []js.Value) any {
		select {
		case p.replies <- args[0].Get("data"):
		default:
			// At most maxInFlight requests are in flight: another answer
			// is a bug of the protocol, and blocking here would freeze the
			// worker.
			panic("worker: an unexpected message on a peer's port")
		}
		return nil
	})
	port.Set("onmessage", p.fn)
	w.peers[index] = p
}

// send posts req to the peer; wait then reads its response.
func (p *peer) send(req proto.Request) {
	if len(p.inFlight) == maxInFlight {
		panic("worker: too many requests in flight to a peer")
	}
	p.next++
	p.inFlight = append(p.inFlight, sent{p.next, req.Kind()})
	obj, transfer := proto.EncodeRequest(p.next, req)
	p.port.Call("postMessage", obj, wire.Transfer(transfer))
}

// wait fills r, of the type the oldest request in flight asks for
// (proto.Asks), with its response, and returns the response's error.
func (p *peer) wait(r proto.Response, bench map[string]float64) error {
	if len(p.inFlight) == 0 {
		return errors.New("an answer awaited with no request in flight")
	}
	return p.decode(<-p.replies, r, bench)
}

// poll fills r, as wait does, if the answer to the oldest request in flight
// has come (ok), without waiting for it. An answer is delivered only while
// this worker's Go code waits: call yieldJS first.
func (p *peer) poll(r proto.Response, bench map[string]float64) (ok bool, err error) {
	if len(p.inFlight) == 0 {
		return false, errors.New("an answer polled for with no request in flight")
	}
	select {
	case data := <-p.replies:
		return true, p.decode(data, r, bench)
	default:
		return false, nil
	}
}

// decode fills r with data, the answer to the oldest request in flight,
// which it takes off the queue, and returns the response's error.
func (p *peer) decode(data js.Value, r proto.Response, bench map[string]float64) error {
	want := p.inFlight[0]
	p.inFlight = p.inFlight[1:]
	t0 := time.Now()
	if err := proto.DecodeResponse(data, want.kind, r); err != nil {
		return err
	}
	bench["msg:decode"] += time.Since(t0).Seconds()
	if id, _ := proto.ResponseID(data); id != want.id {
		return fmt.Errorf("a worker answered request %d, want %d", id, want.id)
	}
	return r.Head().Error()
}

// discard waits for the answer to the oldest request in flight and drops
// it.
func (p *peer) discard() {
	if len(p.inFlight) > 0 {
		p.inFlight = p.inFlight[1:]
		<-p.replies
	}
}

// call sends req to the peer and waits for its response.
func call[Q proto.Asks[R], R proto.Response](p *peer, req Q, bench map[string]float64) (R, error) {
	p.send(req)
	r := req.Answer()
	return r, p.wait(r, bench)
}

// poolBlocks is the sampler's ot.BlockSet over the pool: its own blocks
// here, the others' in the workers that assign gives them to.
type poolBlocks struct {
	w         *worker
	assign    [][]int // block indices by worker; worker 0 is this one
	nb        int
	exactPool bool
	minRows   int // ot.SplitBlocks.MinRows; 0: splitMinRows
	bench     map[string]float64
	// gather: the other workers give this one the cost rows of their
	// blocks as they compute them (schedule.Gather); gathered: every
	// block is here, from the cost with statistics (the solve's first
	// operation) until the kernel is built (gatherCost, scatterKernel),
	// and again once the kernel is small (takeKernels) until the release.
	gather, gathered bool
	// hereMax is schedule.IterateHere's limit (0: its default);
	// kernelBytes the other workers' kernels' bytes after the last kernel
	// (OpKernel, OpAbsorb); rounds, poolSec and hereSec time the
	// iterations over the pool since (IterateHere).
	hereMax     int64
	kernelBytes int64
	// swapCost: the gathered cost starts with the sampler's blocks in the
	// second worker's list (proto.Score.SwapCost; tests).
	swapCost         bool
	rounds           int
	poolSec, hereSec float64
}

// splitMinRows is the fewest pending rows in the other workers' blocks for
// which the sampler shares a bidding round of its exact plan with them
// (ot.SplitBlocks). A shared round costs a message each way, with the
// prices and those rows' bid caches (about 1.5 ms at N = 10⁴); at d = 19,
// N = 10⁴, the 138 of the 36 000 rounds with 200 pending rows or more hold
// two thirds of the bidding time.
const splitMinRows = 200

// Do implements ot.BlockSet: op goes to the other workers first, then runs
// on the blocks here while they work.
func (pb *poolBlocks) Do(op *ot.Op) ([]*ot.Reply, error) {
	if pb.gather && op.Kind == ot.OpCost && op.Stats {
		pb.gather = false // once: a rebuild's cost stays with the blocks
		return pb.gatherCost(op)
	}
	if pb.gathered {
		return pb.doGathered(op)
	}
	t0 := time.Now()
	sent := pb.sendAll(op)
	t1 := time.Now()
	local, err := pb.w.runOp(op)
	here := time.Since(t1).Seconds()
	out, resps, err := pb.w.answers(pb.assign, pb.nb, sent, local, err, pb.bench)
	if err != nil {
		return nil, err
	}
	busy := here
	for _, i := range sent {
		busy = max(busy, resps[i].Busy)
	}
	// For the benchmark: the busiest worker's share of the operation's
	// time (the rest is messages and waiting), and the sampler's own.
	pb.bench["busy:"+op.Kind.String()] += busy
	pb.bench["here:"+op.Kind.String()] += here
	switch op.Kind {
	case ot.OpKernel, ot.OpAbsorb:
		if err := pb.kernelBuilt(out, op.Kind == ot.OpAbsorb); err != nil {
			return nil, err
		}
	case ot.OpIterate:
		pb.bench["iterate:pool"]++
		if pb.rounds++; pb.rounds > schedule.IterateSkip {
			pb.poolSec += time.Since(t0).Seconds()
			pb.hereSec += here
			for _, i := range sent {
				pb.hereSec += resps[i].Busy
			}
		}
		if pb.rounds == schedule.IterateSkip+schedule.IterateRounds && pb.kernelBytes > 0 &&
			schedule.IterateHere(pb.kernelBytes, pb.hereMax, pb.poolSec, pb.hereSec) {
			if err := pb.takeKernels(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// answers waits for the answer of each other worker in sent to the
// operation just sent to them, every one whatever happened here (err, the
// sampler's own operation's error, comes first) so that the next
// request's answer is not taken for this one's, and puts every block's
// reply in its place among nb: the sampler's own (local, in the order of
// assign[0]) and each other worker's (its answer's, in the order of
// assign[i]). The answers come back too, by worker, for their Busy
// seconds.
func (w *worker) answers(assign [][]int, nb int, sent []int, local []*ot.Reply, err error, bench map[string]float64) ([]*ot.Reply, []*proto.OpResponse, error) {
	resps := make([]*proto.OpResponse, len(assign))
	for _, i := range sent {
		resps[i] = new(proto.OpResponse)
		if perr := w.peers[i].wait(resps[i], bench); perr != nil && err == nil {
			err = fmt.Errorf("worker %d: %w", i+1, perr)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	out := make([]*ot.Reply, nb)
	for i, idx := range assign {
		replies := local
		if i > 0 {
			if len(idx) == 0 {
				continue
			}
			replies = resps[i].Replies
		}
		if len(replies) != len(idx) {
			return nil, nil, fmt.Errorf("worker %d answered %d blocks, hosts %d", i+1, len(replies), len(idx))
		}
		for k, bi := range idx {
			if bi < 0 || bi >= nb {
				return nil, nil, fmt.Errorf("block %d outside the partition of %d blocks", bi, nb)
			}
			out[bi] = replies[k]
		}
	}
	return out, resps, nil
}

// kernelBuilt notes the bytes of the other workers' kernels after a kernel
// (out holds every block's reply to OpKernel or OpAbsorb, whose Mass is
// its density) and starts timing the iterations over the pool. After an
// absorb (absorbed), a timing window not yet complete goes on instead: an
// absorb only drops kernel entries, never adds any, so the work of an
// iteration (the sampler's and the other workers', hereSec) shrinks while
// the messages of a round stay, and iterating here, if it was faster on
// the denser kernel, is faster still on this one. The ε stages before the
// last one are often shorter than the window (IterateSkip +
// IterateRounds), and every iteration of theirs went over the pool when
// each absorb started the window again. A window complete without a take
// starts again, as after a kernel: on a sparser kernel the answer may be
// another.
func (pb *poolBlocks) kernelBuilt(out []*ot.Reply, absorbed bool) error {
	if !absorbed || pb.rounds >= schedule.IterateSkip+schedule.IterateRounds {
		pb.rounds, pb.poolSec, pb.hereSec = 0, 0, 0
	}
	pb.kernelBytes = 0
	w := pb.w
	if pb.hereMax < 0 || len(pb.assign) < 2 || w.problem == nil {
		return nil
	}
	p := w.problem
	part := ot.Partition(p.N)
	if len(part) != pb.nb || len(out) != pb.nb {
		return fmt.Errorf("%d replies for %d blocks of a partition of %d", len(out), pb.nb, len(part))
	}
	for _, idx := range pb.assign[1:] {
		for _, bi := range idx {
			pb.kernelBytes += ot.KernelBytes(part[bi][1]-part[bi][0], p.M, out[bi].Mass)
		}
	}
	return nil
}

// takeKernels takes the other workers' blocks, their kernels built, when
// iterating over them here is faster than a round of messages an
// iteration (schedule.IterateHere, after the first IterateSkip +
// IterateRounds iterations since the kernel): from then on the sampler runs every
// operation over every block itself (gathered), until the release (or a
// rebuilt kernel, which goes back to them: scatterKernel). A block's state
// between two operations is its kernel, potentials and scalings
// (ot.KernelState), whatever the iteration; the blocks, and the reduction
// of their replies along the tree (runOp, ot.CombineIterate), stay the
// same: the same bits as over the pool.
func (pb *poolBlocks) takeKernels() error {
	w := pb.w
	p := w.problem
	t0 := time.Now()
	all := make([]*ot.Block, pb.nb)
	for k, bi := range pb.assign[0] {
		all[bi] = w.blocks[k]
	}
	for i := 1; i < len(pb.assign); i++ {
		for _, bi := range pb.assign[i] {
			resp, err := call(w.peers[i], &proto.Give{Block: bi, Kernel: true}, pb.bench)
			if err == nil {
				all[bi], err = lentBlock(p, w.target, resp.Kernel, resp.Rows)
			}
			if err != nil {
				// The blocks taken so far are lost with the pool's
				// state: the solve fails.
				return fmt.Errorf("worker %d, block %d's kernel: %w", i+1, bi, err)
			}
		}
	}
	w.blocks, w.first, w.nb = all, 0, pb.nb
	pb.gathered = true
	tightenGC()
	pb.bench["take"] += time.Since(t0).Seconds()
	pb.bench["take:MB"] += float64(pb.kernelBytes) / (1 << 20)
	pb.bench["take:pool-ms"] += 1e3 * pb.poolSec / schedule.IterateRounds
	pb.bench["take:here-ms"] += 1e3 * pb.hereSec / schedule.IterateRounds
	return nil
}

// ExactPlan implements ot.Exact (the solver asks for it with --solver emd,
// and to warm-start Sinkhorn at a small ε, as the CLI does). The sampler
// solves the exact problem alone over every row block of the dense cost:
// its own, and those of the other workers, whose cost rows they computed
// and now give it, a block at a time (a few tens of MB in flight at most;
// each worker copies a block's rows out of its memory once, and the buffer
// is transferred, not copied: computing them again here took as long as the
// cost itself, d = 256, N = 10⁴: 6 s a repetition). When that cost does not
// fit here (exactPool), the same driver runs over the pool's blocks, a
// round of messages per bidding round. Otherwise the other workers still
// do their rows' share of the scans that pay for a message
// (ot.SplitBlocks): the bidding rounds with many pending rows there, the
// price-lowering passes and the certificate. When the other workers gave
// their rows as they computed them (gatherCost), every block is here
// already, and the sampler solves alone. All give the CLI's plan bit for
// bit.
func (pb *poolBlocks) ExactPlan(ctx context.Context, p *ot.Problem) (*emd.Plan, error) {
	if pb.exactPool {
		return ot.ExactOverBlocks(ctx, pb, p)
	}
	if pb.gathered {
		// Every block is here already.
		t1 := time.Now()
		plan, err := pb.w.exactPlan(nil)
		tightenGC()
		pb.bench["busy:exact"] += time.Since(t1).Seconds()
		return plan, err
	}
	t0 := time.Now()
	for i := 1; i < len(pb.assign); i++ {
		for _, bi := range pb.assign[i] {
			resp, err := call(pb.w.peers[i], &proto.Give{Block: bi}, pb.bench)
			if err != nil {
				return nil, fmt.Errorf("worker %d: %w", i+1, err)
			}
			if len(resp.Rows) != 1 {
				return nil, fmt.Errorf("worker %d gave %d buffers for block %d, want 1", i+1, len(resp.Rows), bi)
			}
			if err := pb.w.take(bi, resp.Rows[0]); err != nil {
				return nil, err
			}
		}
	}
	pb.bench["give"] += time.Since(t0).Seconds()
	t1 := time.Now()
	var split *ot.SplitBlocks
	plan, err := pb.w.exactPlan(func(blocks []*ot.Block) ot.BlockSet {
		first, ok := pb.remoteTail()
		if !ok {
			return &ot.LocalBlocks{Blocks: blocks, Workers: 1}
		}
		split = &ot.SplitBlocks{Local: blocks, First: first, Remote: pb.remote, MinRows: cmp.Or(pb.minRows, splitMinRows)}
		return split
	})
	debug.FreeOSMemory()
	tightenGC()
	pb.bench["busy:exact"] += time.Since(t1).Seconds()
	if split != nil {
		for k, v := range split.Shared {
			pb.bench["shared:"+k.String()] += float64(v)
		}
	}
	return plan, err
}

// remoteTail returns the first block the other workers host, if they host
// the blocks from there to the last, in worker order (as the page assigns
// them): the blocks ot.SplitBlocks shares with them.
func (pb *poolBlocks) remoteTail() (int, bool) {
	first := len(pb.assign[0])
	next := first
	for _, idx := range pb.assign[1:] {
		for _, bi := range idx {
			if bi != next {
				return 0, false
			}
			next++
		}
	}
	return first, next == pb.nb && first < pb.nb
}

// sendAll sends op to every other worker that hosts blocks and returns
// their indices.
func (pb *poolBlocks) sendAll(op *ot.Op) []int {
	t0 := time.Now()
	sent := pb.w.sendOp(pb.assign, op)
	pb.bench["msg:post"] += time.Since(t0).Seconds()
	return sent
}

// sendOp sends op to each other worker i that assign gives blocks and
// returns their indices.
func (w *worker) sendOp(assign [][]int, op *ot.Op) []int {
	var sent []int
	for i := 1; i < len(assign); i++ {
		if len(assign[i]) > 0 {
			w.peers[i].send(&proto.Op{Op: op})
			sent = append(sent, i)
		}
	}
	return sent
}

// sendBlocks sends each other worker i that assign gives blocks the
// problem p and those blocks to build (proto.Blocks), and returns their
// indices; a worker without a port is an error, before anything is sent.
func (w *worker) sendBlocks(p *ot.Problem, assign [][]int) ([]int, error) {
	var sent []int
	for i := 1; i < len(assign); i++ {
		if len(assign[i]) == 0 {
			continue
		}
		if i >= len(w.peers) || w.peers[i] == nil {
			return nil, fmt.Errorf("no port to worker %d", i+1)
		}
		sent = append(sent, i)
	}
	for _, i := range sent {
		w.peers[i].send(&proto.Blocks{Problem: p, Blocks: assign[i]})
	}
	return sent, nil
}

// waitDone waits for the Done of each worker in sent, every one whatever
// happened before (err, which comes first), so that no later request's
// answer is taken for it.
func (w *worker) waitDone(sent []int, err error, bench map[string]float64) error {
	for _, i := range sent {
		if perr := w.peers[i].wait(new(proto.Done), bench); perr != nil && err == nil {
			err = fmt.Errorf("worker %d: %w", i+1, perr)
		}
	}
	return err
}

// remote implements ot.SplitBlocks.Remote: op goes to every other worker
// that hosts blocks, and the wait gathers their replies in worker order.
func (pb *poolBlocks) remote(op *ot.Op) func() ([]*ot.Reply, error) {
	sent := pb.sendAll(op)
	return func() ([]*ot.Reply, error) {
		var out []*ot.Reply
		var err error
		for _, i := range sent {
			r := new(proto.OpResponse)
			perr := pb.w.peers[i].wait(r, pb.bench)
			switch {
			case perr != nil:
				err = cmp.Or(err, fmt.Errorf("worker %d: %w", i+1, perr))
			case len(r.Replies) != len(pb.assign[i]):
				err = cmp.Or(err, fmt.Errorf("worker %d answered %d blocks, hosts %d", i+1, len(r.Replies), len(pb.assign[i])))
			default:
				out = append(out, r.Replies...)
			}
		}
		return out, err
	}
}

// gatherCost runs op, the solve's first OpCost, with every block here: the
// sampler computes its own blocks' cost while each other worker computes
// its blocks' one at a time and gives each, with its reply, as it is done
// (Give with Cost), keeping none: a worker then needs the memory of one
// block's cost rows instead of all of its blocks', and the sampler, which
// needs every cost row for the exact plan, holds each once. The other
// workers' blocks stay here until their kernel is built (scatterKernel).
// The replies are the blocks' own, as they would have been where they live.
func (pb *poolBlocks) gatherCost(op *ot.Op) ([]*ot.Reply, error) {
	t0 := time.Now()
	defer func() { pb.bench["give"] += time.Since(t0).Seconds() }()
	w := pb.w
	out := make([]*ot.Reply, pb.nb)
	all := make([]*ot.Block, pb.nb)
	for k, bi := range pb.assign[0] {
		all[bi] = w.blocks[k]
	}
	p := w.problem
	part := ot.Partition(p.N)
	err := pipeline(pb, func(bi int) (err error) {
		if all[bi] == nil {
			// Another worker's block, not yet asked for when this one
			// was done with its own: computed here, with the same
			// arithmetic, into a block of its own.
			all[bi] = ot.NewBlock(p, w.target, part[bi][0], part[bi][1])
		}
		out[bi], err = all[bi].Do(op)
		return err
	}, aheadDepth(part[0][1]-part[0][0], p.M), true, func(bi int) *proto.Give {
		return &proto.Give{Block: bi, Cost: true}
	}, func(bi int, resp *proto.GiveResponse) (err error) {
		if len(resp.Rows) != 1 || len(resp.Replies) != 1 {
			return fmt.Errorf("%d buffers and %d replies for block %d, want 1", len(resp.Rows), len(resp.Replies), bi)
		}
		all[bi], err = w.rowsBlock(bi, resp.Rows[0], w.target)
		out[bi] = resp.Replies[0]
		return err
	})
	if err != nil {
		return nil, err
	}
	w.blocks, w.first, w.nb = all, 0, pb.nb
	pb.gathered = true
	return out, nil
}

// doGathered runs op while every block is here (gatherCost, takeKernels):
// here alone, except the kernel (OpKernel: scatterKernel, then perhaps
// takeKernels) and a release, which go to the other workers too.
func (pb *poolBlocks) doGathered(op *ot.Op) ([]*ot.Reply, error) {
	switch op.Kind {
	case ot.OpKernel:
		out, err := pb.scatterKernel(op)
		if err == nil {
			err = pb.kernelBuilt(out, false)
		}
		return out, err
	case ot.OpRelease:
		pb.w.runOp(op)
		pb.ownOnly()
		return pb.Do(op)
	}
	t0 := time.Now()
	reps, err := pb.w.runOp(op)
	// The sampler alone did the work: its time is the busiest's too.
	sec := time.Since(t0).Seconds()
	pb.bench["here:"+op.Kind.String()] += sec
	pb.bench["busy:"+op.Kind.String()] += sec
	return reps, err
}

// scatterKernel runs op, the kernel, on the sampler's own blocks while it
// gives each other worker its blocks' cost rows back, one block at a time,
// to build their kernel there from them (Host) and host them from then on;
// each worker thus needs, beside its kernels, the memory of one block's cost
// rows at most (the next block's, asked ahead as in gatherCost, waits in
// its port's queue, outside the WebAssembly memory). The rows leave the
// sampler's memory as they go.
func (pb *poolBlocks) scatterKernel(op *ot.Op) ([]*ot.Reply, error) {
	t0 := time.Now()
	defer func() { pb.bench["host"] += time.Since(t0).Seconds() }()
	w := pb.w
	all := w.blocks
	out := make([]*ot.Reply, pb.nb)
	part := ot.Partition(w.problem.N)
	err := pipeline(pb, func(bi int) (err error) {
		out[bi], err = all[bi].Do(op)
		return err
	}, aheadDepth(part[0][1]-part[0][0], w.problem.M), false, func(bi int) *proto.Host {
		rep, err := all[bi].Do(&ot.Op{Kind: ot.OpRows})
		if err != nil {
			// Not after OpCost: the worker's block says so.
			return &proto.Host{Block: bi, Op: op}
		}
		rows := jsBytes(float32Bytes(rep.Costs))
		all[bi].Do(&ot.Op{Kind: ot.OpRelease})
		return &proto.Host{Block: bi, Op: op, Rows: []js.Value{rows}}
	}, func(bi int, resp *proto.HostResponse) error {
		if len(resp.Replies) != 1 {
			return fmt.Errorf("%d replies for block %d's kernel, want 1", len(resp.Replies), bi)
		}
		out[bi] = resp.Replies[0]
		return nil
	})
	pb.ownOnly()
	if err != nil {
		return nil, err
	}
	return out, nil
}

// pipeline runs own(bi) on each of the sampler's own blocks bi while each
// other worker works through its blocks: req(bi) is sent for its next block
// bi when its answer to one before came, with up to depth requests in
// flight (with one, a worker waits idle from its answer until the sampler
// takes it between its own blocks), and got(bi, resp) takes that answer.
// The answers that came while the sampler worked are taken between its
// blocks (yield), so that the workers work at the same time (yieldJS).
// With share, whichever worker is free takes the next block: the sampler,
// once done with its own blocks, runs own(bi) on the other workers' blocks
// not yet asked for (the last of the longest list first), and a worker
// done with its own list is sent the sampler's last block not yet begun;
// for the cost, whose rows are the same bits wherever they are computed
// and all end in the sampler (gatherCost). Every request sent is awaited,
// whatever failed; none is sent after a failure.
func pipeline[Q proto.Asks[R], R proto.Response](pb *poolBlocks, own func(bi int) error, depth int, share bool, req func(bi int) Q, got func(bi int, resp R) error) error {
	w := pb.w
	// asked[i] are the blocks worker i was sent requests for and has not
	// answered, oldest first; sent[i] their requests, whose Answer the
	// answer fills; next[i] its blocks not yet asked for. mine are the
	// sampler's blocks not yet begun.
	asked := make([][]int, len(pb.assign))
	sent := make([][]Q, len(pb.assign))
	next := make([][]int, len(pb.assign))
	mine := pb.assign[0]
	var err error
	ask := func(i int) {
		for err == nil && len(asked[i]) < depth {
			var bi int
			switch {
			case len(next[i]) > 0:
				bi, next[i] = next[i][0], next[i][1:]
			case share && len(mine) > 0:
				bi, mine = mine[len(mine)-1], mine[:len(mine)-1]
				pb.bench["pipeline:given"]++
			default:
				return
			}
			q := req(bi)
			asked[i], sent[i] = append(asked[i], bi), append(sent[i], q)
			w.peers[i].send(q)
		}
	}
	take := func(i int, resp R, perr error) {
		bi := asked[i][0]
		asked[i], sent[i] = asked[i][1:], sent[i][1:]
		if perr == nil && err == nil {
			perr = got(bi, resp)
		}
		if perr != nil {
			err = cmp.Or(err, fmt.Errorf("worker %d: %w", i+1, perr))
		}
		ask(i)
	}
	// stealable returns the worker with the most blocks not yet asked
	// for, or −1 if there are none (or no sharing).
	stealable := func() int {
		best := -1
		for i := 1; share && err == nil && i < len(pb.assign); i++ {
			if len(next[i]) > 0 && (best < 0 || len(next[i]) > len(next[best])) {
				best = i
			}
		}
		return best
	}
	for i := 1; i < len(pb.assign); i++ {
		next[i] = pb.assign[i]
	}
	if share && pb.swapCost && len(pb.assign) > 1 {
		// A test's: the sampler's blocks first in the second worker's
		// list, none in its own.
		next[1] = append(append([]int(nil), mine...), next[1]...)
		mine = nil
	}
	for i := 1; i < len(pb.assign); i++ {
		ask(i)
	}
	for {
		var bi int
		if len(mine) > 0 {
			bi, mine = mine[0], mine[1:]
		} else if i := stealable(); i > 0 {
			bi, next[i] = next[i][len(next[i])-1], next[i][:len(next[i])-1]
			pb.bench["pipeline:taken"]++
		} else {
			break
		}
		if err == nil {
			err = own(bi)
			tightenGC()
		}
		if len(mine) == 0 && stealable() < 0 {
			break
		}
		t0 := time.Now()
		yieldJS()
		pb.bench["yield"] += time.Since(t0).Seconds()
		pb.bench["yield:n"]++
		for i := 1; i < len(pb.assign); i++ {
			for len(asked[i]) > 0 {
				resp := sent[i][0].Answer()
				ok, perr := w.peers[i].poll(resp, pb.bench)
				if !ok {
					break
				}
				take(i, resp, perr)
			}
		}
	}
	for i := 1; i < len(pb.assign); i++ {
		for len(asked[i]) > 0 {
			resp := sent[i][0].Answer()
			perr := w.peers[i].wait(resp, pb.bench)
			take(i, resp, perr)
		}
	}
	return err
}

// aheadMaxBytes is the most bytes of cost rows a block may hold for the
// sampler to keep two blocks' requests in flight to another worker
// (aheadDepth): in gatherCost the first one's rows then wait in the
// sampler's port queue while the next is computed, in scatterKernel the
// second one's in the worker's, outside the WebAssembly memory. At N = 10⁴ a block holds 25 MB, at
// N = 2·10⁴ 100 MB, where one is asked for at a time as before.
const aheadMaxBytes = 32 << 20

// aheadDepth is how many blocks of rows×m cost rows the sampler asks
// another worker for at once (pipeline).
func aheadDepth(rows, m int) int {
	if 4*int64(rows)*int64(m) <= aheadMaxBytes {
		return 2
	}
	return 1
}

// ownOnly leaves the sampler its own blocks only, after gatherCost.
func (pb *poolBlocks) ownOnly() {
	w := pb.w
	own := make([]*ot.Block, 0, len(pb.assign[0]))
	for _, bi := range pb.assign[0] {
		own = append(own, w.blocks[bi])
	}
	w.blocks, w.first, w.nb = own, 0, pb.nb
	pb.gathered = false
}
