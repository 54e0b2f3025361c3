//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/wasm/internal/proto"
	"honnef.co/go/js/dom/v2"
)

// progressView shows where a run is and how long it may take.
type progressView struct {
	root  dom.Element
	bar   dom.Element
	text  dom.Element
	timer dom.Element

	mu    sync.Mutex
	st    progressState
	start time.Time
}

type progressState struct {
	cand, cands int
	name        string
	rep, k      int
	phase       string
	ot          ot.Progress
	repsDone    int     // repetitions finished over the whole run
	repIters    float64 // mean iterations of the finished repetitions
	itersSeen   int
	solved      int // repetitions solved (for repIters)
}

func newProgressView() *progressView {
	p := &progressView{}
	p.bar = el("progress", attrs{"id": "overall", "max": "1", "value": "0"})
	p.text = el("p", attrs{"id": "progress-text", "class": "progress-text"})
	p.timer = el("p", attrs{"id": "progress-time", "class": "progress-text"})
	p.root = el("div", attrs{"class": "progress", "hidden": ""}, p.bar, p.text, p.timer)
	return p
}

func (p *progressView) update(f func(st *progressState)) {
	p.mu.Lock()
	f(&p.st)
	p.mu.Unlock()
}

// fraction estimates the share of the run done: finished repetitions, plus
// the current one's iterations against the mean of the finished ones (or its
// ε stage while none has finished).
func (st *progressState) fraction() float64 {
	total := float64(st.cands * st.k)
	if total == 0 {
		return 0
	}
	cur := 0.0
	if st.ot.Stages > 0 {
		if st.repIters > 0 {
			cur = float64(st.ot.Iteration) / st.repIters
		} else {
			cur = float64(st.ot.Stage-1) / float64(st.ot.Stages)
		}
		if cur > 0.95 {
			cur = 0.95
		}
	}
	return (float64(st.repsDone) + cur) / total
}

func clock(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

func (p *progressView) draw(done bool) {
	p.mu.Lock()
	st := p.st
	p.mu.Unlock()
	f := st.fraction()
	if done {
		f = 1
	}
	setProp(p.bar, "value", f)
	var b strings.Builder
	fmt.Fprintf(&b, "Candidate %d of %d (%s)", st.cand, st.cands, st.name)
	if st.k > 0 && st.rep > 0 {
		fmt.Fprintf(&b, " · repetition %d of %d", st.rep, st.k)
	}
	if st.phase != "" {
		b.WriteString(" · " + st.phase)
	} else if st.ot.Stages > 0 {
		fmt.Fprintf(&b, " · ε stage %d of %d (ε = %.3g) · iteration %d · marginal error %.2g",
			st.ot.Stage, st.ot.Stages, st.ot.Eps, st.ot.Iteration, st.ot.Error)
	}
	if done {
		p.text.SetTextContent(fmt.Sprintf("All %d candidate(s) done.", st.cands))
	} else {
		p.text.SetTextContent(b.String())
	}
	el := time.Since(p.start)
	t := "Elapsed " + clock(el)
	if !done && f > 0.02 && el > 2*time.Second {
		t += " · about " + clock(time.Duration(float64(el)*(1-f)/f)) + " left"
	}
	p.timer.SetTextContent(t)
}

// start begins a run of every candidate with the settings on the page.
func (a *app) start() {
	if a.running {
		return
	}
	s, err := a.readSettings()
	a.setErr.SetTextContent("")
	show(a.setErr, false)
	if err != nil {
		a.setErr.SetTextContent(err.Error())
		show(a.setErr, true)
		a.status.SetTextContent("Fix the settings first.")
		return
	}
	workers := a.workerCount()
	if err := checkMemory(s.N, s.N, 1, workers); err != nil {
		a.status.SetTextContent("Refused: " + err.Error())
		setState("refused")
		return
	}
	type job struct {
		c     *candidate
		files *proto.Files
		err   error
	}
	var jobs []job
	for _, c := range a.cands {
		c.setError("")
		c.sf.clearErrors()
		c.sl.clearErrors()
		c.tf.clearErrors()
		a.target.clearErrors()
		j := job{c: c}
		acc, err := c.accuracy()
		j.err = err
		f := &proto.Files{
			Name:           strings.TrimSpace(value(c.name)),
			SourceFeatures: c.sf.files,
			SourceLabels:   c.sl.files,
			TargetFeatures: c.tf.files,
			TargetLabels:   a.target.files,
			Accuracy:       acc,
		}
		if len(f.SourceLabels) == 0 && isBundle(f.SourceFeatures) {
			f.SourceLabels = f.SourceFeatures
		}
		if len(f.TargetLabels) == 0 && isBundle(f.TargetFeatures) {
			f.TargetLabels = f.TargetFeatures
		}
		if f.Name == "" {
			f.Name = fmt.Sprintf("model-%d", c.id)
		}
		j.files = f
		jobs = append(jobs, j)
	}
	if len(jobs) == 0 {
		a.status.SetTextContent("Add a candidate first.")
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.running = true
	a.lockSettings(true)
	setDisabled(a.runBtn, true)
	setDisabled(a.demoBtn, true)
	setDisabled(a.stopBtn, false)
	setState("running")
	a.results.clear()
	a.status.SetTextContent(fmt.Sprintf("Scoring %d candidate(s) with %d worker(s)…", len(jobs), workers))
	pv := a.progress
	pv.st = progressState{cands: len(jobs), k: s.K}
	pv.start = time.Now()
	benchReset()
	show(pv.root, true)
	for _, j := range jobs {
		j.c.progress.SetTextContent("queued")
	}

	stopDraw := make(chan struct{})
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopDraw:
				return
			case <-t.C:
				pv.draw(false)
			}
		}
	}()

	go func() {
		var results []report.Candidate
		cancelled := false
		for i, j := range jobs {
			pv.update(func(st *progressState) {
				st.cand, st.name, st.rep, st.phase, st.ot = i+1, j.files.Name, 0, "opening the files", ot.Progress{}
			})
			j.c.progress.SetTextContent("running…")
			var res report.Candidate
			if j.err != nil {
				res = failed(j.files, s, j.err)
			} else {
				res = a.score(ctx, j.files, s, workers, pv)
			}
			if ctx.Err() != nil {
				cancelled = true
				j.c.progress.SetTextContent("cancelled")
				break
			}
			pv.update(func(st *progressState) {
				st.repsDone = (i + 1) * s.K
			})
			if res.Error != "" {
				j.c.progress.SetTextContent("failed")
				a.showCandidateError(j.c, res.Error)
			} else {
				j.c.progress.SetTextContent(fmt.Sprintf("done: OTCE = %.4f ± %.4f", res.OTCEMean, res.OTCEStd))
			}
			results = append(results, res)
			a.results.show(results, s)
		}
		close(stopDraw)
		pv.draw(!cancelled)
		a.running = false
		a.cancel = nil
		a.lockSettings(false)
		setDisabled(a.runBtn, false)
		setDisabled(a.demoBtn, false)
		setDisabled(a.stopBtn, true)
		for _, j := range jobs[len(results):] {
			if cancelled {
				j.c.progress.SetTextContent("cancelled")
			}
		}
		if cancelled {
			a.status.SetTextContent(fmt.Sprintf("Cancelled after %s. %d candidate(s) finished.", clock(time.Since(pv.start)), len(results)))
			setState("cancelled")
			return
		}
		nerr := 0
		for _, r := range results {
			if r.Error != "" {
				nerr++
			}
		}
		msg := fmt.Sprintf("Done in %s: %d candidate(s) scored", clock(time.Since(pv.start)), len(results)-nerr)
		if nerr > 0 {
			msg += fmt.Sprintf(", %d failed (see the messages above)", nerr)
		}
		a.status.SetTextContent(msg + ".")
		setState("done")
	}()
}

