package schedule

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/settings"
)

// TestAssign checks that every block is hosted once, in contiguous runs in
// worker order, and that the sampler takes one block more than an even
// share when there are more blocks than workers.
func TestAssign(t *testing.T) {
	for blocks := 1; blocks <= 40; blocks++ {
		for workers := 1; workers <= 8; workers++ {
			a := Assign(blocks, workers)
			if len(a) != workers {
				t.Fatalf("Assign(%d, %d): %d workers", blocks, workers, len(a))
			}
			inOrder(t, fmt.Sprintf("Assign(%d, %d)", blocks, workers), a, blocks)
			if workers > 1 && blocks > workers && len(a[0]) != blocks/workers+1 {
				t.Errorf("Assign(%d, %d): the sampler hosts %d", blocks, workers, len(a[0]))
			}
		}
	}
	if got, want := Assign(10, 3), [][]int{{0, 1, 2, 3}, {4, 5, 6}, {7, 8, 9}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Assign(10, 3) = %v, want %v", got, want)
	}
}

func TestTeamsAndReps(t *testing.T) {
	// Small problems: one candidate a team, workers dealt round the teams.
	if got, want := Teams(1000, 2, 5, LocalSolveMax), [][]int{{0, 2, 4}, {1, 3}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Teams small = %v, want %v", got, want)
	}
	// More teams than candidates is never planned.
	if got := Teams(1000, 1, 4, LocalSolveMax); len(got) != 1 || len(got[0]) != 4 {
		t.Errorf("Teams one candidate = %v", got)
	}
	// Large problems: the whole pool, one candidate at a time.
	if got := Teams(10000, 5, 4, LocalSolveMax); len(got) != 1 || len(got[0]) != 4 {
		t.Errorf("Teams large = %v", got)
	}
	if got := Teams(1000, 5, 4, 0); len(got) != 1 {
		t.Errorf("Teams with the local limit 0 = %v", got)
	}
	// Every repetition once, over the team.
	seen := map[int]int{}
	for i := range 3 {
		for _, r := range Reps(i, 3, 10) {
			seen[r]++
			if r%3 != i {
				t.Errorf("member %d draws repetition %d", i, r)
			}
		}
	}
	if len(seen) != 10 {
		t.Errorf("repetitions drawn: %v", seen)
	}
	if !SideBySide(2, 10, 2000, 2000, LocalSolveMax) || SideBySide(1, 10, 2000, 2000, LocalSolveMax) ||
		SideBySide(2, 1, 2000, 2000, LocalSolveMax) || SideBySide(2, 10, 10000, 10000, LocalSolveMax) {
		t.Error("SideBySide")
	}
}

// TestWorkerBytes checks the estimate against its parts for one worker:
// ot.MemoryBytes of the whole problem, twice the float32 features, 64 MB,
// and, with the exact plan in the sampler, nothing more (it hosts every
// row already) but the target copy and the solver's arrays.
func TestWorkerBytes(t *testing.T) {
	n, m, d := 2000, 1500, 19
	base := ot.MemoryBytes(n, m, d) + 2*4*int64(n+m)*int64(d) + 64<<20
	if got := WorkerBytes(n, m, d, 1, true); got != base {
		t.Errorf("WorkerBytes on the pool = %d, want %d", got, base)
	}
	if got, want := WorkerBytes(n, m, d, 1, false), base+8*int64(m)*int64(d)+64*int64(n+m); got != want {
		t.Errorf("WorkerBytes in the sampler = %d, want %d", got, want)
	}
	// More workers: less each, never more.
	prev := WorkerBytes(10000, 10000, 256, 1, true)
	for w := 2; w <= 8; w++ {
		b := WorkerBytes(10000, 10000, 256, w, true)
		if b > prev {
			t.Errorf("%d workers need %d, more than %d workers' %d", w, b, w-1, prev)
		}
		prev = b
	}
}

