//go:build js && wasm

package main

import (
	"bytes"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"syscall/js"
	"time"

	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/core/settings"
	"honnef.co/go/js/dom/v2"
)

// resultsView shows a ranking: the table, the charts and the downloads.
type resultsView struct {
	root    dom.Element
	table   dom.Element
	bars    dom.Element
	scatter dom.Element
	heat    dom.Element
	json    dom.Element
	made    dom.Element // which settings made the results
	stale   dom.Element // why they are not current, when they are not
	// staleFiles is set when the files changed since the results: a
	// return of the settings to the results' own does not make them
	// current again.
	staleFiles bool
	ranking    report.Ranking
	sortKey    string
	desc       bool
	// cols are the table's columns: columns with one per other score the
	// ranking has (metricColumns).
	cols []column
	// chartKey is the score the charts show (otce unless the selector says
	// otherwise); picker is that selector.
	chartKey string
	picker   dom.Element
	na       dom.Element // the scores that do not apply
	corrs    dom.Element // each score's agreement with the accuracies
	// fitOn asks for the fitted accuracy predictor (otce.FitAccuracy) of
	// the scores in fitKeys; fitOut shows it or why it was refused.
	fitOn, fitKeys, fitOut dom.Element
	fitBox                 dom.Element
}

func newResultsView() *resultsView {
	r := &resultsView{sortKey: "rank", chartKey: "otce"}
	r.table = el("div", attrs{"id": "results-table"})
	r.bars = el("figure", attrs{"id": "chart-bars", "class": "chart"})
	r.scatter = el("figure", attrs{"id": "chart-scatter", "class": "chart"})
	r.heat = el("div", attrs{"id": "heatmaps"})
	r.json = el("pre", attrs{"id": "results-json"})
	r.picker = el("select", attrs{"id": "metric-select"})
	on(r.picker, "change", func(dom.Event) {
		r.chartKey = value(r.picker)
		r.drawCharts()
	})
	r.na = el("p", attrs{"id": "metrics-na", "class": "note", "hidden": ""})
	r.corrs = el("div", attrs{"id": "correlations-box"})
	r.fitOn = el("input", attrs{"type": "checkbox", "id": "fit-toggle"})
	r.fitKeys = field(otce.DefaultFitScores, 24, attrs{"id": "fit-scores"})
	r.fitOut = el("div", attrs{"id": "fit", "aria-live": "polite"})
	on(r.fitOn, "change", func(dom.Event) { r.applyFit() })
	on(r.fitKeys, "change", func(dom.Event) { r.applyFit() })
	useChart := el("button", attrs{"type": "button", "id": "fit-use-chart"}, "Use the charts' score")
	on(useChart, "click", func(dom.Event) {
		setValue(r.fitKeys, r.chartKey)
		r.applyFit()
	})
	r.fitBox = el("div", attrs{"id": "fit-box", "hidden": ""},
		el("h3", "Accuracy predictor"),
		el("p", attrs{"class": "note"}, "Fits accuracy ≈ λ·scores + b by least squares on the candidates with a known accuracy (as ", el("code", "otce rank --fit"),
			" does), with the leave-one-out error, and predicts the accuracy of the others with a 95 % prediction interval. The default scores are the OTCE paper's: W_D and W_T (wd,wt); any list of otce, logme, leep, nce, hscore, gbc, zeroshot, wd, wt."),
		el("div", attrs{"class": "row"},
			r.fitOn, el("label", attrs{"for": "fit-toggle"}, "Fit an accuracy predictor ", el("code", attrs{"class": "flag"}, "--fit")),
			linkLabel(el("label", "Scores of the fit ", el("code", attrs{"class": "flag"}, "--fit-scores")), r.fitKeys), r.fitKeys, useChart),
		r.fitOut)
	r.made = el("p", attrs{"id": "results-settings", "class": "note"})
	r.stale = el("p", attrs{"id": "results-stale", "class": "stale", "role": "status", "hidden": ""})
	dlJSON := el("button", attrs{"type": "button", "id": "download-json"}, "Download JSON")
	dlCSV := el("button", attrs{"type": "button", "id": "download-csv"}, "Download CSV")
	dlHTML := el("button", attrs{"type": "button", "id": "download-html"}, "Download report (HTML)")
	on(dlHTML, "click", func(dom.Event) {
		download("otce-report.html", "text/html", []byte(htmlReport(r.ranking, r.chartKey, toolVersion(), time.Now())))
	})
	on(dlJSON, "click", func(dom.Event) {
		var b bytes.Buffer
		report.WriteJSON(&b, r.ranking)
		download("otce.json", "application/json", b.Bytes())
	})
	on(dlCSV, "click", func(dom.Event) {
		var b bytes.Buffer
		report.WriteCSV(&b, r.ranking.Candidates)
		report.WriteCSVCorrelation(&b, r.ranking.Correlation)
		download("otce.csv", "text/csv", b.Bytes())
	})
	r.root = el("section", attrs{"id": "results", "hidden": ""},
		el("h2", "4. Results"),
		r.stale,
		r.made,
		el("p", attrs{"class": "note"}, "Higher OTCE (closer to 0) predicts better transfer. Click a column to sort."),
		r.table,
		r.na,
		r.corrs,
		el("div", attrs{"class": "row"}, dlJSON, dlCSV, dlHTML),
		el("div", attrs{"class": "row"}, el("label", attrs{"for": "metric-select"}, "Score in the charts"), r.picker),
		el("div", attrs{"class": "charts"}, r.bars, r.scatter),
		r.fitBox,
		el("h3", "Joint label distributions"),
		el("p", attrs{"class": "note"}, "P(source class, target class) read off the optimal coupling, last repetition: a candidate whose source classes each map to few target classes transfers well."),
		r.heat,
		el("details", el("summary", "JSON (the command-line tool's schema)"), r.json))
	return r
}

