// Package schedule decides how the browser's web workers share a run: which
// row blocks each worker hosts (Assign), whether a problem is solved by one
// worker alone or over the pool (Local), how many candidates run side by
// side and on which workers (Teams), which repetitions each worker of a
// team draws and solves (Reps), and whether a problem fits in the workers'
// memory at all (CheckMemory).
//
// None of it changes a score: the blocks (ot.Partition) decide the
// arithmetic, whichever worker hosts them. It is here, in pure Go with unit
// tests, rather than in the page, which only applies it.
package schedule

import (
	"fmt"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/settings"
)

// WorkerBudget is the memory one worker may plan to use. A Go wasm instance
// has a 32-bit heap that ends near 4 GB, and dies for good when it runs out;
// the garbage collector and the message buffers need room beyond the live
// data, so plan for half of it.
const WorkerBudget = 2 << 30

// LocalSolveMax is the largest problem (N·M kernel entries: 16 MB of
// float32) that one worker solves alone instead of the pool: below it, a
// round of messages per iteration costs more than the iteration.
const LocalSolveMax = 4 << 20

// MaxWorkers is the most workers a page starts.
const MaxWorkers = 8

// Size returns the problem's size for a candidate: N pixels per domain, or
// all the valid pixels of a domain that has fewer (the sampler then uses
// them all, as the CLI does). The memory check must use these, not N.
func Size(n int, sourceValid, targetValid int64) (ns, nt int) {
	ns, nt = n, n
	if int64(ns) > sourceValid {
		ns = int(max(sourceValid, 0))
	}
	if int64(nt) > targetValid {
		nt = int(max(targetValid, 0))
	}
	return ns, nt
}

// Local reports whether an n×m problem is solved by one worker alone
// (limit: LocalSolveMax, or a test's value; 0 sends every problem to the
// pool).
func Local(n, m int, limit int64) bool { return int64(n)*int64(m) <= limit }

// Assign gives each of workers a contiguous run of the blocks fixed blocks
// (ot.Partition), in order. With several workers the sampler (worker 0)
// takes one block more than an even share: it runs the solver over the
// pool, and the other workers' part of each operation comes with a message
// each way (at N = 10⁴, about 0.5 ms of an iteration's 5), so an even split
// left it waiting for them.
func Assign(blocks, workers int) [][]int {
	out := make([][]int, workers)
	first := blocks / workers
	if workers > 1 && blocks > workers {
		first++
	}
	for b := 0; b < first; b++ {
		out[0] = append(out[0], b)
	}
	for w := 1; w < workers; w++ {
		rest := blocks - first
		for b := first + (w-1)*rest/(workers-1); b < first+w*rest/(workers-1); b++ {
			out[w] = append(out[w], b)
		}
	}
	return out
}

// Teams plans a run of candidates on workers: how many candidates run at
// once and the workers of each, the team's sampler first. Small problems
// (Local at N×N) run side by side, one candidate a team (team i: the
// workers w with w mod len(teams) = i), each repetition solved by one worker
// alone; large ones one at a time over the whole pool.
func Teams(n, candidates, workers int, limit int64) [][]int {
	conc := 1
	if Local(n, n, limit) {
		conc = max(1, min(workers, candidates))
	}
	teams := make([][]int, conc)
	for w := 0; w < workers; w++ {
		teams[w%conc] = append(teams[w%conc], w)
	}
	return teams
}

// SideBySide reports whether a candidate's k repetitions of an n×m problem
// are shared out over its team of size team (Reps) rather than run one
// after the other by the sampler.
func SideBySide(team, k, n, m int, limit int64) bool {
	return team > 1 && k > 1 && Local(n, m, limit)
}

// Reps returns the repetitions that member i of a team of size team draws
// and solves when the k repetitions run side by side: i, i+team, … A
// repetition's pixels are a function of the seed and its index only, so the
// report is the same bit for bit as from one worker.
func Reps(i, team, k int) []int {
	var out []int
	for rep := i; rep < k; rep += team {
		out = append(out, rep)
	}
	return out
}

