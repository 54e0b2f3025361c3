// Package stats measures how well transferability scores order the known
// transfer accuracies: Pearson's r, Spearman's ρ and Kendall's τ-b.
package stats

import (
	"math"
	"sort"
)

// Pearson returns the Pearson correlation of x and y (NaN when either is
// constant or there are fewer than two points):
//
//	r = s_xy / √(s_xx·s_yy),  s_xy = Σ (x_i − x̄)(y_i − ȳ) − (Σ (x_i − x̄))(Σ (y_i − ȳ))/n
//
// (the compensated two-pass sums of gonum's stat.Correlation), written here
// in plain Go in a fixed order, each product rounded before it is added
// (no fused multiply-add): gonum's means reach an assembly sum on amd64
// that the WebAssembly build does not have, and the page's correlations
// differed from the CLI's in the last bits.
func Pearson(x, y []float64) float64 {
	if len(x) < 2 || len(x) != len(y) {
		return math.NaN()
	}
	n := float64(len(x))
	mx, my := 0.0, 0.0
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxx, syy, sxy, cx, cy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += float64(dx * dx)
		syy += float64(dy * dy)
		sxy += float64(dx * dy)
		cx += dx
		cy += dy
	}
	sxx -= float64(cx*cx) / n
	syy -= float64(cy*cy) / n
	sxy -= float64(cx*cy) / n
	return sxy / math.Sqrt(float64(sxx*syy))
}

// Ranks returns the fractional ranks (1-based, ties averaged) of x.
func Ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}

// Spearman returns Spearman's rank correlation ρ (Pearson's r of the ranks).
func Spearman(x, y []float64) float64 {
	return Pearson(Ranks(x), Ranks(y))
}

// Kendall returns Kendall's τ-b, which accounts for ties (as SciPy's
// kendalltau).
func Kendall(x, y []float64) float64 {
	n := len(x)
	if n < 2 || n != len(y) {
		return math.NaN()
	}
	var conc, disc, tx, ty float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			dx, dy := sign(x[i]-x[j]), sign(y[i]-y[j])
			switch {
			case dx == 0 && dy == 0:
			case dx == 0:
				tx++
			case dy == 0:
				ty++
			case dx == dy:
				conc++
			default:
				disc++
			}
		}
	}
	den := math.Sqrt((conc + disc + tx) * (conc + disc + ty))
	if den == 0 {
		return math.NaN()
	}
	return (conc - disc) / den
}

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
