package otce

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/schedule"
	"github.com/otceseg/otceseg/core/settings"
)

// TestOverlapSameBits checks the loop with two repetitions in flight
// (overlap.go) against the loop one at a time (Options.Overlap < 0): the
// same report bit for bit, whatever the budget lets overlap — everything
// (a budget far above both repetitions' cost), nothing (1 byte: the later
// repetition waits before its cost until the earlier one is done) or the
// default in between (schedule.OverlapBytes: the later one's cost and exact
// plan while the earlier one iterates on a sparse kernel) — and with the
// repetitions on one goroutine each or two; no repetition but the oldest
// in flight goes past the budget; the progress shows the repetitions one
// after the other with the phases of the loop one at a time; the solves'
// phase times keep the waits apart (PhaseWait). Sinkhorn from the exact
// plan (the demo's ε/median(C) is below ot.WarmStartBelow) and --solver emd.
func TestOverlapSameBits(t *testing.T) {
	ctx := context.Background()
	c := DemoCandidates()[1]
	for _, solver := range []settings.Solver{settings.SolverSinkhorn, settings.SolverEMD} {
		s := DefaultSettings()
		s.N, s.K, s.Solver = 400, 4, solver
		var seqPhases []string
		want := ScoreWith(ctx, c, s, Options{Workers: 2, Overlap: -1, Progress: func(pr Progress) {
			if pr.Phase != PhaseIterations {
				seqPhases = append(seqPhases, pr.Phase)
			}
		}})
		if want.Error != "" {
			t.Fatal(want.Error)
		}
		if len(seqPhases) != 1+4*s.K {
			t.Fatalf("%s, one at a time: phases %v", solver, seqPhases)
		}
		dense := 4 * int64(s.N) * int64(s.N)
		for _, budget := range []int64{1 << 40, 1, schedule.OverlapBytes(s.N, s.N), dense * 7 / 4} {
			for _, workers := range []int{1, 2} {
				j, err := Prepare(c, s)
				if err != nil {
					t.Fatal(err)
				}
				g := newOverlapGate(budget)
				var mu sync.Mutex
				var phases []string
				var reps []int
				var firstIter []int // the first iteration seen of each repetition
				got := j.overlapped(ctx, Options{Workers: workers, Progress: func(pr Progress) {
					mu.Lock()
					defer mu.Unlock()
					reps = append(reps, pr.Rep)
					if pr.Phase != PhaseIterations {
						phases = append(phases, pr.Phase)
					} else if len(firstIter) == pr.Rep {
						firstIter = append(firstIter, pr.Iteration)
					}
				}}, NewSummary(c, j, s), g)
				if !reflect.DeepEqual(timeless(got), timeless(want)) {
					t.Errorf("%s, budget %d, %d goroutine(s): %+v\none at a time: %+v", solver, budget, workers, got, want)
				}
				if g.most > budget || g.total != 0 || len(g.held) != 0 {
					t.Errorf("%s, budget %d: a later repetition went up to %d bytes; %d bytes of %d repetitions left", solver, budget, g.most, g.total, len(g.held))
				}
				t.Logf("%s, budget %d, %d goroutine(s): a later repetition went up to %d bytes", solver, budget, workers, g.most)
				if budget == 1<<40 && g.most < 2*dense {
					t.Errorf("%s, budget %d: the repetitions did not overlap (%d bytes at most)", solver, budget, g.most)
				}
				if budget == 1 && g.most != 0 {
					t.Errorf("%s, budget 1: a later repetition went through the gate (%d bytes)", solver, g.most)
				}
				if !reflect.DeepEqual(phases, seqPhases[1:]) || !slices.IsSorted(reps) {
					t.Errorf("%s, budget %d: phases %v of repetitions %v; one at a time %v", solver, budget, phases, reps, seqPhases[1:])
				}
				if solver == settings.SolverSinkhorn && !slices.Equal(firstIter, []int{1, 1, 1, 1}) {
					t.Errorf("%s, budget %d: first iterations reported %v", solver, budget, firstIter)
				}
				for ph, sec := range got.Diagnostics.Phases {
					if sec < 0 {
						t.Errorf("%s, budget %d: %s took %g s once the waits are out", solver, budget, ph, sec)
					}
				}
			}
		}
	}
}

