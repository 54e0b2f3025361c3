package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// sameAsCLIGathered: on the pool, when the exact plan may come (the
// default Sinkhorn, warm-started from it at raw cost, and --solver emd),
// the other workers give the sampler their blocks' cost rows as they
// compute them and keep none, and the sampler gives them their blocks'
// rows back after the plan, a block at a time, to build their kernel from
// (schedule.Gather; the page does it from
// 64 MB of cost on, here forced with otceGatherMin = 1). After the first
// schedule.IterateSkip + IterateRounds iterations over the pool, the sampler takes the
// other workers' blocks and runs the next iterations over all of them
// itself ("take") when their kernels are small and that is faster
// (schedule.IterateHere; forced here with otceIterateHereMax = 2⁴⁰, a
// limit that skips the timing); with otceIterateHereMax = −1 it leaves
// them there, a round of messages per iteration; and without the
// gathering (otceGatherMin = 2⁶²) it takes them all the same. The scores are the
// CLI's to the bit: CE, W_D, the iterations (or the auction's rounds) and
// the OTCE of every repetition, with 2 and 3 workers, on every path. The
// repetitions one at a time (otceOverlap = false): sameAsCLIOverlapped
// runs the overlapped pool, which the page takes by default whenever the
// cost is gathered.
func (h *harness) sameAsCLIGathered(fx fixture) {
	const n, k = 600, 2 // 10 row blocks
	h.load()
	h.setSetting("set-n", fmt.Sprint(n))
	h.setSetting("set-k", fmt.Sprint(k))
	h.setCandidate(1, "fixture", fx)
	h.setFiles("target-labels-files", fx.tl)
	defer eval[bool](h, `(delete globalThis.otceLocalSolveMax, delete globalThis.otceGatherMin, delete globalThis.otceIterateHereMax, delete globalThis.otceSwapCost, delete globalThis.otceOverlap, true)`)
	type path struct {
		solver  string
		workers int
		gather  bool
		take    bool // the sampler iterates over every block
		swap    bool // the gathered cost's blocks swapped (otceSwapCost)
	}
	var paths []path
	for _, w := range []int{2, 3} {
		paths = append(paths, path{"emd", w, true, false, false}, path{"sinkhorn", w, true, true, false}, path{"sinkhorn", w, true, false, false})
	}
	paths = append(paths, path{"sinkhorn", 3, false, true, false}, path{"emd", 2, true, false, true}, path{"sinkhorn", 3, true, true, true})
	want := map[string]map[string]any{}
	for _, pt := range paths {
		where := fmt.Sprintf("%s on the pool of %d workers (gathered %v, iterations in the sampler %v, cost blocks swapped %v)", pt.solver, pt.workers, pt.gather, pt.take, pt.swap)
		if want[pt.solver] == nil {
			want[pt.solver] = h.cliJSON(fx, "-n", fmt.Sprint(n), "-k", fmt.Sprint(k), "--solver", pt.solver)
		}
		gatherMin, hereMax := "1", "2**40"
		if !pt.gather {
			gatherMin = "2**62"
		}
		if !pt.take {
			hereMax = "-1"
		}
		eval[bool](h, `(globalThis.otceOverlap = false, globalThis.otceLocalSolveMax = 0, globalThis.otceGatherMin = `+gatherMin+`, globalThis.otceIterateHereMax = `+hereMax+`, globalThis.otceSwapCost = `+fmt.Sprint(pt.swap)+`, true)`)
		h.setSetting("set-solver", pt.solver)
		h.setSetting("set-workers", fmt.Sprint(pt.workers))
		h.click("run")
		h.waitState(3*time.Minute, "done")
		got := h.onlyCandidate(where, pt.solver)
		for _, key := range []string{"otce_mean", "ce", "wd", "iterations", "stop_rule"} {
			if !reflect.DeepEqual(got[key], want[pt.solver][key]) {
				h.t.Errorf("%s: %s is %v in the page, %v in the CLI", where, key, got[key], want[pt.solver][key])
			}
		}
		// The rows were given, and given back for the kernel (Sinkhorn);
		// the kernels taken when the sampler iterates.
		phases := eval[string](h, `JSON.stringify(globalThis.otceTimings.phases)`)
		var sec map[string]float64
		if err := json.Unmarshal([]byte(phases), &sec); err != nil || (pt.gather && (sec["give"] == 0 || sec["shared:bid"] != 0)) ||
			(pt.gather && pt.solver == "sinkhorn") != (sec["host"] > 0) {
			h.t.Errorf("%s: the other workers did not give their cost rows (give), or got them back (host) when there was no kernel, or shared the auction: %s", where, phases)
		}
		if pt.swap && sec["pipeline:taken"] == 0 {
			// The sampler computed none of the other workers' blocks (the
			// second worker computes the sampler's by construction).
			h.t.Errorf("%s: the cost's blocks were not shared: %s", where, phases)
		}
		if (sec["take"] > 0) != pt.take {
			h.t.Errorf("%s: the sampler took the other workers' kernels for %.3f s (%.3f MB): %s", where, sec["take"], sec["take:MB"], phases)
		}
		h.t.Logf("%s: OTCE %v (CLI %v), iterations %v; seconds giving rows %.3f, giving them back for the kernel %.3f, taking the kernels %.3f (%.3f MB; an iteration over the pool %.3f ms, its work %.3f ms; each summed over the repetitions)",
			where, got["otce_mean"], want[pt.solver]["otce_mean"], got["iterations"], sec["give"], sec["host"], sec["take"], sec["take:MB"], sec["take:pool-ms"], sec["take:here-ms"])
	}
}

