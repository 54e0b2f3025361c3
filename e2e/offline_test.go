package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// TestOffline checks the page's offline use: after one visit the service
// worker has cached exactly the files of the build; with the network gone
// (the browser emulates offline for the page, its workers and the service
// worker, and the server drops any connection that still arrives) a reload
// brings the page back and the demo runs, the workers' imported scripts
// coming from the service worker; then a new build replaces the cache as a
// whole once the page accepts the update.
func TestOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped under -short (it builds the app and drives headless Chromium)")
	}
	root, chrome, tmp, www := buildSite(t)

	var offline atomic.Bool
	var mu sync.Mutex
	var refused []string
	fs := http.FileServer(http.Dir(www))
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The browser's check for a new sw.js is expected, and fails.
		if offline.Load() {
			mu.Lock()
			refused = append(refused, r.URL.Path)
			mu.Unlock()
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			http.Error(w, "offline", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		fs.ServeHTTP(w, r)
	}))
	defer site.Close()

	opts := chromeOptions(chrome, filepath.Join(tmp, "profile"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 10*time.Minute)
	defer cancelT()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	var msgs []chromedp.ConsoleMessage
	var msgMu sync.Mutex
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			msgMu.Lock()
			msgs = append(msgs, m)
			msgMu.Unlock()
		}
	}()
	out := filepath.Join(root, "build", "e2e")
	os.MkdirAll(out, 0o755)
	h := &harness{t: t, ctx: ctx, url: site.URL + "/", out: out, msgs: &msgs, msgMu: &msgMu}

	// 1. First visit: the service worker installs and takes the page.
	h.load()
	h.waitOffline(time.Minute, "ready")
	cached := h.cachedFiles()
	want := listSite(t, www)
	if strings.Join(cached.files, " ") != strings.Join(want, " ") {
		t.Fatalf("the cache %s holds %v; the build is %v", cached.name, cached.files, want)
	}
	t.Logf("cache %s holds the %d files of the build", cached.name, len(cached.files))

	// 2. No network at all: the browser (page, workers, service worker)
	// emulates offline, and the server drops whatever still reaches it.
	if err := emulateOffline(ctx, true); err != nil {
		t.Fatal(err)
	}
	offline.Store(true)
	h.load()
	if eval[bool](h, "navigator.onLine") {
		t.Error("the browser still reports being online")
	}
	if !eval[bool](h, "!!navigator.serviceWorker.controller") {
		t.Fatal("the reloaded page is not controlled by the service worker")
	}
	// The demo with the page's settings, made small.
	h.setSetting("set-k", "2")
	h.setSetting("set-workers", "2")
	h.runDemo("set-n", "800")
	h.waitState(5*time.Minute, "done")
	sc := h.scores()
	if len(sc) < 3 {
		t.Fatalf("offline demo scored %d candidates: %v (status: %s)", len(sc), sc, eval[string](h, `document.getElementById("status").textContent`))
	}
	for name, v := range sc {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("offline demo: %s scored %v", name, v)
		}
	}
	t.Logf("offline demo: %v", sc)
	h.screenshot("offline-demo.png")
	h.workerImportsFromServiceWorker()
	mu.Lock()
	swChecks := 0
	for _, p := range refused {
		if p == "/sw.js" {
			swChecks++ // the browser looks for a new build, and may
		} else {
			t.Errorf("offline, the page asked the server for %s", p)
		}
	}
	t.Logf("offline: %d requests reached the server, %d of them the browser's update checks of sw.js", len(refused), swChecks)
	mu.Unlock()

	// 3. Back online, a new build: the page offers the update, and taking
	// it replaces the cache as a whole.
	if err := emulateOffline(ctx, false); err != nil {
		t.Fatal(err)
	}
	offline.Store(false)
	const marker = "/* the second build */"
	f, err := os.OpenFile(filepath.Join(www, "style.css"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, marker)
	f.Close()
	run(t, root, nil, "go", "run", "./wasm/tools/webbuild", "-www", www, "-out", www)
	h.load()
	// Until the update is taken, the old build is served whole.
	if css := eval[string](h, `fetch("style.css").then(r => r.text())`); strings.Contains(css, marker) {
		t.Error("the new build's style.css was served before the update was taken")
	}
	h.waitOffline(time.Minute, "update")
	h.click("update-reload")
	h.waitOffline(time.Minute, "ready")
	h.waitState(30*time.Second, "idle")
	next := h.cachedFiles()
	if next.name == cached.name {
		t.Fatalf("the cache is still %s after the update", next.name)
	}
	if len(next.all) != 1 {
		t.Errorf("caches after the update: %v, want only %s", next.all, next.name)
	}
	if strings.Join(next.files, " ") != strings.Join(listSite(t, www), " ") {
		t.Errorf("the new cache holds %v", next.files)
	}
	if css := eval[string](h, `fetch("style.css").then(r => r.text())`); !strings.Contains(css, marker) {
		t.Error("after the update the page still gets the old style.css")
	}
	t.Logf("after the update: cache %s replaced %s", next.name, cached.name)

	msgMu.Lock()
	for _, m := range msgs {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			t.Errorf("console %s", m)
		}
	}
	msgMu.Unlock()
}

