// Package chart holds the layout arithmetic shared by the charts the CLI
// writes (otce rank --plot) and the ones the page draws, so that both place
// their axes alike.
package chart

import (
	"fmt"
	"math"
)

// Ticks returns about n round values covering [lo, hi]: multiples of a step
// of 1, 2, 2.5 or 5 times a power of ten, the smallest such step at least
// (hi − lo)/n. An empty or reversed range is taken as [lo, lo + 1].
func Ticks(lo, hi float64, n int) []float64 {
	if !(hi > lo) {
		hi = lo + 1
	}
	if n < 1 {
		n = 1
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

// Label formats a tick or score value for a chart: three significant
// digits, and "0" rather than "-0".
func Label(v float64) string {
	s := fmt.Sprintf("%.3g", v)
	if s == "-0" {
		return "0"
	}
	return s
}

// Padded returns the range of v widened by frac of its span on each side
// (by 1 on each side when the values are all equal), for a scatter plot's
// axis: no point on the plot's edge.
func Padded(v []float64, frac float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	pad := frac * (hi - lo)
	if pad == 0 {
		pad = 1
	}
	return lo - pad, hi + pad
}

// ClipLine clips the segment (x0, y0)–(x1, y1) to the rectangle [l, r] ×
// [t, b] (Liang–Barsky: the segment is p + u·d, u ∈ [0, 1]; each edge
// bounds u from one side). ok is false when no part of it is inside.
func ClipLine(x0, y0, x1, y1, l, t, r, b float64) (cx0, cy0, cx1, cy1 float64, ok bool) {
	dx, dy := x1-x0, y1-y0
	u0, u1 := 0.0, 1.0
	for _, e := range [4][2]float64{{-dx, x0 - l}, {dx, r - x0}, {-dy, y0 - t}, {dy, b - y0}} {
		p, q := e[0], e[1]
		if p == 0 {
			if q < 0 {
				return 0, 0, 0, 0, false
			}
			continue
		}
		u := q / p
		if p < 0 {
			u0 = math.Max(u0, u)
		} else {
			u1 = math.Min(u1, u)
		}
	}
	if u0 > u1 {
		return 0, 0, 0, 0, false
	}
	return x0 + u0*dx, y0 + u0*dy, x0 + u1*dx, y0 + u1*dy, true
}

// BarAxis returns the value axis of a bar chart of means ± stds: from 0 or
// the lowest error bar's end, whichever is lower, less 5 % of the span, to
// 0 or the highest end, whichever is higher, and its ticks (Ticks, about
// 5).
func BarAxis(means, stds []float64) (lo, hi float64, ticks []float64) {
	for i, m := range means {
		lo = math.Min(lo, m-stds[i])
		hi = math.Max(hi, m+stds[i])
	}
	lo -= 0.05 * (hi - lo + 1e-9)
	ticks = Ticks(lo, hi, 5)
	return math.Min(lo, ticks[0]), hi, ticks
}

// Shades returns the colour of each cell of a table of masses (a joint
// label table): white for 0 to dark blue for the largest mass, on the
// square root of the mass over the largest, so that small masses stay
// visible; all white when no mass is positive.
func Shades(table [][]float64) [][]string {
	mx := 0.0
	for _, row := range table {
		for _, v := range row {
			mx = math.Max(mx, v)
		}
	}
	out := make([][]string, len(table))
	for i, row := range table {
		out[i] = make([]string, len(row))
		for j, v := range row {
			q := 0.0
			if mx > 0 {
				q = math.Sqrt(v / mx)
			}
			out[i][j] = ramp(q)
		}
	}
	return out
}

// ramp maps [0, 1] to a white → dark blue colour.
func ramp(q float64) string {
	q = math.Max(0, math.Min(1, q))
	r := 247 + (8-247)*q
	g := 251 + (48-251)*q
	bl := 255 + (107-255)*q
	return fmt.Sprintf("#%02x%02x%02x", int(r), int(g), int(bl))
}
