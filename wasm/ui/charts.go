//go:build js && wasm

package main

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/otceseg/otceseg/core/chart"
	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/core/stats"
)

// The charts are SVG text drawn here and set as the figures' content. Names
// from the user are escaped. No inline style: presentation attributes and the
// classes of style.css only (the page's policy forbids inline styles).

func esc(s string) string { return html.EscapeString(s) }

// svgSize is a chart's viewBox with the same width and height in CSS
// pixels: with style.css's max-width: 100% and height: auto a chart shrinks
// to a narrow figure but is never drawn above its size, so that its text
// stays the page's size (one candidate's bar chart in a wide figure was
// drawn at 1.7×).
func svgSize(w, h float64) string {
	return fmt.Sprintf(`viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f"`, w, h, w, h)
}

// textWidth is an upper estimate of the width of s in the charts' 11 px
// label font (0.65 em a character: wider than the average of system-ui's
// letters).
func textWidth(s string) float64 { return 11 * 0.65 * float64(len([]rune(s))) }

// barChart draws the score key's (otce or a key of Candidate.Metrics)
// mean ± std per candidate that has it, in the ranking's order.
func barChart(r report.Ranking, key string) string {
	type bar struct {
		name      string
		mean, std float64
	}
	var cs []bar
	for _, c := range r.Candidates {
		if m, s, ok := scoreStat(c, key); ok {
			cs = append(cs, bar{c.Name, m, s})
		}
	}
	if len(cs) == 0 {
		return ""
	}
	what := scoreName(key)
	const left, right, top, rowH, width = 200.0, 30.0, 30.0, 28.0, 640.0
	h := top + rowH*float64(len(cs)) + 40
	means, stds := make([]float64, len(cs)), make([]float64, len(cs))
	for i, c := range cs {
		means[i], stds[i] = c.mean, c.std
	}
	lo, hi, ticks := chart.BarAxis(means, stds)
	x := func(v float64) float64 { return left + (v-lo)/(hi-lo)*(width-left-right) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" %s role="img" aria-label="%s per candidate" data-key="%s">`, svgSize(width, h), esc(what), esc(key))
	fmt.Fprintf(&b, `<text x="%.1f" y="18" class="title">%s per candidate (mean ± std over the repetitions)</text>`, left, esc(what))
	axisY := top + rowH*float64(len(cs)) + 4
	for _, t := range ticks {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="grid"/>`, x(t), x(t), top-4, axisY)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="tick" text-anchor="middle">%s</text>`, x(t), axisY+16, chart.Label(t))
	}
	for i, c := range cs {
		y := top + rowH*float64(i)
		x0, x1 := x(0), x(c.mean)
		if x1 < x0 {
			x0, x1 = x1, x0
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="label" text-anchor="end">%s</text>`, left-8, y+rowH/2+4, esc(c.name))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="bar"><title>%s: %.4f ± %.4f</title></rect>`,
			x0, y+5, math.Max(x1-x0, 1), rowH-10, esc(c.name), c.mean, c.std)
		ea, eb := x(c.mean-c.std), x(c.mean+c.std)
		cy := y + rowH/2
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="err"/>`, ea, eb, cy, cy)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="err"/>`, ea, ea, cy-5, cy+5)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="err"/>`, eb, eb, cy-5, cy+5)
	}
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="axis"/>`, x(0), x(0), top-4, axisY)
	b.WriteString(`</svg>`)
	return b.String()
}

