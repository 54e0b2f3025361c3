package e2e

// TestBench is the browser half of `make bench` (scripts/bench): it runs only
// when OTCE_BENCH names a spec file written by scripts/bench, so that
// `go test ./...` never runs it. For each setting of the spec it opens a fresh
// page, sets the settings and the files, presses Run and reads, from inside
// the page, the time from the last file chosen to the scores shown, the
// page's per-phase timings (globalThis.otceTimings, wasm/ui/bench.go), the
// result JSON and each worker's wasm memory. It also measures the browser's
// streaming limit (scripts/bench/stream in 1 and in `workers` web workers).
// A setting may ask for several page runs and name a native command (the
// CLI on the same files and settings) to run after each of them, so that
// the page and the CLI interleave in one invocation (page, CLI, page, CLI,
// …) under the same load: the command's wall time, its peak resident
// memory and its stdout (JSON) go beside the page run's. A setting may also
// name another build of the site (Site) to run its pages from, so that two
// builds interleave with the CLI in one invocation; with OTCE_BENCH_PROFILE
// set to a folder, each page run writes a CPU profile of the page and of
// each of its workers there (profileWorkers).
// The results go to OTCE_BENCH_OUT as JSON.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/profiler"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

type benchSpec struct {
	Workers  int            `json:"workers"`
	StreamNs []int          `json:"stream_ns"`
	Settings []benchSetting `json:"settings"`
	Timeout  float64        `json:"timeout_seconds"` // per setting
}

type benchSetting struct {
	Name     string  `json:"name"`
	N        int     `json:"n"`
	K        int     `json:"k"`
	Eps      float64 `json:"eps"`
	CostNorm string  `json:"cost_norm"`
	// The files of the candidate's inputs (source features and labels,
	// target features) and of the target labels. An .npz or .safetensors
	// bundle in SF (TF) with SL (TL) empty gives its own labels, as in the
	// page (wasm/ui/run.go).
	SF []string `json:"sf"`
	SL []string `json:"sl"`
	TF []string `json:"tf"`
	TL []string `json:"tl"`
	// Optional: the solver, the other scores and the seed as the page's
	// settings spell them (the page's defaults when empty).
	Solver  string `json:"solver,omitempty"`
	Metrics string `json:"metrics,omitempty"`
	Seed    string `json:"seed,omitempty"`
	// Repeat is the number of page runs (at least one), each on a fresh page.
	Repeat int `json:"repeat,omitempty"`
	// Native, when set, is a command (argv) run after each page run.
	Native []string `json:"native,omitempty"`
	// Globals, when set, are the page's test overrides to set before the
	// run (globalThis.otceIterateHereMax = -1: the iterations over the
	// pool, as before the sampler took small kernels), to compare paths
	// in one invocation.
	Globals map[string]float64 `json:"globals,omitempty"`
	// Site, when set, is a folder of another build of the site
	// (go run ./wasm/tools/webbuild -out DIR, e.g. from another
	// checkout) that this setting's page runs are served from, on a server
	// of its own (another origin: the site's service worker stays in its
	// own), so that two builds run interleaved in one invocation.
	Site string `json:"site,omitempty"`
}

// nativeRun is one run of a setting's native command.
type nativeRun struct {
	Seconds float64        `json:"seconds"` // wall time of the process
	MaxRSS  float64        `json:"max_rss"` // bytes: its VmHWM, polled every 20 ms
	Result  map[string]any `json:"result"`  // its stdout, as JSON
	Error   string         `json:"error,omitempty"`
}

type benchStream struct {
	N       int     `json:"n"`
	Workers int     `json:"workers"`
	Seconds float64 `json:"seconds"` // slowest worker's best of 3, two passes over its share
}

type benchResult struct {
	Name         string             `json:"name"`
	PageSeconds  float64            `json:"page_seconds"` // last file chosen → scores shown, performance.now()
	RunSeconds   float64            `json:"run_seconds"`  // Run pressed → scores shown
	Timings      map[string]any     `json:"timings"`      // globalThis.otceTimings
	WarmSeconds  float64            `json:"warm_seconds"` // the workers' warm-up when the page opened, before the timing
	WorkerMemory []float64          `json:"worker_memory"`
	Result       map[string]any     `json:"result"` // the candidate's JSON (the CLI's schema)
	Error        string             `json:"error,omitempty"`
	Extra        map[string]float64 `json:"extra,omitempty"`
	Rep          int                `json:"rep,omitempty"`    // which of the setting's page runs
	Native       *nativeRun         `json:"native,omitempty"` // the native command run after it
}

