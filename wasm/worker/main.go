//go:build js && wasm

// Command worker is the Go program of each web worker of the browser app.
//
// It hosts row blocks of the current transport problem (ot.NewTarget,
// ot.NewBlock for the block indices it is given) and answers the solver's
// operations on them. The sampler worker scores a candidate end to end with
// the CLI's loop, otce.ScoreWith (score.go): it opens the candidate's File
// objects through FileReaderSync (package blobfile), draws each
// repetition's pixels and, for a problem solved over the pool, hands out
// the blocks and runs the solver, sending the operations to the other
// workers through a MessagePort each (pool.go). For small problems whose
// repetitions run side by side on a team of workers (otce.Options.Team), it
// has the other members of its team open the files and draw and solve
// whole repetitions (Job, Rep) through their ports (team.go). Each request
// type has its handler (handlers). All numerics are the core's; this is
// glue.
package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall/js"
	"time"
	"unsafe"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/emd"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/settings"
	"github.com/otceseg/otceseg/wasm/internal/blobfile"
	"github.com/otceseg/otceseg/wasm/internal/proto"
	"github.com/otceseg/otceseg/wasm/internal/wire"
)

type worker struct {
	// sampler state (job: a team member's, Job)
	job    *otce.Job
	sample *otce.Sample
	// mapped: the last Maps request's repetitions (maps.go).
	mapped *mapped

	// block state
	problem *ot.Problem
	target  *ot.Target // the hosted blocks' (and the gathered ones')
	blocks  []*ot.Block
	// given: the sampler's copies of blocks other workers host, by first
	// row, with the cost rows they computed (take), for the exact plan.
	given map[int]*ot.Block
	// first and nb: the hosted blocks are [first, first+len(blocks)) of a
	// partition of nb (contiguous, as the page assigns them; nb 0 if not).
	first, nb int
	// scratch: the cost rows of the block a worker other than the sampler
	// last computed for the sampler (Give with Cost), reused for the next.
	scratch []float32

	// peers: the sampler's ports to the other workers, by worker index
	// (KindPort; nil for itself).
	peers []*peer
}

// message is a request and where its response goes: the page, or the
// MessagePort it came on (a request of the sampler's).
type message struct {
	data  js.Value
	reply js.Value // undefined: the page
}

func main() {
	// A wasm memory never shrinks, so the peak is what a worker keeps:
	// collect early (gc.go).
	tightenGC()
	self := js.Global()
	var (
		mu    sync.Mutex
		queue []message
		wake  = make(chan struct{}, 1)
	)
	// The handlers only queue: work runs on the main goroutine, so a long
	// operation never runs inside a JS callback.
	enqueue = func(m message) {
		mu.Lock()
		queue = append(queue, m)
		mu.Unlock()
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	self.Set("onmessage", js.FuncOf(func(_ js.Value, args []js.Value) any {
		enqueue(message{data: args[0].Get("data"), reply: js.Undefined()})
		return nil
	}))
	post(proto.Ready{Ready: true})
	w := &worker{}
	for {
		<-wake
		for {
			mu.Lock()
			if len(queue) == 0 {
				mu.Unlock()
				break
			}
			msg := queue[0]
			queue = queue[1:]
			mu.Unlock()
			w.handle(msg.data, msg.reply)
		}
	}
}

// enqueue queues a request for the main goroutine (set by main).
var enqueue func(message)

// post sends v to the page.
func post(v any) { postTo(js.Undefined(), v) }

// postTo sends v (a Progress, Ready) to the port to, or to the page if to
// is undefined.
func postTo(to js.Value, v any) {
	obj, transfer := wire.Encode(v)
	postJS(to, obj, transfer)
}

// postJS posts obj, transferring transfer, to the port to, or to the page
// if to is undefined.
func postJS(to, obj js.Value, transfer []any) {
	if to.IsUndefined() {
		to = js.Global()
	}
	to.Call("postMessage", obj, wire.Transfer(transfer))
}

// handle answers one request, to reply (a port, or undefined: the page).
func (w *worker) handle(msg, reply js.Value) {
	t0 := time.Now()
	id, req, err := proto.DecodeRequest(msg)
	var resp proto.Response
	var kind proto.Kind
	switch h := handlers[kindOf(req)]; {
	case err != nil:
		resp = &proto.Header{Err: err.Error()}
	case h == nil:
		resp = &proto.Header{Err: fmt.Sprintf("no handler for request %q", req.Kind())}
	default:
		resp, kind = h(w, req, reply), req.Kind()
	}
	resp.Head().Busy = time.Since(t0).Seconds()
	obj, transfer := proto.EncodeResponse(id, kind, resp)
	postJS(reply, obj, transfer)
}

func kindOf(req proto.Request) proto.Kind {
	if req == nil {
		return ""
	}
	return req.Kind()
}

// handler answers a request; reply is where any progress goes (a port, or
// undefined: the page).
type handler func(w *worker, req proto.Request, reply js.Value) proto.Response

// handle adapts the handler of one request type, which fills in the
// request's own type of response (proto.Asks): its error goes in the
// response's Header, and so does a panic in the core, which must not kill
// the worker silently (the page then restarts the pool).
func handle[Q proto.Asks[R], R proto.Response](f func(w *worker, req Q, resp R, reply js.Value) error) handler {
	return func(w *worker, req proto.Request, reply js.Value) proto.Response {
		q := req.(Q)
		resp := q.Answer()
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("internal error in the worker: %v", r)
					w.release()
				}
			}()
			return f(w, q, resp, reply)
		}()
		if err != nil {
			h := resp.Head()
			h.Err, h.ErrFile = err.Error(), proto.FileErrorOf(err)
		}
		return resp
	}
}