// TestWorkerBytesIterateHere: on a pool the sampler's estimate counts the
// other workers' kernels it may iterate over (IterateHere): at most
// IterateHereMax bytes, or their dense kernel and vectors when smaller.
func TestWorkerBytesIterateHere(t *testing.T) {
	for _, n := range []int{10000, 1000} {
		d := 19
		part := ot.Partition(n)
		own := 0
		for _, b := range Assign(len(part), 2)[0] {
			own += part[b][1] - part[b][0]
		}
		// The other worker's dense kernel: 4 bytes an entry, 16 a row.
		lent := 4*int64(n-own)*int64(n) + 16*int64(n-own)
		if n == 10000 {
			if lent <= IterateHereMax {
				t.Fatalf("N = %d: the other worker's dense kernel is %d bytes, within IterateHereMax", n, lent)
			}
			lent = IterateHereMax
		}
		features := 2 * 4 * int64(2*n) * int64(d)
		want := ot.MemoryBytes(own, n, d) + lent + features + 64<<20
		if got := WorkerBytes(n, n, d, 2, true); got != want {
			t.Errorf("N = %d: WorkerBytes on 2 workers = %d, want %d (the sampler's %d rows and %d bytes of the others' kernels)", n, got, want, own, lent)
		}
	}
}

// TestIterateHere: the bound, the timing, and a test's limits.
func TestIterateHere(t *testing.T) {
	for _, c := range []struct {
		bytes, limit int64
		pool, here   float64
		want         bool
	}{
		{IterateHereMax, 0, 0.09, 0.05, true},
		{IterateHereMax, 0, 0.05, 0.09, false}, // the messages cost less than the work moved
		{IterateHereMax + 1, 0, 0.09, 0.05, false},
		{1 << 10, 1 << 10, 0.05, 0.09, true}, // forced: no timing
		{1<<10 + 1, 1 << 10, 0.09, 0.05, false},
		{0, -1, 0.09, 0.05, false},
	} {
		if got := IterateHere(c.bytes, c.limit, c.pool, c.here); got != c.want {
			t.Errorf("IterateHere(%d, %d, %v, %v) = %v, want %v", c.bytes, c.limit, c.pool, c.here, got, c.want)
		}
	}
}

func TestLargestN(t *testing.T) {
	for _, c := range []struct{ d, workers int }{{19, 1}, {19, 4}, {256, 2}} {
		best := LargestN(c.d, c.workers, 1<<20)
		if best <= 0 || best >= 1<<20 {
			t.Fatalf("LargestN(%d, %d) = %d", c.d, c.workers, best)
		}
		if WorkerBytes(best, best, c.d, c.workers, true) > WorkerBudget {
			t.Errorf("LargestN(%d, %d) = %d does not fit", c.d, c.workers, best)
		}
		if WorkerBytes(best+1, best+1, c.d, c.workers, true) <= WorkerBudget {
			t.Errorf("LargestN(%d, %d) = %d, but %d fits too", c.d, c.workers, best, best+1)
		}
		if CheckMemory(best, best, c.d, c.workers) != nil || CheckMemory(best+1, best+1, c.d, c.workers) == nil {
			t.Errorf("CheckMemory disagrees with LargestN(%d, %d) = %d", c.d, c.workers, best)
		}
	}
}

