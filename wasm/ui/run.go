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

// score runs one candidate with p.workers[team[0]] as its sampler, which
// runs it end to end with the CLI's loop (proto.Score: otce.ScoreWith, its
// blocks alone or over the pool, or a small problem's repetitions side by
// side on the team, through ports between the team's workers). ps shows
// its progress.
func (a *app) score(ctx context.Context, f *proto.Files, s report.Settings, workers int, team []int, ps progressSlot) report.Candidate {
	t0 := time.Now()
	p, err := a.ensurePool(ctx, workers)
	if err == nil {
		err = p.link(ctx, team)
	}
	benchAdd("pool", t0)
	if err != nil {
		return failed(f, s, err)
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
				// The repetition's iterations (0: it reused the last
				// solution).
				if it := m.Progress.Iteration; it > 0 {
					g.itersSeen += it
					g.solved++
					g.repIters = float64(g.itersSeen) / float64(g.solved)
				}
				g.repsDone++
				c.done++
			}
		})
	})
	resp, err := call(ctx, sampler, &proto.Score{Settings: s, Files: f, Team: team, Workers: len(p.workers),
		LocalMax: localLimit(), ExactOnPool: exactOnPool(), SplitMinRows: splitMinRows(), GatherMin: gatherMin(), IterateHereMax: iterateHereMax(), ReadAheadMax: readAheadMax(), SwapCost: swapCost(), Overlap: overlapWanted(), HandOverMax: handOverMax()})
	sampler.setProgress(nil)
	for k, v := range resp.Bench {
		benchSeconds(k, v)
	}
	switch {
	case ctx.Err() != nil:
		return failed(f, s, errors.New("cancelled"))
	case errors.Is(err, errWorkerLost):
		a.dropPool()
		return failed(f, s, fmt.Errorf("%v — the workers were restarted; if memory ran out, lower -n or raise --workers", err))
	case err != nil:
		return failed(f, s, err)
	case resp.Result == nil:
		return failed(f, s, errors.New("the sampler returned no report"))
	}
	benchReport(resp.Result)
	return *resp.Result
}