type benchOut struct {
	Chromium string        `json:"chromium"`
	Stream   []benchStream `json:"stream"`
	Results  []benchResult `json:"results"`
}

const streamHTML = `<!doctype html><meta charset="utf-8"><title>stream</title>
<script>
window.runStream = (n, workers) => new Promise((resolve, reject) => {
  const rows = Math.ceil(n / workers);
  let left = workers, worst = 0;
  const ws = [];
  for (let i = 0; i < workers; i++) {
    const w = new Worker("stream-worker.js");
    ws.push(w);
    w.onmessage = (e) => {
      worst = Math.max(worst, e.data.seconds);
      w.terminate();
      if (--left === 0) resolve(worst);
    };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage({rows: rows, cols: n});
  }
});
</script>`

const streamWorker = `importScripts("/wasm_exec.js");
onmessage = async (e) => {
  self.streamRows = e.data.rows; self.streamCols = e.data.cols;
  const go = new Go();
  const r = await WebAssembly.instantiateStreaming(fetch("stream.wasm"), go.importObject);
  go.run(r.instance);
};`

func TestBench(t *testing.T) {
	specPath := os.Getenv("OTCE_BENCH")
	if specPath == "" {
		t.Skip("the browser benchmark runs under make bench (OTCE_BENCH names its spec)")
	}
	outPath := os.Getenv("OTCE_BENCH_OUT")
	if outPath == "" {
		t.Fatal("OTCE_BENCH_OUT is not set")
	}
	var spec benchSpec
	b, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	if spec.Workers == 0 {
		spec.Workers = 2
	}
	if spec.Timeout == 0 {
		spec.Timeout = 3600
	}
	root, chrome, tmp, www := buildSite(t)
	sdir := benchProgram(t, root, tmp, "stream", map[string]string{"index.html": streamHTML, "stream-worker.js": streamWorker})

	mux := http.NewServeMux()
	mux.Handle("/stream/", http.StripPrefix("/stream/", http.FileServer(http.Dir(sdir))))
	mux.Handle("/", http.FileServer(http.Dir(www)))
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		mux.ServeHTTP(w, r)
	}))
	defer site.Close()
	// The other builds' sites (benchSetting.Site), by folder.
	sites := map[string]string{}
	for _, s := range spec.Settings {
		if s.Site == "" || sites[s.Site] != "" {
			continue
		}
		fs := http.FileServer(http.Dir(s.Site))
		alt := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-cache")
			fs.ServeHTTP(w, r)
		}))
		defer alt.Close()
		sites[s.Site] = alt.URL + "/"
	}

	ctx, stop := unthrottledBrowser(t, chrome, filepath.Join(tmp, "profile"))
	defer stop()
	var out benchOut
	if v, err := exec.Command(chrome, "--version").Output(); err == nil {
		out.Chromium = strings.TrimSpace(string(v))
	}
	write := func() {
		b, _ := json.MarshalIndent(out, "", "  ")
		if err := os.WriteFile(outPath, b, 0o644); err != nil {
			t.Error(err)
		}
	}

	// The streaming limit in WebAssembly: 1 worker over the whole n×n, and
	// `workers` workers over n/workers rows each, at once.
	{
		h := &harness{t: t, ctx: ctx}
		h.do(chromedp.Navigate(site.URL + "/stream/"))
		for _, n := range spec.StreamNs {
			for _, w := range []int{1, spec.Workers} {
				sec := eval[float64](h, fmt.Sprintf("runStream(%d, %d)", n, w))
				out.Stream = append(out.Stream, benchStream{N: n, Workers: w, Seconds: sec})
				t.Logf("stream n=%d workers=%d: %.4f s", n, w, sec)
			}
		}
		write()
	}

	for _, s := range spec.Settings {
		for rep := range max(s.Repeat, 1) {
			name := s.Name
			if s.Repeat > 1 {
				name = fmt.Sprintf("%s/run%d", s.Name, rep)
			}
			var res benchResult
			ok := t.Run(name, func(t *testing.T) {
				// Each run in a tab of its own, closed after it: a page
				// navigated away from can stay alive in the back-forward
				// cache, its workers and their memory with it.
				tab, closeTab := chromedp.NewContext(ctx)
				defer closeTab()
				if err := chromedp.Do(tab); err != nil {
					t.Fatal(err)
				}
				msgs, msgMu := collectConsole(tab)
				url := site.URL + "/"
				if s.Site != "" {
					url = sites[s.Site]
				}
				h := &harness{t: t, ctx: tab, url: url, msgs: msgs, msgMu: msgMu}
				res = benchOne(h, s, spec.Workers, time.Duration(spec.Timeout*float64(time.Second)))
			})
			if !ok && res.Error == "" {
				res.Error = "the browser run failed (see the test log)"
			}
			res.Name, res.Rep = s.Name, rep
			if len(s.Native) > 0 {
				n := runNative(s.Native)
				res.Native = &n
				t.Logf("%s: native %.3f s, max RSS %.0f MB %s", name, n.Seconds, n.MaxRSS/1e6, n.Error)
			}
			out.Results = append(out.Results, res)
			write()
		}
	}
}

