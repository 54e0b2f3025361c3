//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"syscall/js"
	"time"

	"github.com/otceseg/otceseg/core/emd"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/schedule"
	"github.com/otceseg/otceseg/wasm/internal/proto"
)

// The sampler of a pool overlaps a candidate's repetitions
// (schedule.PageOverlap; otce.Options.BlocksOverlap runs two in flight)
// with fixed roles, so that the memory bound holds although a WebAssembly
// memory never shrinks: only the sampler ever holds a dense cost and an
// exact plan, the other workers one repetition's kernels at a time. A
// repetition's blocks (overlapBlocks) all live in the sampler until its
// first kernel is built: its cost, its exact plan and its kernel. Then,
// once the repetition before has released the other workers, it hands its
// blocks over to them (Host with Kernel: the kernel's state moves bit for
// bit, as Give with Kernel moves it the other way) and leaves the sampler,
// which draws the next repetition and computes its cost and exact plan
// while the other workers iterate this one. The solver of each repetition
// runs in the sampler, on a goroutine of its own: a round of its
// iterations is a message to the other workers and their answer.
//
// Go in WebAssembly runs on one thread and switches goroutines only when
// the running one waits: the next repetition's cost, exact plan and kernel
// return to the JavaScript event loop every yieldEvery of work
// (overlap.yield), so that the iterating repetition's answers are taken
// and its next round sent meanwhile. The exact plan's auction asks its
// blocks for every bidding round (ot.ExactOverBlocks over a BlockSet): the
// yield is in the blocks (ot.LocalBlocks.Yield), not in the solver.
//
// Two turns, taken in repetition order, keep the roles: here, the
// sampler's memory for a repetition's dense cost (taken at its first
// operation, passed once its blocks are handed over), and there, the other
// workers (taken to hand the blocks over, passed when they are released).
// A kernel too large for the other workers (schedule.HandOver) is shared
// out as without the overlap (schedule.Assign: the sampler keeps its
// share and iterates it), and the repetition keeps the sampler's turn
// until its release: the next one then waits, as one at a time; so does
// the last repetition, after which nothing comes. A repetition that waits
// for the other workers with its kernel built leaves the sampler idle: the
// repetition they iterate takes the sampler's share of its blocks back
// (takeShare).
//
// The request turns it off (a test's switch; schedule.PageOverlap).

// yieldEvery is how much work the sampler does between two returns to
// the event loop while another repetition iterates on the other workers:
// an iteration there takes 30–50 ms at N = 10⁴ on a trained network's
// logits, so its answer waits 2 ms at most (plus the operation under
// way), while a yield costs about 0.1 ms (TestOverlapYield, under Node).
const yieldEvery = 2 * time.Millisecond

// overlap is what the overlapped repetitions of a Score request share in
// the sampler.
type overlap struct {
	w       *worker
	workers int
	handMax int64 // schedule.HandOver's limit (0: its default)
	bench   map[string]float64

	mu          sync.Mutex
	tickets     int // repetitions made (newBlocks), in order
	here, there turn
	// iterating counts the repetitions whose blocks are on the other
	// workers: while one is, the sampler's long work yields.
	iterating int
	// idle: a repetition's kernel is built and waits for the other
	// workers (there): the iterating repetition takes the sampler's share
	// of its blocks back (overlapBlocks.takeShare).
	idle      bool
	lastYield time.Time
	mappedMB  float64 // the memory mapped at the last notePeak
}

// turn is taken by the repetitions in the order of their tickets.
type turn struct {
	next int
	wake chan struct{}
}

// take waits until it is ticket's turn.
func (o *overlap) take(t *turn, ticket int) {
	for {
		o.mu.Lock()
		if t.next == ticket {
			o.mu.Unlock()
			return
		}
		if t.wake == nil {
			t.wake = make(chan struct{})
		}
		ch := t.wake
		o.mu.Unlock()
		<-ch
	}
}

// pass gives the turn to the next ticket.
func (o *overlap) pass(t *turn) {
	o.mu.Lock()
	t.next++
	if t.wake != nil {
		close(t.wake)
		t.wake = nil
	}
	o.mu.Unlock()
}

