package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// metricsSameAsCLI (issue 14): the other scores, their agreement with the
// known accuracies and the fitted accuracy predictor in the page are the
// CLI's (`otce rank --format json --fit`; sameRanking: the other scores to
// the bit, the OT's numbers within 1e-9 relative), with 1 worker and with
// 3, and the page's tables show its JSON's numbers to the bit; with the shared classes ticked (channel c of the features read
// as the logit of label c: the fixtures have 8 channels and labels 0–2) and
// the softmax transform, so that every score applies (zero-shot too); the metric selector redraws both charts; with the
// shared classes unticked the zero-shot scores are listed as not
// applicable, as in the CLI. Five candidates, four with an accuracy (the
// default fit of W_D and W_T needs four); the fifth gets a prediction.
func (h *harness) metricsSameAsCLI(fixDir string) {
	const n, k = 300, 2
	accs := []string{"0.41", "0.55", "0.62", "0.7", ""}
	var fxs []fixture
	for i := range accs {
		fx, err := makeFixture(filepath.Join(fixDir, fmt.Sprintf("metrics%d", i)), uint64(11+i), 0.2+0.2*float64(i))
		if err != nil {
			h.t.Fatal(err)
		}
		fxs = append(fxs, fx)
	}
	// The manifest of the same candidates, for `otce rank`. (makeFixture's
	// target labels depend on the pixel only: every candidate's are the
	// same files' contents, and the page takes the first's.)
	type cand struct {
		Name           string   `json:"name"`
		SourceFeatures []string `json:"source_features"`
		SourceLabels   []string `json:"source_labels"`
		TargetFeatures []string `json:"target_features"`
		Accuracy       *float64 `json:"accuracy,omitempty"`
	}
	man := struct {
		TargetLabels []string `json:"target_labels"`
		Candidates   []cand   `json:"candidates"`
	}{TargetLabels: fxs[0].tl}
	for i, fx := range fxs {
		c := cand{Name: fmt.Sprintf("m%d", i), SourceFeatures: fx.sf, SourceLabels: fx.sl, TargetFeatures: fx.tf}
		if accs[i] != "" {
			v, _ := strconv.ParseFloat(accs[i], 64)
			c.Accuracy = &v
		}
		man.Candidates = append(man.Candidates, c)
	}
	mb, _ := json.Marshal(man)
	mp := filepath.Join(fixDir, "metrics.json")
	if err := os.WriteFile(mp, mb, 0o644); err != nil {
		h.t.Fatal(err)
	}
	cliRank := func(extra ...string) map[string]any {
		args := append([]string{"rank", mp, "--format", "json", "--quiet", "-n", fmt.Sprint(n), "-k", fmt.Sprint(k)}, extra...)
		out, err := exec.Command(h.cli, args...).Output()
		if err != nil {
			h.t.Fatalf("otce %s: %v", strings.Join(args, " "), err)
		}
		var r map[string]any
		if err := json.Unmarshal(out, &r); err != nil {
			h.t.Fatalf("otce rank output is not JSON (%v): %s", err, out)
		}
		return r
	}
	want := cliRank("--shared-classes", "--transform", "softmax", "--fit")

	h.load()
	h.setSetting("set-n", fmt.Sprint(n))
	h.setSetting("set-k", fmt.Sprint(k))
	h.setSetting("set-transform", "softmax")
	h.setChecked("set-shared-classes", true)
	for i, fx := range fxs {
		if i > 0 {
			h.click("add-candidate")
		}
		h.setCandidate(i+1, fmt.Sprintf("m%d", i), fx)
		if accs[i] != "" {
			h.setSetting(fmt.Sprintf("cand-%d-acc", i+1), accs[i])
		}
	}
	h.setFiles("target-labels-files", fxs[0].tl)
	for _, w := range []int{1, 3} {
		h.setSetting("set-workers", fmt.Sprint(w))
		h.setChecked("fit-toggle", false)
		h.click("run")
		h.waitState(5*time.Minute, "done")
		h.setChecked("fit-toggle", true)
		got := h.ranking()
		h.sameRanking(fmt.Sprintf("%d worker(s)", w), got, want)
	}

	// The CSV download is the CLI's CSV (core/report's writer, with the
	// trailing correlation row).
	eval[bool](h, `(() => {
		if (!globalThis.otceBlobHook) {
			const orig = URL.createObjectURL;
			URL.createObjectURL = b => { globalThis.otceLastBlob = b; return orig.call(URL, b); };
			globalThis.otceBlobHook = true;
		}
		globalThis.otceLastBlob = null;
		return true;
	})()`)
	h.click("download-csv")
	csv := eval[string](h, `globalThis.otceLastBlob ? otceLastBlob.text() : ""`)
	wantCSV, err := exec.Command(h.cli, "rank", mp, "--format", "csv", "--quiet", "-n", fmt.Sprint(n), "-k", fmt.Sprint(k), "--shared-classes", "--transform", "softmax").Output()
	if err != nil {
		h.t.Fatalf("otce rank --format csv: %v", err)
	}
	if csv != string(wantCSV) || !strings.Contains(csv, "\n# correlation with accuracy: count=4 ") {
		h.t.Errorf("the page's CSV is not otce rank's:\npage:\n%s\nCLI:\n%s", csv, wantCSV)
	}

	// The table's cells are the JSON's numbers.
	got := h.ranking()
	cells := eval[map[string]map[string]string](h, `Object.fromEntries([...document.querySelectorAll("#results-table tbody tr")].map(tr =>
		[tr.dataset.name, Object.fromEntries([...tr.querySelectorAll("td[data-value]")].map(td => [td.dataset.key, td.dataset.value]))]))`)
	for _, c := range candidates(got) {
		name := c["name"].(string)
		ms, _ := c["metrics"].(map[string]any)
		if len(ms) < 7 {
			h.t.Errorf("%s: %d scores in the page's JSON, want the 7 of logme, leep, nce, hscore, gbc, zeroshot_acc, zeroshot_miou: %v", name, len(ms), ms)
		}
		for key, m := range ms {
			mean := m.(map[string]any)["mean"].(float64)
			if !sameFloat(cells[name][key], mean) {
				h.t.Errorf("%s: table's %s is %q, the JSON's mean %.17g", name, key, cells[name][key], mean)
			}
		}
	}
	// The correlation table: the JSON's numbers (the CLI's, as checked
	// above), and the best score.
	wc, _ := got["correlations"].(map[string]any)
	rows := eval[map[string][]string](h, `Object.fromEntries([...document.querySelectorAll("#correlations tbody tr")].map(tr =>
		[tr.dataset.key, [...tr.querySelectorAll("td[data-value]")].map(td => td.dataset.value)]))`)
	if len(rows) != len(wc) || len(wc) < 2 {
		h.t.Errorf("correlation table has %d rows, the CLI %d correlations", len(rows), len(wc))
	}
	for key, c := range wc {
		cm := c.(map[string]any)
		for i, f := range []string{"pearson", "spearman", "kendall"} {
			if i >= len(rows[key]) || !sameFloat(rows[key][i], cm[f].(float64)) {
				h.t.Errorf("correlation table, %s %s: %v, the JSON's %.17g", key, f, rows[key], cm[f])
			}
		}
	}
	if b := eval[string](h, `(document.getElementById("best-metric")||{dataset:{}}).dataset.key||""`); b != want["best_metric"] {
		h.t.Errorf("page names %q as the best score, the CLI %v", b, want["best_metric"])
	}
	// The fit as shown (the JSON's): λ, b and the prediction of the fifth
	// candidate.
	wf := got["fit"].(map[string]any)
	fitCells := eval[map[string]string](h, `Object.fromEntries([...document.querySelectorAll("#fit-coefficients tr[data-key]")].map(tr =>
		[tr.dataset.key, (tr.querySelector("td[data-value]")||{dataset:{}}).dataset.value||""]))`)
	for i, key := range wf["scores"].([]any) {
		if v := wf["lambda"].([]any)[i].(float64); !sameFloat(fitCells["lambda-"+key.(string)], v) {
			h.t.Errorf("fit λ(%s): table %q, JSON %.17g", key, fitCells["lambda-"+key.(string)], v)
		}
	}
	if !sameFloat(fitCells["b"], wf["b"].(float64)) || !sameFloat(fitCells["loo_rmse"], wf["loo_rmse"].(float64)) {
		h.t.Errorf("fit b, LOO RMSE: table %v, JSON %v, %v", fitCells, wf["b"], wf["loo_rmse"])
	}
	if p := eval[string](h, `(document.querySelector('#fit-predictions tr[data-name="m4"]')||{}).textContent||""`); !strings.Contains(p, "–") || !strings.Contains(p, "(") {
		h.t.Errorf("no predicted accuracy with an interval for m4: %q", p)
	}

	// The selector redraws both charts with the chosen score.
	for _, key := range []string{"logme", "zeroshot_miou", "otce"} {
		eval[bool](h, `(() => { const s = document.getElementById("metric-select"); s.value = `+strconv.Quote(key)+`; s.dispatchEvent(new Event("change")); return true; })()`)
		keys := eval[[]string](h, `[...document.querySelectorAll("#chart-bars svg, #chart-scatter svg")].map(s => s.dataset.key)`)
		if len(keys) != 2 || keys[0] != key || keys[1] != key {
			h.t.Errorf("after selecting %s the charts show %v", key, keys)
		}
		if key != "otce" {
			title := eval[string](h, `document.querySelector("#chart-scatter svg text.title").textContent`)
			c := wc[key].(map[string]any)
			if w := fmt.Sprintf("r = %.3f", c["pearson"].(float64)); !strings.Contains(title, w) {
				h.t.Errorf("scatter plot of %s: title %q, want %q", key, title, w)
			}
		}
	}
	if l := eval[string](h, `(document.querySelector('label[for="metric-select"]')||{}).textContent||""`); l == "" {
		h.t.Error("the metric selector has no label")
	}

	// A fit of too few candidates is refused with the CLI's message.
	h.setSetting("fit-scores", "logme,leep,nce")
	eval[bool](h, `(document.getElementById("fit-scores").dispatchEvent(new Event("change")), true)`)
	msg := eval[string](h, `(document.getElementById("fit-error")||{}).textContent||""`)
	cmd := exec.Command(h.cli, "rank", mp, "--format", "json", "--quiet", "-n", fmt.Sprint(n), "-k", fmt.Sprint(k), "--shared-classes", "--transform", "softmax", "--fit", "--fit-scores", "logme,leep,nce")
	out, _ := cmd.CombinedOutput()
	if msg == "" || !strings.Contains(string(out), msg) {
		h.t.Errorf("page refuses the fit with %q; the CLI says %q", msg, out)
	}
	if _, ok := h.ranking()["fit"]; ok {
		h.t.Error("a refused fit is still in the JSON")
	}

	// Without the shared classes: zero-shot does not apply, as in the CLI.
	want2 := cliRank()
	h.setChecked("set-shared-classes", false)
	h.setSetting("set-transform", "none")
	h.setChecked("fit-toggle", false)
	h.click("run")
	h.waitState(5*time.Minute, "done")
	h.sameRanking("without the shared classes", h.ranking(), want2)
	if na := eval[string](h, `document.getElementById("metrics-na").textContent`); !strings.Contains(na, "zeroshot") || !strings.Contains(na, "not applicable") {
		h.t.Errorf("not-applicable note: %q", na)
	}
	h.screenshot("metrics.png")
}