// handlers answer the requests, one for each kind.
var handlers = map[proto.Kind]handler{
	proto.KindJob:     handle((*worker).openJob),
	proto.KindRep:     handle((*worker).rep),
	proto.KindBlocks:  handle((*worker).buildBlocks),
	proto.KindOp:      handle((*worker).op),
	proto.KindPort:    handle((*worker).port),
	proto.KindWarm:    handle((*worker).warm),
	proto.KindGive:    handle((*worker).give),
	proto.KindRelease: handle((*worker).releaseBlocks),
	proto.KindInspect: handle((*worker).inspectFiles),
	proto.KindScore:   handle((*worker).score),
	proto.KindMaps:    handle((*worker).transferMaps),
	proto.KindMap:     handle((*worker).mapOf),
	proto.KindPixel:   handle((*worker).pixel),
	proto.KindHost:    handle((*worker).host),
	proto.KindPatch:   handle((*worker).patches),
}

// candidate is the candidate of the page's File objects.
func candidate(f *proto.Files) otce.Candidate {
	return otce.Candidate{
		Name:           f.Name,
		SourceFeatures: files(f.SourceFeatures),
		SourceLabels:   files(f.SourceLabels),
		TargetFeatures: files(f.TargetFeatures),
		TargetLabels:   files(f.TargetLabels),
		Accuracy:       f.Accuracy,
	}
}

func files(vs []js.Value) []dataset.File {
	out := make([]dataset.File, len(vs))
	for i, v := range vs {
		out[i] = blobfile.New(v, "")
	}
	return out
}

// openJob opens a candidate's files (otce.Prepare) for the Rep requests of
// a team's sampler.
func (w *worker) openJob(req *proto.Job, resp *proto.JobResponse, _ js.Value) error {
	if req.Files == nil {
		return errors.New("job without files")
	}
	w.job, w.sample, w.mapped = nil, nil, nil
	j, err := otce.Prepare(candidate(req.Files), req.Settings)
	if err != nil {
		return err
	}
	w.job = j
	resp.Job = &proto.JobInfo{
		Dim:          j.Source.Dim,
		SourceValid:  j.Source.Valid,
		TargetValid:  j.Target.Valid,
		SourceImages: len(j.Source.Images),
		TargetImages: len(j.Target.Images),
	}
	resp.Job.Warnings = append(append(resp.Job.Warnings, j.Source.Warnings...), j.Target.Warnings...)
	return nil
}

// rep draws and solves one repetition of the open job alone
// (otce.Job.SolveRep), for a team's sampler; the sample goes back without
// its features.
func (w *worker) rep(req *proto.Rep, resp *proto.RepResponse, _ js.Value) error {
	if w.job == nil {
		return errors.New("a repetition asked before a job was opened")
	}
	w.release()
	smp, sol, err := w.job.SolveRep(context.Background(), req.Rep, nil)
	if err != nil {
		return err
	}
	resp.Sample, resp.Solution = smp.Brief(), sol
	return nil
}