// yield returns to the event loop if yieldEvery has passed since the last
// return and a repetition iterates on the other workers.
func (o *overlap) yield() {
	if o.iterating == 0 || time.Since(o.lastYield) < yieldEvery {
		return
	}
	t0 := time.Now()
	yieldJS()
	o.lastYield = time.Now()
	o.bench["overlap:yield"] += o.lastYield.Sub(t0).Seconds()
	o.bench["overlap:yield:n"]++
}

// newBlocks returns the block set of the next repetition, of problem p,
// and the function that frees it (otce.Options.Blocks): called in
// repetition order.
// last says that no repetition will be solved after this one.
func (o *overlap) newBlocks(p *ot.Problem, last bool) (ot.BlockSet, func(), error) {
	o.mu.Lock()
	ticket := o.tickets
	o.tickets++
	o.mu.Unlock()
	part := ot.Partition(p.N)
	t := ot.NewTarget(p)
	ob := &overlapBlocks{o: o, ticket: ticket, last: last, p: p, t: t, nb: len(part), here: make([]*ot.Block, len(part))}
	for i, r := range part {
		ob.here[i] = ot.NewBlock(p, t, r[0], r[1])
	}
	return ob, ob.free, nil
}

// overlapBlocks are one repetition's blocks in an overlapped pool: all in
// the sampler until the hand-over, then on the other workers (assign),
// the sampler's share too when the kernel was too large to hand over all
// of it.
type overlapBlocks struct {
	o      *overlap
	ticket int
	last   bool // no repetition is solved after this one
	p      *ot.Problem
	t      *ot.Target
	nb     int
	// here are the blocks in the sampler, by index (nil: elsewhere).
	here []*ot.Block
	// assign: the blocks of each worker after the hand-over (nil before).
	assign [][]int
	// The turns taken and not yet passed; gone: the turns passed.
	hereHeld, thereHeld, hereGone, thereGone bool
}

