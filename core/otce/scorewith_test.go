package otce

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/settings"
)

// TestScoreWithFactory checks the loop the browser runs: a block-set factory
// (here: the blocks on one goroutine, against Score's two; the partition is
// the same) gives the same report bit for bit as Score, is called once a solved repetition and its blocks freed each time,
// and the phases come in order.
func TestScoreWithFactory(t *testing.T) {
	c := DemoCandidates()[0]
	s := DefaultSettings()
	s.N, s.K = 400, 3
	want := Score(context.Background(), c, s, 2, nil)
	if want.Error != "" {
		t.Fatal(want.Error)
	}
	made, freed := 0, 0
	var phases []string
	got := ScoreWith(context.Background(), c, s, Options{
		Blocks: func(smp *Sample) (ot.BlockSet, func(), error) {
			made++
			lb := ot.NewLocalBlocks(smp.Problem, 1)
			return lb, func() { freed++; lb.Do(&ot.Op{Kind: ot.OpRelease}) }, nil
		},
		Progress: func(pr Progress) {
			if pr.Phase != PhaseIterations {
				phases = append(phases, pr.Phase)
			}
		},
	})
	if got.Error != "" {
		t.Fatal(got.Error)
	}
	if got.OTCEMean != want.OTCEMean || !reflect.DeepEqual(got.CE, want.CE) || !reflect.DeepEqual(got.Iterations, want.Iterations) {
		t.Errorf("with the factory: OTCE %v CE %v; Score: %v %v", got.OTCEMean, got.CE, want.OTCEMean, want.CE)
	}
	if made != s.K || freed != s.K {
		t.Errorf("factory called %d times, freed %d, for K = %d", made, freed, s.K)
	}
	// The demo's Sinkhorn starts from the exact plan (ε/median(C) below
	// ot.WarmStartBelow): the exact plan is a phase of its own, after the
	// cost (issue 21 item 6: seconds at N = 10⁴ without an iteration).
	wantPhases := []string{PhaseReading}
	for range s.K {
		wantPhases = append(wantPhases, PhaseSampling, PhaseSolving, PhaseExact, PhaseDone)
	}
	if !reflect.DeepEqual(phases, wantPhases) {
		t.Errorf("phases %v, want %v", phases, wantPhases)
	}
	// So is --solver emd's.
	se := s
	se.Solver, se.K = settings.SolverEMD, 2
	phases = phases[:0]
	if r := ScoreWith(context.Background(), c, se, Options{Progress: func(pr Progress) {
		if pr.Phase != PhaseIterations {
			phases = append(phases, pr.Phase)
		}
	}}); r.Error != "" {
		t.Fatal(r.Error)
	}
	wantPhases = []string{PhaseReading, PhaseSampling, PhaseSolving, PhaseExact, PhaseDone, PhaseSampling, PhaseSolving, PhaseExact, PhaseDone}
	if !reflect.DeepEqual(phases, wantPhases) {
		t.Errorf("--solver emd: phases %v, want %v", phases, wantPhases)
	}

	// A failed check fails the candidate before any repetition.
	bad := ScoreWith(context.Background(), c, s, Options{Check: func(*Job) error { return errors.New("too big") }})
	if bad.Error != "too big" || len(bad.CE) != 0 {
		t.Errorf("failed check: error %q, %d repetitions", bad.Error, len(bad.CE))
	}
	// A factory's error is the candidate's, with the repetitions done kept.
	n := 0
	part := ScoreWith(context.Background(), c, s, Options{Blocks: func(smp *Sample) (ot.BlockSet, func(), error) {
		if n++; n == 2 {
			return nil, nil, errors.New("a worker stopped")
		}
		return ot.NewLocalBlocks(smp.Problem, 1), func() {}, nil
	}})
	if part.Error != "a worker stopped" || len(part.CE) != 1 || part.CE[0] != want.CE[0] {
		t.Errorf("failed factory: error %q, CE %v", part.Error, part.CE)
	}
}