// emulateOffline switches the browser's network off (or on again) for the
// page, its workers and its service worker.
func emulateOffline(ctx context.Context, off bool) error {
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		return err
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: ptr(off),
		MatchedNetworkConditions:    []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		return err
	}
	_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
	return err
}

// listSite lists the files the service worker must cache: every file of the
// built site but sw.js and hidden files, as webbuild lists them.
func listSite(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && rel != "sw.js" {
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// waitOffline waits for <html data-offline> (www/offline.js) to be one of want.
func (h *harness) waitOffline(timeout time.Duration, want ...string) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	s := ""
	for time.Now().Before(deadline) {
		// The page may be reloading: an evaluation may fail meanwhile.
		v, err := chromedp.Run(h.ctx, chromedp.Evaluate[string](`document.documentElement.dataset.offline || ""`))
		if err == nil {
			s = v
			for _, w := range want {
				if s == w {
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	h.t.Fatalf("offline state %q, want %v", s, want)
}

type cacheState struct {
	name  string   // the otce cache
	all   []string // every cache of the origin
	files []string // the otce cache's files, relative to the site, sorted
}

func (h *harness) cachedFiles() cacheState {
	h.t.Helper()
	raw := eval[string](h, `(async () => {
		const all = await caches.keys();
		const name = all.find(k => k.startsWith("otce-")) || "";
		const base = new URL("./", document.baseURI).href;
		const files = name ? (await (await caches.open(name)).keys()).map(r => r.url.slice(base.length) || "index.html") : [];
		return JSON.stringify({name, all, files});
	})()`)
	var s struct {
		Name  string   `json:"name"`
		All   []string `json:"all"`
		Files []string `json:"files"`
	}
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		h.t.Fatal(err)
	}
	sort.Strings(s.Files)
	return cacheState{name: s.Name, all: s.All, files: s.Files}
}

// workerImportsFromServiceWorker checks, in each worker, that the scripts it
// imported (wasm_exec.js, worker.js) went through the service worker.
func (h *harness) workerImportsFromServiceWorker() {
	h.t.Helper()
	infos, err := chromedp.Targets(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, in := range infos {
		if in.Type != "worker" {
			continue
		}
		wctx, cancel := chromedp.NewContext(h.ctx, chromedp.WithTargetID(target.ID(in.TargetID)))
		res, err := chromedp.Call(wctx, cdpruntime.Evaluate, cdpruntime.EvaluateParams{
			Expression:    `JSON.stringify(performance.getEntriesByType("resource").map(e => ({name: e.name, sw: e.workerStart > 0})))`,
			ReturnByValue: ptr(true)})
		cancel()
		if err != nil {
			h.t.Fatal(err)
		}
		var s string
		json.Unmarshal(res.Result.Value, &s)
		var entries []struct {
			Name string `json:"name"`
			SW   bool   `json:"sw"`
		}
		json.Unmarshal([]byte(s), &entries)
		seen := map[string]bool{}
		for _, e := range entries {
			u := e.Name
			if i := strings.IndexByte(u, '?'); i >= 0 {
				u = u[:i]
			}
			base := u[strings.LastIndexByte(u, '/')+1:]
			seen[base] = true
			if !e.SW {
				h.t.Errorf("worker %s: %s did not come through the service worker", in.TargetID, e.Name)
			}
		}
		for _, f := range []string{"wasm_exec.js", "worker.js"} {
			if !seen[f] {
				h.t.Errorf("worker %s: no record of importing %s (entries: %s)", in.TargetID, f, s)
			}
		}
		n++
	}
	if n == 0 {
		h.t.Fatal("no worker target found")
	}
	h.t.Logf("%d workers imported their scripts through the service worker", n)
}
