package otce

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/report"
)

// timeless clears a report's timings, the one thing that differs between
// two runs of the same candidate.
func timeless(r report.Candidate) report.Candidate {
	r.Seconds, r.Diagnostics.Phases = 0, nil
	return r
}

// TestSideBySide checks the browser's loop for small problems: a team of
// members, each with the candidate's files opened by itself (as a web
// worker does), running repetitions m, m+t, … through Job.SolveRep and
// handing back the samples without their features (Sample.Brief, as the
// messages carry them) gives the same report bit for bit as Score, the
// CLI's loop; with every pixel drawn (N above the demo's 1536 valid pixels
// a domain) only repetition 0 is solved and the others reuse it, as there.
func TestSideBySide(t *testing.T) {
	ctx := context.Background()
	c := DemoCandidates()[1]
	for _, n := range []int{300, 2000} {
		s := DefaultSettings()
		s.N, s.K = n, 5
		want := Score(ctx, c, s, 2, nil)
		if want.Error != "" {
			t.Fatal(want.Error)
		}
		for _, team := range []int{2, 3, 7} {
			jobs := make([]*Job, team)
			for m := 1; m < team; m++ {
				j, err := Prepare(c, s)
				if err != nil {
					t.Fatal(err)
				}
				jobs[m] = j
			}
			var mu sync.Mutex
			member := map[int]int{}
			solved := 0
			var done []int
			got := ScoreWith(ctx, c, s, Options{Team: team,
				Rep: func(ctx context.Context, j *Job, m, rep int) (*Sample, *ot.Solution, error) {
					if m > 0 {
						j = jobs[m] // the loop's own job is member 0's
					}
					smp, sol, err := j.SolveRep(ctx, rep, nil)
					mu.Lock()
					member[rep] = m
					if sol != nil {
						solved++
					}
					mu.Unlock()
					if err != nil {
						return nil, nil, err
					}
					return smp.Brief(), sol, nil
				},
				Progress: func(pr Progress) {
					if pr.Phase == PhaseDone {
						done = append(done, pr.Rep)
					}
				},
			})
			if !reflect.DeepEqual(timeless(got), timeless(want)) {
				t.Errorf("N = %d, team of %d: %+v\nScore: %+v", n, team, got, want)
			}
			for rep := range s.K {
				if member[rep] != rep%team {
					t.Errorf("N = %d, team of %d: repetition %d ran on member %d", n, team, rep, member[rep])
				}
			}
			if wantSolved := map[int]int{300: s.K, 2000: 1}[n]; solved != wantSolved {
				t.Errorf("N = %d, team of %d: %d repetitions solved, want %d", n, team, solved, wantSolved)
			}
			if !reflect.DeepEqual(done, []int{0, 1, 2, 3, 4}) {
				t.Errorf("N = %d, team of %d: repetitions done in order %v", n, team, done)
			}
		}
	}

	// The first failed repetition fails the candidate, with the ones before
	// it kept, whichever member fails first; a repetition that comes back
	// unsolved though its pixels are its own is a failure too.
	s := DefaultSettings()
	s.N, s.K = 300, 5
	want := Score(ctx, c, s, 1, nil)
	for _, bad := range []struct {
		rep  int
		err  error
		text string
	}{
		{3, errors.New("worker 2: a worker stopped"), "worker 2: a worker stopped"},
		{1, nil, "repetition 2 came back without a solution"},
		{0, context.Canceled, "cancelled"},
	} {
		var mu sync.Mutex
		got := ScoreWith(ctx, c, s, Options{Team: 2, Rep: func(ctx context.Context, j *Job, m, rep int) (*Sample, *ot.Solution, error) {
			mu.Lock() // the loop's job for both members here
			defer mu.Unlock()
			if rep == bad.rep {
				if bad.err != nil {
					return nil, nil, bad.err
				}
				smp, err := j.Sample(rep)
				return smp, nil, err
			}
			return j.SolveRep(ctx, rep, nil)
		}})
		if got.Error != bad.text || !slices.Equal(got.CE, want.CE[:bad.rep]) {
			t.Errorf("repetition %d failing: error %q, CE %v; want %q, %v", bad.rep+1, got.Error, got.CE, bad.text, want.CE[:bad.rep])
		}
	}
}

// TestSolveRepPhases checks that a team member's repetition reports the
// phases of the loop one at a time up to its iterations, the exact plan
// included: the demo's Sinkhorn starts from it (ε/median(C) below
// ot.WarmStartBelow), and so does --solver emd (TestScoreWithFactory's phases).
func TestSolveRepPhases(t *testing.T) {
	c := DemoCandidates()[1]
	s := DefaultSettings()
	s.N, s.K = 300, 2
	j, err := Prepare(c, s)
	if err != nil {
		t.Fatal(err)
	}
	var phases []string
	_, sol, err := j.SolveRep(context.Background(), 1, func(pr Progress) {
		if pr.Rep != 1 {
			t.Errorf("progress of repetition %d, want 2", pr.Rep+1)
		}
		if pr.Phase != PhaseIterations {
			phases = append(phases, pr.Phase)
		}
	})
	if err != nil || sol == nil {
		t.Fatalf("solution %v, error %v", sol, err)
	}
	if want := []string{PhaseSampling, PhaseSolving, PhaseExact}; !reflect.DeepEqual(phases, want) {
		t.Errorf("phases %v, want %v", phases, want)
	}
}