// stop cancels the run: the workers are terminated at once, which stops even
// a long block operation; the next run starts fresh ones.
func (a *app) stop() {
	if !a.running || a.cancel == nil {
		return
	}
	a.status.SetTextContent("Cancelling…")
	a.cancel()
	a.dropPool()
}

// failed is the report of a candidate that failed before its job opened.
func failed(f *proto.Files, s report.Settings, err error) report.Candidate {
	return report.Candidate{Name: f.Name, Accuracy: f.Accuracy, Settings: s, Warnings: []string{}, Error: err.Error()}
}

// showCandidateError puts the core's message next to the file it names, or
// under the candidate.
func (a *app) showCandidateError(c *candidate, msg string) {
	shown := false
	for _, fl := range []*fileList{c.sf, c.sl, c.tf, a.target} {
		if fl.showError(msg) {
			shown = true
		}
	}
	if !shown {
		c.setError(msg)
	}
}

// score runs one candidate: the sampler worker opens the files and draws each
// repetition's pixels; every worker builds its blocks of the problem; the
// solver runs here over the workers' blocks; the sampler keeps the summary.
// This is otce.Score with the blocks in workers.
// localLimit is localSolveMax, or globalThis.otceLocalSolveMax when a test
// sets it (0 sends every problem to the pool).
func localLimit() int64 {
	if v := js.Global().Get("otceLocalSolveMax"); v.Type() == js.TypeNumber {
		return int64(v.Float())
	}
	return localSolveMax
}

// localSolveMax is the largest problem (N·M kernel entries: 16 MB of
// float32) that one worker solves alone instead of the pool.
const localSolveMax = 4 << 20