// Do implements ot.BlockSet.
func (ob *overlapBlocks) Do(op *ot.Op) ([]*ot.Reply, error) {
	if ob.assign != nil {
		return ob.doPool(op)
	}
	o := ob.o
	if !ob.hereHeld {
		t0 := time.Now()
		o.take(&o.here, ob.ticket)
		ob.hereHeld = true
		o.bench["overlap:wait-here"] += time.Since(t0).Seconds()
	}
	out := make([]*ot.Reply, ob.nb)
	o.notePeak("before-" + op.Kind.String())
	for i, b := range ob.here {
		o.yield()
		r, err := b.Do(op)
		if err != nil {
			return nil, err
		}
		out[i] = r
		tightenGC()
	}
	o.notePeak(op.Kind.String())
	if op.Kind == ot.OpKernel {
		if err := ob.handOver(out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ExactPlan implements ot.Exact: the auction over the blocks here, in the
// sampler alone (as with the cost gathered, poolBlocks.ExactPlan),
// returning to the event loop between its rounds (ot.LocalBlocks.Yield).
func (ob *overlapBlocks) ExactPlan(ctx context.Context, p *ot.Problem) (*emd.Plan, error) {
	if ob.assign != nil || p != ob.p {
		return nil, errors.New("the exact plan asked of blocks handed over, or of another problem")
	}
	t0 := time.Now()
	plan, err := ot.ExactOverBlocks(ctx, &ot.LocalBlocks{Blocks: ob.here, Workers: 1, Yield: ob.o.yield}, p)
	ob.o.notePeak("exact")
	tightenGC()
	ob.o.bench["busy:exact"] += time.Since(t0).Seconds()
	return plan, err
}

// handOver gives the blocks, their kernel built (out: their replies to
// OpKernel, whose Mass is the density), to the other workers once the
// repetition before released them: all of them when the kernel fits
// (schedule.HandOver) and a repetition may come after this one, and the
// sampler's turn passes to the next repetition; else the other workers'
// share (schedule.Assign), the sampler keeping its own and its turn until
// the release. While it waits for them, the repetition they iterate takes
// the sampler's share of its blocks back (idle, takeShare).
func (ob *overlapBlocks) handOver(out []*ot.Reply) error {
	o, w, p := ob.o, ob.o.w, ob.p
	// The dense cost rows the kernel replaced are garbage: collected
	// before anything else is allocated (the sampler's share of the
	// repetition iterating, takeShare), which would otherwise grow the
	// heap past them.
	debug.FreeOSMemory()
	part := ot.Partition(p.N)
	var bytes int64
	for i, r := range out {
		bytes += ot.KernelBytes(part[i][1]-part[i][0], p.M, r.Mass)
	}
	all := !ob.last && schedule.HandOver(bytes, o.workers-1, o.handMax)
	asg := schedule.Assign(ob.nb, o.workers)
	if all {
		asg = schedule.OthersAssign(ob.nb, o.workers)
	}
	t0 := time.Now()
	o.idle = true
	o.take(&o.there, ob.ticket)
	o.idle = false
	ob.thereHeld = true
	o.iterating++
	t1 := time.Now()
	o.bench["overlap:wait-there"] += t1.Sub(t0).Seconds()
	ob.assign = asg
	sent, err := w.sendBlocks(p, asg)
	if err == nil {
		err = w.waitDone(sent, nil, o.bench)
	}
	if err != nil {
		return err
	}
	for _, i := range sent {
		for _, bi := range asg[i] {
			s, err := ob.here[bi].Kernel()
			if err != nil {
				return err
			}
			state, rows := kernelArrays(s)
			ob.here[bi] = nil
			if _, err := call(w.peers[i], &proto.Host{Block: bi, Kernel: state, Rows: rows}, o.bench); err != nil {
				return fmt.Errorf("worker %d, block %d's kernel: %w", i+1, bi, err)
			}
		}
	}
	o.bench["overlap:hand"] += time.Since(t1).Seconds()
	o.notePeak("hand")
	if all {
		o.bench["overlap:handed"]++
		ob.here = make([]*ot.Block, ob.nb)
		// The kernels handed over are garbage: collected before the next
		// repetition's cost takes their room.
		debug.FreeOSMemory()
		tightenGC()
		ob.passHere()
	} else {
		o.bench["overlap:shared"]++
	}
	return nil
}

// takeShare takes the sampler's share of the blocks (schedule.Assign's,
// the first ones) back from the worker that hosts them since the hand-over
// (Give with Kernel and Drop: the kernel's state moves bit for bit, as in
// poolBlocks.takeKernels), when the sampler has nothing else to do (the
// next repetition's kernel waits for the other workers): the iterations
// go on over the pool, as without the overlap. The blocks, and the
// reduction of their replies, stay the same: the same bits.
func (ob *overlapBlocks) takeShare() error {
	o, w := ob.o, ob.o.w
	share := len(schedule.Assign(ob.nb, o.workers)[0])
	if len(ob.assign) < 2 || share == 0 || len(ob.assign[1]) <= share || ob.assign[1][0] != 0 {
		return nil
	}
	t0 := time.Now()
	for bi := range share {
		resp, err := call(w.peers[1], &proto.Give{Block: bi, Kernel: true, Drop: true}, o.bench)
		if err == nil {
			ob.here[bi], err = lentBlock(ob.p, ob.t, resp.Kernel, resp.Rows)
		}
		if err != nil {
			return fmt.Errorf("worker 2, block %d's kernel: %w", bi, err)
		}
		ob.assign[0] = append(ob.assign[0], bi)
		ob.assign[1] = ob.assign[1][1:]
	}
	tightenGC()
	o.notePeak("take")
	o.bench["overlap:took"]++
	o.bench["overlap:take"] += time.Since(t0).Seconds()
	return nil
}

// passHere passes the sampler's turn, once.
func (ob *overlapBlocks) passHere() {
	if ob.hereHeld && !ob.hereGone {
		ob.hereGone = true
		ob.o.pass(&ob.o.here)
	}
}

// doPool runs op, after the hand-over, on the other workers' blocks and
// the sampler's own, as poolBlocks.Do does.
func (ob *overlapBlocks) doPool(op *ot.Op) ([]*ot.Reply, error) {
	w := ob.o.w
	bench := ob.o.bench
	if ob.o.idle && op.Kind == ot.OpIterate && len(ob.assign[0]) == 0 {
		if err := ob.takeShare(); err != nil {
			return nil, err
		}
	}
	sent := w.sendOp(ob.assign, op)
	var local []*ot.Reply
	var err error
	if own := ob.assign[0]; len(own) > 0 {
		t0 := time.Now()
		local, err = runBlocks(ob.here[own[0]:own[len(own)-1]+1], own[0], ob.nb, op)
		bench["here:"+op.Kind.String()] += time.Since(t0).Seconds()
	}
	out, _, err := w.answers(ob.assign, ob.nb, sent, local, err, bench)
	if err != nil {
		return nil, err
	}
	if op.Kind == ot.OpIterate {
		bench["iterate:others"]++
	}
	return out, nil
}

// runBlocks runs op on blocks, blocks [first, first+len(blocks)) of a
// partition of nb, as runOp does on the hosted ones.
func runBlocks(blocks []*ot.Block, first, nb int, op *ot.Op) ([]*ot.Reply, error) {
	replies := make([]*ot.Reply, len(blocks))
	for i, b := range blocks {
		r, err := b.Do(op)
		if err != nil {
			return nil, err
		}
		replies[i] = r
	}
	tightenGC()
	if op.Kind == ot.OpIterate {
		return ot.CombineIterate(replies, first, first+len(blocks), nb)
	}
	return replies, nil
}

// free releases the repetition's blocks, here and on the other workers,
// and passes its turns (waiting for them, in order, if it never took
// them: a repetition that failed before its hand-over).
func (ob *overlapBlocks) free() {
	o, w := ob.o, ob.o.w
	for _, b := range ob.here {
		if b != nil {
			b.Do(&ot.Op{Kind: ot.OpRelease})
		}
	}
	ob.here = nil
	if ob.assign != nil {
		for i := 1; i < len(ob.assign); i++ {
			if len(ob.assign[i]) > 0 {
				call(w.peers[i], &proto.Release{}, o.bench)
			}
		}
		o.iterating--
	}
	debug.FreeOSMemory()
	tightenGC()
	if !ob.hereHeld {
		o.take(&o.here, ob.ticket)
		ob.hereHeld = true
	}
	ob.passHere()
	if !ob.thereHeld {
		o.take(&o.there, ob.ticket)
		ob.thereHeld = true
	}
	if !ob.thereGone {
		ob.thereGone = true
		o.pass(&o.there)
	}
}

// kernelArrays splits a block's kernel state into its entries, copied out
// of the Go memory into Uint8Arrays (the dense kernel, or the sparse
// form's values, columns and row starts), and the rest of it.
func kernelArrays(s *ot.KernelState) (*ot.KernelState, []js.Value) {
	var rows []js.Value
	switch {
	case s.Dense != nil:
		rows = []js.Value{jsBytes(sliceBytes(s.Dense))}
	case s.Cols16 != nil:
		rows = []js.Value{jsBytes(sliceBytes(s.Values)), jsBytes(sliceBytes(s.Cols16)), jsBytes(sliceBytes(s.Starts))}
	default:
		rows = []js.Value{jsBytes(sliceBytes(s.Values)), jsBytes(sliceBytes(s.Cols)), jsBytes(sliceBytes(s.Starts))}
	}
	state := *s
	state.Dense, state.Values, state.Cols, state.Cols16, state.Starts = nil, nil, nil, nil, nil
	return &state, rows
}

// heapSample reads the memory the Go runtime has mapped: in WebAssembly,
// the linear memory it has grown to (which never shrinks).
var heapSample = []metrics.Sample{{Name: "/memory/classes/total:bytes"}}

// notePeak adds to bench, under "overlap:grew-MB:"+at, how much the
// memory the sampler has mapped grew since the last such note (for the
// benchmark: which phase of the overlapped repetitions grows it; other
// goroutines' work in between counts too).
func (o *overlap) notePeak(at string) {
	metrics.Read(heapSample)
	if heapSample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	mb := float64(heapSample[0].Value.Uint64()) / 1e6
	if o.mappedMB > 0 && mb > o.mappedMB {
		o.bench["overlap:grew-MB:"+at] += mb - o.mappedMB
	}
	o.mappedMB = max(o.mappedMB, mb)
	o.bench["overlap:MB"] = o.mappedMB
}