// TestCheckMemoryUsesPixelsPresent is issue 17's case: -n 100000 on a
// candidate with 1500 valid pixels is a 1500×1200 problem, which fits; only
// N itself would not.
func TestCheckMemoryUsesPixelsPresent(t *testing.T) {
	n, m := Size(100000, 1500, 1200)
	if n != 1500 || m != 1200 {
		t.Fatalf("Size = %d, %d", n, m)
	}
	if err := CheckMemory(n, m, 19, 2); err != nil {
		t.Errorf("1500×1200 refused: %v", err)
	}
	err := CheckMemory(100000, 100000, 19, 2)
	if err == nil {
		t.Fatal("N = 10⁵ with every pixel valid was not refused")
	}
	for _, want := range []string{"N = 100000 needs about", "The largest N that fits with 2 worker(s) is", "; with 8 workers, "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if n, m := Size(500, 1500, 1200); n != 500 || m != 500 {
		t.Errorf("Size(500, …) = %d, %d", n, m)
	}
}

// TestCheckMapMemory: a problem that fits for its score is refused for its
// maps only when the K kept samples push the sampler over the budget, and
// the message says how much they need.
func TestCheckMapMemory(t *testing.T) {
	if got, want := MapBytes(10000, 256, 10, 128*256), int64(10*10000*(4*256+16)+24*128*256); got != want {
		t.Errorf("MapBytes = %d, want %d", got, want)
	}
	if err := CheckMapMemory(2000, 2000, 19, 3, 400, 2); err != nil {
		t.Errorf("a small map refused: %v", err)
	}
	// The largest N whose score fits with one worker, then a K whose
	// samples do not fit beside it.
	n := LargestN(256, 1, 20000)
	if n == 0 {
		t.Fatal("no N fits")
	}
	if err := CheckMemory(n, n, 256, 1); err != nil {
		t.Fatalf("N = %d: %v", n, err)
	}
	spare := WorkerBudget - WorkerBytes(n, n, 256, 1, true)
	k := int(spare/(int64(n)*(4*256+16))) + 1
	err := CheckMapMemory(n, n, 256, k, 0, 1)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("The maps keep the %d repetitions' source samples", k)) {
		t.Errorf("N = %d, K = %d: %v", n, k, err)
	}
	if err := CheckMapMemory(n, n, 256, k-1, 0, 1); err != nil {
		t.Errorf("N = %d, K = %d: %v", n, k-1, err)
	}
}

// TestMayExact: the exact plan may come with --solver emd, and with
// Sinkhorn unless ε rules out its warm start for the normalisers whose
// median is bounded (max, median); the warm start's rule is core/ot's.
func TestMayExact(t *testing.T) {
	s := settings.Default()
	for _, c := range []struct {
		solver settings.Solver
		norm   settings.CostNorm
		eps    float64
		want   bool
	}{
		{settings.SolverSinkhorn, settings.NormNone, 0.1, true},
		{settings.SolverSinkhorn, settings.NormMean, 1, true},
		{settings.SolverSinkhorn, settings.NormMax, 0.1, false},
		{settings.SolverSinkhorn, settings.NormMax, ot.WarmStartBelow, false},
		{settings.SolverSinkhorn, settings.NormMax, ot.WarmStartBelow / 2, true},
		{settings.SolverSinkhorn, settings.NormMedian, 0.05, false},
		{settings.SolverSinkhorn, settings.NormMedian, 0.001, true},
		{settings.SolverEMD, settings.NormMax, 0.1, true},
	} {
		s.Solver, s.CostNorm, s.Eps = c.solver, c.norm, c.eps
		if got := MayExact(s); got != c.want {
			t.Errorf("MayExact(%s, %s, ε = %g) = %v, want %v", c.solver, c.norm, c.eps, got, c.want)
		}
	}
	// cost/max at ε: the warm start needs ε/(median/max) < WarmStartBelow,
	// and median ≤ max.
	p := &ot.Problem{N: 4, M: 4, D: 1, Xs: []float32{0, 1, 2, 3}, Xt: []float32{0, 1, 2, 3}, Ys: make([]int32, 4), Yt: make([]int32, 4), La: 1, Lb: 1}
	sol, err := ot.Solve(context.Background(), ot.NewLocalBlocks(p, 1), p, ot.Params{Eps: ot.WarmStartBelow, CostNorm: ot.NormMax, Tol: 1e-9, MaxIter: 100000, WarmStart: true})
	if err != nil {
		t.Fatal(err)
	}
	if sol.WarmStarted {
		t.Errorf("cost/max at ε = %g started warm, which MayExact rules out", ot.WarmStartBelow)
	}
}

// TestGather: the sampler gathers the cost rows when the exact plan may come
// there and the cost is large enough.
func TestGather(t *testing.T) {
	n := 4096 // 64 MB of cost
	for _, c := range []struct {
		n                   int
		mayExact, exactPool bool
		limit               int64
		want                bool
	}{
		{n, true, false, 0, true},
		{n - 1, true, false, 0, false},
		{n, false, false, 0, false},
		{n, true, true, 0, false},
		{600, true, false, 1, true},
		{10000, true, false, 1 << 40, false},
	} {
		if got := Gather(c.n, c.n, c.mayExact, c.exactPool, c.limit); got != c.want {
			t.Errorf("Gather(%d, may exact %v, exact on pool %v, limit %d) = %v, want %v", c.n, c.mayExact, c.exactPool, c.limit, got, c.want)
		}
	}
}