// WorkerBytes estimates the largest memory a worker needs to host its share
// of the blocks of an n×m problem of dimension d: its rows of the float32
// kernel and their vectors (ot.MemoryBytes), its copy of the sampled
// features, and for the sampler the sample it keeps, the other workers'
// kernels when it iterates over them (at most IterateHereMax bytes:
// IterateHere) and, when the exact plan is solved there (exactOnPool
// false), the cost rows of the other workers.
func WorkerBytes(n, m, d, workers int, exactOnPool bool) int64 {
	part := ot.Partition(n)
	if workers > len(part) {
		workers = len(part)
	}
	var most int64
	for w, idx := range Assign(len(part), workers) {
		rows := 0
		for _, b := range idx {
			rows += part[b][1] - part[b][0]
		}
		est := ot.MemoryBytes(rows, m, d)
		// The sampler, after the kernel: the other workers' kernels once
		// they are small enough for it to iterate over every block
		// (IterateHere), at most their dense form. The cost rows of the
		// exact plan below are gone by then.
		here := est
		if w == 0 && n > rows {
			here += min(IterateHereMax, ot.KernelBytes(n-rows, m, 1))
		}
		if w == 0 && !exactOnPool {
			// For the exact plan (--solver emd, or the warm start at a
			// small ε) the sampler also builds the cost rows the other
			// workers host, with its own copy of the target features, and
			// the exact solver's arrays.
			est += 4*int64(n-rows)*int64(m) + 8*int64(m)*int64(d) + 64*int64(n+m)
		}
		most = max(most, est, here)
	}
	features := 4 * int64(n+m) * int64(d)
	return most + 2*features + 64<<20 // + the Go runtime and the module
}

// ExactOnPool reports whether the exact plan of an n×m problem (--solver
// emd, or the warm start at a small ε) must run over the pool's row blocks
// (ot.ExactOverBlocks) because the dense cost does not fit in the sampler
// next to its blocks. On the pool each round of the auction is a round of
// messages, so it is much slower than the sampler alone: it is the way to
// solve what one worker cannot hold, not the default.
func ExactOnPool(n, m, d, workers int) bool {
	return WorkerBytes(n, m, d, workers, false) > WorkerBudget
}

// MayExact reports whether a solve with settings s may compute the exact
// plan: always with --solver emd; with Sinkhorn when it may start warm from
// the exact plan's potentials (ot.Params.WarmStart), which it does when
// ε/median(C') < ot.WarmStartBelow, C' the cost over its normaliser. That
// ratio is known only once the cost is, except for two normalisers: it is ε
// itself for the median, and at least ε for the maximum (the median is at
// most the maximum).
func MayExact(s settings.Settings) bool {
	switch {
	case s.Solver == settings.SolverEMD:
		return true
	case s.CostNorm == settings.NormMax || s.CostNorm == settings.NormMedian:
		return s.Eps < ot.WarmStartBelow
	}
	return true
}

// GatherMin is the least dense cost, 4·N·M bytes, for which Gather holds.
// Below it the memory the other workers save (their rows' share of
// 4·N·M) is small beside their runtime's, and the share of the auction
// they would do is worth more (ot.SplitBlocks).
const GatherMin = 64 << 20

// Gather reports whether the other workers of a pool give the sampler
// every cost row of their blocks as they compute them, a block at a time,
// and keep none (limit: GatherMin, or a test's value; 0 means GatherMin):
// when the solve may compute the exact plan (mayExact, see MayExact) in the
// sampler (exactOnPool false), which needs every cost row there, and the
// cost is at least limit bytes. The sampler then hosts every block until
// the kernel is built, when it gives each worker its blocks' rows back, a
// block at a time, to build their kernel from. Otherwise they would hold
// their rows through the plan too, as much memory again as their share of
// the kernel; the price is their share of the auction's work.
func Gather(n, m int, mayExact, exactOnPool bool, limit int64) bool {
	if limit == 0 {
		limit = GatherMin
	}
	return mayExact && !exactOnPool && 4*int64(n)*int64(m) >= limit
}

// IterateHereMax is the most bytes of the other workers' kernels
// (ot.KernelBytes: after the exact plan at a small ε the sparse form holds
// a few hundred entries a row or fewer) that the sampler of a pool may take
// to run the Sinkhorn iterations over every block itself (IterateHere).
// The dense kernel (cost-norm max, or a large ε) of the other workers' rows
// at N = 10⁴ is 200 MB and more, and stays with them. WorkerBytes counts it
// in the sampler's memory.
const IterateHereMax = 96 << 20

// IterateRounds is the number of Sinkhorn iterations over the pool after
// each kernel (OpKernel, OpAbsorb) that the sampler times before it decides
// where the next ones run (IterateHere), after IterateSkip untimed ones:
// at N = 10⁴ (d = 19) the first iterations after the kernel took 6–30 ms
// each on the loaded machine, the later ones 2–4 ms.
const (
	IterateSkip   = 8
	IterateRounds = 32
)