// scatterPlot draws the score key (otce or a key of Candidate.Metrics)
// against the known accuracy with the least-squares line and the
// correlations (the paper's Figures 3–5); "" when the ranking has no
// correlation for key.
func scatterPlot(r report.Ranking, key string) string {
	cr := correlationOf(r, key)
	if cr == nil {
		return ""
	}
	what := scoreName(key)
	var xs, ys []float64
	var names []string
	for _, c := range r.Candidates {
		if m, _, ok := scoreStat(c, key); ok && c.Accuracy != nil {
			xs = append(xs, m)
			ys = append(ys, *c.Accuracy)
			names = append(names, c.Name)
		}
	}
	const w, h, left, right, top, bottom = 640.0, 400.0, 60.0, 20.0, 40.0, 50.0
	xlo, xhi := chart.Padded(xs, 0.08)
	ylo, yhi := chart.Padded(ys, 0.08)
	px := func(v float64) float64 { return left + (v-xlo)/(xhi-xlo)*(w-left-right) }
	py := func(v float64) float64 { return h - bottom - (v-ylo)/(yhi-ylo)*(h-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" %s role="img" aria-label="%s against accuracy" data-key="%s">`, svgSize(w, h), esc(what), esc(key))
	fmt.Fprintf(&b, `<text x="%.1f" y="18" class="title">%s against accuracy: r = %.3f, ρ = %.3f, τ = %.3f (%d candidates)</text>`,
		left, esc(what), cr.Pearson, cr.Spearman, cr.Kendall, cr.Count)
	for _, t := range chart.Ticks(xlo, xhi, 5) {
		if t < xlo || t > xhi {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="grid"/>`, px(t), px(t), top, h-bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="tick" text-anchor="middle">%s</text>`, px(t), h-bottom+16, chart.Label(t))
	}
	for _, t := range chart.Ticks(ylo, yhi, 5) {
		if t < ylo || t > yhi {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="grid"/>`, left, w-right, py(t), py(t))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="tick" text-anchor="end">%s</text>`, left-6, py(t)+4, chart.Label(t))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="axis-title" text-anchor="middle">%s</text>`, (left+w-right)/2, h-12, esc(what))
	fmt.Fprintf(&b, `<text x="14" y="%.1f" class="axis-title" text-anchor="middle" transform="rotate(-90 14 %.1f)">accuracy</text>`, (top+h-bottom)/2, (top+h-bottom)/2)
	// Least-squares line accuracy = a + b·score.
	if a, slope, ok := stats.Line(xs, ys); ok {
		// Drawn within the plot area only: a steep line leaves it above or
		// below the points' range.
		if x0, y0, x1, y1, ok := chart.ClipLine(px(xlo), py(a+slope*xlo), px(xhi), py(a+slope*xhi), left, top, w-right, h-bottom); ok {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="fit"/>`, x0, y0, x1, y1)
		}
	}
	b.WriteString(`<g>`)
	for i := range xs {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="5" class="point"><title>%s: %s %.4f, accuracy %g</title></circle>`,
			px(xs[i]), py(ys[i]), esc(names[i]), esc(what), xs[i], ys[i])
		// The label right of its point, or left of it when it would pass the
		// plot area's right edge; kept between its top and bottom.
		lx, anchor := px(xs[i])+8, "start"
		if lx+textWidth(names[i]) > w-right {
			lx, anchor = px(xs[i])-8, "end"
			if lx-textWidth(names[i]) < left {
				lx, anchor = left+2, "start"
			}
		}
		ly := math.Min(math.Max(py(ys[i])-6, top+12), h-bottom-4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="plabel" text-anchor="%s">%s</text>`, lx, ly, anchor, esc(names[i]))
	}
	b.WriteString(`</g></svg>`)
	return b.String()
}

// heatmap draws a candidate's joint label table, source classes as rows.
func heatmap(c report.Candidate) string {
	j := c.Joint
	la, lb := len(j.Table), len(j.TargetLabels)
	if la == 0 || lb == 0 {
		return ""
	}
	cell := 22.0
	if n := math.Max(float64(la), float64(lb)); n > 20 {
		cell = math.Max(6, 440/n)
	}
	const left, top = 70.0, 60.0
	w := left + cell*float64(lb) + 20
	h := top + cell*float64(la) + 30
	shades := chart.Shades(j.Table)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" %s role="img" aria-label="joint label table of %s">`, svgSize(math.Max(w, 260), h), esc(c.Name))
	fmt.Fprintf(&b, `<text x="4" y="16" class="title">%s</text>`, esc(c.Name))
	fmt.Fprintf(&b, `<text x="%.1f" y="34" class="axis-title">target class →</text>`, left)
	fmt.Fprintf(&b, `<text x="4" y="%.1f" class="axis-title">source ↓</text>`, top-6)
	labels := cell >= 14
	for t := 0; t < lb; t++ {
		if labels {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="tick" text-anchor="middle">%d</text>`, left+cell*(float64(t)+0.5), top-6, j.TargetLabels[t])
		}
	}
	for s, row := range j.Table {
		y := top + cell*float64(s)
		if labels && s < len(j.SourceLabels) {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="tick" text-anchor="end">%d</text>`, left-6, y+cell/2+4, j.SourceLabels[s])
		}
		for t, v := range row {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>source %d, target %d: %.4g</title></rect>`,
				left+cell*float64(t), y, cell-1, cell-1, shades[s][t], label(j.SourceLabels, s), label(j.TargetLabels, t), v)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func label(ls []int, i int) int {
	if i < len(ls) {
		return ls[i]
	}
	return i
}
