// Package e2e tests the browser app end to end in a real headless Chromium:
// it builds www/ and the CLI, serves www/ on 127.0.0.1, drives the page with
// chromedp, and checks the browser's scores against the CLI's.
//
// Chromium must be installed (Debian's chromium; scripts/setup.sh installs
// it); `go test -short` skips this package.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

func init() {
	mime.AddExtensionType(".wasm", "application/wasm")
}

// repoRoot is the module root (this package's parent).
func repoRoot(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

func findChromium(t *testing.T) string {
	if p := os.Getenv("OTCE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Fatal("no Chromium found: install Debian's chromium (scripts/setup.sh does), or set OTCE_CHROMIUM; `go test -short` skips this test")
	return ""
}

func run(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// recorder is an HTTP proxy that records every request the browser makes,
// from the page and from its workers alike, and forwards plain HTTP.
type recorder struct {
	mu   sync.Mutex
	reqs []string // scheme://host/path
}

func (p *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if r.Method == http.MethodConnect {
		p.reqs = append(p.reqs, "connect://"+r.Host)
	} else {
		p.reqs = append(p.reqs, r.URL.Scheme+"://"+r.URL.Host+r.URL.Path)
	}
	p.mu.Unlock()
	if r.Method == http.MethodConnect || r.URL.Host == "" {
		http.Error(w, "not proxied", http.StatusForbidden)
		return
	}
	out, err := http.NewRequest(r.Method, r.URL.String(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	out.Header.Del("Proxy-Connection")
	resp, err := (&http.Transport{Proxy: nil}).RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func (p *recorder) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.reqs...)
}

type harness struct {
	t   *testing.T
	ctx context.Context // the running subtest's: base with its own deadline
	// base is the page's browser context, without a deadline: each subtest
	// derives its own from it (subtest), so a slow one cannot use up the
	// time of the next ones.
	base    context.Context
	url     string
	out     string // screenshots
	cli     string
	proxy   *recorder
	evil    *httptest.Server
	evilHit *int64
	msgs    *[]chromedp.ConsoleMessage
	msgMu   *sync.Mutex
}

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped under -short (it builds the app and drives headless Chromium)")
	}
	start := time.Now()
	root, chrome, tmp, www := buildSite(t)
	cli := filepath.Join(tmp, "otce")
	run(t, root, nil, "go", "build", "-o", cli, "./cmd/otce")
	t.Logf("built the app and the CLI in %s", time.Since(start).Round(time.Second))

	out := filepath.Join(root, "build", "e2e")
	os.MkdirAll(out, 0o755)

	fs := http.FileServer(http.Dir(www))
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		fs.ServeHTTP(w, r)
	}))
	defer site.Close()
	var evilHits int64
	var evilMu sync.Mutex
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilMu.Lock()
		evilHits++
		evilMu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", "*")
		fmt.Fprint(w, "leaked")
	}))
	defer evil.Close()
	rec := &recorder{}
	proxyLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxySrv := &http.Server{Handler: rec}
	go proxySrv.Serve(proxyLn)
	defer proxySrv.Close()

	opts := chromeOptions(chrome, filepath.Join(tmp, "profile"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatal(err)
	}
	// The page runs in a browser context of its own whose every request, the
	// workers' included, goes through the recording proxy, loopback too.
	// (The browser's own background services stay outside: they are not the
	// page's doing.)
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext(func(p *target.CreateBrowserContextParams) {
		p.ProxyServer = "http://" + proxyLn.Addr().String()
		p.ProxyBypassList = "<-loopback>"
	}))
	defer cancel()

	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	msgs, msgMu := collectConsole(ctx)
	h := &harness{t: t, ctx: ctx, base: ctx, url: site.URL + "/", out: out, cli: cli, proxy: rec, evil: evil, evilHit: &evilHits, msgs: msgs, msgMu: msgMu}

	fixDir := filepath.Join(tmp, "fixtures")
	good, err := makeFixture(filepath.Join(fixDir, "good"), 1, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	other, err := makeFixture(filepath.Join(fixDir, "other"), 2, 0.4)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(fixDir, "broken_features.npy")
	if err := writeTruncated(bad); err != nil {
		t.Fatal(err)
	}

	h.subtest(t, "SameScoreAsCLI", func() { h.sameAsCLI(good) })
	h.subtest(t, "SameScoreAsCLIEmd", func() { h.sameAsCLIEmd(good) })
	h.subtest(t, "SameBitsAsCLIGathered", func() { h.sameAsCLIGathered(good) })
	h.subtest(t, "SameBitsAsCLIOverlapped", func() { h.sameAsCLIOverlapped(good) })
	h.subtest(t, "MapsSameAsCLI", func() { h.mapsSameAsCLI(good) })
	h.subtest(t, "MapsCancel", func() { h.mapsCancel(good) })
	h.subtest(t, "MapsPatchSameAsCLI", func() { h.mapsPatchSameAsCLI(good) })
	h.subtest(t, "MetricsSameAsCLI", func() { h.metricsSameAsCLI(fixDir) })
	h.subtest(t, "BadFileAndOthers", func() { h.badFile(good, other, bad) })
	h.subtest(t, "CancelThenRunAgain", func() { h.cancelThenRun(good) })
	h.subtest(t, "Demo", func() { h.demo() })
	h.subtest(t, "DemoVolumes", func() { h.demoVolumes() })
	h.subtest(t, "MapsVolumesSameAsCLI", func() { h.mapsVolumesSameAsCLI() })
	t.Run("Hardening", func(t *testing.T) { h.hardening(t, root, fixDir, good) })
	h.subtest(t, "NoConsoleErrors", func() { h.noConsoleErrors() })
	h.subtest(t, "NoOtherOrigin", func() { h.noOtherOrigin(site.URL) })
	h.subtest(t, "WorkersUnderCSP", func() { h.workersUnderCSP() })
}