// setChecked ticks or unticks a checkbox and tells the page (a change
// event).
func (h *harness) setChecked(id string, on bool) {
	h.t.Helper()
	if !eval[bool](h, fmt.Sprintf(`(() => { const e = document.getElementById(%q); if (!e) return false; if (e.checked !== %v) { e.checked = %v; e.dispatchEvent(new Event("change", {bubbles: true})); } return true; })()`, id, on, on)) {
		h.t.Fatalf("no checkbox #%s", id)
	}
}

// candidates is a ranking's candidates as JSON objects.
func candidates(r map[string]any) []map[string]any {
	var out []map[string]any
	cs, _ := r["candidates"].([]any)
	for _, c := range cs {
		out = append(out, c.(map[string]any))
	}
	return out
}

// sameFloat says whether the decimal s is v to the bit.
func sameFloat(s string, v float64) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f == v
}

// sameRanking compares two rankings in the CLI's JSON schema, to the bit:
// the other scores (core/metrics, computed on the sampled pixels with
// core/detmath's portable exp and log and core/metrics' own eigensolver),
// the ones not applicable, the order, the correlations and the best score,
// and the OT's numbers (each candidate's OTCE, CE and W_D, OTCE's
// correlation and the fit). The OT once differed by 1 ulp of one CE of the
// demo's ten (the over-relaxation's θ came from math.Pow, assembly on
// amd64, portable Go in WebAssembly; core/ot now takes it from detmath).
// The largest relative difference is logged. (Times differ; they are left
// out.)
func (h *harness) sameRanking(what string, got, want map[string]any) {
	h.t.Helper()
	const otTol = 0
	worst := 0.0
	check := func(field string, a, b any, tol float64) {
		h.t.Helper()
		d, ok := near(a, b, tol)
		worst = math.Max(worst, d)
		if !ok {
			h.t.Errorf("%s: %s: page %v, CLI %v", what, field, a, b)
		}
	}
	gc, wc := candidates(got), candidates(want)
	if len(gc) != len(wc) {
		h.t.Fatalf("%s: page ranks %d candidates, the CLI %d", what, len(gc), len(wc))
	}
	for i := range wc {
		for _, f := range []string{"name", "metrics", "metrics_not_applicable", "error"} {
			check(fmt.Sprintf("candidate %d's %s", i+1, f), gc[i][f], wc[i][f], 0)
		}
		for _, f := range []string{"otce_mean", "otce_std", "ce", "wd"} {
			check(fmt.Sprintf("candidate %d's %s", i+1, f), gc[i][f], wc[i][f], otTol)
		}
	}
	gcor, _ := got["correlations"].(map[string]any)
	wcor, _ := want["correlations"].(map[string]any)
	if len(gcor) != len(wcor) {
		h.t.Errorf("%s: correlations of %d scores in the page, %d in the CLI", what, len(gcor), len(wcor))
	}
	for k, w := range wcor {
		tol := 0.0
		if k == "otce" {
			tol = otTol
		}
		check("correlation of "+k, gcor[k], w, tol)
	}
	check("correlation", got["correlation"], want["correlation"], otTol)
	check("best_metric", got["best_metric"], want["best_metric"], 0)
	check("fit", got["fit"], want["fit"], otTol)
	h.t.Logf("%s: page = CLI; largest relative difference of the OT's numbers %.3g (0: to the bit)", what, worst)
}

// near compares two decoded JSON values: equal structure, strings and
// booleans, and numbers within tol relative (to the bit when tol is 0). It
// returns the largest relative difference of the numbers.
func near(a, b any, tol float64) (float64, bool) {
	switch b := b.(type) {
	case float64:
		a, ok := a.(float64)
		if !ok {
			return 0, false
		}
		if a == b {
			return 0, true
		}
		d := math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
		return d, d <= tol
	case []any:
		a, ok := a.([]any)
		if !ok || len(a) != len(b) {
			return 0, false
		}
		worst := 0.0
		for i := range b {
			d, ok := near(a[i], b[i], tol)
			if !ok {
				return d, false
			}
			worst = math.Max(worst, d)
		}
		return worst, true
	case map[string]any:
		a, ok := a.(map[string]any)
		if !ok || len(a) != len(b) {
			return 0, false
		}
		worst := 0.0
		for k := range b {
			d, ok := near(a[k], b[k], tol)
			if !ok {
				return d, false
			}
			worst = math.Max(worst, d)
		}
		return worst, true
	}
	return 0, reflect.DeepEqual(a, b)
}