// TestOverlapOn checks when ScoreWith overlaps the repetitions, and that
// Score (the CLI's loop, two goroutines) does so at its default budget with
// the same report as one at a time.
func TestOverlapOn(t *testing.T) {
	c := DemoCandidates()[0]
	s := DefaultSettings()
	s.N, s.K = 300, 3
	j, err := Prepare(c, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opt  Options
		want bool
	}{
		{Options{Workers: 2}, true},
		{Options{Workers: 2, Overlap: 5}, true},
		{Options{Workers: 2, Overlap: -1}, false},
		{Options{Workers: 1}, false},
		{Options{Workers: 2, Potentials: true}, false},
		{Options{Workers: 2, OnSolution: func(*Sample, *ot.Solution) error { return nil }}, false},
		{Options{Workers: 2, Blocks: func(*Sample) (ot.BlockSet, func(), error) { return nil, nil, nil }}, false},
		{Options{Workers: 1, Blocks: func(*Sample) (ot.BlockSet, func(), error) { return nil, nil, nil }, BlocksOverlap: func(*Job) bool { return true }}, true},
		{Options{Workers: 2, Blocks: func(*Sample) (ot.BlockSet, func(), error) { return nil, nil, nil }, BlocksOverlap: func(*Job) bool { return false }}, false},
		{Options{Blocks: func(*Sample) (ot.BlockSet, func(), error) { return nil, nil, nil }, BlocksOverlap: func(*Job) bool { return true }, Potentials: true}, false},
	} {
		budget, on := j.overlapOn(tc.opt)
		if tc.opt.Blocks != nil {
			if on != tc.want {
				t.Errorf("options %+v: overlap %v, want %v", tc.opt, on, tc.want)
			}
			continue
		}
		if on != tc.want || on && tc.opt.Overlap == 0 && budget != schedule.OverlapBytes(300, 300) || on && tc.opt.Overlap > 0 && budget != tc.opt.Overlap {
			t.Errorf("options %+v: overlap %v (budget %d), want %v", tc.opt, on, budget, tc.want)
		}
	}
	j.Settings.K = 1
	if _, on := j.overlapOn(Options{Workers: 2}); on {
		t.Error("K = 1 overlapped")
	}
	want := ScoreWith(context.Background(), c, s, Options{Workers: 2, Overlap: -1})
	if got := Score(context.Background(), c, s, 2, nil); !reflect.DeepEqual(timeless(got), timeless(want)) {
		t.Errorf("Score: %+v\none at a time: %+v", got, want)
	}
}

