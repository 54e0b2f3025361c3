package e2e

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// workerTargets returns the page's dedicated workers.
func (h *harness) workerTargets() []target.ID {
	h.t.Helper()
	infos, err := chromedp.Targets(h.ctx)
	must(h, err)
	var ids []target.ID
	for _, in := range infos {
		if in.Type == "worker" {
			ids = append(ids, in.TargetID)
		}
	}
	return ids
}

// inWorker evaluates a JavaScript expression in a worker.
func (h *harness) inWorker(id target.ID, expr string) json.RawMessage {
	h.t.Helper()
	v, err := h.tryInWorker(id, expr)
	must(h, err)
	return v
}

// tryInWorker evaluates a JavaScript expression in a worker that may be
// gone: a worker of a pool the page has just replaced can still be listed
// as a target and detach while it is asked.
func (h *harness) tryInWorker(id target.ID, expr string) (json.RawMessage, error) {
	wctx, cancel := chromedp.NewContext(h.ctx, chromedp.WithTargetID(id))
	defer cancel()
	res, err := chromedp.Call(wctx, cdpruntime.Evaluate, cdpruntime.EvaluateParams{Expression: expr, ReturnByValue: ptr(true)})
	if err != nil {
		return nil, err
	}
	if res.Result == nil {
		return nil, nil
	}
	return json.RawMessage(res.Result.Value), nil
}