// buildBlocks builds the hosted blocks of a problem.
func (w *worker) buildBlocks(req *proto.Blocks, _ *proto.Done, _ js.Value) error {
	w.release()
	p := req.Problem
	if req.OwnSample {
		// The sampler's own sample: a copy of its problem from the page
		// would be the features again (20 MB at d = 256, N = 10⁴).
		if w.sample == nil || p != nil {
			return errors.New("blocks of the own sample asked without a sample, or with a problem")
		}
		p = w.sample.Problem
	}
	if p == nil {
		return errors.New("blocks asked without a problem")
	}
	part := ot.Partition(p.N)
	t := ot.NewTarget(p)
	for _, i := range req.Blocks {
		if i < 0 || i >= len(part) {
			return fmt.Errorf("block %d outside the partition of %d rows", i, p.N)
		}
		w.blocks = append(w.blocks, ot.NewBlock(p, t, part[i][0], part[i][1]))
	}
	w.problem, w.target = p, t
	w.nb = 0
	if n := len(req.Blocks); n > 0 && req.Blocks[n-1]-req.Blocks[0] == n-1 {
		w.first, w.nb = req.Blocks[0], len(part)
	}
	return nil
}

// op runs a block operation on the hosted blocks.
func (w *worker) op(req *proto.Op, resp *proto.OpResponse, _ js.Value) error {
	if req.Op == nil {
		return errors.New("op message without an operation")
	}
	replies, err := w.runOp(req.Op)
	resp.Replies = replies
	return err
}

// port keeps one end of a MessageChannel (connect).
func (w *worker) port(req *proto.Port, _ *proto.Done, _ js.Value) error {
	if req.Port.Type() != js.TypeObject {
		return errors.New("port message without a port")
	}
	w.connect(req.Peer, req.Port)
	return nil
}

// warm scores a small demo so that the browser compiles the hot code. The
// browser first runs WebAssembly from a quick baseline compilation and
// optimises the functions that turn out hot: the first run of the page took
// twice as long as the next (d = 19, N = 2000). A small demo scored at the
// authors' setting (exact plan, sparse kernel) and at cost-norm max (dense
// kernel) runs every hot loop once, while the page waits for files.
func (w *worker) warm(*proto.Warm, *proto.Done, js.Value) error {
	c := otce.DemoCandidates()[0]
	for _, norm := range []settings.CostNorm{settings.NormNone, settings.NormMax} {
		s := otce.DefaultSettings()
		s.N, s.K, s.CostNorm = 600, 1, norm
		if r := otce.Score(context.Background(), c, s, 1, nil); r.Error != "" {
			return errors.New("warm-up: " + r.Error)
		}
	}
	debug.FreeOSMemory()
	return nil
}

// give moves the cost rows of a hosted block out to the sampler; with
// req.Cost it first computes them, for any block of the partition, into
// the scratch rows, which the next block reuses (the block keeps none: the
// sampler hosts it until Host).
func (w *worker) give(req *proto.Give, resp *proto.GiveResponse, _ js.Value) error {
	if req.Cost && !req.Kernel {
		return w.giveCost(req.Block, resp)
	}
	b, err := w.hostedBlock(req.Block)
	if err != nil {
		return err
	}
	if req.Kernel && req.Drop {
		if len(w.blocks) == 0 || w.blocks[0] != b {
			return fmt.Errorf("block %d given away is not the first hosted here", req.Block)
		}
		if err := w.giveKernel(b, resp); err != nil {
			return err
		}
		w.blocks = w.blocks[1:]
		w.first++
		return nil
	}
	if req.Kernel {
		return w.giveKernel(b, resp)
	}
	return w.giveRows(b, resp)
}

// giveCost computes the cost rows of block i of the current problem's
// partition, hosted here or not (the sampler shares the blocks out as the
// workers get free: pipeline), into the scratch rows, and gives them with
// the reply to OpCost with statistics.
func (w *worker) giveCost(i int, resp *proto.GiveResponse) error {
	if w.problem == nil {
		return errors.New("cost rows asked without a problem")
	}
	part := ot.Partition(w.problem.N)
	if i < 0 || i >= len(part) {
		return fmt.Errorf("block %d outside the partition of %d rows", i, w.problem.N)
	}
	lo, hi := part[i][0], part[i][1]
	n := (hi - lo) * w.problem.M
	if cap(w.scratch) < n {
		w.scratch = nil
		w.scratch = make([]float32, n)
	}
	b, err := ot.NewCostBlock(w.problem, w.target, lo, hi, w.scratch[:n])
	if err != nil {
		return err
	}
	rep, err := b.Do(&ot.Op{Kind: ot.OpCost, Stats: true})
	if err != nil {
		return err
	}
	resp.Replies = []*ot.Reply{rep}
	return w.giveRows(b, resp)
}