// IterateHere reports whether the sampler of a pool takes the other
// workers' blocks, whose kernels hold bytes in all (ot.KernelBytes), and
// runs the iterations over every block itself, after IterateRounds
// iterations over the pool took poolSec seconds (wall time: its own blocks,
// the messages and the waiting), of which the work on its own blocks and
// the other workers' busy time (decoding the request included) summed to
// hereSec: what the same iterations would cost it alone, without a message.
// Over the pool an iteration is a round of messages, 1.5–3 ms each on the
// loaded 2-core machine at N = 10⁴ (80 KB of column scalings out and a
// reply back), while the work moved is its blocks' share of the kernel's
// entries; which is larger depends on the kernel and on the machine's
// load, so it is measured rather than guessed. It holds when bytes is
// within the limit (IterateHereMax when limit is 0) and hereSec < poolSec;
// a test's positive limit skips the timing (the iterations move whenever
// the kernel is within it), a negative one keeps them on the pool. The
// blocks and the order of the sums stay the same, so the score does too,
// bit for bit; only the messages go.
func IterateHere(bytes, limit int64, poolSec, hereSec float64) bool {
	switch {
	case limit < 0:
		return false
	case limit > 0:
		return bytes <= limit
	}
	return bytes <= IterateHereMax && hereSec < poolSec
}

// OverlapBytes is the most cost and kernel bytes that two repetitions of
// an n×m problem may hold at once when one process overlaps them (package
// otce: repetition k+1's cost and exact plan while k iterates): 1.35
// times the dense cost 4·n·m. Issue 21's memory bound is 1.5·(4·n·m + the
// sampled features) + 16 MB a worker; the collector's slack (GOGC = 10 in
// the CLI: a tenth of the live heap) comes on top of what is counted, so
// two dense matrices (8·n·m) never fit, while a dense cost beside a
// sparse kernel of up to 1.4·n·m bytes (density up to 0.17 at 8 bytes an
// entry; the kernel of a trained network's logits at ε/median(C) = 1e-3,
// N = 10⁴, held 113–118 MB, density 0.14 and the arrays of the blocks
// that switched at 2ε) does.
func OverlapBytes(n, m int) int64 { return 54 * int64(n) * int64(m) / 10 }

