package otce

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/report"
)

// SolveRep draws repetition rep (Job.Sample) and solves it alone, on blocks
// of its own on one goroutine (the partition, not the goroutines, fixes the
// arithmetic: the same bits as over any other blocks), unless rep > 0 and
// the sample draws every pixel (Sample.AllPixels): then it returns no
// solution, and the loop reuses the last one, as the loop one at a time
// does. It is what a member of a team runs (Options.Rep); progress, when
// set, sees the repetition's phases up to its iterations (PhaseExact when
// the solve computes the exact plan, as in the loop one at a time).
func (j *Job) SolveRep(ctx context.Context, rep int, progress func(Progress)) (*Sample, *ot.Solution, error) {
	c, s := j.Candidate, j.Settings
	tell := func(ph string, pr ot.Progress) {
		if progress != nil {
			progress(Progress{Candidate: c.Name, Rep: rep, K: s.K, Phase: ph, Progress: pr})
		}
	}
	tell(PhaseSampling, ot.Progress{})
	smp, err := j.Sample(rep)
	if err != nil {
		return nil, nil, err
	}
	if rep > 0 && smp.AllPixels {
		return smp, nil, nil
	}
	tell(PhaseSolving, ot.Progress{})
	lb := ot.NewLocalBlocks(smp.Problem, 1)
	defer lb.Do(&ot.Op{Kind: ot.OpRelease})
	prm := SolveParams(s, func(pr ot.Progress) { tell(PhaseIterations, pr) })
	prm.ExactStart = func() { tell(PhaseExact, ot.Progress{}) }
	sol, err := ot.Solve(ctx, lb, smp.Problem, prm)
	if err != nil {
		return nil, nil, err
	}
	return smp, sol, nil
}

// sideBySide is ScoreWith's loop for a team (Options.Team, Options.Rep):
// member m runs repetitions m, m+t, … (t = Team) in order, all members at
// once, and the repetitions are added to sm in order 0, 1, …, K−1. A
// repetition's pixels are a function of the seed and its index only
// (Job.Sample), and its solve of the problem alone (ot.Partition fixes the
// arithmetic), so each repetition is the same bits as in the loop one at a
// time, and so is the report. The first failed repetition, in that order,
// fails the candidate with the repetitions before it kept, as that loop
// does; the members stop after the repetition they run, and the loop
// returns once each has.
func (j *Job) sideBySide(ctx context.Context, opt Options, sm *Summary) report.Candidate {
	ctx, cancel := context.WithCancel(ctx)
	k := j.Settings.K
	out := outcomes(k)
	var wg sync.WaitGroup
	for m := range min(opt.Team, k) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// After a failure the member's later repetitions get the same
			// error (the loop stops at the first failed one anyway).
			var err error
			for rep := m; rep < k; rep += opt.Team {
				var r solved
				if err == nil {
					err = ctx.Err()
				}
				if err == nil {
					r.smp, r.sol, err = opt.Rep(ctx, j, m, rep)
				}
				r.err = err
				out[rep] <- r
			}
		}()
	}
	defer wg.Wait()
	defer cancel()
	return collect(k, sm, func(rep int) solved { return <-out[rep] }, func(rep, iters int) {
		done(opt.Progress, j.Candidate.Name, rep, k, iters)
	})
}

// solved is one repetition's outcome in a loop that runs repetitions side
// by side (sideBySide, Job.overlapped): its sample, its solution (nil:
// the same pixels as the repetition before, whose solution it reuses) or
// the error that failed it.
type solved struct {
	smp *Sample
	sol *ot.Solution
	err error
}

// outcomes makes a channel for each of k repetitions' outcomes, with room
// for it: a repetition done before the ones ahead of it does not wait.
func outcomes(k int) []chan solved {
	out := make([]chan solved, k)
	for i := range out {
		out[i] = make(chan solved, 1)
	}
	return out
}

// collect adds k repetitions to sm in order 0, 1, …, k−1, each as next
// hands it over, reports each one done (done: iters 0 when it reused the
// last solution) and returns sm's result. A repetition without a solution
// reuses the last one (same pixels, same problem), as the loop one at a
// time does; only one with rep > 0 whose sample draws every pixel
// (Sample.AllPixels) may come so. The first failed repetition fails the
// candidate (Summary.SetError; "cancelled" for a cancelled context) with
// the ones before it kept, as the loop one at a time does.
func collect(k int, sm *Summary, next func(rep int) solved, done func(rep, iters int)) report.Candidate {
	for rep := range k {
		r := next(rep)
		if r.err == nil && r.sol == nil {
			if rep == 0 || r.smp == nil || !r.smp.AllPixels {
				r.err = fmt.Errorf("repetition %d came back without a solution", rep+1)
			}
			r.sol = sm.last
		}
		if r.err != nil {
			if errors.Is(r.err, context.Canceled) {
				r.err = errors.New("cancelled")
			}
			sm.SetError(r.err)
			return sm.Result()
		}
		iters := 0
		if r.sol != sm.last {
			iters = r.sol.Iterations
		}
		sm.Add(r.smp, r.sol)
		done(rep, iters)
	}
	return sm.Result()
}

// done reports repetition rep of k finished after iters iterations (0: it
// reused the last solution) to progress, when set.
func done(progress func(Progress), name string, rep, k, iters int) {
	if progress != nil {
		progress(Progress{Candidate: name, Rep: rep, K: k, Phase: PhaseDone, Progress: ot.Progress{Iteration: iters}})
	}
}
