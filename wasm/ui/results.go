//go:build js && wasm

package main

import (
	"bytes"
	"fmt"
	"gonum.org/v1/gonum/stat"
	"math"
	"runtime/debug"
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
}

func newResultsView() *resultsView {
	r := &resultsView{sortKey: "rank"}
	r.table = el("div", attrs{"id": "results-table"})
	r.bars = el("figure", attrs{"id": "chart-bars", "class": "chart"})
	r.scatter = el("figure", attrs{"id": "chart-scatter", "class": "chart"})
	r.heat = el("div", attrs{"id": "heatmaps"})
	r.json = el("pre", attrs{"id": "results-json"})
	r.made = el("p", attrs{"id": "results-settings", "class": "note"})
	r.stale = el("p", attrs{"id": "results-stale", "class": "stale", "role": "status", "hidden": ""})
	dlJSON := el("button", attrs{"type": "button", "id": "download-json"}, "Download JSON")
	dlCSV := el("button", attrs{"type": "button", "id": "download-csv"}, "Download CSV")
	dlHTML := el("button", attrs{"type": "button", "id": "download-html"}, "Download report (HTML)")
	on(dlHTML, "click", func(dom.Event) {
		download("otce-report.html", "text/html", []byte(htmlReport(r.ranking, toolVersion(), time.Now())))
	})
	on(dlJSON, "click", func(dom.Event) {
		var b bytes.Buffer
		report.WriteJSON(&b, r.ranking)
		download("otce.json", "application/json", b.Bytes())
	})
	on(dlCSV, "click", func(dom.Event) {
		var b bytes.Buffer
		report.WriteCSV(&b, r.ranking.Candidates)
		download("otce.csv", "text/csv", b.Bytes())
	})
	r.root = el("section", attrs{"id": "results", "hidden": ""},
		el("h2", "4. Results"),
		r.stale,
		r.made,
		el("p", attrs{"class": "note"}, "Higher OTCE (closer to 0) predicts better transfer. Click a column to sort."),
		r.table,
		el("div", attrs{"class": "row"}, dlJSON, dlCSV, dlHTML),
		el("div", attrs{"class": "charts"}, r.bars, r.scatter),
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
	for _, e := range []dom.Element{r.table, r.bars, r.scatter, r.heat, r.json, r.made} {
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
	var b bytes.Buffer
	report.WriteJSON(&b, r.ranking)
	r.json.SetTextContent(b.String())
	r.drawTable()
	r.bars.SetInnerHTML(barChart(r.ranking))
	r.scatter.SetInnerHTML(scatterPlot(r.ranking))
	show(r.scatter, r.ranking.Correlation != nil)
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

func meanInt(x []int) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := 0
	for _, v := range x {
		s += v
	}
	return float64(s) / float64(len(x))
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
	{key: "wd", title: "W_D", num: func(c report.Candidate, _ int) float64 { return stat.Mean(c.WD, nil) },
		text: func(c report.Candidate, _ int) string { return num4(stat.Mean(c.WD, nil)) }},
	{key: "iter", title: "Iterations (mean)", num: func(c report.Candidate, _ int) float64 { return meanInt(c.Iterations) },
		text: func(c report.Candidate, _ int) string {
			if len(c.Iterations) == 0 {
				return "–"
			}
			return fmt.Sprintf("%.0f", meanInt(c.Iterations))
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
	var col column
	for _, c := range columns {
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
	for _, c := range columns {
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
				r.sortKey, r.desc = c.key, c.key == "otce" || c.key == "acc" || c.key == "conv"
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
		for _, c := range columns {
			td := el("td", attrs{"data-key": c.key}, c.text(rw.c, rw.rank))
			if c.key == "otce" && rw.c.Error == "" {
				td.SetAttribute("data-value", fmt.Sprintf("%.17g", rw.c.OTCEMean))
			}
			tr.AppendChild(td)
		}
		body.AppendChild(tr)
	}
	clear(r.table)
	add(r.table, el("table", attrs{"class": "results"}, el("thead", head), body))
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
