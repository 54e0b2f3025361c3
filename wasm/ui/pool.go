//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"
	"time"

	"github.com/otceseg/otceseg/wasm/internal/proto"
	"github.com/otceseg/otceseg/wasm/internal/wire"
)

// errWorkerLost marks a failure of a worker itself (it stopped, ran out of
// memory, was terminated): the pool must be restarted.
var errWorkerLost = errors.New("a worker stopped")

// worker is the page's handle on one web worker.
type worker struct {
	index int
	name  string
	v     js.Value

	mu      sync.Mutex
	next    int
	pending map[int]chan js.Value
	lost    chan struct{} // closed when the worker is gone
	lostErr error
	ready   chan struct{}
	funcs   []js.Func
	// progress, when set, receives the worker's Progress messages.
	progress func(proto.Progress)
	// down is shared by the pool's workers: a call to any worker ends when
	// any of them is lost, so that a worker dying while another one solves
	// alone still ends the run (the pool must be restarted either way).
	down *downSignal
}

// downSignal is closed, once, with the error of the first worker lost.
type downSignal struct {
	once sync.Once
	ch   chan struct{}
	err  error
}

func (d *downSignal) set(err error) {
	d.once.Do(func() {
		d.err = err
		close(d.ch)
	})
}

// pool is the set of workers of the page.
type pool struct {
	workers []*worker
	// linked holds the pairs {i, j} of workers where i reaches j through a
	// MessageChannel (connect, link).
	mu     sync.Mutex
	linked map[[2]int]bool
}

// await waits for a JS promise.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	type res struct {
		v   js.Value
		err error
	}
	ch := make(chan res, 1)
	var then, catch js.Func
	then = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- res{v: args[0]}
		return nil
	})
	catch = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := args[0].Call("toString").String()
		if m := args[0].Get("message"); m.Type() == js.TypeString {
			msg = m.String()
		}
		ch <- res{err: errors.New(msg)}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

// newPool starts n workers and waits until each has its Go program running.
func newPool(ctx context.Context, n int) (*pool, error) {
	boot := js.Global().Get("otceBoot")
	mod, err := await(ctx, boot.Get("workerModule"))
	if err != nil {
		return nil, fmt.Errorf("cannot compile the worker: %w", err)
	}
	p := &pool{}
	poolSeq++
	down := &downSignal{ch: make(chan struct{})}
	for i := 0; i < n; i++ {
		w := &worker{index: i, pending: map[int]chan js.Value{}, lost: make(chan struct{}), ready: make(chan struct{}), down: down}
		w.name = fmt.Sprintf("otce-worker-%x-%d-%d", pageToken, poolSeq, i)
		w.v = boot.Call("newWorker", mod, w.name)
		onMsg := js.FuncOf(func(_ js.Value, args []js.Value) any {
			w.receive(args[0].Get("data"))
			return nil
		})
		onErr := js.FuncOf(func(_ js.Value, args []js.Value) any {
			msg := "worker error"
			if m := args[0].Get("message"); m.Type() == js.TypeString {
				msg = m.String()
			}
			args[0].Call("preventDefault")
			w.fail(fmt.Errorf("%w: %s", errWorkerLost, msg))
			return nil
		})
		w.funcs = append(w.funcs, onMsg, onErr)
		w.v.Set("onmessage", onMsg)
		w.v.Set("onerror", onErr)
		w.v.Set("onmessageerror", onErr)
		p.workers = append(p.workers, w)
	}
	for _, w := range p.workers {
		select {
		case <-w.ready:
		case <-w.lost:
			p.terminate()
			return nil, w.lostErr
		case <-ctx.Done():
			p.terminate()
			return nil, ctx.Err()
		}
	}
	for _, w := range p.workers {
		w.watch()
	}
	if err := p.connect(ctx); err != nil {
		p.terminate()
		return nil, err
	}
	return p, nil
}

// connect gives the sampler (worker 0) a MessageChannel to each other
// worker, through which it drives a solve over the pool (proto.Score).
func (p *pool) connect(ctx context.Context) error {
	all := make([]int, len(p.workers))
	for i := range all {
		all[i] = i
	}
	return p.link(ctx, all)
}

// link gives team[0], a team's sampler, a MessageChannel to each other
// worker of the team that it has none to yet: it reaches them through it
// (proto.Score with a Team, or over the pool), and they answer on it.
func (p *pool) link(ctx context.Context, team []int) error {
	mc := js.Global().Get("MessageChannel")
	for _, j := range team[1:] {
		pair := [2]int{team[0], j}
		p.mu.Lock()
		done := p.linked[pair]
		p.mu.Unlock()
		if done {
			continue
		}
		ch := mc.New()
		if _, err := call(ctx, p.workers[j], &proto.Port{Port: ch.Get("port2")}); err != nil {
			return err
		}
		if _, err := call(ctx, p.workers[team[0]], &proto.Port{Peer: j, Port: ch.Get("port1")}); err != nil {
			return err
		}
		p.mu.Lock()
		if p.linked == nil {
			p.linked = map[[2]int]bool{}
		}
		p.linked[pair] = true
		p.mu.Unlock()
	}
	return nil
}

