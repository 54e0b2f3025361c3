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
// 64 MB of cost on, here forced with otceGatherMin = 1). The scores are
// the CLI's to the bit: CE, W_D, the iterations (or the auction's rounds)
// and the OTCE of every repetition, with 2 and 3 workers.
func (h *harness) sameAsCLIGathered(fx fixture) {
	const n, k = 600, 2 // 10 row blocks
	h.load()
	h.setSetting("set-n", fmt.Sprint(n))
	h.setSetting("set-k", fmt.Sprint(k))
	h.setCandidate(1, "fixture", fx)
	h.setFiles("target-labels-files", fx.tl)
	eval[bool](h, `(globalThis.otceLocalSolveMax = 0, globalThis.otceGatherMin = 1, true)`)
	defer eval[bool](h, `(delete globalThis.otceLocalSolveMax, delete globalThis.otceGatherMin, true)`)
	for _, solver := range []string{"sinkhorn", "emd"} {
		want := h.cliJSON(fx, "-n", fmt.Sprint(n), "-k", fmt.Sprint(k), "--solver", solver)
		h.setSetting("set-solver", solver)
		for _, w := range []int{2, 3} {
			where := fmt.Sprintf("%s on the pool of %d workers", solver, w)
			h.setSetting("set-workers", fmt.Sprint(w))
			h.click("run")
			h.waitState(3*time.Minute, "done")
			r := h.ranking()
			cs, _ := r["candidates"].([]any)
			if len(cs) != 1 {
				h.t.Fatalf("%s: %d candidates in the page's JSON; status: %s", where, len(cs), eval[string](h, `document.getElementById("status").textContent`))
			}
			got, _ := cs[0].(map[string]any)
			if s, _ := got["settings"].(map[string]any); s == nil || s["solver"] != solver {
				h.t.Fatalf("%s: the page did not use --solver %s: %v", where, solver, got["settings"])
			}
			for _, key := range []string{"otce_mean", "ce", "wd", "iterations", "stop_rule"} {
				if !reflect.DeepEqual(got[key], want[key]) {
					h.t.Errorf("%s: %s is %v in the page, %v in the CLI", where, key, got[key], want[key])
				}
			}
			// The rows were given, and given back for the kernel (Sinkhorn).
			phases := eval[string](h, `JSON.stringify(globalThis.otceTimings.phases)`)
			var sec map[string]float64
			if err := json.Unmarshal([]byte(phases), &sec); err != nil || sec["give"] == 0 || (solver == "sinkhorn") != (sec["host"] > 0) || sec["shared:bid"] != 0 {
				h.t.Errorf("%s: the other workers did not give their cost rows (give), or got them back (host) when there was no kernel, or shared the auction: %s", where, phases)
			}
			h.t.Logf("%s: OTCE %v (CLI %v), iterations %v; seconds giving rows %.3f, giving them back for the kernel %.3f", where, got["otce_mean"], want["otce_mean"], got["iterations"], sec["give"], sec["host"])
		}
	}
}
