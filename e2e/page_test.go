package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestPage checks the page as a person meets it (issue 17): charts that fit
// their figures, a demo that asks before it replaces the user's files and
// waits for Run, results that say which settings made them and turn stale
// when those settings no longer hold, progress that always names its phase
// and keeps its last word, a label on every control, and the report a user
// downloads. It does not compare numbers with the CLI (TestBrowser does).
func TestPage(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: skipped under -short (it builds the app and drives headless Chromium)")
	}
	root, chrome, tmp, www := buildSite(t)
	fs := http.FileServer(http.Dir(www))
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		fs.ServeHTTP(w, r)
	}))
	defer site.Close()
	out := filepath.Join(root, "build", "e2e")
	os.MkdirAll(out, 0o755)
	dl := filepath.Join(tmp, "downloads")
	os.MkdirAll(dl, 0o755)

	actx, cancelA := chromedp.NewExecAllocator(context.Background(), chromeOptions(chrome, filepath.Join(tmp, "profile"))...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	msgs, msgMu := collectConsole(ctx)
	// Each subtest has its own deadline from ctx (harness.subtest).
	h := &harness{t: t, ctx: ctx, base: ctx, url: site.URL + "/", out: out, msgs: msgs, msgMu: msgMu}

	fixDir := filepath.Join(tmp, "fixtures")
	good, err := makeFixture(filepath.Join(fixDir, "good"), 1, 0.8)
	if err != nil {
		t.Fatal(err)
	}

	h.subtest(t, "ChartsFit", func() { h.chartsFit() })
	h.subtest(t, "OneBarNotScaledUp", func() { h.oneBar(good) })
	h.subtest(t, "DemoAsksFirst", func() { h.demoAsks(good) })
	h.subtest(t, "RemoveAsks", func() { h.removeAsks(good) })
	h.subtest(t, "DemoLabelsDoNotLinger", func() { h.demoLabels(good) })
	h.subtest(t, "SettingsErrorMarksResults", func() { h.settingsError(good) })
	h.subtest(t, "ProgressPhaseAndLastWord", func() { h.progressPhases(good) })
	h.subtest(t, "Report", func() { h.htmlReport() })
	h.subtest(t, "Labels", func() { h.labels() })
	h.subtest(t, "TextFields", func() { h.textFields() })
	h.subtest(t, "Screenshots", func() { h.screenshots(root) })
	h.subtest(t, "NoConsoleErrors", func() { h.noConsoleErrors() })
}