// runNative runs argv and polls its /proc/PID/status VmHWM (the high-water
// mark of its own address space) every 20 ms until it exits. (A child's
// rusage is no good here: Go starts children with vfork, so their max RSS
// starts at this process's.)
func runNative(argv []string) nativeRun {
	var r nativeRun
	cmd := exec.Command(argv[0], argv[1:]...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		r.Error = err.Error()
		return r
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			r.Seconds = time.Since(t0).Seconds()
			if err != nil {
				r.Error = fmt.Sprintf("%v: %s", err, strings.TrimSpace(stderr.String()))
			}
			if err := json.Unmarshal([]byte(stdout.String()), &r.Result); err != nil && r.Error == "" {
				r.Error = "stdout is not JSON: " + err.Error()
			}
			return r
		case <-tick.C:
			b, err := os.ReadFile(status)
			if err != nil {
				continue
			}
			for _, l := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
					var kb float64
					fmt.Sscanf(strings.TrimSpace(v), "%f", &kb)
					r.MaxRSS = max(r.MaxRSS, kb*1024)
				}
			}
		}
	}
}

const benchProbe = `(() => {
  window.benchT0 = null; window.benchT1 = null; window.benchRun = null;
  document.addEventListener("change", (e) => {
    if (e.target && e.target.type === "file") window.benchT0 = performance.now();
  }, true);
  document.getElementById("run").addEventListener("click", () => { window.benchRun = performance.now(); }, true);
  new MutationObserver(() => {
    if (document.body.dataset.state === "done" && window.benchT1 === null) window.benchT1 = performance.now();
  }).observe(document.body, {attributes: true, attributeFilter: ["data-state"]});
  return true;
})()`

// profileWorkers starts Chromium's sampling profiler (the DevTools
// protocol's Profiler domain, a sample every 100 µs) in each worker of the
// page that was not there before, and in the page itself, when
// OTCE_BENCH_PROFILE names a folder; the function it returns stops them and
// writes each profile there as NAME-wI-UNIXNANO.cpuprofile (w0 the page's,
// then the workers'; the format Chromium's DevTools open).
func profileWorkers(h *harness, before map[string]bool, name string) (stop func()) {
	dir := os.Getenv("OTCE_BENCH_PROFILE")
	if dir == "" {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		h.t.Fatal(err)
	}
	infos, err := chromedp.Targets(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	// The page's own thread first (w0), then its workers.
	ctxs := []context.Context{h.ctx}
	cancels := []context.CancelFunc{func() {}}
	if _, err := chromedp.Call(h.ctx, profiler.Enable, cdp.Empty{}); err == nil {
		chromedp.Call(h.ctx, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 100})
		chromedp.Call(h.ctx, profiler.Start, cdp.Empty{})
	}
	for _, in := range infos {
		if in.Type != "worker" || before[string(in.TargetID)] {
			continue
		}
		wctx, cancel := chromedp.NewContext(h.ctx, chromedp.WithTargetID(target.ID(in.TargetID)))
		if _, err := chromedp.Call(wctx, profiler.Enable, cdp.Empty{}); err == nil {
			chromedp.Call(wctx, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 100})
			if _, err := chromedp.Call(wctx, profiler.Start, cdp.Empty{}); err == nil {
				ctxs, cancels = append(ctxs, wctx), append(cancels, cancel)
				continue
			}
		}
		cancel()
	}
	return func() {
		for i, wctx := range ctxs {
			r, err := chromedp.Call(wctx, profiler.Stop, cdp.Empty{})
			if err == nil && r.Profile != nil {
				b, _ := json.Marshal(r.Profile)
				os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-w%d-%d.cpuprofile", strings.ReplaceAll(name, "/", "_"), i, time.Now().UnixNano())), b, 0o644)
			}
			cancels[i]()
		}
	}
}

