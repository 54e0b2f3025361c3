package main

import (
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/otceseg/otceseg/core/chart"
	"github.com/otceseg/otceseg/core/report"
)

// checkPlot checks --plot's file name before any work: the ranking plot is
// drawn as SVG only.
func checkPlot(path string) error {
	if path == "" || strings.EqualFold(filepath.Ext(path), ".svg") {
		return nil
	}
	return fmt.Errorf("--plot %s: the ranking plot is drawn as SVG only (name the file .svg; a browser or `rsvg-convert -o plot.png plot.svg` makes a PNG)", path)
}

// writePlot writes the ranking plot of r to path (nothing when path is "").
func writePlot(path string, r report.Ranking) error {
	if path == "" {
		return nil
	}
	if err := os.WriteFile(path, []byte(rankingSVG(r)), 0o644); err != nil {
		return fmt.Errorf("--plot: %v", errText(err))
	}
	return nil
}

// rankingSVG draws the page's bar chart as a standalone SVG file: one row
// per scored candidate, best first, a bar from 0 to the OTCE mean with a
// whisker of ± the standard deviation over the repetitions, the
// candidate's name on the left and its accuracy (when known) on the right;
// the correlations with the accuracies, when there are some, in the title.
// Failed candidates are listed under the chart. Colours are presentation
// attributes, so the file looks the same anywhere.
func rankingSVG(r report.Ranking) string {
	var cs, failed []report.Candidate
	for _, c := range r.Candidates {
		if c.Error == "" {
			cs = append(cs, c)
		} else {
			failed = append(failed, c)
		}
	}
	const left, right, top, rowH, width = 220.0, 90.0, 44.0, 28.0, 720.0
	h := top + rowH*float64(len(cs)) + 44 + 18*float64(len(failed))
	lo, hi := 0.0, 0.0
	for _, c := range cs {
		lo = math.Min(lo, c.OTCEMean-c.OTCEStd)
		hi = math.Max(hi, c.OTCEMean+c.OTCEStd)
	}
	lo -= 0.05 * (hi - lo + 1e-9)
	ticks := chart.Ticks(lo, hi, 5)
	lo = math.Min(lo, ticks[0])
	if !(hi > lo) {
		hi = lo + 1
	}
	x := func(v float64) float64 { return left + (v-lo)/(hi-lo)*(width-left-right) }
	esc := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12" role="img" aria-label="OTCE per candidate">`+"\n", width, h, width, h)
	fmt.Fprintf(&b, `<rect width="%.0f" height="%.0f" fill="white"/>`+"\n", width, h)
	fmt.Fprintf(&b, `<text x="%.1f" y="16" font-size="14">OTCE per candidate (mean ± std over the repetitions; higher transfers better)</text>`+"\n", 10.0)
	sub := fmt.Sprintf("N = %d, K = %d, ε = %g, cost-norm %s, solver %s", r.Settings.N, r.Settings.K, r.Settings.Eps, r.Settings.CostNorm, r.Settings.Solver)
	if cr := r.Correlation; cr != nil {
		sub += fmt.Sprintf("; with accuracy: Pearson r = %.3f, Spearman ρ = %.3f, Kendall τ = %.3f (%d)", cr.Pearson, cr.Spearman, cr.Kendall, cr.Count)
	}
	fmt.Fprintf(&b, `<text x="10" y="32" fill="#555">%s</text>`+"\n", esc(sub))
	axisY := top + rowH*float64(len(cs)) + 4
	for _, t := range ticks {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x(t), x(t), top-4, axisY)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#555">%s</text>`+"\n", x(t), axisY+16, chart.Label(t))
	}
	if len(cs) > 0 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="start" fill="#555">accuracy</text>`+"\n", width-right+8, top-8)
	}
	for i, c := range cs {
		y := top + rowH*float64(i)
		x0, x1 := x(0), x(c.OTCEMean)
		if x1 < x0 {
			x0, x1 = x1, x0
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%d. %s</text>`+"\n", left-8, y+rowH/2+4, c.Rank, esc(c.Name))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#4e79a7"><title>%s: %.4f ± %.4f</title></rect>`+"\n",
			x0, y+5, math.Max(x1-x0, 1), rowH-10, esc(c.Name), c.OTCEMean, c.OTCEStd)
		ea, eb, cy := x(c.OTCEMean-c.OTCEStd), x(c.OTCEMean+c.OTCEStd), y+rowH/2
		fmt.Fprintf(&b, `<path d="M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f" stroke="black" fill="none"/>`+"\n", ea, cy, eb, ea, cy-5, cy+5, eb, cy-5, cy+5)
		acc := "–"
		if c.Accuracy != nil {
			acc = chart.Label(*c.Accuracy)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", width-right+8, y+rowH/2+4, esc(acc))
	}
	if len(cs) > 0 {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="black"/>`+"\n", x(0), x(0), top-4, axisY)
	}
	for i, c := range failed {
		fmt.Fprintf(&b, `<text x="10" y="%.1f" fill="#b00">%s: error: %s</text>`+"\n", axisY+36+18*float64(i), esc(c.Name), esc(oneLine(c.Error)))
	}
	b.WriteString("</svg>\n")
	return b.String()
}