// workerMemory is the wasm memory of each live worker, in bytes.
func (h *harness) workerMemory() []int64 {
	h.t.Helper()
	var out []int64
	for _, id := range h.workerTargets() {
		var n int64
		v, err := h.tryInWorker(id, `typeof self.otceWasmMemory == "function" ? self.otceWasmMemory() : 0`)
		if err == nil && json.Unmarshal(v, &n) == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// pageHeap collects garbage and returns the page's used JS heap.
func (h *harness) pageHeap() float64 {
	h.t.Helper()
	if _, err := chromedp.Call(h.ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
		h.t.Fatal(err)
	}
	return eval[float64](h, `performance.memory ? performance.memory.usedJSHeapSize : 0`)
}

// waitProgress waits until the progress line contains one of the texts.
func (h *harness) waitProgress(texts ...string) string {
	h.t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a guard against a hang, not a measurement
	for {
		p := eval[string](h, `document.getElementById("progress-text").textContent`)
		for _, s := range texts {
			if strings.Contains(p, s) {
				return p
			}
		}
		if st := h.state(); st != "running" || time.Now().After(deadline) {
			h.t.Fatalf("state %s, progress %q: never showed %q", st, p, texts)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) longRun(fx fixture, workers int, pool, overlap bool) {
	h.load()
	if pool {
		// Solve over the pool even this small problem: the sampler drives
		// the other workers through its ports (proto.KindPool).
		eval[bool](h, `(globalThis.otceLocalSolveMax = 0, true)`)
	}
	if overlap {
		// The repetitions overlapped (otceOverlap and schedule.PageOverlap,
		// with the cost gathered in the sampler): the other worker
		// iterates one while the sampler computes the next.
		eval[bool](h, `(globalThis.otceOverlap = true, globalThis.otceGatherMin = 1, true)`)
	}
	h.setSetting("set-n", "700")
	h.setSetting("set-k", "200")
	h.setSetting("set-score-tol", "0")
	h.setSetting("set-tol", "1e-9")
	h.setSetting("set-workers", fmt.Sprint(workers))
	h.setCandidate(1, "long", fx)
	h.setFiles("target-labels-files", fx.tl)
	h.click("run")
	h.waitProgress("iteration")
}

// shortRunWorks runs a short run on the same page and expects a score.
func (h *harness) shortRunWorks(name string) {
	h.t.Helper()
	h.setSetting("set-k", "1")
	h.setSetting("set-n", "300")
	h.setSetting("set-score-tol", "1e-4")
	h.setSetting("set-tol", "1e-6")
	h.click("run")
	h.waitState(2*time.Minute, "done")
	if _, ok := h.scores()[name]; !ok {
		h.t.Errorf("the next run gave no score: %s", eval[string](h, `document.getElementById("status").textContent`))
	}
}

// workerKilled closes one worker from inside, mid-solve: no event reaches
// the page, which must still end the run with a clear message, and the next
// run must work. It kills first a worker that is not solving (the sampler
// solves this small problem alone), then the sampler itself, then, with the
// problem solved over the pool, the worker the sampler drives; then, with
// the repetitions overlapped, the worker that iterates them and the
// sampler.
func (h *harness) workerKilled(fx fixture) {
	for _, victim := range []struct {
		what, suffix  string
		pool, overlap bool
	}{{"an idle worker", "-1", false, false}, {"the sampler", "-0", false, false}, {"the worker the sampler drives", "-1", true, false},
		{"the worker iterating the overlapped repetitions", "-1", true, true}, {"the sampler of the overlapped repetitions", "-0", true, true}} {
		h.longRun(fx, 2, victim.pool, victim.overlap)
		// The victim is the worker of the newest pool (names run
		// otce-worker-<page>-<pool>-<index>) with that index: the workers
		// of the pool the last kill replaced may still be listed, or
		// detach while they are asked their name.
		var id target.ID
		newest := -1
		for _, w := range h.workerTargets() {
			v, err := h.tryInWorker(w, `self.name`)
			var name string
			if err != nil || json.Unmarshal(v, &name) != nil || !strings.HasSuffix(name, victim.suffix) {
				continue
			}
			parts := strings.Split(name, "-")
			if len(parts) < 2 {
				continue
			}
			if pool, err := strconv.Atoi(parts[len(parts)-2]); err == nil && pool > newest {
				id, newest = w, pool
			}
		}
		if id == "" {
			h.t.Fatalf("no worker named *%s", victim.suffix)
		}
		h.inWorker(id, `setTimeout(() => close(), 0), "closing"`)
		h.waitState(2*time.Minute, "done")
		var r struct {
			Candidates []struct{ Error string } `json:"candidates"`
		}
		must(h, json.Unmarshal([]byte(eval[string](h, `document.getElementById("results-json").textContent`)), &r))
		if len(r.Candidates) != 1 || !strings.Contains(r.Candidates[0].Error, "worker") {
			h.t.Fatalf("after %s was killed: %+v", victim.what, r.Candidates)
		}
		h.t.Logf("%s killed mid-run: %s", victim.what, r.Candidates[0].Error)
		h.shortRunWorks("long")
	}
}

// sparseNHWC writes a sparse (B, H, W, C) float32 feature file and its
// (B, H, W) uint8 labels (all class 0): the data are never written.
func sparseNHWC(h *harness, dir, stem string, b, ht, w, c int) (string, string) {
	must(h, os.MkdirAll(dir, 0o755))
	fp, lp := filepath.Join(dir, stem+"_features.npy"), filepath.Join(dir, stem+"_labels.npy")
	for _, f := range []struct {
		path  string
		descr string
		shape []int
		elem  int64
	}{{fp, "<f4", []int{b, ht, w, c}, 4}, {lp, "|u1", []int{b, ht, w}, 1}} {
		hdr := headerNPY(f.descr, f.shape)
		size := f.elem
		for _, s := range f.shape {
			size *= int64(s)
		}
		file, err := os.Create(f.path)
		must(h, err)
		file.Write(hdr)
		if f.elem == 4 { // a few distinct features near the start
			v := make([]byte, 1<<16)
			for i := 0; i < len(v); i += 4 {
				binary.LittleEndian.PutUint32(v[i:], 0x3f800000+uint32(i*7919%(1<<20)))
			}
			file.Write(v)
		}
		must(h, file.Truncate(int64(len(hdr))+size))
		file.Close()
	}
	return fp, lp
}

// bigFile scores 8.6 GB sparse feature files in the page, cancels a run
// while it reads them, and checks that no worker's memory grows past what
// its row block and the sample need.
func (h *harness) bigFile(work string) {
	const n, workers = 2000, 2
	sf, sl := sparseNHWC(h, filepath.Join(work, "big"), "src", 16, 256, 1024, 512)
	tf, tl := sparseNHWC(h, filepath.Join(work, "big"), "tgt", 16, 256, 1024, 512)
	st, _ := os.Stat(sf)
	h.load()
	h.setSetting("set-k", "1")
	h.setSetting("set-workers", fmt.Sprint(workers))
	h.setCandidate(1, "big", fixture{sf: []string{sf}, sl: []string{sl}, tf: []string{tf}})
	h.setFiles("target-labels-files", []string{tl})
	// Cancel while the files are read (the default N = 10⁴ takes a while).
	h.click("run")
	p := h.waitProgress("opening the files", "sampling pixels")
	h.click("cancel")
	h.waitState(time.Minute, "cancelled")
	h.t.Logf("cancelled during %q", p)
	// Then a whole run at N = 2000.
	h.setSetting("set-n", fmt.Sprint(n))
	h.click("run")
	h.waitState(10*time.Minute, "done")
	sc, ok := h.scores()["big"]
	if !ok {
		h.t.Fatalf("no score for the %.1f GB files: %s", float64(st.Size())/1e9, eval[string](h, `document.getElementById("status").textContent`))
	}
	mem := h.workerMemory()
	// Each worker: its share of the 4·N² kernel, the sample (2·N·d float32
	// on the sampler) and the Go runtime and the valid-pixel index; 96 MB of slack.
	limit := int64(4*n*n/workers+2*n*512*4) + 96<<20
	h.t.Logf("%.1f GB feature files, N = %d: OTCE %.4g; worker wasm memory %v MB (limit %d MB)", float64(st.Size())/1e9, n, sc, mb(mem), limit>>20)
	for i, m := range mem {
		if m > limit {
			h.t.Errorf("worker %d holds %d MB for a row block of %d MB", i, m>>20, 4*n*n/workers>>20)
		}
	}
}

func mb(v []int64) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = fmt.Sprintf("%.1f", float64(x)/(1<<20))
	}
	return out
}

// manyCandidates scores 20 candidates twice on one page: the workers' memory
// and the page's heap must be the same after 40 candidates as after 20.
func (h *harness) manyCandidates(good, other fixture) {
	h.load()
	h.setSetting("set-n", "300")
	h.setSetting("set-k", "1")
	h.setSetting("set-workers", "2")
	for i := 1; i <= 20; i++ {
		if i > 1 {
			h.click("add-candidate")
		}
		fx := good
		if i%2 == 0 {
			fx = other
		}
		h.setCandidate(i, fmt.Sprintf("c%02d", i), fx)
	}
	h.setFiles("target-labels-files", good.tl)
	var mems [][]int64
	var heaps []float64
	for run := 0; run < 2; run++ {
		h.click("run")
		h.waitState(5*time.Minute, "done")
		if n := len(h.scores()); n != 20 {
			h.t.Fatalf("run %d scored %d of 20 candidates", run+1, n)
		}
		mems = append(mems, h.workerMemory())
		heaps = append(heaps, h.pageHeap())
	}
	h.t.Logf("after 20, 40 candidates: worker wasm memory %v, %v MB; page JS heap %.1f, %.1f MB",
		mb(mems[0]), mb(mems[1]), heaps[0]/(1<<20), heaps[1]/(1<<20))
	for i := range mems[0] {
		if i < len(mems[1]) && mems[1][i] > mems[0][i]+4<<20 {
			h.t.Errorf("worker %d grew from %d to %d MB over 20 candidates", i, mems[0][i]>>20, mems[1][i]>>20)
		}
	}
	if heaps[1] > heaps[0]*1.2+4<<20 {
		h.t.Errorf("the page's heap grew from %.1f to %.1f MB over 20 candidates", heaps[0]/(1<<20), heaps[1]/(1<<20))
	}
}

// idleThenRun leaves the page idle (OTCE_E2E_IDLE, default 5s), then runs.
func (h *harness) idleThenRun(fx fixture) {
	idle := 5 * time.Second
	if v := os.Getenv("OTCE_E2E_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		must(h, err)
		idle = d
	}
	h.load()
	h.setSetting("set-n", "300")
	h.setSetting("set-k", "1")
	h.setCandidate(1, "idle", fx)
	h.setFiles("target-labels-files", fx.tl)
	h.click("run")
	h.waitState(2*time.Minute, "done")
	time.Sleep(idle)
	h.click("run")
	h.waitState(2*time.Minute, "done")
	if _, ok := h.scores()["idle"]; !ok {
		h.t.Errorf("no score after %s idle", idle)
	}
	h.t.Logf("ran again after %s idle", idle)
}

// sameJSONAsCLI compares the page's result with the CLI's, field by field
// after a canonical re-encoding, timings apart, for 1 and 3 workers.
func (h *harness) sameJSONAsCLI(fx fixture) {
	args := []string{"score", "-n", "400", "-k", "2", "--seed", "5", "--format", "json", "--quiet"}
	for flag, fl := range map[string][]string{"--source-features": fx.sf, "--source-labels": fx.sl, "--target-features": fx.tf, "--target-labels": fx.tl} {
		for _, f := range fl {
			args = append(args, flag, f)
		}
	}
	cli := canonical(h, run(h.t, ".", nil, h.cli, args...))
	h.load()
	h.setSetting("set-n", "400")
	h.setSetting("set-k", "2")
	h.setSetting("set-seed", "5")
	h.setCandidate(1, "fixture", fx)
	h.setFiles("target-labels-files", fx.tl)
	for _, w := range []int{1, 3} {
		h.setSetting("set-workers", fmt.Sprint(w))
		h.click("run")
		h.waitState(3*time.Minute, "done")
		var r struct {
			Candidates []json.RawMessage `json:"candidates"`
		}
		must(h, json.Unmarshal([]byte(eval[string](h, `document.getElementById("results-json").textContent`)), &r))
		page := canonical(h, r.Candidates[0])
		if page != cli {
			h.t.Errorf("%d worker(s): the page's JSON differs from the CLI's:\npage %s\ncli  %s", w, page, cli)
		} else {
			h.t.Logf("%d worker(s): the page's JSON equals the CLI's (%d bytes, timings apart)", w, len(page))
		}
	}
}

// canonical re-encodes JSON with sorted keys and the timing fields zeroed.
func canonical(h *harness, b []byte) string {
	var v any
	must(h, json.Unmarshal(b, &v))
	var zero func(any)
	zero = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			for k, e := range t {
				if strings.HasSuffix(k, "seconds") {
					t[k] = 0
				} else {
					zero(e)
				}
			}
		case []any:
			for _, e := range t {
				zero(e)
			}
		}
	}
	zero(v)
	// The page names its candidate; the CLI's score has no name.
	if m, ok := v.(map[string]any); ok {
		delete(m, "name")
	}
	out, err := json.Marshal(v)
	must(h, err)
	return string(out)
}
