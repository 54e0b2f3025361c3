//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/core/schedule"
	"github.com/otceseg/otceseg/wasm/internal/proto"
)

// start begins a run of every candidate with the settings on the page.
func (a *app) start() {
	if a.running || a.maps.busy {
		return
	}
	s, err := a.readSettings()
	a.setErr.SetTextContent("")
	show(a.setErr, false)
	if err != nil {
		a.setErr.SetTextContent(err.Error())
		show(a.setErr, true)
		a.status.SetTextContent("Fix the settings first.")
		a.results.markStale("the settings on the page have an error (" + err.Error() + "); these results were made by the settings below.")
		return
	}
	workers := a.workerCount()
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
	a.maps.clear()
	a.status.SetTextContent(fmt.Sprintf("Scoring %d candidate(s) with %d worker(s)…", len(jobs), workers))
	pv := a.progress
	// Small problems run side by side, one candidate a team of workers;
	// large ones one at a time over the whole pool (schedule.Teams).
	teams := schedule.Teams(s.N, len(jobs), workers, localLimit())
	conc := len(teams)
	pv.st = progressState{cands: len(jobs), k: s.K, solver: s.Solver.String(), maxIter: s.MaxIter, slots: make([]candProgress, conc)}
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
		out := make([]*report.Candidate, len(jobs))
		var mu sync.Mutex
		// shown draws the finished candidates, in the order of the page.
		shown := func() []report.Candidate {
			var rs []report.Candidate
			for _, r := range out {
				if r != nil {
					rs = append(rs, *r)
				}
			}
			return rs
		}
		next := make(chan int, len(jobs))
		for i := range jobs {
			next <- i
		}
		close(next)
		var wg sync.WaitGroup
		for slot := 0; slot < conc; slot++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ps := progressSlot{pv: pv, i: slot}
				for i := range next {
					if ctx.Err() != nil {
						return
					}
					j := jobs[i]
					ps.update(func(_ *progressState, c *candProgress) {
						*c = candProgress{active: true, cand: i + 1, name: j.files.Name, phase: "opening the files"}
					})
					j.c.progress.SetTextContent("running…")
					var res report.Candidate
					if j.err != nil {
						res = failed(j.files, s, j.err)
					} else {
						res = a.score(ctx, j.files, s, workers, teams[slot], ps)
					}
					ps.update(func(g *progressState, c *candProgress) {
						g.repsDone += s.K - c.done
						c.active = false
					})
					if ctx.Err() != nil {
						j.c.progress.SetTextContent("cancelled")
						return
					}
					if res.Error != "" {
						j.c.progress.SetTextContent("failed")
						a.showCandidateError(j.c, res)
					} else {
						j.c.progress.SetTextContent(fmt.Sprintf("done: OTCE = %.4f ± %.4f", res.OTCEMean, res.OTCEStd))
					}
					mu.Lock()
					out[i] = &res
					a.results.show(shown(), s)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		cancelled := ctx.Err() != nil
		results := shown()
		close(stopDraw)
		pv.draw(!cancelled)
		a.running = false
		a.cancel = nil
		a.lockSettings(false)
		setDisabled(a.runBtn, false)
		setDisabled(a.demoBtn, false)
		setDisabled(a.stopBtn, true)
		for i, j := range jobs {
			if cancelled && out[i] == nil {
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
		var scored []*proto.Files
		for i, j := range jobs {
			if out[i] != nil && out[i].Error == "" {
				scored = append(scored, j.files)
			}
		}
		a.maps.offer(scored, s)
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
	r := report.Candidate{Name: f.Name, Accuracy: f.Accuracy, Settings: s, Warnings: []string{}, Error: err.Error()}
	if fe := proto.FileErrorOf(err); fe != nil {
		r.ErrorFile = fe.File
	}
	return r
}

// showCandidateError puts the core's message next to the file it is about
// (res.ErrorFile), or under the candidate when it is about no one file.
func (a *app) showCandidateError(c *candidate, res report.Candidate) {
	msg := res.Error + leftoverHint(res.Error, c.tf.files, a.target.files)
	shown := false
	for _, fl := range []*fileList{c.sf, c.sl, c.tf, a.target} {
		if fl.showError(res.ErrorFile, msg) {
			shown = true
		}
	}
	if !shown {
		c.setError(msg)
	}
}

// score runs one candidate with p.workers[team[0]] as its sampler. The
// sampler runs it end to end with the CLI's loop (proto.Score:
// otce.ScoreWith, its blocks alone or over the pool); only a small problem
// with a team of workers beside the sampler shares its repetitions out over
// them (scoreSideBySide). ps shows its progress.
func (a *app) score(ctx context.Context, f *proto.Files, s report.Settings, workers int, team []int, ps progressSlot) report.Candidate {
	t0 := time.Now()
	p, err := a.ensurePool(ctx, workers)
	benchAdd("pool", t0)
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
	// A team of several exists only for problems small enough at N
	// (schedule.Teams), hence at the pixels present.
	if schedule.SideBySide(len(team), s.K, s.N, s.N, localLimit()) {
		return a.scoreSideBySide(ctx, p, f, s, team, ps, lost)
	}
	sampler := p.workers[team[0]]
	sampler.setProgress(func(m proto.Progress) {
		ps.update(func(g *progressState, c *candProgress) {
			switch m.Phase {
			case otce.PhaseReading:
				c.rep, c.phase, c.ot = 0, "opening the files", ot.Progress{}
			case otce.PhaseSampling:
				c.rep, c.phase, c.ot = m.Rep+1, "sampling pixels", ot.Progress{}
			case otce.PhaseSolving:
				c.rep, c.phase, c.ot = m.Rep+1, "", ot.Progress{}
			case otce.PhaseExact:
				c.rep, c.phase, c.ot = m.Rep+1, "computing the exact plan", ot.Progress{}
			case otce.PhaseIterations:
				c.rep, c.phase, c.ot = m.Rep+1, "", *m.Progress
			case otce.PhaseDone:
				// The iterations of the last progress seen (a few a second).
				if it := c.ot.Iteration; it > 0 {
					g.itersSeen += it
					g.solved++
					g.repIters = float64(g.itersSeen) / float64(g.solved)
				}
				g.repsDone++
				c.done++
			}
		})
	})
	resp, err := sampler.call(ctx, &proto.Score{Settings: s, Files: f, Workers: len(p.workers),
		LocalMax: localLimit(), ExactOnPool: exactOnPool(), SplitMinRows: splitMinRows(), GatherMin: gatherMin(), IterateHereMax: iterateHereMax()})
	sampler.setProgress(nil)
	if resp != nil {
		for k, v := range resp.Bench {
			benchSeconds(k, v)
		}
	}
	if err != nil || resp.Result == nil {
		if errors.Is(err, errWorkerLost) || ctx.Err() != nil {
			return lost(err)
		}
		if err == nil {
			err = errors.New("the sampler returned no report")
		}
		return failed(f, s, err)
	}
	benchReport(resp.Result)
	return *resp.Result
}

// scoreSideBySide runs a small problem's repetitions on a team of workers
// at once (repsSideBySide), the team's sampler keeping the summary.
func (a *app) scoreSideBySide(ctx context.Context, p *pool, f *proto.Files, s report.Settings, team []int, ps progressSlot, lost func(error) report.Candidate) report.Candidate {
	sampler := p.workers[team[0]]
	// fail records err in the sampler's summary, so that the report keeps the
	// repetitions done, as the CLI's does.
	fail := func(err error) report.Candidate {
		if errors.Is(err, errWorkerLost) || ctx.Err() != nil {
			return lost(err)
		}
		resp, rerr := sampler.call(ctx, &proto.Result{Err: err.Error(), ErrFile: proto.FileErrorOf(err)})
		if rerr != nil || resp.Result == nil {
			return failed(f, s, err)
		}
		return *resp.Result
	}
	t0 := time.Now()
	resp, err := sampler.call(ctx, &proto.Job{Settings: s, Files: f})
	benchAdd("job", t0)
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
	// The problem solved has the pixels present when fewer than N are
	// valid: that, not N, must fit (issue 17).
	n, m := schedule.Size(s.N, info.SourceValid, info.TargetValid)
	if err := schedule.CheckMemory(n, m, info.Dim, len(p.workers)); err != nil {
		return fail(err)
	}
	if err := repsSideBySide(ctx, p, f, s, team, ps); err != nil {
		if errors.Is(err, context.Canceled) {
			return fail(errors.New("cancelled"))
		}
		return fail(err)
	}
	rresp, err := sampler.call(ctx, &proto.Result{})
	if err != nil {
		return fail(err)
	}
	return *rresp.Result
}

// repsSideBySide scores the repetitions of a small problem on a team of
// workers at once: worker team[k] opens the files too, then draws and solves
// repetitions k, k+t, … alone (t the team's size), and the sampler, team[0],
// adds the solutions to its summary in repetition order. A repetition's
// pixels are a function of the seed and its index only, and each worker
// solves on the same blocks as one worker would: the report is the same bit
// for bit as from one worker.
func repsSideBySide(ctx context.Context, p *pool, f *proto.Files, s report.Settings, team []int, ps progressSlot) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type solved struct {
		smp *otce.Sample // without its features
		sol *ot.Solution // nil: the same pixels as repetition 0 (reuse its solution)
		err error
	}
	out := make([]chan solved, s.K)
	for i := range out {
		out[i] = make(chan solved, 1)
	}
	for k, wi := range team {
		w := p.workers[wi]
		go func() {
			// After a failure the later repetitions of this worker get the
			// same error; the summary stops at the first failed one.
			var err error
			if k > 0 {
				t0 := time.Now()
				_, err = w.call(ctx, &proto.Job{Settings: s, Files: f})
				benchAdd("job", t0)
			}
			for _, rep := range schedule.Reps(k, len(team), s.K) {
				if err != nil {
					out[rep] <- solved{err: err}
					continue
				}
				var r solved
				if k == 0 {
					ps.update(func(_ *progressState, c *candProgress) {
						c.rep, c.phase, c.ot = rep+1, "sampling pixels", ot.Progress{}
					})
				}
				t0 := time.Now()
				var resp *proto.Response
				resp, err = w.call(ctx, &proto.Sample{Rep: rep, Brief: true})
				benchAdd("sample", t0)
				if err == nil {
					r.smp = resp.Sample
					if rep == 0 || !r.smp.AllPixels {
						var progress func(ot.Progress)
						if k == 0 {
							progress = func(pr ot.Progress) {
								ps.update(func(_ *progressState, c *candProgress) { c.rep, c.phase, c.ot = rep+1, "", pr })
							}
						}
						r.sol, err = solveAlone(ctx, w, s, progress)
					}
				}
				r.err = err
				out[rep] <- r
			}
		}()
	}
	sampler := p.workers[team[0]]
	var last *ot.Solution
	for rep := 0; rep < s.K; rep++ {
		var r solved
		select {
		case r = <-out[rep]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			return r.err
		}
		sol := r.sol
		if sol == nil {
			sol = last // same pixels, same problem: as the CLI, reuse the solution
		}
		if _, err := sampler.call(ctx, &proto.Add{Solution: sol, Sample: r.smp}); err != nil {
			return err
		}
		reused := sol == last
		last = sol
		ps.update(func(g *progressState, c *candProgress) {
			if !reused {
				g.itersSeen += sol.Iterations
				g.solved++
				g.repIters = float64(g.itersSeen) / float64(g.solved)
			}
			g.repsDone++
			c.done++
		})
	}
	return nil
}

// solveAlone has a worker solve its last sample by itself: for a small
// problem, messages per iteration would cost more than the iterations. Its
// progress comes as messages, to progress when not nil.
func solveAlone(ctx context.Context, w *worker, s report.Settings, progress func(ot.Progress)) (*ot.Solution, error) {
	t0 := time.Now()
	if progress != nil {
		w.setProgress(func(m proto.Progress) { progress(*m.Progress) })
	}
	resp, err := w.call(ctx, &proto.Solve{Settings: s})
	w.setProgress(nil)
	benchAdd("solve", t0)
	if err != nil {
		return nil, err
	}
	benchSolution(resp.Solution)
	return resp.Solution, nil
}