// LargestN is the largest n ≤ limit whose n×n problem of dimension d fits
// in the workers (the exact plan on the pool), or 0.
func LargestN(d, workers, limit int) int {
	lo, hi := 0, limit
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if WorkerBytes(mid, mid, d, workers, true) <= WorkerBudget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// CheckMemory refuses an n×m problem of dimension d that would not fit in
// the workers, with the largest N that fits. n and m are the sizes of the
// problem solved (Size), not the N asked for.
func CheckMemory(n, m, d, workers int) error {
	need := WorkerBytes(n, m, d, workers, true)
	if need <= WorkerBudget {
		return nil
	}
	msg := fmt.Sprintf("N = %d needs about %s per worker with %d worker(s), more than a browser worker can safely hold (%s). ",
		n, gb(need), workers, gb(WorkerBudget))
	if best := LargestN(d, workers, n); best > 0 {
		msg += fmt.Sprintf("The largest N that fits with %d worker(s) is %d", workers, best)
	}
	if workers < MaxWorkers {
		if best := LargestN(d, MaxWorkers, n); best > 0 {
			msg += fmt.Sprintf("; with %d workers, %d", MaxWorkers, best)
		}
	}
	//lint:ignore ST1005 a sentence shown to the person as it is
	return fmt.Errorf("%s.", msg)
}

func gb(b int64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%.1f GB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%d MB", b>>20)
}

// MapBytes estimates what the sampler keeps for transferability maps
// (package maps) beside an n×m problem's solve: each of k repetitions'
// source sample (n·d float32) with its potentials and squared norms (two
// float64 a row), and the map of one image of pixels feature pixels
// (float32 values, int32 labels, and float64 sums and counts a pixel
// while it is computed).
func MapBytes(n, d, k, pixels int) int64 {
	return int64(k)*int64(n)*(4*int64(d)+16) + 24*int64(pixels)
}

// CheckMapMemory is CheckMemory for a map request: the sampler also keeps
// MapBytes(n, d, k, pixels), so the problem's own estimate plus it must
// fit in a worker.
func CheckMapMemory(n, m, d, k, pixels, workers int) error {
	if err := CheckMemory(n, m, d, workers); err != nil {
		return err
	}
	solve, keep := WorkerBytes(n, m, d, workers, true), MapBytes(n, d, k, pixels)
	if solve+keep <= WorkerBudget {
		return nil
	}
	//lint:ignore ST1005 a sentence shown to the person as it is
	return fmt.Errorf("The maps keep the %d repetitions' source samples and an image's map (about %s) beside the solve (%s), more than a browser worker can safely hold (%s): lower -k or -n for the maps.",
		k, gb(keep), gb(solve), gb(WorkerBudget))
}

// PageOverlap reports whether the sampler of a pool overlaps a
// candidate's repetitions (the page's counterpart of the CLI's overlapped
// loop, package otce): while the other workers iterate repetition k's
// Sinkhorn over all of its blocks, the sampler draws repetition k+1 and
// computes its cost, exact plan and kernel, then hands that kernel over
// once k's is released. The roles are fixed so that the memory bound
// holds: a WebAssembly memory never shrinks, so a worker that once held a
// dense cost keeps its size, and two workers that each did would hold two
// (issue 21's bound is one and a half). Only the sampler ever holds the
// dense cost and the exact plan; the others hold one repetition's kernel
// at a time (HandOver).
//
// It is allowed over the pool (local false: one worker alone has nothing
// to overlap with) of two workers or more, for two repetitions or more,
// when the solver is Sinkhorn and may start warm from the exact plan
// (MayExact): the exact plan, on one thread, is what the other workers'
// iterations would hide (at N = 10⁴ on a trained network's logits, 7.8 s
// of a repetition's 14.5 in the page, the other worker idle meanwhile);
// without it the sampler's part (cost, kernel) is short, and the
// iterations, on the other workers alone, would take longer than over the
// whole pool. It also needs the sampler to hold every cost row (gather,
// see Gather: the exact plan in the sampler, the cost large enough for
// the other workers' memory to matter).
//
// And the request may turn it off (wanted false: a test's switch). On the
// quiet 2-core machine, at N = 10⁴, K = 10 on a trained network's logits
// (BENCHMARKS.md, "Main at the end of the fifth round"), the page took
// 73.7, 74.5 and 83.9 s overlapped against 86.4, 90.1 and 89.5 s one
// repetition at a time (two invocations, the builds interleaved). On the
// shared machine under load 4–7 ("Repetitions overlapped in the page") it
// went from 0.62× to 1.38×: when the sampler's exact plan runs 1.6–2.4×
// slower beside the other worker's iterations (cores taken by other
// programs), nothing is hidden.
func PageOverlap(s settings.Settings, workers int, local, gather, wanted bool) bool {
	return wanted && !local && workers >= 2 && s.K >= 2 && s.Solver != settings.SolverEMD && MayExact(s) && gather
}

// HandOverMax is the most kernel bytes (ot.KernelBytes) that each other
// worker of an overlapped pool (PageOverlap) is given of a repetition:
// issue 21's bound at N = 10⁴ (1.5·(4·N² + features) + 16 MB a worker,
// about 633 MB on 2 workers) less the sampler's peak (the dense cost and
// the exact solver's arrays, 468 MB) leaves about 165 MB for the other
// worker: its runtime and collector's slack, and the kernel (90–110 MB of
// a trained network's logits at ε/median(C) = 1e-3). A denser kernel (a
// larger ε, no warm start) is shared out as without the overlap
// (HandOver false).
const HandOverMax = 128 << 20

// HandOver reports whether the sampler of an overlapped pool gives all of
// a repetition's blocks, whose kernels hold bytes in all, to the others
// other workers (each hosting a contiguous run: OthersAssign), to iterate
// there while it computes the next repetition: when each one's share is
// within limit (HandOverMax when 0). Otherwise the sampler keeps its
// share (Assign) and iterates it, and the next repetition waits for this
// one's release, as without the overlap.
func HandOver(bytes int64, others int, limit int64) bool {
	if limit == 0 {
		limit = HandOverMax
	}
	return others > 0 && bytes <= limit*int64(others)
}

// OthersAssign is Assign for an overlapped pool's hand-over (HandOver):
// the blocks go to workers 1, …, workers−1 in contiguous runs in order,
// none to the sampler (worker 0).
func OthersAssign(blocks, workers int) [][]int {
	if workers < 2 {
		return Assign(blocks, workers)
	}
	out := make([][]int, workers)
	for w := 1; w < workers; w++ {
		for b := (w - 1) * blocks / (workers - 1); b < w*blocks/(workers-1); b++ {
			out[w] = append(out[w], b)
		}
	}
	return out
}