func (r *resultsView) clear() {
	show(r.root, false)
	show(r.stale, false)
	r.root.Class().Remove("is-stale")
	r.ranking = report.Ranking{}
	for _, e := range []dom.Element{r.table, r.bars, r.scatter, r.heat, r.json, r.made, r.picker, r.na, r.corrs, r.fitOut} {
		clear(e)
	}
}

// show ranks the candidates scored so far and draws them.
func (r *resultsView) show(cands []report.Candidate, s report.Settings) {
	r.ranking = otce.Rank(cands, s)
	show(r.stale, false)
	r.staleFiles = false
	r.root.Class().Remove("is-stale")
	r.made.SetTextContent("Made by: " + settingsLine(s) + " · otceseg " + toolVersion() + ".")
	r.cols = metricColumns(metricKeys(r.ranking))
	if !slices.ContainsFunc(r.cols, func(c column) bool { return c.key == r.sortKey }) {
		r.sortKey, r.desc = "rank", false
	}
	r.drawTable()
	na := notApplicableText(r.ranking)
	r.na.SetTextContent(na)
	show(r.na, na != "")
	r.corrs.SetInnerHTML(correlationsHTML(r.ranking))
	keys := chartKeys(r.ranking)
	if !slices.Contains(keys, r.chartKey) {
		r.chartKey = "otce"
	}
	clear(r.picker)
	for _, k := range keys {
		o := el("option", attrs{"value": k}, scoreName(k))
		add(r.picker, o)
	}
	setValue(r.picker, r.chartKey)
	r.drawCharts()
	show(r.fitBox, r.ranking.Correlation != nil || hasAccuracy(r.ranking))
	r.applyFit() // also writes the JSON
	clear(r.heat)
	for _, c := range r.ranking.Candidates {
		if c.Joint != nil && c.Error == "" {
			fig := el("figure", attrs{"class": "chart heat"})
			fig.SetInnerHTML(heatmap(c))
			r.heat.AppendChild(fig)
		}
	}
	show(r.root, true)
}

