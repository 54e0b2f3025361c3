//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"syscall/js"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/wasm/internal/proto"
)

// teamRep returns the otce.Options.Rep of a Score request whose small
// problem runs side by side on its team (req.Team: this worker first, then
// the others, each reached through its port): member 0 draws and solves
// here (otce.Job.SolveRep, with progress), member m > 0 in worker
// req.Team[m], which opens the files itself first (Job) and answers a Rep
// request per repetition. The second function, called after the loop,
// reads the answers still in flight (a loop that stopped early leaves some)
// and adds the members' message seconds to bench.
//
// This worker runs on one thread: it reads a member's answer, and sends
// its next request, only between its own repetitions. So each member gets
// its first repetitions with the Job, and always lookAhead repetitions
// beyond the one awaited, and works on while this worker solves.
func (w *worker) teamRep(req *proto.Score, progress func(otce.Progress), bench map[string]float64) (func(context.Context, *otce.Job, int, int) (*otce.Sample, *ot.Solution, error), func()) {
	t, k := len(req.Team), req.Settings.K
	// Each member's goroutine touches its own entries only.
	type member struct {
		p      *peer
		opened bool // the Job answered
		next   int  // the next repetition to ask for
		bench  map[string]float64
	}
	ms := make([]member, t)
	for m := range ms {
		ms[m] = member{next: m, bench: map[string]float64{}}
	}
	rep := func(ctx context.Context, j *otce.Job, m, rep int) (*otce.Sample, *ot.Solution, error) {
		if m == 0 {
			// The members' answers come in while this worker waits.
			yieldJS()
			w.release()
			smp, sol, err := j.SolveRep(ctx, rep, progress)
			if err != nil {
				return nil, nil, err
			}
			return smp.Brief(), sol, nil
		}
		me := &ms[m]
		if me.p == nil {
			i := req.Team[m]
			if i >= len(w.peers) || w.peers[i] == nil {
				return nil, nil, fmt.Errorf("no port to worker %d", i+1)
			}
			me.p = w.peers[i]
			// The files and the first repetitions at once: this worker
			// reads the Job's answer only after its own first repetition.
			me.p.send(&proto.Job{Settings: req.Settings, Files: req.Files})
		}
		for ; me.next < k && me.next <= rep+lookAhead*t; me.next += t {
			me.p.send(&proto.Rep{Rep: me.next})
		}
		if !me.opened {
			if err := me.p.wait(new(proto.JobResponse), me.bench); err != nil {
				return nil, nil, err
			}
			me.opened = true
		}
		r := new(proto.RepResponse)
		if err := me.p.wait(r, me.bench); err != nil {
			return nil, nil, err
		}
		return r.Sample, r.Solution, nil
	}
	done := func() {
		for _, me := range ms {
			for me.p != nil && len(me.p.inFlight) > 0 {
				me.p.discard()
			}
			for key, v := range me.bench {
				bench[key] += v
			}
		}
	}
	return rep, done
}

// lookAhead is how many repetitions past the one awaited a team's member
// is asked for (teamRep): the sampler reads its answers only between its
// own repetitions, whose iterations vary threefold (d = 256, N = 2000, raw
// cost: 525 to 1789), so with one ahead a member that drew short ones
// still waited for the sampler. A loop that stops early has them solved
// for nothing.
const lookAhead = 2

// yieldJS returns to the JavaScript event loop once: the messages that
// arrived meanwhile are handled (their callbacks run), then this goroutine
// goes on. Go in WebAssembly runs on one thread and hands control back to
// the event loop only when every goroutine waits.
//
// The way back is a message to this worker's own MessageChannel, not
// setTimeout(f, 0): this goroutine runs on inside the callback that woke
// it, so the timeouts of consecutive yields nest, and from the fifth on the
// browser delays each by at least 4 ms (the HTML standard's clamp; 4.0–4.2
// ms measured in a worker, e2e TestPingPong), 7 yields a pipeline of
// 16 blocks. A message is never delayed.
func yieldJS() {
	ch := make(chan struct{})
	yielded = ch
	yieldPort().Call("postMessage", nil)
	<-ch
}

var (
	// yieldTo is the port yieldJS posts to (made on first use); yielded
	// is closed when its message comes back.
	yieldTo js.Value
	yielded chan struct{}
)

// yieldPort returns the port yieldJS posts to: one end of a
// MessageChannel whose other end's handler wakes the yield.
func yieldPort() js.Value {
	if yieldTo.IsUndefined() {
		ch := js.Global().Get("MessageChannel").New()
		ch.Get("port1").Set("onmessage", js.FuncOf(func(js.Value, []js.Value) any {
			if yielded != nil {
				close(yielded)
				yielded = nil
			}
			return nil
		}))
		yieldTo = ch.Get("port2")
	}
	return yieldTo
}