// TestCapacity is issue 21's target 4 in the memory model: N = 2·10⁴ at
// d = 19 and 256 passes the page's check on 2 workers, with the exact plan
// in the sampler (which then holds the dense cost, 1.6 GB, not over the
// pool's blocks), and the largest N accepted grows with the workers. The
// log is BENCHMARKS.md's capacity table: go test -run TestCapacity -v
// ./core/schedule/.
func TestCapacity(t *testing.T) {
	const n = 20000
	for _, d := range []int{19, 256} {
		if err := CheckMemory(n, n, d, 2); err != nil {
			t.Errorf("d = %d: N = %d refused on 2 workers: %v", d, n, err)
		}
		if ExactOnPool(n, n, d, 2) {
			t.Errorf("d = %d: N = %d solves the exact plan over the pool on 2 workers", d, n)
		}
		sampler := largestInSampler(d, 2)
		t.Logf("d = %d: the exact plan in the sampler up to N = %d (the sampler's estimate at N = %d: %.2f GB)", d, sampler, n, float64(WorkerBytes(n, n, d, 2, false))/(1<<30))
		prev := 0
		for w := 1; w <= MaxWorkers; w++ {
			best := LargestN(d, w, 1<<20)
			if best < prev {
				t.Errorf("d = %d: %d workers accept N ≤ %d, %d accept %d", d, w, best, w-1, prev)
			}
			prev = best
			t.Logf("d = %d, %d worker(s): largest N accepted %d (estimate %.2f GB a worker)", d, w, best, float64(WorkerBytes(best, best, d, w, true))/(1<<30))
		}
	}
}