// giveRows gives block b's cost rows (OpRows) in resp.Rows.
func (w *worker) giveRows(b *ot.Block, resp *proto.GiveResponse) error {
	rep, err := b.Do(&ot.Op{Kind: ot.OpRows})
	if err != nil {
		return err
	}
	// One copy out of the Go memory; postMessage then moves the buffer.
	resp.Rows = []js.Value{jsBytes(float32Bytes(rep.Costs))}
	tightenGC()
	return nil
}

// giveKernel moves hosted block b's kernel out to the sampler (Give with
// Kernel): its state in resp.Kernel, the entries in resp.Rows; an empty
// block of the same rows takes its place, so that its memory goes.
func (w *worker) giveKernel(b *ot.Block, resp *proto.GiveResponse) error {
	s, err := b.Kernel()
	if err != nil {
		return err
	}
	resp.Kernel, resp.Rows = kernelArrays(s)
	for i := range w.blocks {
		if w.blocks[i] == b {
			w.blocks[i] = ot.NewBlock(w.problem, w.target, b.Lo, b.Hi)
		}
	}
	tightenGC()
	return nil
}

// lentBlock returns the block of the kernel state s whose entries are in
// the Uint8Arrays k (Give with Kernel), for problem p and target t.
func lentBlock(p *ot.Problem, t *ot.Target, s *ot.KernelState, k []js.Value) (*ot.Block, error) {
	if s == nil || s.Hi <= s.Lo || s.Hi > p.N {
		return nil, errors.New("a kernel without its state, or of rows outside the problem")
	}
	st := *s
	var err error
	switch len(k) {
	case 1:
		st.Dense = make([]float32, (st.Hi-st.Lo)*p.M)
		err = fill(sliceBytes(st.Dense), k[0])
	case 3:
		// The columns in 16 bits or 32, as the problem's size decides
		// (ot.SparseEntryBytes).
		nz := k[0].Length() / 4
		st.Values, st.Starts = make([]float32, nz), make([]int, st.Hi-st.Lo+1)
		cols := []byte(nil)
		if ot.SparseEntryBytes(p.M) == 6 {
			st.Cols16 = make([]uint16, nz)
			cols = sliceBytes(st.Cols16)
		} else {
			st.Cols = make([]int32, nz)
			cols = sliceBytes(st.Cols)
		}
		err = errors.Join(fill(sliceBytes(st.Values), k[0]), fill(cols, k[1]), fill(sliceBytes(st.Starts), k[2]))
	default:
		err = fmt.Errorf("a kernel in %d arrays", len(k))
	}
	if err != nil {
		return nil, fmt.Errorf("the kernel of rows [%d, %d): %w", s.Lo, s.Hi, err)
	}
	return ot.NewKernelBlock(p, t, &st)
}

// jsBytes copies b out of the Go memory into a new Uint8Array.
func jsBytes(b []byte) js.Value {
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	return u8
}

// host replaces hosted block req.Block by the block of the cost rows it
// gave the sampler (Give with Cost), which came back in req.Rows, and runs
// req.Op (the kernel) on it; or, with req.Kernel, by the block of the
// kernel the sampler built and hands over (an overlapped pool: overlap.go).
func (w *worker) host(req *proto.Host, resp *proto.HostResponse, _ js.Value) error {
	old, err := w.hostedBlock(req.Block)
	if err != nil {
		return err
	}
	if req.Kernel != nil {
		if req.Kernel.Lo != old.Lo || req.Kernel.Hi != old.Hi {
			return fmt.Errorf("the kernel of rows [%d, %d) handed over as block %d", req.Kernel.Lo, req.Kernel.Hi, req.Block)
		}
		b, err := lentBlock(w.problem, w.target, req.Kernel, req.Rows)
		if err != nil {
			return err
		}
		for i := range w.blocks {
			if w.blocks[i] == old {
				w.blocks[i] = b
			}
		}
		tightenGC()
		return nil
	}
	if req.Op == nil || len(req.Rows) != 1 {
		return fmt.Errorf("block %d given back without an operation or its cost rows", req.Block)
	}
	// The cost rows are all given, and the last block's are garbage once
	// its kernel took the sparse form: a collection first, so that this
	// block's rows take their pages instead of growing the memory (at
	// N = 10⁴, d = 19: 114 MB without it).
	w.scratch = nil
	runtime.GC()
	cost := make([]float32, (old.Hi-old.Lo)*w.problem.M)
	if err := fill(float32Bytes(cost), req.Rows[0]); err != nil {
		return fmt.Errorf("block %d's cost rows: %w", req.Block, err)
	}
	b, err := ot.NewCostBlock(w.problem, w.target, old.Lo, old.Hi, cost)
	if err != nil {
		return err
	}
	rep, err := b.Do(req.Op)
	if err != nil {
		return err
	}
	resp.Replies = []*ot.Reply{rep}
	for i := range w.blocks {
		if w.blocks[i] == old {
			w.blocks[i] = b
		}
	}
	tightenGC()
	return nil
}

