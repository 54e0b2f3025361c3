package maps

import (
	"context"
	"errors"
	"runtime"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
)

// Repetitions solves a job's K repetitions in this process, as otce.ScoreWith
// does (the same samples, solves and report), with the potentials a map
// needs, and returns each repetition's Rep with the candidate's report. On
// failure the report's Error says why and the Reps are nil. The Reps hold
// the K source samples (K·N·D float32).
func Repetitions(ctx context.Context, j *otce.Job, workers int, progress func(otce.Progress)) ([]*Rep, report.Candidate) {
	s := j.Settings
	sm := otce.NewSummary(j.Candidate, j, s)
	phase := func(rep int, ph string) {
		if progress != nil {
			progress(otce.Progress{Candidate: j.Candidate.Name, Rep: rep, K: s.K, Phase: ph})
		}
	}
	var reps []*Rep
	var last *ot.Solution
	for rep := 0; rep < s.K; rep++ {
		phase(rep, otce.PhaseSampling)
		smp, err := j.Sample(rep)
		if err != nil {
			sm.SetError(err)
			return nil, sm.Result()
		}
		if rep > 0 && smp.AllPixels && last != nil {
			// Same pixels, same problem: the same solution.
			sm.Add(smp, last)
			reps = append(reps, reps[len(reps)-1])
			phase(rep, otce.PhaseDone)
			continue
		}
		phase(rep, otce.PhaseSolving)
		bs := ot.NewLocalBlocks(smp.Problem, workers)
		prm := otce.SolveParams(s, func(pr ot.Progress) {
			if progress != nil {
				progress(otce.Progress{Candidate: j.Candidate.Name, Rep: rep, K: s.K, Phase: otce.PhaseIterations, Progress: pr})
			}
		})
		prm.Potentials = true
		sol, err := ot.Solve(ctx, bs, smp.Problem, prm)
		if err == nil {
			var r *Rep
			if r, err = FromSolution(smp, sol); err == nil {
				reps = append(reps, r)
			}
		}
		if err != nil {
			if errors.Is(err, context.Canceled) {
				err = errors.New("cancelled")
			}
			sm.SetError(err)
			return nil, sm.Result()
		}
		sm.Add(smp, sol)
		phase(rep, otce.PhaseDone)
		last = sol
		bs.Do(&ot.Op{Kind: ot.OpRelease})
		runtime.GC()
	}
	return reps, sm.Result()
}
