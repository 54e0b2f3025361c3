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
// request per repetition. The second function adds the members' message
// seconds to bench, after the loop.
func (w *worker) teamRep(req *proto.Score, progress func(otce.Progress), bench map[string]float64) (func(context.Context, *otce.Job, int, int) (*otce.Sample, *ot.Solution, error), func()) {
	// Each member's goroutine touches its own entries only.
	opened := make([]bool, len(req.Team))
	benches := make([]map[string]float64, len(req.Team))
	for m := range benches {
		benches[m] = map[string]float64{}
	}
	rep := func(ctx context.Context, j *otce.Job, m, rep int) (*otce.Sample, *ot.Solution, error) {
		if m == 0 {
			// The members' answers are read, and their next requests
			// sent, only while this worker waits: its own solve would
			// otherwise hold them back until its repetitions are all done.
			yieldJS()
			w.release()
			smp, sol, err := j.SolveRep(ctx, rep, progress)
			if err != nil {
				return nil, nil, err
			}
			return smp.Brief(), sol, nil
		}
		i := req.Team[m]
		if i >= len(w.peers) || w.peers[i] == nil {
			return nil, nil, fmt.Errorf("no port to worker %d", i+1)
		}
		p := w.peers[i]
		if !opened[m] {
			if _, err := call(p, &proto.Job{Settings: req.Settings, Files: req.Files}, benches[m]); err != nil {
				return nil, nil, err
			}
			opened[m] = true
		}
		r, err := call(p, &proto.Rep{Rep: rep}, benches[m])
		if err != nil {
			return nil, nil, err
		}
		return r.Sample, r.Solution, nil
	}
	merge := func() {
		for _, b := range benches {
			for k, v := range b {
				bench[k] += v
			}
		}
	}
	return rep, merge
}

// yieldJS returns to the JavaScript event loop once: the messages that
// arrived meanwhile are handled (their callbacks run), then this goroutine
// goes on. Go in WebAssembly runs on one thread and hands control back to
// the event loop only when every goroutine waits.
func yieldJS() {
	ch := make(chan struct{})
	f := js.FuncOf(func(js.Value, []js.Value) any {
		close(ch)
		return nil
	})
	js.Global().Call("setTimeout", f, 0)
	<-ch
	f.Release()
}