// drawCharts draws the bar chart and the scatter plot of the score the
// selector names.
func (r *resultsView) drawCharts() {
	r.bars.SetInnerHTML(barChart(r.ranking, r.chartKey))
	sc := scatterPlot(r.ranking, r.chartKey)
	r.scatter.SetInnerHTML(sc)
	show(r.scatter, sc != "")
}

// applyFit sets the ranking's fitted accuracy predictor (otce.FitAccuracy
// of the scores in the fit's field) when the toggle is on, shows it or the
// command-line tool's message refusing it, and rewrites the JSON: the
// downloads then carry the fit as `otce rank --fit` writes it.
func (r *resultsView) applyFit() {
	r.ranking.Fit = nil
	clear(r.fitOut)
	if prop(r.fitOn, "checked").Bool() && len(r.ranking.Candidates) > 0 {
		f, err := otce.FitAccuracy(r.ranking, value(r.fitKeys))
		if err != nil {
			add(r.fitOut, el("p", attrs{"class": "error", "id": "fit-error", "role": "alert"}, err.Error()))
		} else {
			r.ranking.Fit = f
			r.fitOut.SetInnerHTML(fitHTML(f))
		}
	}
	var b bytes.Buffer
	report.WriteJSON(&b, r.ranking)
	r.json.SetTextContent(b.String())
}

// hasAccuracy says whether a candidate of r has a known accuracy.
func hasAccuracy(r report.Ranking) bool {
	for _, c := range r.Candidates {
		if c.Accuracy != nil {
			return true
		}
	}
	return false
}

// markStale keeps the results on the page but says, first, why they are no
// longer current (the settings on the page changed or do not parse, or the
// candidates were replaced); the line under it says which settings made
// them. Nothing happens when no results are shown.
func (r *resultsView) markStale(why string) {
	if prop(r.root, "hidden").Bool() || len(r.ranking.Candidates) == 0 {
		return
	}
	r.stale.SetTextContent("Not current: " + why)
	show(r.stale, true)
	r.root.Class().Add("is-stale")
}

// markStaleFiles marks the results as not current because the candidates
// or their files changed.
func (r *resultsView) markStaleFiles(why string) {
	if prop(r.root, "hidden").Bool() || len(r.ranking.Candidates) == 0 {
		return
	}
	r.markStale(why)
	r.staleFiles = true
}

// unmarkStale takes back markStale when the settings are the results' again
// and the files have not changed.
func (r *resultsView) unmarkStale() {
	if r.staleFiles {
		return
	}
	show(r.stale, false)
	r.root.Class().Remove("is-stale")
}

// settingsLine writes the settings as the command-line tool's flags, in the
// form's order (a boolean flag only when set).
func settingsLine(s report.Settings) string {
	var parts []string
	for i := range settings.Table {
		f := &settings.Table[i]
		v := f.Get(&s)
		switch {
		case f.Kind == settings.Bool && v == "true":
			parts = append(parts, f.Flag())
		case f.Kind == settings.Bool:
		case v == "":
			parts = append(parts, f.Flag()+" ''")
		default:
			parts = append(parts, f.Flag()+" "+v)
		}
	}
	return strings.Join(parts, " ")
}

// toolVersion is the version control revision the page was built from
// (with +dirty for uncommitted changes) when the build recorded it, else
// the build's hash from build.json (webbuild's digest of the site's files)
// and its Go version.
func toolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown version)"
	}
	if b := js.Global().Get("otceBoot"); b.Truthy() && b.Get("build").Truthy() {
		build := b.Get("build")
		if h := build.Get("hash"); h.Type() == js.TypeString {
			v := "build " + h.String()
			if g := build.Get("go"); g.Type() == js.TypeString {
				v += " (" + g.String() + ")"
			}
			for _, kv := range bi.Settings {
				if kv.Key == "vcs.revision" && kv.Value != "" {
					return kv.Value[:min(12, len(kv.Value))] + ", " + v
				}
			}
			return v
		}
	}
	rev, dirty := "", false
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.modified":
			dirty = kv.Value == "true"
		}
	}
	if rev == "" {
		return bi.Main.Version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}