func benchOne(h *harness, s benchSetting, workers int, timeout time.Duration) benchResult {
	var res benchResult
	// The workers already there (other tabs', on their way out) are not
	// this page's.
	before := map[string]bool{}
	infos, err := chromedp.Targets(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, in := range infos {
		before[string(in.TargetID)] = true
	}
	h.load()
	// The page starts its workers and warms them up (a small demo solve)
	// as soon as it opens, while a user would pick the files: time the run
	// as a user sees it, after that.
	warmBy := time.Now().Add(time.Minute)
	for eval[string](h, `document.body.dataset.warm || ""`) == "" && time.Now().Before(warmBy) {
		time.Sleep(50 * time.Millisecond)
	}
	res.WarmSeconds = eval[float64](h, `globalThis.otceWarmSeconds || 0`)
	eval[bool](h, benchProbe)
	if v := os.Getenv("OTCE_BENCH_LOCAL_MAX"); v != "" {
		// Where the page stops solving a problem in one worker (see wasm/ui localLimit).
		eval[bool](h, `(globalThis.otceLocalSolveMax = `+strconv.Quote(v)+` * 1, true)`)
	}
	for k, v := range s.Globals {
		eval[bool](h, fmt.Sprintf(`(globalThis[%q] = %v, true)`, k, v))
	}
	h.setSetting("set-n", fmt.Sprint(s.N))
	h.setSetting("set-k", fmt.Sprint(s.K))
	h.setSetting("set-eps", fmt.Sprint(s.Eps))
	h.setSetting("set-cost-norm", s.CostNorm)
	h.setSetting("set-workers", fmt.Sprint(workers))
	for id, v := range map[string]string{"set-solver": s.Solver, "set-metrics": s.Metrics, "set-seed": s.Seed} {
		if v != "" {
			h.setSetting(id, v)
		}
	}
	h.setCandidate(1, "bench", fixture{sf: s.SF, sl: s.SL, tf: s.TF})
	h.setFiles("target-labels-files", s.TL)
	stopProfiles := profileWorkers(h, before, s.Name)
	h.click("run")
	deadline := time.Now().Add(timeout)
	for {
		st := h.state()
		if st == "done" {
			break
		}
		if st == "broken" || st == "refused" || st == "cancelled" || time.Now().After(deadline) {
			res.Error = fmt.Sprintf("page state %q: %s (progress: %s)", st, eval[string](h, `(document.getElementById("status")||{}).textContent||""`),
				eval[string](h, `(document.getElementById("progress-text")||{}).textContent||""`))
			h.t.Error(res.Error)
			h.msgMu.Lock()
			for _, m := range *h.msgs {
				h.t.Logf("console %s", m)
			}
			h.msgMu.Unlock()
			return res
		}
		time.Sleep(250 * time.Millisecond)
	}
	times := eval[map[string]float64](h, `({t0: window.benchT0 || 0, run: window.benchRun || 0, t1: window.benchT1 || performance.now()})`)
	stopProfiles()
	res.PageSeconds = (times["t1"] - times["t0"]) / 1000
	res.RunSeconds = (times["t1"] - times["run"]) / 1000
	res.Timings = eval[map[string]any](h, `globalThis.otceTimings || {}`)
	r := h.ranking()
	if cs, _ := r["candidates"].([]any); len(cs) > 0 {
		res.Result, _ = cs[0].(map[string]any)
	}
	if res.Result != nil {
		if e, _ := res.Result["error"].(string); e != "" {
			res.Error = e
		}
	}
	// Each worker's wasm memory (it only grows: its peak over the run).
	infos, err = chromedp.Targets(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, in := range infos {
		if in.Type != "worker" || before[string(in.TargetID)] {
			continue
		}
		wctx, cancel := chromedp.NewContext(h.ctx, chromedp.WithTargetID(target.ID(in.TargetID)))
		v, err := chromedp.Call(wctx, cdpruntime.Evaluate, cdpruntime.EvaluateParams{
			Expression: `self.otceWasmMemory ? self.otceWasmMemory() : -1`, ReturnByValue: ptr(true)})
		if err == nil && v.Result != nil {
			var m float64
			if json.Unmarshal(v.Result.Value, &m) == nil && m > 0 {
				res.WorkerMemory = append(res.WorkerMemory, m)
			}
		}
		cancel()
	}
	h.t.Logf("%s: %.3f s in the page (Run → shown %.3f s), workers' memory %v", s.Name, res.PageSeconds, res.RunSeconds, res.WorkerMemory)
	return res
}