// sameAsCLIOverlapped: on the pool, when the repetitions overlap (asked
// with otceOverlap, and allowed by schedule.PageOverlap: Sinkhorn, which
// may start warm from the exact plan, with the cost gathered in the
// sampler; forced here at N = 600 with otceLocalSolveMax = 0 and
// otceGatherMin = 1), the sampler computes
// each repetition's cost, exact plan and kernel alone, then hands every
// block's kernel over to the other workers (overlap.go: "overlap:handed"),
// which iterate it while the sampler computes the next repetition (and
// takes its share of the blocks back once that one waits: "overlap:took",
// as the timing falls); the last repetition keeps the sampler's share; with a
// hand-over limit of 1 byte (otceHandOverMax) it keeps its share of the
// blocks and iterates them ("overlap:shared"), the next repetition
// waiting for the release, as one at a time. The scores are the CLI's to
// the bit (CE, W_D, the iterations, the stop rules, the OTCE) with 2 and 3
// workers and K = 3 (two hand-overs while a repetition iterates).
func (h *harness) sameAsCLIOverlapped(fx fixture) {
	const n, k = 600, 3 // 10 row blocks
	h.load()
	h.setSetting("set-n", fmt.Sprint(n))
	h.setSetting("set-k", fmt.Sprint(k))
	h.setSetting("set-solver", "sinkhorn")
	h.setCandidate(1, "fixture", fx)
	h.setFiles("target-labels-files", fx.tl)
	defer eval[bool](h, `(delete globalThis.otceLocalSolveMax, delete globalThis.otceGatherMin, delete globalThis.otceHandOverMax, delete globalThis.otceOverlap, true)`)
	want := h.cliJSON(fx, "-n", fmt.Sprint(n), "-k", fmt.Sprint(k), "--solver", "sinkhorn")
	for _, pt := range []struct {
		workers int
		shared  bool // the hand-over limit at 1 byte: the sampler keeps its share
	}{{2, false}, {3, false}, {2, true}} {
		where := fmt.Sprintf("overlapped on the pool of %d workers (the sampler keeping its share %v)", pt.workers, pt.shared)
		handMax := "0"
		if pt.shared {
			handMax = "1"
		}
		eval[bool](h, `(globalThis.otceOverlap = true, globalThis.otceLocalSolveMax = 0, globalThis.otceGatherMin = 1, globalThis.otceHandOverMax = `+handMax+`, true)`)
		h.setSetting("set-workers", fmt.Sprint(pt.workers))
		h.click("run")
		h.waitState(3*time.Minute, "done")
		got := h.onlyCandidate(where, "sinkhorn")
		for _, key := range []string{"otce_mean", "ce", "wd", "iterations", "stop_rule"} {
			if !reflect.DeepEqual(got[key], want[key]) {
				h.t.Errorf("%s: %s is %v in the page, %v in the CLI", where, key, got[key], want[key])
			}
		}
		phases := eval[string](h, `JSON.stringify(globalThis.otceTimings.phases)`)
		var sec map[string]float64
		if err := json.Unmarshal([]byte(phases), &sec); err != nil {
			h.t.Fatal(err)
		}
		handed, shared := sec["overlap:handed"], sec["overlap:shared"]
		// The last repetition keeps the sampler's share: nothing comes
		// after it.
		if pt.shared && (handed != 0 || shared != k) || !pt.shared && (handed != k-1 || shared != 1) || sec["give"] != 0 || sec["host"] != 0 {
			h.t.Errorf("%s: %v repetitions handed over, %v shared; the cost rows given and given back in %v s, %v s: %s", where, handed, shared, sec["give"], sec["host"], phases)
		}
		h.t.Logf("%s: OTCE %v (CLI %v), iterations %v; the hand-overs %.3f s, waits for the sampler %.3f s and for the other workers %.3f s, %v yields (%.3f s), %v iterations there, the sampler's share taken back %v times (%.3f s)",
			where, got["otce_mean"], want["otce_mean"], got["iterations"], sec["overlap:hand"], sec["overlap:wait-here"], sec["overlap:wait-there"], sec["overlap:yield:n"], sec["overlap:yield"], sec["iterate:others"], sec["overlap:took"], sec["overlap:take"])
	}
}