type column struct {
	key, title string
	num        func(c report.Candidate, rank int) float64
	text       func(c report.Candidate, rank int) string
}

var columns = []column{
	{key: "rank", title: "Rank", num: func(_ report.Candidate, i int) float64 { return float64(i) },
		text: func(_ report.Candidate, i int) string { return fmt.Sprint(i) }},
	{key: "name", title: "Candidate", text: func(c report.Candidate, _ int) string { return c.Name }},
	{key: "otce", title: "OTCE (mean ± std)", num: func(c report.Candidate, _ int) float64 { return c.OTCEMean },
		text: func(c report.Candidate, _ int) string {
			if c.Error != "" {
				return "failed"
			}
			return fmt.Sprintf("%.4f ± %.4f", c.OTCEMean, c.OTCEStd)
		}},
	{key: "wd", title: "W_D", num: func(c report.Candidate, _ int) float64 { return c.MeanWD() },
		text: func(c report.Candidate, _ int) string { return num4(c.MeanWD()) }},
	{key: "iter", title: "Iterations (mean)", num: func(c report.Candidate, _ int) float64 { return c.MeanIterations() },
		text: func(c report.Candidate, _ int) string {
			if len(c.Iterations) == 0 {
				return "–"
			}
			return fmt.Sprintf("%.0f", c.MeanIterations())
		}},
	{key: "conv", title: "Converged", num: func(c report.Candidate, _ int) float64 {
		if c.Converged {
			return 1
		}
		return 0
	}, text: func(c report.Candidate, _ int) string {
		if c.Error != "" {
			return "–"
		}
		if c.Converged {
			return "yes"
		}
		return "no"
	}},
	{key: "acc", title: "Accuracy", num: func(c report.Candidate, _ int) float64 {
		if c.Accuracy == nil {
			return math.NaN()
		}
		return *c.Accuracy
	}, text: func(c report.Candidate, _ int) string {
		if c.Accuracy == nil {
			return "–"
		}
		return fmt.Sprintf("%g", *c.Accuracy)
	}},
	{key: "time", title: "Time (s)", num: func(c report.Candidate, _ int) float64 { return c.Seconds },
		text: func(c report.Candidate, _ int) string { return fmt.Sprintf("%.1f", c.Seconds) }},
	{key: "warn", title: "Warnings / error", text: func(c report.Candidate, _ int) string {
		if c.Error != "" {
			return c.Error
		}
		return strings.Join(c.Warnings, "; ")
	}},
}

// metricColumns are columns with one column per score key after W_D: its
// mean ± std over the repetitions, as the command-line tool's table.
func metricColumns(keys []string) []column {
	var out []column
	for _, c := range columns {
		out = append(out, c)
		if c.key != "wd" {
			continue
		}
		for _, k := range keys {
			k := k
			out = append(out, column{key: k, title: scoreName(k) + " (mean ± std)",
				num: func(c report.Candidate, _ int) float64 {
					if m, _, ok := scoreStat(c, k); ok {
						return m
					}
					return math.NaN()
				},
				text: func(c report.Candidate, _ int) string {
					if m, s, ok := scoreStat(c, k); ok {
						return fmt.Sprintf("%.4g ± %.2g", m, s)
					}
					return "–"
				}})
		}
	}
	return out
}

func num4(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.4g", v)
}