// loadDemo presses Load demo on a page with no work of the user's (no
// question asked) and waits until its candidates are on the page.
func (h *harness) loadDemo() {
	h.t.Helper()
	h.click("load-demo")
	deadline := time.Now().Add(20 * time.Second)
	// (A page that starts the demo's run by itself is caught by the callers.)
	for eval[string](h, `document.body.dataset.demo || ""`) != "loaded" && h.state() != "running" && h.state() != "done" {
		if time.Now().After(deadline) {
			h.t.Fatalf("the demo's candidates did not appear (status: %s)", eval[string](h, `document.getElementById("status").textContent`))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runDemo loads the demo and runs it with the settings on the page, after
// setting the id, value pairs given (Load demo puts the demo's own N in
// the settings: a test that wants another sets it here).
func (h *harness) runDemo(settings ...string) {
	h.t.Helper()
	h.loadDemo()
	for i := 0; i+1 < len(settings); i += 2 {
		h.setSetting(settings[i], settings[i+1])
	}
	if s := h.state(); s != "running" && s != "done" {
		h.click("run")
	}
	h.waitState(10*time.Second, "running", "done")
}

// chartsFit: the scatter plot's point labels lie inside its plot area (the
// rectangle its grid lines span) and the fitted line does not leave it.
func (h *harness) chartsFit() {
	h.load()
	h.setSetting("set-k", "2")
	h.runDemo("set-n", "300")
	h.waitState(3*time.Minute, "done")
	got := eval[map[string]any](h, `(() => {
		const svg = document.querySelector("#chart-scatter svg");
		if (!svg) return {error: "no scatter plot"};
		let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
		for (const l of svg.querySelectorAll("line.grid")) {
			const b = l.getBBox();
			x0 = Math.min(x0, b.x); y0 = Math.min(y0, b.y); x1 = Math.max(x1, b.x + b.width); y1 = Math.max(y1, b.y + b.height);
		}
		const bad = [];
		for (const t of svg.querySelectorAll("text.plabel")) {
			const b = t.getBBox();
			if (b.x < x0 - 0.5 || b.x + b.width > x1 + 0.5 || b.y < y0 - 0.5 || b.y + b.height > y1 + 0.5)
				bad.push(t.textContent + " at [" + [b.x, b.y, b.x + b.width, b.y + b.height].map(v => v.toFixed(1)) + "]");
		}
		for (const l of svg.querySelectorAll("line.fit")) {
			for (const [x, y] of [[l.x1, l.y1], [l.x2, l.y2]]) {
				const px = x.baseVal.value, py = y.baseVal.value;
				if (px < x0 - 0.5 || px > x1 + 0.5 || py < y0 - 0.5 || py > y1 + 0.5)
					bad.push("fitted line end (" + px.toFixed(1) + ", " + py.toFixed(1) + ")");
			}
		}
		return {plot: [x0, y0, x1, y1].map(v => v.toFixed(1)).join(" "), labels: svg.querySelectorAll("text.plabel").length, bad: bad};
	})()`)
	if e, ok := got["error"]; ok {
		h.t.Fatal(e)
	}
	h.t.Logf("scatter plot area %v, %v point labels", got["plot"], got["labels"])
	if bad, _ := got["bad"].([]any); len(bad) > 0 {
		h.t.Errorf("outside the scatter plot's area %v: %v", got["plot"], bad)
	}
	h.screenshot("charts-fit.png")
}

// oneBar: with one candidate the bar chart is not scaled above its own
// size, so that its text stays the page's size.
func (h *harness) oneBar(fx fixture) {
	h.load()
	h.setSetting("set-k", "1")
	h.setCandidate(1, "one", fx)
	h.setFiles("target-labels-files", fx.tl)
	h.click("run")
	h.waitState(2*time.Minute, "done")
	got := eval[map[string]float64](h, `(() => {
		const out = {};
		const svg = document.querySelector("#chart-bars svg");
		if (!svg) return out;
		out.scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
		const t = svg.querySelector("text.title");
		out.title = t.getBoundingClientRect().height;
		out.body = parseFloat(getComputedStyle(document.body).fontSize);
		return out;
	})()`)
	if len(got) == 0 {
		h.t.Fatal("no bar chart")
	}
	h.t.Logf("one bar: chart drawn at %.2f× its size, title %.1f px high, page text %.0f px", got["scale"], got["title"], got["body"])
	if got["scale"] > 1.001 {
		h.t.Errorf("the bar chart is drawn at %.2f× its size", got["scale"])
	}
	if got["title"] > 1.5*got["body"] {
		h.t.Errorf("the bar chart's title is %.1f px high, the page's text %.0f px", got["title"], got["body"])
	}
}

// dialogOpen reports whether the page's confirmation dialog is open.
func (h *harness) dialogOpen() bool {
	return eval[bool](h, dialogOpenJS)
}

// dialogOpenJS is true while the page's confirmation dialog is open.
const dialogOpenJS = `!!(document.getElementById("confirm") && document.getElementById("confirm").open)`

// demoAsks: Load demo asks before it replaces the user's candidates and
// labels, keeps them when told no, and never starts a run by itself.
func (h *harness) demoAsks(fx fixture) {
	h.load()
	h.setCandidate(1, "mine", fx)
	h.setFiles("target-labels-files", fx.tl)
	h.click("load-demo")
	if !h.until(10*time.Second, dialogOpenJS) {
		h.t.Errorf("Load demo did not ask before replacing the user's candidate (state %s, candidates %d)",
			h.state(), eval[int](h, `document.querySelectorAll("#candidates .candidate").length`))
		return
	}
	q := eval[string](h, `document.getElementById("confirm").textContent`)
	h.t.Logf("asked: %s", strings.Join(strings.Fields(q), " "))
	h.click("confirm-no")
	h.until(10*time.Second, `!(`+dialogOpenJS+`)`)
	if n := eval[string](h, `(document.getElementById("cand-1-name")||{}).value||""`); n != "mine" {
		h.t.Errorf("after No, the user's candidate is %q", n)
	}
	if n := eval[int](h, `document.querySelectorAll("#target-labels li[data-file]").length`); n != len(fx.tl) {
		h.t.Errorf("after No, the target labels list %d files, want the user's %d", n, len(fx.tl))
	}
	h.click("load-demo")
	if !h.until(10*time.Second, dialogOpenJS) {
		h.t.Fatal("the second Load demo did not ask")
	}
	h.click("confirm-yes")
	h.until(20*time.Second, `document.querySelectorAll("#candidates .candidate").length === 5`)
	if n := eval[int](h, `document.querySelectorAll("#candidates .candidate").length`); n != 5 {
		h.t.Errorf("after Yes, %d candidates, want the demo's 5", n)
	}
	if s := h.state(); s != "idle" {
		h.t.Errorf("the demo started a run by itself: state %q", s)
	}
	h.t.Logf("status after the demo loaded: %s", eval[string](h, `document.getElementById("status").textContent`))
}

// demoLabels: files added to target labels that hold the demo's replace
// them, and when a run fails because target labels have no features of the
// same stem, the message names the files left over.
func (h *harness) demoLabels(fx fixture) {
	h.load()
	h.loadDemo()
	demoLabels := eval[int](h, `document.querySelectorAll("#target-labels li[data-file]").length`)
	h.setFiles("target-labels-files", fx.tl)
	time.Sleep(300 * time.Millisecond)
	if h.dialogOpen() {
		h.click("confirm-yes")
		time.Sleep(300 * time.Millisecond)
	}
	if n := eval[int](h, `document.querySelectorAll("#target-labels li[data-file]").length`); n != len(fx.tl) {
		h.t.Errorf("the demo's %d target labels stayed: the list holds %d files after the user chose %d", demoLabels, n, len(fx.tl))
	}
	// The demo's candidates removed one by one: its target labels go with
	// the last.
	h.load()
	h.loadDemo()
	for i := 0; i < 5; i++ {
		eval[bool](h, `(document.querySelector("#candidates .candidate button[aria-label^='remove candidate']").click(), true)`)
	}
	if n := eval[int](h, `document.querySelectorAll("#target-labels li[data-file]").length`); n != 0 || h.dialogOpen() {
		h.t.Errorf("with the demo's candidates removed, %d of its target labels stay (asked: %v)", n, h.dialogOpen())
	}
	// Leftovers the user added by hand: one of the demo's label files next
	// to the user's own, then the user's candidate alone.
	h.load()
	h.setSetting("set-k", "1")
	h.setCandidate(1, "mine", fx)
	extra := filepath.Join(filepath.Dir(fx.tl[0]), "..", "img00_labels.npy")
	if err := copyFile(fx.tl[0], extra); err != nil {
		h.t.Fatal(err)
	}
	h.setFiles("target-labels-files", append(append([]string(nil), fx.tl...), extra))
	h.click("run")
	h.waitState(2*time.Minute, "done", "failed")
	msg := eval[string](h, `[...document.querySelectorAll("#cand-1-error, #target-labels .ferror, #cand-1 .ferror")].map(e => e.textContent).join(" | ")`)
	h.t.Logf("message: %s", msg)
	if !strings.Contains(msg, "no label file with the same stem") && !strings.Contains(msg, "img00_labels.npy") {
		h.t.Fatalf("no message about the leftover label file: %q", msg)
	}
	if !strings.Contains(msg, "left over") || !strings.Contains(msg, "img00_labels.npy") {
		h.t.Errorf("the message does not say that img00_labels.npy is left over: %q", msg)
	}
}

// settingsError: results stay but are marked as not current once the
// settings on the page do not parse; the results say which settings made
// them.
func (h *harness) settingsError(fx fixture) {
	h.load()
	h.setSetting("set-n", "300")
	h.setSetting("set-k", "1")
	h.setCandidate(1, "one", fx)
	h.setFiles("target-labels-files", fx.tl)
	h.click("run")
	h.waitState(2*time.Minute, "done")
	made := eval[string](h, `(document.getElementById("results-settings")||{}).textContent||""`)
	h.t.Logf("results made by: %s", made)
	if !regexp.MustCompile(`-n 300\b`).MatchString(made) || !strings.Contains(made, "-k 1") || !strings.Contains(made, "--seed") {
		h.t.Errorf("the results do not say which settings made them: %q", made)
	}
	h.setSetting("set-n", "abc")
	h.click("run")
	time.Sleep(300 * time.Millisecond)
	cur := eval[map[string]any](h, `({
		hidden: document.getElementById("results").hidden,
		stale: !!document.getElementById("results-stale") && !document.getElementById("results-stale").hidden,
		text: (document.getElementById("results-stale")||{}).textContent||"",
		err: document.getElementById("settings-error").textContent})`)
	h.t.Logf("after a settings error: %v", cur)
	if cur["hidden"] != true && cur["stale"] != true {
		h.t.Errorf("after the settings error %q the previous results are shown as current", cur["err"])
	}
	stale := func() bool {
		return eval[bool](h, `!document.getElementById("results-stale").hidden`)
	}
	// The settings back as they were (written 3e2, which the page reads as
	// the CLI's -n does: 300): current again; then other files: not.
	h.setSetting("set-n", "3e2")
	eval[bool](h, `(document.getElementById("set-n").dispatchEvent(new Event("input", {bubbles: true})), true)`)
	if stale() {
		h.t.Errorf("with the results' own settings back, the results are still marked: %s", eval[string](h, `document.getElementById("results-stale").textContent`))
	}
	h.setFiles("target-labels-files", fx.tl[:1])
	time.Sleep(300 * time.Millisecond)
	if !stale() {
		h.t.Error("after the files changed the results are shown as current")
	}
	eval[bool](h, `(document.getElementById("set-n").dispatchEvent(new Event("input", {bubbles: true})), true)`)
	if !stale() {
		h.t.Error("a change of settings made results of other files current again")
	}
}

// progressPhases: while a run goes every progress text names its phase
// (never a bare "repetition 1 of 2"), the bar is never a still 0, and once
// the run is done "All 1 candidate(s) done." stays, with no time left.
func (h *harness) progressPhases(fx fixture) {
	h.load()
	h.setSetting("set-n", "600")
	h.setSetting("set-k", "3")
	h.setSetting("set-workers", "1")
	h.setCandidate(1, "one", fx)
	h.setFiles("target-labels-files", fx.tl)
	for round := 0; round < 3; round++ {
		eval[bool](h, `(() => {
			globalThis.otceSeen = [];
			const t = document.getElementById("progress-text");
			const o = new MutationObserver(() => {
				if (document.body.dataset.state === "running") otceSeen.push(t.textContent + " | bar " + (document.getElementById("overall").hasAttribute("value") ? document.getElementById("overall").value : "busy"));
			});
			o.observe(t, {childList: true, characterData: true, subtree: true});
			return true;
		})()`)
		h.click("run")
		if round == 0 {
			// While the run goes, the files section is locked.
			open := eval[[]string](h, `document.body.dataset.state !== "running" ? ["(not running)"] :
				[...document.querySelectorAll("#inputs input, #inputs button, #inputs select, #inputs [role=textbox], #settingsbox input, #settingsbox select, #settingsbox [role=textbox]")].filter(e => !(e.disabled || e.getAttribute("aria-disabled") === "true")).map(e => e.id || e.outerHTML.slice(0, 60))`)
			if len(open) > 0 {
				h.t.Errorf("controls open while running: %v", open)
			}
		}
		h.waitState(2*time.Minute, "done")
		if n := eval[int](h, `[...document.querySelectorAll("#inputs input, #inputs button, #inputs select, #inputs [role=textbox], #settingsbox [role=textbox]")].filter(e => e.disabled || e.getAttribute("aria-disabled") === "true" || e.getAttribute("contenteditable") === "false").length`); n > 0 {
			h.t.Errorf("%d controls of the files section still disabled after the run", n)
		}
		time.Sleep(700 * time.Millisecond) // a late redraw would come within the 200 ms tick
		seen := eval[[]string](h, `otceSeen`)
		phase := regexp.MustCompile(`opening|reading|sampling|cost|kernel|iteration|exact|solving|summing`)
		for _, s := range seen {
			if !phase.MatchString(s) {
				h.t.Errorf("round %d: progress without a phase: %q", round+1, s)
				break
			}
		}
		text := eval[string](h, `document.getElementById("progress-text").textContent`)
		timer := eval[string](h, `document.getElementById("progress-time").textContent`)
		if text != "All 1 candidate(s) done." || strings.Contains(timer, "left") {
			h.t.Errorf("round %d: after the run the progress reads %q, %q", round+1, text, timer)
		}
		h.t.Logf("round %d: %d progress texts while running, last %q; then %q, %q", round+1, len(seen), last(seen), text, timer)
	}
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// htmlReport: after the demo, Download report (HTML) saves one file that
// holds the scores shown in the table, the settings with the seed, the
// version, the charts as inline SVG, and nothing that loads from elsewhere.
func (h *harness) htmlReport() {
	h.load()
	h.setSetting("set-k", "2")
	h.setSetting("set-seed", "7")
	h.runDemo("set-n", "300")
	h.waitState(3*time.Minute, "done")
	eval[bool](h, `(() => {
		const orig = URL.createObjectURL;
		URL.createObjectURL = b => { globalThis.otceLastBlob = b; return orig.call(URL, b); };
		return true;
	})()`)
	h.click("download-html")
	doc := eval[string](h, `globalThis.otceLastBlob ? otceLastBlob.text() : ""`)
	if doc == "" {
		h.t.Fatal("Download report (HTML) saved nothing")
	}
	if err := os.WriteFile(filepath.Join(h.out, "report.html"), []byte(doc), 0o644); err != nil {
		h.t.Fatal(err)
	}
	h.t.Logf("report: %d bytes, %s", len(doc), filepath.Join(h.out, "report.html"))
	for name, v := range h.scores() {
		want := fmt.Sprintf(`data-name="%s"`, name)
		i := strings.Index(doc, want)
		if i < 0 {
			h.t.Errorf("the report has no row for %s", name)
			continue
		}
		if !strings.Contains(doc[i:], fmt.Sprintf(`data-value="%.17g"`, v)) {
			h.t.Errorf("the report's OTCE of %s is not the page's %.17g", name, v)
		}
	}
	// The other scores (issue 14) too: their table, the note on zeroshot,
	// the agreement of each with the accuracies.
	for _, want := range []string{"--seed 7", "-n 300", "-k 2", "otceseg ", "<svg", "Pearson r", "Content-Security-Policy",
		"Other scores", "LogME (mean ± std)", "zeroshot: not applicable", `id="correlations"`, "Best agreement"} {
		if !strings.Contains(doc, want) {
			h.t.Errorf("the report does not hold %q", want)
		}
	}
	if n := strings.Count(doc, "<svg"); n < 3 {
		h.t.Errorf("the report holds %d charts", n)
	}
	// Nothing that loads: no script, no link, no external URL but the SVG
	// namespace.
	ext := regexp.MustCompile(`(?i)<script|<link|<img|<iframe|@import|url\(|(src|href)=`)
	if m := ext.FindString(doc); m != "" {
		h.t.Errorf("the report loads something: %q", m)
	}
	if n := strings.Count(doc, "://"); n != strings.Count(doc, "http://www.w3.org/2000/svg") {
		h.t.Errorf("the report names %d URLs beside the SVG namespace", n-strings.Count(doc, "http://www.w3.org/2000/svg"))
	}
}

// labels: every control of the page (with the demo's candidates and a
// run's results on it) has an accessible name as Chromium computes it for
// screen readers (the accessibility tree), the progress and status are
// live regions, and the tab order reaches the main controls in the order
// of the page.
func (h *harness) labels() {
	h.load()
	h.setSetting("set-k", "1")
	h.runDemo("set-n", "300")
	h.waitState(3*time.Minute, "done")
	tree, err := chromedp.Call(h.ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		h.t.Fatal(err)
	}
	controls := map[string]bool{"textbox": true, "combobox": true, "button": true, "checkbox": true, "spinbutton": true,
		"listbox": true, "slider": true, "radio": true, "searchbox": true, "progressbar": true, "columnheader": true}
	str := func(v *accessibility.Value) string {
		if v == nil {
			return ""
		}
		var s string
		json.Unmarshal(v.Value, &s)
		return s
	}
	count := map[string]int{}
	for _, n := range tree.Nodes {
		role := str(n.Role)
		if n.Ignored || !controls[role] {
			continue
		}
		count[role]++
		if strings.TrimSpace(str(n.Name)) == "" {
			id := ""
			if n.BackendDOMNodeID != 0 {
				id = fmt.Sprintf(" (DOM node %d)", n.BackendDOMNodeID)
			}
			h.t.Errorf("a %s has no accessible name%s", role, id)
		}
	}
	h.t.Logf("controls in the accessibility tree: %v", count)
	unnamed := eval[[]string](h, `[...document.querySelectorAll("input, select, textarea, button, [contenteditable], [role=textbox]")].filter(e =>
		!(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby") && !(e.tagName === "BUTTON" && e.textContent.trim())).map(e => e.outerHTML.slice(0, 80))`)
	for _, u := range unnamed {
		h.t.Errorf("no label: %s", u)
	}
	live := eval[[]string](h, `["status", "progress-live"].filter(id => { const e = document.getElementById(id); return !e || !(e.getAttribute("aria-live") || e.getAttribute("role") === "status"); })`)
	if len(live) > 0 {
		h.t.Errorf("not live regions: %v", live)
	}
	if said := eval[string](h, `(document.getElementById("progress-live")||{}).textContent||""`); said != "All 5 candidate(s) done." {
		h.t.Errorf("the progress's live region says %q after the run", said)
	}
	// The results table sorts from the keyboard: Enter on a focused header.
	sorted := eval[string](h, `(() => {
		const th = document.querySelector("#results-table th[data-key=name]");
		th.focus();
		th.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true}));
		const now = document.querySelector("#results-table th[data-key=name]");
		return (now.getAttribute("aria-sort") || "none") + (document.activeElement === now ? ", focused" : ", focus lost");
	})()`)
	if sorted != "ascending, focused" {
		h.t.Errorf("Enter on the Candidate header: %s, want ascending, focused", sorted)
	}
	// A file picker's label shows the focus of its hidden input.
	if o := eval[string](h, `(() => { const i = document.getElementById("target-labels-files"); i.focus(); return getComputedStyle(i.closest("label")).outlineStyle; })()`); o == "none" {
		h.t.Error("a focused file picker shows no outline")
	}
	// Tab order: the main controls in the page's order, none skipped.
	order := eval[[]string](h, `(() => {
		const seen = [];
		document.activeElement && document.activeElement.blur();
		const all = [...document.querySelectorAll("a[href], button, input, select, textarea, [contenteditable], [tabindex]")].filter(e => !e.disabled && e.tabIndex >= 0 && e.offsetParent !== null || (e.tagName === "INPUT" && e.type === "file"));
		return all.map(e => e.id).filter(id => ["add-candidate", "load-demo", "demo-kind", "set-n", "set-k", "run", "download-html"].includes(id));
	})()`)
	want := []string{"add-candidate", "load-demo", "demo-kind", "set-n", "set-k", "run", "download-html"}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		h.t.Errorf("focusable main controls in document order: %v, want %v", order, want)
	}
}

// screenshots: the page after a demo run at 1280×800 and at 420×900 (a
// narrow window), scrolled to the run and its results, for docs/ (set
// OTCE_E2E_DOCS=1 to write them there); at both sizes nothing is wider
// than the window, the results table with every score's column (the
// default --metrics all: LogME, LEEP, NCE, H-score, GBC, zero-shot)
// among it, and nothing of the results scrolls sideways.
func (h *harness) screenshots(root string) {
	h.load()
	h.setSetting("set-k", "2")
	// Zero-shot too: the demo's features read as the source model's
	// class scores.
	h.setSetting("set-transform", "softmax")
	h.setChecked("set-shared-classes", true)
	h.runDemo("set-n", "300")
	h.waitState(3*time.Minute, "done")
	defer h.do(chromedp.EmulateViewport(1280, 1800))
	for _, sz := range [][2]int64{{1280, 800}, {420, 900}} {
		h.do(chromedp.EmulateViewport(sz[0], sz[1]))
		time.Sleep(300 * time.Millisecond)
		wide := eval[[]string](h, `[...document.querySelectorAll("body *")].filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest("pre, .visually-hidden")).map(e => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className + (e.dataset.key ? "[" + e.dataset.key + "]" : "")).slice(0, 8)`)
		if len(wide) > 0 {
			h.t.Errorf("at %d×%d wider than the window: %v", sz[0], sz[1], wide)
		}
		// The results, every score's column among them, fit: no box of
		// them scrolls sideways.
		if cols := eval[[]string](h, `[...document.querySelectorAll("#results-table th")].map(e => e.dataset.key)`); !slices.ContainsFunc(cols, func(k string) bool { return strings.HasPrefix(k, "zeroshot") }) ||
			!slices.Contains(cols, "logme") || !slices.Contains(cols, "leep") || !slices.Contains(cols, "nce") || !slices.Contains(cols, "hscore") || !slices.Contains(cols, "gbc") {
			h.t.Errorf("the results table's columns %v are not all the scores'", cols)
		}
		if sx := eval[[]string](h, `[...document.querySelectorAll("#results *, #results")].filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1 && !e.closest("pre") && getComputedStyle(e).overflowX !== "visible").map(e => e.tagName + (e.id ? "#" + e.id : "") + " " + e.scrollWidth + " > " + e.clientWidth)`); len(sx) > 0 {
			h.t.Errorf("at %d×%d the results scroll sideways: %v", sz[0], sz[1], sx)
		}
		scroll := eval[float64](h, `document.documentElement.scrollWidth - document.documentElement.clientWidth`)
		if scroll > 1 {
			h.t.Errorf("at %d×%d the page scrolls sideways by %.0f px", sz[0], sz[1], scroll)
		}
		// The run and its results in view.
		eval[bool](h, `(document.getElementById("runbox").scrollIntoView(), true)`)
		time.Sleep(200 * time.Millisecond)
		name := fmt.Sprintf("page-%dx%d.png", sz[0], sz[1])
		buf, err := chromedp.Run(h.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			h.t.Fatal(err)
		}
		os.WriteFile(filepath.Join(h.out, name), buf, 0o644)
		if os.Getenv("OTCE_E2E_DOCS") != "" {
			if err := os.WriteFile(filepath.Join(root, "docs", name), buf, 0o644); err != nil {
				h.t.Error(err)
			}
		}
		h.t.Logf("screenshot %s", name)
	}
}

// removeAsks: removing a candidate that holds the user's files asks first.
func (h *harness) removeAsks(fx fixture) {
	h.load()
	h.setCandidate(1, "mine", fx)
	rm := `document.querySelector("#cand-1 button[aria-label='remove candidate 1']").click()`
	const count = `document.querySelectorAll("#candidates .candidate").length`
	eval[any](h, rm)
	// The page answers the click in its Go (wasm) event loop: wait for
	// it, as a loaded machine may take a while, rather than a fixed time.
	if !h.until(10*time.Second, dialogOpenJS) {
		h.t.Fatalf("removing a candidate with files did not ask (candidates left: %d)", eval[int](h, count))
	}
	h.click("confirm-no")
	if h.until(10*time.Second, `!(`+dialogOpenJS+`)`); eval[int](h, count) != 1 {
		h.t.Errorf("after No, %d candidates", eval[int](h, count))
	}
	eval[any](h, rm)
	if !h.until(10*time.Second, dialogOpenJS) {
		h.t.Fatalf("removing the candidate again did not ask")
	}
	h.click("confirm-yes")
	if !h.until(10*time.Second, count+` === 0`) {
		h.t.Errorf("after Yes, %d candidates", eval[int](h, count))
	}
}

// until polls the JavaScript expression js until it is true, for at most
// timeout, and says whether it became true.
func (h *harness) until(timeout time.Duration, js string) bool {
	h.t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		if eval[bool](h, js) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// textFields: the page has no text <input> or <textarea> (Chromium's
// Autofill asks Google about those: TestBrowser/NoOtherOrigin); its text
// fields are one-line contenteditable elements that behave as inputs from
// the keyboard: typed keys replace the selection, Enter adds no line and
// commits the value (a change event), a paste of several lines is one line
// of plain text, a click on the label focuses the field, and a run reads
// what was typed.
func (h *harness) textFields() {
	h.load()
	h.loadDemo()
	kinds := eval[[]string](h, `[...document.querySelectorAll("textarea, input")].filter(e => !["checkbox", "radio", "file", "range", "button", "submit", "reset", "color"].includes(e.type)).map(e => e.outerHTML.slice(0, 80))`)
	for _, k := range kinds {
		h.t.Errorf("a text input Autofill asks about: %s", k)
	}
	fields := eval[[]string](h, `[...document.querySelectorAll("[contenteditable]")].map(e => e.id + " " + e.getAttribute("role") + " " + e.getAttribute("contenteditable"))`)
	h.t.Logf("%d text fields: %v", len(fields), fields)
	for _, id := range []string{"set-n", "set-k", "set-eps", "set-workers", "fit-scores"} {
		if !slices.ContainsFunc(fields, func(f string) bool { return strings.HasPrefix(f, id+" textbox ") }) {
			h.t.Errorf("#%s is not a text field (role textbox): %v", id, fields)
		}
	}
	// Typing: select the text of -k, type 3 and Enter.
	eval[bool](h, `(() => {
		globalThis.otceChanges = [];
		document.addEventListener("change", e => otceChanges.push(e.target.id + "=" + e.target.textContent), true);
		return true;
	})()`)
	h.click("set-k-label") // the label focuses its field
	if f := eval[string](h, `document.activeElement.id`); f != "set-k" {
		h.t.Errorf("a click on the label of -k focused %q", f)
	}
	eval[bool](h, `(getSelection().selectAllChildren(document.getElementById("set-k")), true)`)
	h.do(chromedp.KeyEvent("3"), chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent(kb.Enter))
	got := eval[map[string]any](h, `(() => { const e = document.getElementById("set-k"); return {text: e.textContent, value: e.value, nodes: e.childNodes.length, html: e.innerHTML, changes: otceChanges.join(" ")}; })()`)
	h.t.Logf("-k after typing 3, Enter, Enter: %v", got)
	if got["text"] != "3" || got["value"] != "3" || got["nodes"] != float64(1) {
		h.t.Errorf("-k after typing 3 and Enter twice: %v, want the one line 3", got)
	}
	if got["changes"] != "set-k=3" {
		h.t.Errorf("the change events after Enter: %q, want one, set-k=3", got["changes"])
	}
	// A paste of three lines: one line.
	pasted := eval[string](h, `(() => {
		const e = document.getElementById("set-seed");
		e.focus();
		getSelection().selectAllChildren(e);
		const dt = new DataTransfer();
		dt.setData("text/plain", "4\r\n2\n<b>x</b>");
		dt.setData("text/html", "<b>4</b>");
		e.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
		return e.innerHTML;
	})()`)
	if pasted != "4 2 &lt;b&gt;x&lt;/b&gt;" {
		h.t.Errorf("a paste of three lines into --seed: %q, want the plain text on one line", pasted)
	}
	h.setSetting("set-seed", "1")
	// The run reads the fields: -k 3 from the keyboard, -n 300.
	h.setSetting("set-n", "300")
	h.click("run")
	h.waitState(3*time.Minute, "done")
	made := eval[string](h, `document.getElementById("results-settings").textContent`)
	if !regexp.MustCompile(`-n 300 -k 3\b`).MatchString(made) || !strings.Contains(made, "--seed 1") {
		h.t.Errorf("the run's settings %q are not the typed ones (-n 300 -k 3, --seed 1)", made)
	}
}