// subtestTimeout is each browser subtest's own deadline, counted from its
// start: as long as the whole suite's used to be, so that a subtest slowed
// by a loaded machine fails only when it hangs, and never takes the time of
// the ones after it. (go test's -timeout bounds the whole run.)
const subtestTimeout = 15 * time.Minute

// subtest runs f as the subtest name of t with h.t and h.ctx its own: a
// fresh context from h.base with a deadline of subtestTimeout, cancelled
// when the subtest ends.
func (h *harness) subtest(t *testing.T, name string, f func()) bool {
	return t.Run(name, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(h.base, subtestTimeout)
		defer cancel()
		h.t, h.ctx = t, ctx
		f()
	})
}

// ---- page helpers

func (h *harness) do(actions ...chromedp.Action[chromedp.Void]) {
	h.t.Helper()
	if err := chromedp.Do(h.ctx, actions...); err != nil {
		h.t.Fatal(err)
	}
}

func eval[T any](h *harness, expr string) T {
	h.t.Helper()
	v, err := chromedp.Run(h.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		h.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// load opens a fresh page and waits until the Go page is running.
func (h *harness) load() {
	h.t.Helper()
	h.do(chromedp.Navigate(h.url))
	h.waitState(30*time.Second, "idle")
}

func (h *harness) state() string { return eval[string](h, "document.body.dataset.state") }

func (h *harness) waitState(timeout time.Duration, want ...string) string {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := h.state()
		for _, w := range want {
			if s == w {
				return s
			}
		}
		if s == "broken" || time.Now().After(deadline) {
			status := eval[string](h, `(document.getElementById("status")||document.getElementById("boot-status")||{}).textContent||""`)
			h.msgMu.Lock()
			for _, m := range *h.msgs {
				if m.Type == chromedp.ConsoleError || m.IsException() {
					h.t.Logf("console %s", m)
				}
			}
			h.msgMu.Unlock()
			h.t.Fatalf("page state %q, want %v (status: %s)", s, want, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (h *harness) setFiles(inputID string, files []string) {
	h.t.Helper()
	h.do(chromedp.SetUploadFiles(chromedp.ID(inputID), files))
}

// setSetting sets the control id of the page to v as a person would: a
// text field (a contenteditable element, role textbox: the page has no
// text <input>, see noOtherOrigin) is focused, its text selected and
// replaced by v through the browser's editing commands (which send the
// beforeinput and input events typing does), then left (the page's change
// event); a select or checkbox gets the value and an input and a change
// event.
func (h *harness) setSetting(id, v string) {
	h.t.Helper()
	msg := eval[string](h, `((id, v) => {
		const e = document.getElementById(id);
		if (!e) return "no element #" + id;
		if (e.isContentEditable) {
			e.focus();
			getSelection().selectAllChildren(e);
			document.execCommand(v === "" ? "delete" : "insertText", false, v);
			e.blur();
			return e.textContent === v ? "" : "#" + id + " reads " + JSON.stringify(e.textContent) + " after typing " + JSON.stringify(v);
		}
		if (e.getAttribute("contenteditable") !== null) return "#" + id + " is not editable (disabled?)";
		e.value = v;
		e.dispatchEvent(new Event("input", {bubbles: true}));
		e.dispatchEvent(new Event("change", {bubbles: true}));
		return "";
	})(`+strconv.Quote(id)+`, `+strconv.Quote(v)+`)`)
	if msg != "" {
		h.t.Fatal(msg)
	}
}

// click clicks the element through its click() method: a mouse click at
// its coordinates can miss it when the layout moves in between (the file
// lists grow as the workers report on the files), and then nothing runs.
func (h *harness) click(id string) {
	h.t.Helper()
	if !eval[bool](h, `(() => { const e = document.getElementById(`+strconv.Quote(id)+`); if (!e) return false; e.click(); return true; })()`) {
		h.t.Fatalf("no element #%s to click", id)
	}
}

func (h *harness) screenshot(name string) {
	h.t.Helper()
	buf, err := chromedp.Run(h.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		h.t.Fatal(err)
	}
	p := filepath.Join(h.out, name)
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		h.t.Fatal(err)
	}
	h.t.Logf("screenshot %s", p)
}

// scores reads the OTCE of each candidate from the results table.
func (h *harness) scores() map[string]float64 {
	h.t.Helper()
	raw := eval[map[string]string](h, `Object.fromEntries([...document.querySelectorAll("#results-table tbody tr")].map(tr =>
		[tr.dataset.name, (tr.querySelector("td[data-key=otce]").dataset.value || "")]))`)
	out := map[string]float64{}
	for k, v := range raw {
		if v == "" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			h.t.Fatalf("score of %s: %v", k, err)
		}
		out[k] = f
	}
	return out
}

// ranking reads the JSON the page shows (the CLI's schema).
func (h *harness) ranking() map[string]any {
	h.t.Helper()
	var r map[string]any
	if err := json.Unmarshal([]byte(eval[string](h, `document.getElementById("results-json").textContent`)), &r); err != nil {
		h.t.Fatal(err)
	}
	return r
}

func (h *harness) setCandidate(id int, name string, fx fixture) {
	h.t.Helper()
	pre := fmt.Sprintf("cand-%d", id)
	h.setSetting(pre+"-name", name)
	h.setFiles(pre+"-sf-files", fx.sf)
	h.setFiles(pre+"-sl-files", fx.sl)
	h.setFiles(pre+"-tf-files", fx.tf)
}

// ---- the checks

func (h *harness) cliScore(fx fixture, n, k int) float64 {
	h.t.Helper()
	r := h.cliJSON(fx, "-n", fmt.Sprint(n), "-k", fmt.Sprint(k))
	v, ok := r["otce_mean"].(float64)
	if !ok {
		h.t.Fatalf("CLI output has no otce_mean: %v", r)
	}
	return v
}

func (h *harness) sameAsCLI(fx fixture) {
	const n, k = 500, 3
	want := h.cliScore(fx, n, k)
	h.load()
	h.setSetting("set-n", fmt.Sprint(n))
	h.setSetting("set-k", fmt.Sprint(k))
	h.setCandidate(1, "fixture", fx)
	h.setFiles("target-labels-files", fx.tl)
	byWorkers := map[int]float64{}
	// First on the pool (row blocks spread over the workers, one round of
	// messages per operation), then solved by one worker alone, as the page
	// does for small problems.
	eval[bool](h, `(globalThis.otceLocalSolveMax = 0, true)`)
	for _, w := range []int{4, 1, 0} {
		if w == 0 {
			eval[bool](h, `(delete globalThis.otceLocalSolveMax, true)`)
			w = 2
		}
		h.setSetting("set-workers", fmt.Sprint(w))
		h.click("run")
		h.waitState(3*time.Minute, "done")
		got, ok := h.scores()["fixture"]
		if !ok {
			h.t.Fatalf("no score with %d workers; status: %s", w, eval[string](h, `document.getElementById("status").textContent`))
		}
		if _, seen := byWorkers[w]; !seen {
			byWorkers[w] = got
		}
		h.t.Logf("%d worker(s): browser OTCE %.17g, CLI %.17g, |Δ| = %.3g", w, got, want, math.Abs(got-want))
		if math.Abs(got-want) > 1e-6 {
			h.t.Errorf("%d worker(s): browser OTCE %.17g, CLI %.17g", w, got, want)
		}
	}
	if d := math.Abs(byWorkers[4] - byWorkers[1]); d > 1e-9 {
		h.t.Errorf("OTCE depends on the worker count: 4 workers %.17g, 1 worker %.17g", byWorkers[4], byWorkers[1])
	}
	r := h.ranking()
	if s, _ := r["settings"].(map[string]any); s == nil || s["n"] != float64(n) {
		h.t.Errorf("the JSON's settings are %v", r["settings"])
	}
	h.screenshot("cli-equivalence.png")
}

// onlyCandidate is the page's ranking's one candidate, after a run of one
// candidate (where says which run, for the messages); the run must have used
// --solver solver.
func (h *harness) onlyCandidate(where, solver string) map[string]any {
	h.t.Helper()
	cs := candidates(h.ranking())
	if len(cs) != 1 {
		h.t.Fatalf("%s: %d candidates in the page's JSON; status: %s", where, len(cs), eval[string](h, `document.getElementById("status").textContent`))
	}
	got := cs[0]
	if s, _ := got["settings"].(map[string]any); s == nil || s["solver"] != solver {
		h.t.Fatalf("%s: the page did not use --solver %s: %v", where, solver, got["settings"])
	}
	return got
}

// cliJSON runs the CLI's score command on the fixture with the extra
// arguments and returns its JSON report.
func (h *harness) cliJSON(fx fixture, extra ...string) map[string]any {
	h.t.Helper()
	res, _ := h.cliRSS(fx, extra...)
	return res
}

// sameAsCLIEmd: with --solver emd the exact plan is computed over the row
// blocks of ot.Partition (ot.ExactOverBlocks), in the CLI and in the page
// alike, so the scores are the same to the bit: CE, W_D, the auction's
// rounds and the OTCE of every repetition, on the pool with 3 workers and
// with 1, and when one worker solves alone. On the pool the sampler shares
// every bidding round with the other workers here (otceSplitMinRows = 1,
// ot.SplitBlocks), not only those with many pending rows.
func (h *harness) sameAsCLIEmd(fx fixture) {
	const n, k = 600, 2 // 10 row blocks
	want := h.cliJSON(fx, "-n", fmt.Sprint(n), "-k", fmt.Sprint(k), "--solver", "emd")
	h.load()
	h.setSetting("set-n", fmt.Sprint(n))
	h.setSetting("set-k", fmt.Sprint(k))
	h.setSetting("set-solver", "emd")
	h.setCandidate(1, "fixture", fx)
	h.setFiles("target-labels-files", fx.tl)
	eval[bool](h, `(globalThis.otceSplitMinRows = 1, true)`)
	defer eval[bool](h, `(delete globalThis.otceLocalSolveMax, delete globalThis.otceExactOnPool, delete globalThis.otceSplitMinRows, true)`)
	for _, c := range []struct {
		w                int
		alone, exactPool bool
	}{{3, false, false}, {1, false, false}, {2, true, false}, {2, false, true}} {
		w := c.w
		where := fmt.Sprintf("the pool of %d worker(s)", w)
		switch {
		case c.alone:
			where = "one worker alone"
		case c.exactPool:
			where = fmt.Sprintf("the pool of %d worker(s), the exact plan over the pool's blocks", w)
		}
		// The sampler solves the exact plan alone unless its dense cost
		// would not fit (exactOnPool); a test flag forces the pool.
		eval[bool](h, fmt.Sprintf(`(globalThis.otceLocalSolveMax = %d, globalThis.otceExactOnPool = %v, true)`, map[bool]int{true: 1 << 30, false: 0}[c.alone], c.exactPool))
		h.setSetting("set-workers", fmt.Sprint(w))
		h.click("run")
		h.waitState(3*time.Minute, "done")
		got := h.onlyCandidate(where, "emd")
		for _, key := range []string{"otce_mean", "ce", "wd", "iterations", "stop_rule"} {
			if !reflect.DeepEqual(got[key], want[key]) {
				h.t.Errorf("%s: %s is %v in the page, %v in the CLI", where, key, got[key], want[key])
			}
		}
		exactSeconds := func(r map[string]any) any {
			d, _ := r["diagnostics"].(map[string]any)
			ph, _ := d["phase_seconds"].(map[string]any)
			return ph["exact"]
		}
		h.t.Logf("%s: seconds in the exact solver, %d repetitions: %v in the page, %v in the CLI", where, k, exactSeconds(got), exactSeconds(want))
		if c.w > 1 && !c.alone && !c.exactPool {
			shared := eval[string](h, `JSON.stringify(Object.fromEntries(Object.entries(globalThis.otceTimings.phases).filter(([k]) => k.startsWith("shared:"))))`)
			var counts map[string]float64
			if err := json.Unmarshal([]byte(shared), &counts); err != nil || counts["shared:bid"] == 0 || counts["shared:slack"] == 0 || counts["shared:infeasibility"] != float64(k) {
				h.t.Errorf("%s: the sampler did not share bidding rounds, price-lowering passes and one certificate a repetition with the other workers: %s", where, shared)
			} else {
				h.t.Logf("%s: operations of the exact plan shared with the other workers: %s", where, shared)
			}
		}
		ce, _ := got["ce"].([]any)
		wce, _ := want["ce"].([]any)
		for i := range min(len(ce), len(wce)) {
			a, _ := ce[i].(float64)
			b, _ := wce[i].(float64)
			h.t.Logf("%s: repetition %d: browser CE %.17g, CLI %.17g, |ΔCE| = %g; auction rounds %v", where, i+1, a, b, math.Abs(a-b), got["iterations"])
		}
	}
}

func (h *harness) badFile(good, other fixture, bad string) {
	h.load()
	h.setSetting("set-n", "300")
	h.setSetting("set-k", "1")
	h.setCandidate(1, "good", good)
	h.click("add-candidate")
	// The broken candidate: a truncated feature file, paired by stem with a
	// good label file, next to a good pair.
	brokenLabels := filepath.Join(filepath.Dir(bad), "broken_labels.npy")
	if err := copyFile(other.sl[0], brokenLabels); err != nil {
		h.t.Fatal(err)
	}
	h.setCandidate(2, "broken", fixture{sf: []string{bad, other.sf[1]}, sl: []string{brokenLabels, other.sl[1]}, tf: other.tf})
	h.setFiles("target-labels-files", good.tl)
	h.click("run")
	h.waitState(3*time.Minute, "done")
	msg := eval[string](h, `(document.querySelector('#cand-2-sf li.bad .ferror')||{}).textContent||""`)
	if !strings.HasPrefix(msg, "broken_features.npy") {
		h.t.Errorf("no message of the core next to the bad file; got %q", msg)
	} else {
		h.t.Logf("message next to the bad file: %s", msg)
	}
	sc := h.scores()
	if _, ok := sc["good"]; !ok {
		h.t.Errorf("the good candidate was not scored: %v", sc)
	}
	row := eval[string](h, `(document.querySelector('#results-table tr[data-name=broken] td[data-key=warn]')||{}).textContent||""`)
	if !strings.Contains(row, "broken_features.npy") {
		h.t.Errorf("the results table does not show the failure: %q", row)
	}
	h.screenshot("bad-file.png")
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

func (h *harness) cancelThenRun(fx fixture) {
	h.cancelThenRunOn(fx, false, false)
	// Again with the problem solved over the pool: the sampler drives the
	// other worker through its port when the cancel comes.
	h.cancelThenRunOn(fx, true, false)
	// And with the repetitions overlapped (otceOverlap, the cost gathered:
	// otceGatherMin = 1): the other worker iterates one repetition while
	// the sampler computes the next one's cost and exact plan.
	h.cancelThenRunOn(fx, true, true)
}

func (h *harness) cancelThenRunOn(fx fixture, pool, overlap bool) {
	h.load()
	if pool {
		eval[bool](h, `(globalThis.otceLocalSolveMax = 0, true)`)
	}
	if overlap {
		eval[bool](h, `(globalThis.otceOverlap = true, globalThis.otceGatherMin = 1, true)`)
	}
	// A run long enough to cancel: many repetitions at a tight tolerance.
	h.setSetting("set-n", "700")
	h.setSetting("set-k", "200")
	h.setSetting("set-score-tol", "0")
	h.setSetting("set-tol", "1e-9")
	h.setCandidate(1, "long", fx)
	h.setFiles("target-labels-files", fx.tl)
	h.click("run")
	h.waitState(10*time.Second, "running")
	// Wait until the solver iterates, then cancel.
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(eval[string](h, `document.getElementById("progress-text").textContent`), "iteration") {
		if time.Now().After(deadline) {
			h.t.Fatal("the run shows no iteration")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t0 := time.Now()
	h.click("cancel")
	h.waitState(5*time.Second, "cancelled")
	h.t.Logf("cancelled in %s", time.Since(t0).Round(time.Millisecond))
	// The page stays usable: a second, short run completes.
	h.setSetting("set-k", "1")
	h.setSetting("set-n", "300")
	h.setSetting("set-score-tol", "1e-6")
	h.setSetting("set-tol", "1e-6")
	h.click("run")
	h.waitState(2*time.Minute, "done")
	if _, ok := h.scores()["long"]; !ok {
		h.t.Error("no score after cancel and rerun")
	}
}

// demo runs the demo as a user does (Load demo, then Run, after the
// workers' warm-up) at its own N (otce.DemoN, which Load demo puts in the
// settings with a note, and `otce demo` uses: fewer than the demo's valid
// pixels), checks that its repetitions differ (std > 0) and that its scores
// are `otce demo`'s, and logs a benchmark line: the page's
// time from Run to the scores against the CLI's wall time for the same
// demo, in the same invocation (not a timed test: the machine may be
// loaded).
func (h *harness) demo() {
	h.load()
	// The page's default N is the paper's; the demo brings its own.
	if n := eval[string](h, `document.getElementById("set-n").value`); n != "10000" {
		h.t.Fatalf("-n default is %s, want the paper's 10000", n)
	}
	warmBy := time.Now().Add(time.Minute)
	for eval[string](h, `document.body.dataset.warm || ""`) == "" && time.Now().Before(warmBy) {
		time.Sleep(50 * time.Millisecond)
	}
	h.loadDemo()
	demoN, err := strconv.Atoi(eval[string](h, `document.getElementById("set-n").value`))
	if err != nil || demoN >= 10000 {
		h.t.Errorf("Load demo left -n at %d (%v), want the demo's own, smaller N", demoN, err)
	}
	note := eval[string](h, `(() => { const e = document.getElementById("demo-n-note"); return e && !e.hidden ? e.textContent : ""; })()`)
	if !strings.Contains(note, fmt.Sprintf("N = %d", demoN)) || !strings.Contains(note, "N = 10⁴") {
		h.t.Errorf("no visible note on the demo's N: %q", note)
	}
	eval[bool](h, `(() => {
  window.demoRun = null; window.demoDone = null;
  document.getElementById("run").addEventListener("click", () => { window.demoRun = performance.now(); }, true);
  new MutationObserver(() => {
    if (document.body.dataset.state === "done" && window.demoDone === null) window.demoDone = performance.now();
  }).observe(document.body, {attributes: true, attributeFilter: ["data-state"]});
  return true;
})()`)
	t0 := time.Now()
	h.click("run")
	h.waitState(5*time.Minute, "done")
	h.t.Logf("demo done in %s", time.Since(t0).Round(time.Millisecond))
	page := eval[float64](h, `(window.demoDone - window.demoRun) / 1000`)
	c0 := time.Now()
	out, err := exec.Command(h.cli, "demo", "--format", "json", "--quiet").Output()
	cliSec := time.Since(c0).Seconds()
	if err != nil {
		h.t.Fatalf("otce demo: %v", err)
	}
	workers := eval[int](h, `navigator.hardwareConcurrency || 0`)
	h.t.Logf("benchmark: demo (5 candidates, N = %d, K = 10) in the page after warm-up %.2f s (Run → scores, %d processors), `otce demo` %.2f s wall, page/CLI %.2f", demoN, page, workers, cliSec, page/cliSec)
	var cli map[string]any
	if err := json.Unmarshal(out, &cli); err != nil {
		h.t.Fatal(err)
	}
	r := h.ranking()
	for who, x := range map[string]map[string]any{"page": r, "otce demo": cli} {
		if s, _ := x["settings"].(map[string]any); s == nil || s["n"] != float64(demoN) {
			h.t.Errorf("%s: the demo's settings are %v, want n = %d", who, x["settings"], demoN)
		}
	}
	for _, c := range candidates(r) {
		if std, _ := c["otce_std"].(float64); !(std > 0) {
			h.t.Errorf("%v: OTCE std %v: the demo's repetitions do not differ", c["name"], c["otce_std"])
		}
		d, _ := c["diagnostics"].(map[string]any)
		if d == nil || d["target_pixels"] != float64(demoN) || !(d["target_valid"].(float64) > float64(demoN)) {
			h.t.Errorf("%v: diagnostics %v: want N = %d sampled of more valid pixels", c["name"], d, demoN)
		}
	}
	h.sameRanking("demo", r, cli)
	sc := h.scores()
	if len(sc) < 3 {
		h.t.Fatalf("demo scored %d candidates: %v", len(sc), sc)
	}
	corr := eval[string](h, `(document.getElementById("correlation")||{}).textContent||""`)
	if !strings.Contains(corr, "Pearson") {
		h.t.Errorf("no correlation shown: %q", corr)
	}
	for _, id := range []string{"chart-bars", "chart-scatter", "heatmaps"} {
		if n := eval[int](h, fmt.Sprintf(`document.querySelectorAll("#%s svg").length`, id)); n == 0 {
			h.t.Errorf("#%s has no chart", id)
		}
	}
	h.screenshot("demo.png")
	if p := os.Getenv("OTCE_E2E_SCREENSHOT"); p != "" {
		buf, err := os.ReadFile(filepath.Join(h.out, "demo.png"))
		if err == nil {
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(h.out), "..", p)
			}
			err = os.WriteFile(p, buf, 0o644)
		}
		if err != nil {
			h.t.Error(err)
		}
	}
}

// collectConsole gathers the console messages of ctx's page, from now
// until ctx ends, into the returned slice (guarded by the mutex).
func collectConsole(ctx context.Context) (*[]chromedp.ConsoleMessage, *sync.Mutex) {
	msgs := new([]chromedp.ConsoleMessage)
	mu := new(sync.Mutex)
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			mu.Lock()
			*msgs = append(*msgs, m)
			mu.Unlock()
		}
	}()
	return msgs, mu
}

func (h *harness) noConsoleErrors() {
	time.Sleep(200 * time.Millisecond)
	h.msgMu.Lock()
	defer h.msgMu.Unlock()
	n := 0
	for _, m := range *h.msgs {
		if os.Getenv("OTCE_E2E_VERBOSE") != "" {
			h.t.Logf("console %s", m)
		}
		if m.Type == chromedp.ConsoleError || m.IsException() {
			n++
			h.t.Errorf("console %s", m)
		}
	}
	h.t.Logf("%d console messages, %d errors", len(*h.msgs), n)
}

// noOtherOrigin: every request of the page's browser context (its
// workers' too, through the recording proxy) goes to the page's own origin:
// zero others. It opens the page, loads the demo and types into its fields
// (Chromium's Autofill, which the harness leaves on, asks
// content-autofill.googleapis.com about every text, number or search
// <input> and <textarea> of a page, autocomplete="off" or not: measured,
// not about selects, checkboxes, file pickers, sliders or contenteditable
// fields), then checks everything the proxy saw since the browser started
// (in a full run, every subtest's requests). The browser's own update and
// component checks are not the page's: the harness's flags turn them off,
// and they do not use the page's proxy.
func (h *harness) noOtherOrigin(site string) {
	u, _ := url.Parse(site)
	h.load()
	h.loadDemo()
	h.setSetting("set-k", "2")
	h.setSetting(eval[string](h, `document.querySelector("#candidates .candidate").id`)+"-name", "renamed")
	// Autofill asks after the page's forms are parsed and on focus: give
	// it time to (a few seconds, as measured on the old page: about 1 s).
	time.Sleep(4 * time.Second)
	reqs := h.proxy.requests()
	if len(reqs) == 0 {
		h.t.Fatal("the proxy saw no request: is the browser routed through it?")
	}
	workerBoot := false
	other := 0
	for _, r := range reqs {
		ru, err := url.Parse(r)
		if err != nil || ru.Host != u.Host {
			h.t.Errorf("request to another origin: %s", r)
			other++
		}
		if err == nil && strings.HasSuffix(ru.Path, "/worker.js") {
			workerBoot = true
		}
	}
	if !workerBoot {
		h.t.Error("the proxy did not see the workers' own requests (worker.js)")
	}
	h.t.Logf("%d requests, %d to other origins than %s", len(reqs), other, u.Host)
}

// workersUnderCSP proves that the page's policy governs the workers: a fetch
// to another origin from inside a worker is refused and never arrives.
func (h *harness) workersUnderCSP() {
	evilURL := h.evil.URL + "/probe"
	probe := fmt.Sprintf(`fetch(%q).then(r => r.text(), e => "blocked: " + e)`, evilURL)
	// From the page.
	if got := eval[string](h, probe); !strings.HasPrefix(got, "blocked") {
		h.t.Errorf("page fetch to another origin: %q", got)
	}
	// From a worker: attach to a worker target.
	var workerID string
	for i := 0; i < 50 && workerID == ""; i++ {
		infos, err := chromedp.Targets(h.ctx)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, in := range infos {
			if in.Type == "worker" {
				workerID = string(in.TargetID)
			}
		}
		if workerID == "" {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if workerID == "" {
		h.t.Fatal("no worker target found")
	}
	wctx, cancel := chromedp.NewContext(h.ctx, chromedp.WithTargetID(target.ID(workerID)))
	defer cancel()
	res, err := chromedp.Call(wctx, cdpruntime.Evaluate, cdpruntime.EvaluateParams{Expression: probe, AwaitPromise: ptr(true), ReturnByValue: ptr(true)})
	if err != nil {
		h.t.Fatal(err)
	}
	var got string
	json.Unmarshal(res.Result.Value, &got)
	if !strings.HasPrefix(got, "blocked") {
		h.t.Errorf("worker fetch to another origin: %q", got)
	}
	// The same-origin control: the worker may fetch its own origin.
	selfRes, err := chromedp.Call(wctx, cdpruntime.Evaluate, cdpruntime.EvaluateParams{
		Expression:   `fetch(new URL("build.json", self.location.href.startsWith("blob:") ? self.location.href.slice(5) : self.location.href)).then(r => "ok " + r.status, e => "blocked: " + e)`,
		AwaitPromise: ptr(true), ReturnByValue: ptr(true)})
	if err == nil {
		var s string
		json.Unmarshal(selfRes.Result.Value, &s)
		h.t.Logf("worker: other origin %q; own origin %q", got, s)
	}
	if *h.evilHit != 0 {
		h.t.Errorf("the other origin received %d request(s)", *h.evilHit)
	}
}

func ptr[T any](v T) *T { return &v }

// chromeOptions are the options every test starts Debian's headless
// Chromium with: a fresh profile, and none of the background services that
// would try to reach the network.
func chromeOptions(chrome, profile string, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	return append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Autofill's server queries stay on: the page must not trigger
		// them (TestBrowser/NoOtherOrigin).
		chromedp.Flag("disable-features", "OptimizationHints,Translate,MediaRouter"),
		chromedp.WindowSize(1280, 1800),
	}, extra...)
}

// unthrottledBrowser starts Chromium with chromeOptions and a profile in
// profile, its hidden or headless pages not throttled while they run (the
// benchmarks and the long capacity runs time and wait on them), and
// returns a browser context and the function that closes it.
func unthrottledBrowser(t *testing.T, chrome, profile string) (context.Context, func()) {
	t.Helper()
	opts := chromeOptions(chrome, profile,
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	stop := func() { cancel(); cancelA() }
	if err := chromedp.Do(ctx); err != nil {
		stop()
		t.Fatal(err)
	}
	return ctx, stop
}

// buildSite finds Chromium, builds www/ into a fresh temporary folder and
// returns the repository root, the Chromium binary, that folder and the
// built site.
func buildSite(t *testing.T) (root, chrome, tmp, www string) {
	t.Helper()
	root = repoRoot(t)
	chrome = findChromium(t)
	tmp = t.TempDir()
	www = filepath.Join(tmp, "www")
	run(t, root, nil, "go", "run", "./wasm/tools/webbuild", "-www", "www", "-out", www)
	return root, chrome, tmp, www
}

// benchProgram builds the Go program ./scripts/bench/<name> for the
// browser into tmp/<name>/<name>.wasm and writes files (file name →
// content: its page and workers) beside it; it returns that folder.
func benchProgram(t *testing.T, root, tmp, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(tmp, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, root, []string{"GOOS=js", "GOARCH=wasm"}, "go", "build", "-o", filepath.Join(dir, name+".wasm"), "./scripts/bench/"+name)
	for f, text := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