// poolSeq numbers the pools and pageToken tells pages apart, so that each
// worker's lock name is its own.
var (
	poolSeq   int
	pageToken = time.Now().UnixNano()
)

// watch notices a worker's death however it comes (terminated, closed,
// crashed, out of memory), which raises no event on the page: the worker
// holds the Web Lock named after it for its whole life (worker.js), and the
// page's request for the same lock is granted only when the worker is gone.
func (w *worker) watch() {
	locks := js.Global().Get("navigator").Get("locks")
	if !locks.Truthy() {
		return
	}
	var cb js.Func
	cb = js.FuncOf(func(js.Value, []js.Value) any {
		w.fail(fmt.Errorf("%w: it was killed, crashed or ran out of memory", errWorkerLost))
		go cb.Release()
		return nil
	})
	locks.Call("request", "otce-alive-"+w.name, cb)
}

// receive runs in the JS event loop: it must not block.
func (w *worker) receive(data js.Value) {
	if data.Type() != js.TypeObject {
		return
	}
	if f := data.Get("Fatal"); f.Type() == js.TypeString {
		w.fail(fmt.Errorf("%w: %s", errWorkerLost, f.String()))
		return
	}
	if r := data.Get("Ready"); r.Type() == js.TypeBoolean {
		select {
		case <-w.ready:
		default:
			close(w.ready)
		}
		return
	}
	if pr := data.Get("Progress"); pr.Truthy() {
		var msg proto.Progress
		w.mu.Lock()
		f := w.progress
		w.mu.Unlock()
		if f != nil && wire.Decode(data, &msg) == nil && msg.Progress != nil {
			go f(msg)
		}
		return
	}
	id, ok := proto.ResponseID(data)
	if !ok {
		return
	}
	w.mu.Lock()
	ch := w.pending[id]
	delete(w.pending, id)
	w.mu.Unlock()
	if ch != nil {
		ch <- data // buffered
	}
}

func (w *worker) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.lost:
		return
	default:
	}
	w.lostErr = err
	close(w.lost)
	w.down.set(fmt.Errorf("worker %d: %w", w.index+1, err))
}

// setProgress routes the worker's progress messages to f (nil: drop them).
func (w *worker) setProgress(f func(proto.Progress)) {
	w.mu.Lock()
	w.progress = f
	w.mu.Unlock()
}

// call posts req to w and waits for its response, of the type req asks for
// (proto.Asks); the error is the response's, or the worker's loss.
func call[Q proto.Asks[R], R proto.Response](ctx context.Context, w *worker, req Q) (R, error) {
	r := req.Answer()
	err := w.call(ctx, req, r)
	return r, err
}

// call posts req and fills r with its response; see the function call.
func (w *worker) call(ctx context.Context, req proto.Request, r proto.Response) error {
	w.mu.Lock()
	w.next++
	id := w.next
	ch := make(chan js.Value, 1)
	w.pending[id] = ch
	w.mu.Unlock()
	select {
	case <-w.lost:
		return w.lostErr
	case <-w.down.ch:
		return w.down.err
	default:
	}
	t0 := time.Now()
	obj, transfer := proto.EncodeRequest(id, req)
	w.v.Call("postMessage", obj, wire.Transfer(transfer))
	benchAdd("msg:post", t0)
	select {
	case data := <-ch:
		t1 := time.Now()
		if err := proto.DecodeResponse(data, req.Kind(), r); err != nil {
			return err
		}
		benchAdd("msg:decode", t1)
		return r.Head().Error()
	case <-w.lost:
		return w.lostErr
	case <-w.down.ch:
		return w.down.err
	case <-ctx.Done():
		w.mu.Lock()
		delete(w.pending, id)
		w.mu.Unlock()
		return ctx.Err()
	}
}

// terminate stops every worker at once (Cancel, or a lost worker).
func (p *pool) terminate() {
	for _, w := range p.workers {
		w.v.Call("terminate")
		w.fail(fmt.Errorf("%w: terminated", errWorkerLost))
		for _, f := range w.funcs {
			f.Release()
		}
		w.funcs = nil
	}
}

// all sends a request built by mk to every worker i of p with include(i)
// (nil: all), in parallel, and returns the responses by worker index (nil
// for the workers left out).
func all[Q proto.Asks[R], R proto.Response](ctx context.Context, p *pool, include func(i int) bool, mk func(i int) Q) ([]R, error) {
	type res struct {
		i    int
		resp R
		err  error
	}
	ch := make(chan res, len(p.workers))
	n := 0
	for i, w := range p.workers {
		if include != nil && !include(i) {
			continue
		}
		n++
		req := mk(i)
		go func() {
			r, err := call(ctx, w, req)
			ch <- res{i, r, err}
		}()
	}
	out := make([]R, len(p.workers))
	var first error
	for ; n > 0; n-- {
		r := <-ch
		out[r.i] = r.resp
		if r.err != nil && (first == nil || errors.Is(r.err, errWorkerLost)) {
			first = r.err
		}
	}
	return out, first
}

// alive reports whether every worker is still running.
func (p *pool) alive() bool {
	for _, w := range p.workers {
		select {
		case <-w.lost:
			return false
		default:
		}
	}
	return true
}