// TestOverlapFails checks that the first failed repetition, in repetition
// order, fails the candidate with the ones before it kept, as in the loop
// one at a time, whether the failure is in drawing a repetition (OnSample)
// or a cancellation; and that every pixel drawn (N above the demo's 1536
// valid pixels a domain) solves repetition 0 only, as there.
func TestOverlapFails(t *testing.T) {
	ctx := context.Background()
	c := DemoCandidates()[1]
	s := DefaultSettings()
	s.N, s.K = 300, 5
	want := ScoreWith(ctx, c, s, Options{Workers: 2, Overlap: -1})
	for _, bad := range []int{0, 2, 4} {
		got := ScoreWith(ctx, c, s, Options{Workers: 2, OnSample: func(smp *Sample) error {
			if smp.Rep == bad {
				return errors.New("disk full")
			}
			return nil
		}})
		if got.Error != "disk full" || !slices.Equal(got.CE, want.CE[:bad]) {
			t.Errorf("repetition %d failing: error %q, CE %v; want %v", bad+1, got.Error, got.CE, want.CE[:bad])
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	got := ScoreWith(cctx, c, s, Options{Workers: 2, Progress: func(pr Progress) {
		if pr.Phase == PhaseDone && pr.Rep == 1 {
			cancel()
		}
	}})
	if got.Error != "cancelled" || !slices.Equal(got.CE, want.CE[:2]) {
		t.Errorf("cancelled after repetition 2: error %q, CE %v; want %v", got.Error, got.CE, want.CE[:2])
	}

	s.N, s.K = 2000, 3
	want = ScoreWith(ctx, c, s, Options{Workers: 2, Overlap: -1})
	solved := 0
	got = ScoreWith(ctx, c, s, Options{Workers: 2, Progress: func(pr Progress) {
		if pr.Phase == PhaseDone && pr.Iteration > 0 {
			solved++
		}
	}})
	if !reflect.DeepEqual(timeless(got), timeless(want)) || solved != 1 {
		t.Errorf("every pixel drawn: %d repetitions solved, report %+v\none at a time: %+v", solved, got, want)
	}
}

// TestOverlapAdmitsTrainedKernel: at N = 10⁴ the gate's accounting lets the
// next repetition's dense cost (and the exact solver's arrays) in beside
// the sparse kernel at ε of a trained network's logits (BENCHMARKS.md,
// "Main at the end of the round": 17.8 % of the entries, the one-stage
// warm start), counted as the gate counts it (ot.KernelBytes of each of
// the 16 blocks); with 32-bit columns (8 bytes an entry) it did not, by
// 4 MB, and those repetitions ran one after the other.
func TestOverlapAdmitsTrainedKernel(t *testing.T) {
	const n, blocks, density = 10000, 16, 0.178
	kernel := int64(0)
	for i := range blocks {
		kernel += ot.KernelBytes((i+1)*n/blocks-i*n/blocks, n, density)
	}
	cost := 4*int64(n)*n + 64*int64(2*n)
	if budget := schedule.OverlapBytes(n, n); kernel+cost > budget {
		t.Errorf("a dense cost (%d MB) beside the trained logits' kernel (%d MB) is %d MB, over the budget %d MB",
			cost/1e6, kernel/1e6, (kernel+cost)/1e6, budget/1e6)
	}
}

// TestOverlapBlocks checks the overlapped loop over the block sets of
// Options.Blocks (Options.BlocksOverlap: the browser's sampler) against
// the loop one at a time over the same factory: the same report bit for
// bit and the same phases in repetition order; the factory is called in
// repetition order, and repetition k+1's before k's block set is freed
// (each repetition's solve waits at its first iteration until the next
// one's blocks are made: the overlap, whatever the timing); every block
// set is freed once.
func TestOverlapBlocks(t *testing.T) {
	ctx := context.Background()
	c := DemoCandidates()[1]
	s := DefaultSettings()
	s.N, s.K = 400, 4
	var mu sync.Mutex
	var made, freed []int
	var ready []chan struct{}
	factory := func(wait bool) func(*Sample) (ot.BlockSet, func(), error) {
		return func(smp *Sample) (ot.BlockSet, func(), error) {
			mu.Lock()
			defer mu.Unlock()
			made = append(made, smp.Rep)
			for len(ready) <= smp.Rep+1 {
				ready = append(ready, make(chan struct{}))
			}
			close(ready[smp.Rep])
			lb := ot.NewLocalBlocks(smp.Problem, 1)
			var bs ot.BlockSet = lb
			if wait && smp.Rep+1 < s.K {
				bs = &waitingBlocks{LocalBlocks: lb, next: ready[smp.Rep+1]}
			}
			return bs, func() {
				mu.Lock()
				freed = append(freed, smp.Rep)
				mu.Unlock()
				lb.Do(&ot.Op{Kind: ot.OpRelease})
			}, nil
		}
	}
	phasesOf := func(phases *[]string) func(Progress) {
		return func(pr Progress) {
			mu.Lock()
			defer mu.Unlock()
			if pr.Phase != PhaseIterations {
				*phases = append(*phases, fmt.Sprint(pr.Rep, pr.Phase))
			}
		}
	}
	var seqPhases, phases []string
	want := ScoreWith(ctx, c, s, Options{Blocks: factory(false), Progress: phasesOf(&seqPhases)})
	if want.Error != "" || !slices.Equal(made, []int{0, 1, 2, 3}) || !slices.Equal(freed, made) {
		t.Fatalf("one at a time: %q, blocks made for %v, freed for %v", want.Error, made, freed)
	}
	made, freed, ready = nil, nil, nil
	got := ScoreWith(ctx, c, s, Options{Blocks: factory(true), BlocksOverlap: func(*Job) bool { return true }, Progress: phasesOf(&phases)})
	if !reflect.DeepEqual(timeless(got), timeless(want)) {
		t.Errorf("overlapped: %+v\none at a time: %+v", got, want)
	}
	slices.Sort(freed)
	if !slices.Equal(made, []int{0, 1, 2, 3}) || !slices.Equal(freed, made) {
		t.Errorf("overlapped: blocks made for %v, freed for %v", made, freed)
	}
	if !slices.Equal(phases, seqPhases) {
		t.Errorf("overlapped: phases %v; one at a time %v", phases, seqPhases)
	}
}

// waitingBlocks are LocalBlocks whose first OpIterate waits until next is
// closed (the next repetition's blocks made).
type waitingBlocks struct {
	*ot.LocalBlocks
	next chan struct{}
}

func (w *waitingBlocks) Do(op *ot.Op) ([]*ot.Reply, error) {
	if op.Kind == ot.OpIterate {
		<-w.next
	}
	return w.LocalBlocks.Do(op)
}
