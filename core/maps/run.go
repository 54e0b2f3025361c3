package maps

import (
	"context"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
)

// Repetitions solves a job's K repetitions in this process with
// otce's one loop (Job.ScoreWith: the same samples, solves and report),
// asking for the potentials a map needs, and returns each repetition's Rep
// with the candidate's report. On failure the report's Error says why and
// the Reps are nil. The Reps hold the K source samples (K·N·D float32).
func Repetitions(ctx context.Context, j *otce.Job, workers int, progress func(otce.Progress)) ([]*Rep, report.Candidate) {
	return RepetitionsWith(ctx, j, otce.Options{Workers: workers, Progress: progress})
}

// RepetitionsWith is Repetitions with the loop's options (the browser's
// sampler passes its block-set factory and memory check): it sets
// opt.Potentials and opt.OnSolution, which must be unset.
func RepetitionsWith(ctx context.Context, j *otce.Job, opt otce.Options) ([]*Rep, report.Candidate) {
	var reps []*Rep
	opt.Potentials = true
	opt.OnSolution = func(smp *otce.Sample, sol *ot.Solution) error {
		if n := len(reps); n > 0 && smp.AllPixels && smp.Rep > 0 {
			reps = append(reps, reps[n-1]) // the same pixels, the same solution
			return nil
		}
		r, err := FromSolution(smp, sol)
		if err == nil {
			reps = append(reps, r)
		}
		return err
	}
	res := j.ScoreWith(ctx, opt)
	if res.Error != "" {
		return nil, res
	}
	return reps, res
}