// fill copies the Uint8Array u8 into dst, which it must fill exactly.
func fill(dst []byte, u8 js.Value) error {
	if n := u8.Length(); n != len(dst) {
		return fmt.Errorf("%d bytes where %d were expected", n, len(dst))
	}
	js.CopyBytesToGo(dst, u8)
	return nil
}

// releaseBlocks drops the hosted blocks.
func (w *worker) releaseBlocks(*proto.Release, *proto.Done, js.Value) error {
	w.release()
	return nil
}

// inspectFiles opens the headers of files and reports them.
func (w *worker) inspectFiles(req *proto.Inspect, resp *proto.InspectResponse, _ js.Value) error {
	for _, v := range req.Files {
		resp.Files = append(resp.Files, inspect(blobfile.New(v, "")))
	}
	return nil
}

// runOp runs op on the hosted blocks and returns their replies; those of
// OpIterate are combined (ot.CombineIterate) into one for each whole node
// of the solver's reduction tree: the same sums, in the same order, as the
// solver would make of the blocks' replies, and a fraction of the bytes.
func (w *worker) runOp(op *ot.Op) ([]*ot.Reply, error) {
	replies := make([]*ot.Reply, len(w.blocks))
	for i, b := range w.blocks {
		r, err := b.Do(op)
		if err != nil {
			return nil, err
		}
		replies[i] = r
	}
	// Cost and kernel rows come and go with the operations: the live
	// heap sets the collector's slack.
	tightenGC()
	if op.Kind == ot.OpIterate && w.nb > 0 {
		return ot.CombineIterate(replies, w.first, w.first+len(w.blocks), w.nb)
	}
	return replies, nil
}

// hostedBlock returns the hosted block of index i in the current problem's
// partition.
func (w *worker) hostedBlock(i int) (*ot.Block, error) {
	if w.problem == nil {
		return nil, errors.New("cost rows asked without a problem")
	}
	part := ot.Partition(w.problem.N)
	if i >= 0 && i < len(part) {
		for _, b := range w.blocks {
			if b.Lo == part[i][0] && b.Hi == part[i][1] {
				return b, nil
			}
		}
	}
	return nil, fmt.Errorf("block %d is not hosted here", i)
}

// take keeps the cost rows another worker computed for block i of the
// sample's partition (u8: their float32 bytes), for the next exact plan.
func (w *worker) take(i int, u8 js.Value) error {
	b, err := w.rowsBlock(i, u8, nil)
	if err != nil {
		return err
	}
	if w.given == nil {
		w.given = map[int]*ot.Block{}
	}
	w.given[b.Lo] = b
	return nil
}

// rowsBlock returns block i of the sample's partition holding the cost
// rows u8 (their float32 bytes) that another worker computed, with the
// target t (nil: for the exact plan only, see ot.NewCostBlock).
func (w *worker) rowsBlock(i int, u8 js.Value, t *ot.Target) (*ot.Block, error) {
	if w.sample == nil {
		return nil, errors.New("cost rows given without a sample")
	}
	p := w.sample.Problem
	part := ot.Partition(p.N)
	if i < 0 || i >= len(part) {
		return nil, fmt.Errorf("block %d outside the partition of %d rows", i, p.N)
	}
	lo, hi := part[i][0], part[i][1]
	cost := make([]float32, (hi-lo)*p.M)
	if err := fill(float32Bytes(cost), u8); err != nil {
		return nil, fmt.Errorf("block %d's cost rows: %w", i, err)
	}
	b, err := ot.NewCostBlock(p, t, lo, hi, cost)
	tightenGC()
	return b, err
}