func (a *app) score(ctx context.Context, f *proto.Files, s report.Settings, workers int, pv *progressView) report.Candidate {
	p, err := a.ensurePool(ctx, workers)
	if err != nil {
		return failed(f, s, err)
	}
	lost := func(err error) report.Candidate {
		if ctx.Err() != nil {
			return failed(f, s, errors.New("cancelled"))
		}
		a.dropPool()
		return failed(f, s, fmt.Errorf("%v — the workers were restarted; if memory ran out, lower -n or raise --workers", err))
	}
	sampler := p.workers[0]
	// fail records err in the sampler's summary, so that the report keeps the
	// repetitions done, as the CLI's does.
	fail := func(err error) report.Candidate {
		if errors.Is(err, errWorkerLost) || ctx.Err() != nil {
			return lost(err)
		}
		resp, rerr := sampler.call(ctx, &proto.Request{Kind: proto.KindResult, Err: err.Error()})
		if rerr != nil || resp.Result == nil {
			return failed(f, s, err)
		}
		return *resp.Result
	}
	resp, err := sampler.call(ctx, &proto.Request{Kind: proto.KindJob, Settings: &s, Files: f})
	if err != nil {
		if resp != nil && resp.Result != nil {
			return *resp.Result
		}
		if errors.Is(err, errWorkerLost) || ctx.Err() != nil {
			return lost(err)
		}
		return failed(f, s, err)
	}
	info := resp.Job
	n, m := s.N, s.N
	if int64(n) > info.SourceValid {
		n = int(info.SourceValid)
	}
	if int64(m) > info.TargetValid {
		m = int(info.TargetValid)
	}
	if err := checkMemory(n, m, info.Dim, len(p.workers)); err != nil {
		return fail(err)
	}
	var last *ot.Solution
	for rep := 0; rep < s.K; rep++ {
		pv.update(func(st *progressState) { st.rep, st.phase, st.ot = rep+1, "sampling pixels", ot.Progress{} })
		t0 := time.Now()
		sresp, err := sampler.call(ctx, &proto.Request{Kind: proto.KindSample, Rep: rep})
		benchAdd("sample", t0)
		if err != nil {
			return fail(err)
		}
		smp := sresp.Sample
		if rep > 0 && smp.AllPixels && last != nil {
			// Same pixels, same problem: as the CLI, reuse the solution.
			if _, err := sampler.call(ctx, &proto.Request{Kind: proto.KindAdd, Solution: last}); err != nil {
				return fail(err)
			}
			pv.update(func(st *progressState) { st.repsDone++ })
			continue
		}
		var sol *ot.Solution
		if int64(smp.Problem.N)*int64(smp.Problem.M) <= localLimit() {
			sol, err = solveAlone(ctx, sampler, s, pv)
		} else {
			sol, err = solveOnPool(ctx, p, smp, s, pv)
		}
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return fail(errors.New("cancelled"))
			}
			return fail(err)
		}
		if _, err := sampler.call(ctx, &proto.Request{Kind: proto.KindAdd, Solution: sol}); err != nil {
			return fail(err)
		}
		last = sol
		pv.update(func(st *progressState) {
			st.itersSeen += sol.Iterations
			st.solved++
			st.repsDone++
			st.repIters = float64(st.itersSeen) / float64(st.solved)
		})
	}
	rresp, err := sampler.call(ctx, &proto.Request{Kind: proto.KindResult})
	if err != nil {
		return fail(err)
	}
	return *rresp.Result
}

// solveAlone has the sampler solve its last sample by itself: for a small
// problem, messages per iteration would cost more than the iterations. Its
// progress comes as messages.
func solveAlone(ctx context.Context, sampler *worker, s report.Settings, pv *progressView) (*ot.Solution, error) {
	pv.update(func(st *progressState) { st.phase = "" })
	t0 := time.Now()
	sampler.setProgress(func(pr ot.Progress) {
		pv.update(func(st *progressState) { st.ot = pr })
	})
	resp, err := sampler.call(ctx, &proto.Request{Kind: proto.KindSolve, Settings: &s})
	sampler.setProgress(nil)
	benchAdd("solve", t0)
	if err != nil {
		return nil, err
	}
	benchSolution(resp.Solution)
	return resp.Solution, nil
}

// solveOnPool spreads the sample's row blocks over the pool and runs the
// solver here, one round of messages per block operation.
func solveOnPool(ctx context.Context, p *pool, smp *otce.Sample, s report.Settings, pv *progressView) (*ot.Solution, error) {
	pv.update(func(st *progressState) { st.phase = "building the kernel blocks" })
	nb := len(ot.Partition(smp.Problem.N))
	asg := assign(nb, len(p.workers))
	t0 := time.Now()
	if _, err := p.all(ctx, func(i int) bool { return len(asg[i]) > 0 }, func(i int) *proto.Request {
		return &proto.Request{Kind: proto.KindBlocks, Problem: smp.Problem, Blocks: asg[i]}
	}); err != nil {
		return nil, err
	}
	benchAdd("blocks", t0)
	pv.update(func(st *progressState) { st.phase = "" })
	bs := &blockSet{ctx: ctx, pool: p, assign: asg, n: nb}
	t0 = time.Now()
	sol, err := otce.SolveSample(ctx, bs, smp, s, func(pr ot.Progress) {
		pv.update(func(st *progressState) { st.ot = pr })
	})
	benchAdd("solve", t0)
	if sol != nil {
		benchSolution(sol)
	}
	// Free the kernel before anything else, whatever happened.
	p.all(ctx, nil, func(int) *proto.Request { return &proto.Request{Kind: proto.KindRelease} })
	return sol, err
}
