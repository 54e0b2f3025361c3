//go:build js && wasm

package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/otceseg/otceseg/core/report"
)

// reportCSS styles the report and its charts (the page's style.css rules
// for the SVG classes): the report is one file, with no link to anything.
const reportCSS = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:15px;line-height:1.45;color:#1b1f24;max-width:1000px;margin:0 auto;padding:1rem 1.2rem 2rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;border-bottom:1px solid #d6dbe1;padding-bottom:.2rem;margin-top:1.6rem}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88rem;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #d6dbe1;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
tr.failed td{color:#b3261e}.note{color:#5b6470;font-size:.9rem}
figure{margin:.5rem 0}svg{max-width:100%;height:auto}.heat{display:flex;flex-wrap:wrap;gap:1rem}
svg text{font-size:12px;fill:#1b1f24}svg text.title{font-weight:600;font-size:13px}svg text.tick,svg text.plabel{fill:#5b6470;font-size:11px}svg text.axis-title{fill:#5b6470;font-size:12px}
svg .grid{stroke:#e6e9ed;stroke-width:1}svg .axis{stroke:#888;stroke-width:1}svg .bar{fill:#3b78d8}svg .err{stroke:#222;stroke-width:1.5}svg .fit{stroke:#c0392b;stroke-width:1.5;stroke-dasharray:5 4}svg .point{fill:#1f5fbf;stroke:#fff;stroke-width:1}`

// htmlReport is a run's report as one self-contained HTML file, for a
// colleague or a paper's supplement: the settings as the command-line
// tool's flags (the seed among them, so that the run can be repeated), the
// tool's version, the scores of every repetition, the correlations, and the
// charts as inline SVG (the bar chart and the scatter plot of OTCE and, when
// the page's charts show another score, of that score too), the other
// scores, each score's agreement with the accuracies and the fitted
// accuracy predictor when the page has one. It holds no script and loads nothing: its policy
// (default-src 'none') forbids it.
func htmlReport(r report.Ranking, chartKey, version string, when time.Time) string {
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">` + "\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&b, "<title>OTCE report, %s</title>\n<style>%s</style>\n</head>\n<body>\n", esc(when.UTC().Format("2006-01-02 15:04 UTC")), reportCSS)
	b.WriteString("<h1>OTCE transferability report</h1>\n")
	fmt.Fprintf(&b, "<p class=\"note\">Made %s by otceseg %s in the browser (the same Go core as the command-line tool <code>otce</code>). Higher OTCE (closer to 0) predicts better transfer.</p>\n",
		esc(when.UTC().Format("2006-01-02 15:04 UTC")), esc(version))
	b.WriteString("<h2>Settings</h2>\n")
	fmt.Fprintf(&b, "<p><code id=\"settings\">%s</code></p>\n", esc(settingsLine(r.Settings)))
	fmt.Fprintf(&b, "<p class=\"note\">Seed %d: the same files, settings and seed give the same scores here, in the page and in <code>otce score</code>, whatever the number of workers.</p>\n", r.Settings.Seed)
	b.WriteString("<h2>Scores</h2>\n<table>\n<thead><tr><th scope=\"col\">Rank</th><th scope=\"col\">Candidate</th><th scope=\"col\">OTCE (mean ± std)</th><th scope=\"col\">OTCE per repetition</th><th scope=\"col\">W_D (mean)</th><th scope=\"col\">Accuracy</th><th scope=\"col\">Pixels per domain</th><th scope=\"col\">Warnings / error</th></tr></thead>\n<tbody>\n")
	for i, c := range r.Candidates {
		cls := ""
		if c.Error != "" {
			cls = ` class="failed"`
		}
		score, reps := "failed", ""
		if c.Error == "" {
			score = fmt.Sprintf("%.4f ± %.4f", c.OTCEMean, c.OTCEStd)
			var vs []string
			for _, ce := range c.CE {
				vs = append(vs, fmt.Sprintf("%.4f", -ce))
			}
			reps = strings.Join(vs, " ")
		}
		acc := "–"
		if c.Accuracy != nil {
			acc = fmt.Sprintf("%g", *c.Accuracy)
		}
		warn := c.Error
		if warn == "" {
			warn = strings.Join(c.Warnings, "; ")
		}
		wd := 0.0
		for _, v := range c.WD {
			wd += v / float64(len(c.WD))
		}
		fmt.Fprintf(&b, "<tr%s data-name=\"%s\"><td>%d</td><td>%s</td><td data-value=\"%.17g\">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d / %d</td><td>%s</td></tr>\n",
			cls, esc(c.Name), i+1, esc(c.Name), c.OTCEMean, score, reps, num4(wd), acc, c.Diagnostics.SourcePixels, c.Diagnostics.TargetPixels, esc(warn))
	}
	b.WriteString("</tbody>\n</table>\n")
	if cr := r.Correlation; cr != nil {
		fmt.Fprintf(&b, "<p>OTCE against the known accuracies of %d candidates: Pearson r = %.3f, Spearman ρ = %.3f, Kendall τ = %.3f.</p>\n", cr.Count, cr.Pearson, cr.Spearman, cr.Kendall)
	}
	if t := metricsTableHTML(r); t != "" {
		b.WriteString("<h2>Other scores</h2>\n<p class=\"note\">On the same sampled target pixels, mean ± std over the repetitions; higher is better.</p>\n")
		b.WriteString(t)
	}
	if na := notApplicableText(r); na != "" {
		fmt.Fprintf(&b, "<p class=\"note\" id=\"metrics-na\">%s</p>\n", esc(na))
	}
	if t := correlationsHTML(r); t != "" {
		b.WriteString("<h2>Agreement with the accuracies</h2>\n" + t + "\n")
	}
	if r.Fit != nil {
		b.WriteString("<h2>Accuracy predictor</h2>\n" + fitHTML(r.Fit) + "\n")
	}
	b.WriteString("<h2>Charts</h2>\n")
	keys := []string{"otce"}
	if chartKey != "otce" && chartKey != "" {
		keys = append(keys, chartKey)
	}
	for _, k := range keys {
		if s := barChart(r, k); s != "" {
			fmt.Fprintf(&b, "<figure>%s</figure>\n", s)
		}
		if s := scatterPlot(r, k); s != "" {
			fmt.Fprintf(&b, "<figure>%s</figure>\n", s)
		}
	}
	b.WriteString("<h2>Joint label distributions</h2>\n<p class=\"note\">P(source class, target class) read off the coupling of the last repetition, source classes as rows.</p>\n<div class=\"heat\">\n")
	for _, c := range r.Candidates {
		if c.Joint != nil && c.Error == "" {
			fmt.Fprintf(&b, "<figure>%s</figure>\n", heatmap(c))
		}
	}
	b.WriteString("</div>\n</body>\n</html>\n")
	return b.String()
}