// largestInSampler is the largest N whose exact plan the sampler of a pool
// of workers solves alone (ExactOnPool false).
func largestInSampler(d, workers int) int {
	lo, hi := 0, 1<<20
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if !ExactOnPool(mid, mid, d, workers) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// TestOverlapBytes checks the budget of two overlapped repetitions at
// N = 10⁴ against issue 21's memory bound, 1.5·(4·N² + sampled features) +
// 16 MB a worker (d = 7, the trained network's logits): with the
// collector's slack (a tenth of the live heap at GOGC = 10) and the other
// repetition's sample it stays within the bound; it holds a dense cost
// beside the sparse kernel measured on those logits (118 MB: density 0.14
// and the arrays of the blocks that switched at 2ε; the exact solver's
// arrays with it), and never two dense matrices.
func TestOverlapBytes(t *testing.T) {
	const n, d = 10000, 7
	dense := 4 * int64(n) * int64(n)
	features := 4 * int64(2*n) * d
	budget := OverlapBytes(n, n)
	if bound := 3*(dense+features)/2 + 16<<20; budget+budget/10+2*features > bound {
		t.Errorf("OverlapBytes = %d MB: with a tenth more and two samples, above the bound %d MB", budget>>20, bound>>20)
	}
	if pair := dense + 64*int64(2*n) + 118_000_000; pair > budget {
		t.Errorf("OverlapBytes = %d MB: a dense cost beside the trained logits' sparse kernel (%d MB) does not fit", budget>>20, pair>>20)
	}
	if budget >= 2*dense {
		t.Errorf("OverlapBytes = %d MB holds two dense matrices", budget>>20)
	}
}

// TestPageOverlap checks when the page overlaps a candidate's repetitions:
// when asked, over the pool, of Sinkhorn that may start warm from the
// exact plan, with the cost gathered in the sampler, two repetitions and
// two workers or more; never unless asked.
func TestPageOverlap(t *testing.T) {
	s := settings.Default()
	s.K = 10
	if !MayExact(s) || s.Solver == settings.SolverEMD {
		t.Fatalf("the defaults are the paper's (raw cost, Sinkhorn at ε = 0.1): %+v", s)
	}
	if !PageOverlap(s, 2, false, true, true) {
		t.Error("the paper's defaults over a pool of 2 with the cost gathered, asked: no overlap")
	}
	off := map[string]func(s *settings.Settings, workers *int, local, gather, asked *bool){
		"one worker":        func(_ *settings.Settings, w *int, _, _, _ *bool) { *w = 1 },
		"solved alone":      func(_ *settings.Settings, _ *int, l, _, _ *bool) { *l = true },
		"cost not gathered": func(_ *settings.Settings, _ *int, _, g, _ *bool) { *g = false },
		"not asked":         func(_ *settings.Settings, _ *int, _, _, a *bool) { *a = false },
		"one repetition":    func(s *settings.Settings, _ *int, _, _, _ *bool) { s.K = 1 },
		"the exact solver":  func(s *settings.Settings, _ *int, _, _, _ *bool) { s.Solver = settings.SolverEMD },
		"no warm start": func(s *settings.Settings, _ *int, _, _, _ *bool) {
			s.CostNorm, s.Eps = settings.NormMax, ot.WarmStartBelow
		},
		"no warm start, med": func(s *settings.Settings, _ *int, _, _, _ *bool) { s.CostNorm, s.Eps = settings.NormMedian, 0.05 },
	}
	for name, f := range off {
		s2, w, local, gather, asked := s, 2, false, true, true
		f(&s2, &w, &local, &gather, &asked)
		if PageOverlap(s2, w, local, gather, asked) {
			t.Errorf("%s: overlapped", name)
		}
	}
	s.CostNorm, s.Eps = settings.NormMax, 1e-3
	if !PageOverlap(s, 3, false, true, true) {
		t.Error("cost-norm max at ε 1e-3 (a warm start) on 3 workers, asked: no overlap")
	}
}

// TestHandOver checks the hand-over's limit: each other worker's share of
// the kernel within HandOverMax, or a test's limit; the dense kernel at
// N = 10⁴ (400 MB) is not handed to one worker, the trained logits'
// sparse one (about 110 MB) is.
func TestHandOver(t *testing.T) {
	const n = 10000
	if !HandOver(ot.KernelBytes(n, n, 0.14), 1, 0) {
		t.Errorf("the sparse kernel of density 0.14 (%d MB) not handed over", ot.KernelBytes(n, n, 0.14)>>20)
	}
	if HandOver(ot.KernelBytes(n, n, 1), 1, 0) || HandOver(ot.KernelBytes(n, n, 1), 2, 0) {
		t.Error("the dense kernel handed over to one or two workers")
	}
	if !HandOver(ot.KernelBytes(n, n, 1), 4, 0) {
		t.Error("the dense kernel, a quarter each, not handed over to four workers")
	}
	if HandOver(100, 1, 99) || !HandOver(100, 1, 100) || HandOver(1, 0, 0) {
		t.Error("a test's limit, or no other worker")
	}
}

// TestOthersAssign checks that the hand-over gives every block once to
// the workers other than the sampler, in contiguous runs in order.
func TestOthersAssign(t *testing.T) {
	for blocks := 1; blocks <= 40; blocks++ {
		for workers := 2; workers <= 8; workers++ {
			a := OthersAssign(blocks, workers)
			if len(a) != workers || len(a[0]) != 0 {
				t.Fatalf("OthersAssign(%d, %d) = %v", blocks, workers, a)
			}
			inOrder(t, fmt.Sprintf("OthersAssign(%d, %d)", blocks, workers), a, blocks)
		}
	}
	if got, want := OthersAssign(16, 2), [][]int{nil, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}}; !reflect.DeepEqual(got, want) {
		t.Errorf("OthersAssign(16, 2) = %v, want %v", got, want)
	}
}

// inOrder fails t unless the workers' lists a (what call returned) host
// blocks 0 … blocks−1 each once, contiguously and in worker order.
func inOrder(t *testing.T, call string, a [][]int, blocks int) {
	t.Helper()
	next := 0
	for _, idx := range a {
		for _, b := range idx {
			if b != next {
				t.Fatalf("%s = %v: not contiguous in order", call, a)
			}
			next++
		}
	}
	if next != blocks {
		t.Fatalf("%s = %v: %d blocks hosted", call, a, next)
	}
}
