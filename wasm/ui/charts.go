//go:build js && wasm

package main

import (
	"fmt"
	"gonum.org/v1/gonum/stat"
	"html"
	"math"
	"strings"

	"github.com/otceseg/otceseg/core/report"
)

// The charts are SVG text drawn here and set as the figures' content. Names
// from the user are escaped. No inline style: presentation attributes and the
// classes of style.css only (the page's policy forbids inline styles).

func esc(s string) string { return html.EscapeString(s) }

// niceTicks returns about n round tick values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if !(hi > lo) {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// barChart draws OTCE mean ± std per candidate, best first.
func barChart(r report.Ranking) string {
	var cs []report.Candidate
	for _, c := range r.Candidates {
		if c.Error == "" {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return ""
	}
	const left, right, top, rowH, width = 200.0, 30.0, 30.0, 28.0, 640.0
	h := top + rowH*float64(len(cs)) + 40
	lo, hi := 0.0, 0.0
	for _, c := range cs {
		lo = math.Min(lo, c.OTCEMean-c.OTCEStd)
		hi = math.Max(hi, c.OTCEMean+c.OTCEStd)
	}
	lo -= 0.05 * (hi - lo + 1e-9)
	ticks := niceTicks(lo, hi, 5)
	lo = math.Min(lo, ticks[0])
	x := func(v float64) float64 { return left + (v-lo)/(hi-lo)*(width-left-right) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="OTCE per candidate">`, width, h)
	fmt.Fprintf(&b, `<text x="%.1f" y="18" class="title">OTCE per candidate (mean ± std over the repetitions)</text>`, left)
	axisY := top + rowH*float64(len(cs)) + 4
	for _, t := range ticks {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="grid"/>`, x(t), x(t), top-4, axisY)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="tick" text-anchor="middle">%s</text>`, x(t), axisY+16, trimNum(t))
	}
	for i, c := range cs {
		y := top + rowH*float64(i)
		x0, x1 := x(0), x(c.OTCEMean)
		if x1 < x0 {
			x0, x1 = x1, x0
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="label" text-anchor="end">%s</text>`, left-8, y+rowH/2+4, esc(c.Name))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="bar"><title>%s: %.4f ± %.4f</title></rect>`,
			x0, y+5, math.Max(x1-x0, 1), rowH-10, esc(c.Name), c.OTCEMean, c.OTCEStd)
		ea, eb := x(c.OTCEMean-c.OTCEStd), x(c.OTCEMean+c.OTCEStd)
		cy := y + rowH/2
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="err"/>`, ea, eb, cy, cy)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="err"/>`, ea, ea, cy-5, cy+5)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="err"/>`, eb, eb, cy-5, cy+5)
	}
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="axis"/>`, x(0), x(0), top-4, axisY)
	b.WriteString(`</svg>`)
	return b.String()
}

func trimNum(v float64) string {
	s := fmt.Sprintf("%.3g", v)
	if s == "-0" {
		return "0"
	}
	return s
}

// scatterPlot draws OTCE against the known accuracy with the least-squares
// line and the correlations (the paper's Figures 3–5).
func scatterPlot(r report.Ranking) string {
	if r.Correlation == nil {
		return ""
	}
	var xs, ys []float64
	var names []string
	for _, c := range r.Candidates {
		if c.Error == "" && c.Accuracy != nil {
			xs = append(xs, c.OTCEMean)
			ys = append(ys, *c.Accuracy)
			names = append(names, c.Name)
		}
	}
	const w, h, left, right, top, bottom = 640.0, 400.0, 60.0, 20.0, 40.0, 50.0
	minmax := func(v []float64) (float64, float64) {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, x := range v {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		pad := 0.08 * (hi - lo)
		if pad == 0 {
			pad = 1
		}
		return lo - pad, hi + pad
	}
	xlo, xhi := minmax(xs)
	ylo, yhi := minmax(ys)
	px := func(v float64) float64 { return left + (v-xlo)/(xhi-xlo)*(w-left-right) }
	py := func(v float64) float64 { return h - bottom - (v-ylo)/(yhi-ylo)*(h-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="OTCE against accuracy">`, w, h)
	cr := r.Correlation
	fmt.Fprintf(&b, `<text x="%.1f" y="18" class="title">OTCE against accuracy: r = %.3f, ρ = %.3f, τ = %.3f (%d candidates)</text>`,
		left, cr.Pearson, cr.Spearman, cr.Kendall, cr.Count)
	for _, t := range niceTicks(xlo, xhi, 5) {
		if t < xlo || t > xhi {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="grid"/>`, px(t), px(t), top, h-bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="tick" text-anchor="middle">%s</text>`, px(t), h-bottom+16, trimNum(t))
	}
	for _, t := range niceTicks(ylo, yhi, 5) {
		if t < ylo || t > yhi {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="grid"/>`, left, w-right, py(t), py(t))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="tick" text-anchor="end">%s</text>`, left-6, py(t)+4, trimNum(t))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="axis-title" text-anchor="middle">OTCE</text>`, (left+w-right)/2, h-12)
	fmt.Fprintf(&b, `<text x="14" y="%.1f" class="axis-title" text-anchor="middle" transform="rotate(-90 14 %.1f)">accuracy</text>`, (top+h-bottom)/2, (top+h-bottom)/2)
	// Least-squares line accuracy = a + b·OTCE.
	mx, my := stat.Mean(xs, nil), stat.Mean(ys, nil)
	sxx, sxy := 0.0, 0.0
	for i := range xs {
		sxx += (xs[i] - mx) * (xs[i] - mx)
		sxy += (xs[i] - mx) * (ys[i] - my)
	}
	if sxx > 0 {
		slope := sxy / sxx
		a := my - slope*mx
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="fit"/>`, px(xlo), py(a+slope*xlo), px(xhi), py(a+slope*xhi))
	}
	b.WriteString(`<g class="clip">`)
	for i := range xs {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="5" class="point"><title>%s: OTCE %.4f, accuracy %g</title></circle>`,
			px(xs[i]), py(ys[i]), esc(names[i]), xs[i], ys[i])
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="plabel">%s</text>`, px(xs[i])+8, py(ys[i])-6, esc(names[i]))
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
	mx := 0.0
	for _, row := range j.Table {
		for _, v := range row {
			mx = math.Max(mx, v)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="joint label table of %s">`, math.Max(w, 260), h, esc(c.Name))
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
			q := 0.0
			if mx > 0 {
				q = math.Sqrt(v / mx) // sqrt: small masses stay visible
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>source %d, target %d: %.4g</title></rect>`,
				left+cell*float64(t), y, cell-1, cell-1, ramp(q), label(j.SourceLabels, s), label(j.TargetLabels, t), v)
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

// ramp maps [0, 1] to a white → dark blue colour.
func ramp(q float64) string {
	q = math.Max(0, math.Min(1, q))
	r := 247 + (8-247)*q
	g := 251 + (48-251)*q
	bl := 255 + (107-255)*q
	return fmt.Sprintf("#%02x%02x%02x", int(r), int(g), int(bl))
}
