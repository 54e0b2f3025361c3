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