// float32Bytes views x as its bytes (little endian in WebAssembly).
func float32Bytes(x []float32) []byte { return sliceBytes(x) }

// sliceBytes views a slice of fixed-size numbers as its bytes (little
// endian in WebAssembly).
func sliceBytes[T float32 | int32 | uint16 | int](x []T) []byte {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), len(x)*int(unsafe.Sizeof(x[0])))
}

// exactPlan solves the exact plan of the sample over the blocks of its
// partition: the hosted ones as they are, those whose rows other workers
// gave (take) as received, and the others built here for the solve;
// all but the hosted ones are dropped after it. When split is not nil and
// no block had to be built, the solve runs over split(blocks) (the blocks
// in partition order) instead.
func (w *worker) exactPlan(split func([]*ot.Block) ot.BlockSet) (*emd.Plan, error) {
	p := w.sample.Problem
	hosted := map[int]*ot.Block{}
	if w.problem != nil && w.problem.N == p.N && w.problem.M == p.M {
		// The blocks of this repetition (KindBlocks came with its sample).
		p = w.problem
		for _, b := range w.blocks {
			hosted[b.Lo] = b
		}
	}
	var t *ot.Target
	lb := &ot.LocalBlocks{Workers: 1}
	var built []*ot.Block
	for _, r := range ot.Partition(p.N) {
		if b, ok := hosted[r[0]]; ok && b.Hi == r[1] {
			lb.Blocks = append(lb.Blocks, b)
			continue
		}
		if b, ok := w.given[r[0]]; ok && b.Hi == r[1] {
			lb.Blocks = append(lb.Blocks, b)
			continue
		}
		if t == nil {
			t = ot.NewTarget(p)
		}
		b := ot.NewBlock(p, t, r[0], r[1])
		if _, err := b.Do(&ot.Op{Kind: ot.OpCost}); err != nil {
			return nil, err
		}
		lb.Blocks = append(lb.Blocks, b)
		built = append(built, b)
		tightenGC()
	}
	var bs ot.BlockSet = lb
	if split != nil && len(built) == 0 {
		bs = split(lb.Blocks)
	}
	plan, err := ot.ExactOverBlocks(context.Background(), bs, p)
	for _, b := range built {
		b.Do(&ot.Op{Kind: ot.OpRelease})
	}
	w.given = nil
	return plan, err
}

// release drops the blocks and returns their memory to the Go heap, so that
// the next repetition's kernel reuses it instead of growing the wasm memory,
// and the bytes read ahead of the files (blobfile.Forget).
func (w *worker) release() {
	// The files' bytes read ahead for the sampling (JavaScript memory).
	blobfile.Forget()
	if w.blocks == nil && w.problem == nil && w.given == nil && w.scratch == nil {
		return
	}
	w.blocks, w.problem, w.target, w.nb, w.given, w.scratch = nil, nil, nil, 0, nil, nil
	wire.Drop()
	debug.FreeOSMemory()
	tightenGC()
}

// inspect opens a file's header: its arrays' shapes, or the reader's error.
func inspect(f *blobfile.File) proto.FileInfo {
	fi := proto.FileInfo{Name: f.Name()}
	if arrays.IsBundle(f.Name()) {
		var b *arrays.Bundle
		var err error
		if arrays.Extension(f.Name()) == ".npz" {
			b, err = arrays.OpenNPZ(f, f.Size(), f.Name())
		} else {
			b, err = arrays.OpenSafetensors(f, f.Size(), f.Name())
		}
		if err != nil {
			fi.Error = err.Error()
			return fi
		}
		var parts []string
		for _, n := range b.Names() {
			a, err := b.Array(n)
			if err != nil {
				fi.Error = err.Error()
				return fi
			}
			parts = append(parts, n+" "+describe(a))
		}
		fi.Info = strings.Join(parts, ", ")
		return fi
	}
	a, err := arrays.Open(f, f.Size(), f.Name(), "")
	if err != nil {
		fi.Error = err.Error()
		return fi
	}
	fi.Info = describe(a)
	return fi
}

func describe(a *arrays.Array) string {
	dims := make([]string, len(a.Shape))
	for i, d := range a.Shape {
		dims[i] = fmt.Sprint(d)
	}
	return fmt.Sprintf("%s (%s)", strings.Join(dims, "×"), a.DType)
}