func (r *resultsView) drawTable() {
	type row struct {
		c    report.Candidate
		rank int
	}
	rows := make([]row, len(r.ranking.Candidates))
	for i, c := range r.ranking.Candidates {
		rows[i] = row{c, i + 1}
	}
	if r.cols == nil {
		r.cols = columns
	}
	var col column
	for _, c := range r.cols {
		if c.key == r.sortKey {
			col = c
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		var less bool
		if col.num != nil {
			a, b := col.num(rows[i].c, rows[i].rank), col.num(rows[j].c, rows[j].rank)
			if math.IsNaN(a) != math.IsNaN(b) {
				return !math.IsNaN(a)
			}
			less = a < b
			if r.desc {
				less = a > b
			}
		} else {
			a, b := col.text(rows[i].c, rows[i].rank), col.text(rows[j].c, rows[j].rank)
			less = a < b
			if r.desc {
				less = a > b
			}
		}
		return less
	})
	head := el("tr")
	for _, c := range r.cols {
		c := c
		th := el("th", attrs{"scope": "col", "data-key": c.key, "tabindex": "0"}, c.title)
		if c.key == r.sortKey {
			if r.desc {
				th.SetAttribute("aria-sort", "descending")
			} else {
				th.SetAttribute("aria-sort", "ascending")
			}
		}
		sortBy := func() {
			if r.sortKey == c.key {
				r.desc = !r.desc
			} else {
				r.sortKey, r.desc = c.key, c.key == "otce" || c.key == "acc" || c.key == "conv" || slices.Contains(report.MetricKeys, c.key)
			}
			r.drawTable()
			// The header keeps the focus across the redraw (keyboard use).
			if e := r.table.QuerySelector(`th[data-key="` + c.key + `"]`); e != nil {
				e.(dom.HTMLElement).Focus()
			}
		}
		on(th, "click", func(dom.Event) { sortBy() })
		// Enter or Space sorts as a click does, for the keyboard.
		on(th, "keydown", func(ev dom.Event) {
			if k := ev.Underlying().Get("key").String(); k == "Enter" || k == " " {
				ev.PreventDefault()
				sortBy()
			}
		})
		head.AppendChild(th)
	}
	body := el("tbody")
	for _, rw := range rows {
		tr := el("tr", attrs{"data-name": rw.c.Name})
		if rw.c.Error != "" {
			tr.Class().Add("failed")
		}
		for _, c := range r.cols {
			td := el("td", attrs{"data-key": c.key, "data-label": c.title}, c.text(rw.c, rw.rank))
			if m, _, ok := scoreStat(rw.c, c.key); ok {
				td.SetAttribute("data-value", fmt.Sprintf("%.17g", m))
			}
			tr.AppendChild(td)
		}
		body.AppendChild(tr)
	}
	clear(r.table)
	cls := "results"
	if len(r.cols) > 12 {
		cls += " compact" // every score's column: closer together, to fit 1100 px
	}
	add(r.table, el("table", attrs{"class": cls}, el("thead", head), body))
	if cr := r.ranking.Correlation; cr != nil {
		add(r.table, el("p", attrs{"class": "corr", "id": "correlation"},
			fmt.Sprintf("OTCE against the known accuracies of %d candidates: Pearson r = %.3f, Spearman ρ = %.3f, Kendall τ = %.3f.",
				cr.Count, cr.Pearson, cr.Spearman, cr.Kendall)))
	}
}

// download saves bytes as a file through a blob: URL.
func download(name, typ string, data []byte) {
	u8 := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(u8, data)
	blob := js.Global().Get("Blob").New(js.Global().Get("Array").New(u8), map[string]any{"type": typ})
	url := js.Global().Get("URL").Call("createObjectURL", blob)
	a := el("a", attrs{"href": url.String(), "download": name, "hidden": ""})
	doc.(dom.HTMLDocument).Body().AppendChild(a)
	a.(dom.HTMLElement).Click()
	a.Remove()
	var f js.Func
	f = js.FuncOf(func(js.Value, []js.Value) any {
		js.Global().Get("URL").Call("revokeObjectURL", url)
		f.Release()
		return nil
	})
	js.Global().Call("setTimeout", f, 10000)
}
