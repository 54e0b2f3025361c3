package chart

import (
	"math"
	"slices"
	"testing"
)

func TestTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 1, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{-1.27, -0.37, 4, []float64{-1.25, -1, -0.75, -0.5}},
		{44.1, 74.2, 5, []float64{50, 60, 70}},      // step 6.02 rounds up to 10
		{3, 3, 4, []float64{3, 3.25, 3.5, 3.75, 4}}, // empty range: [3, 4]
		{0, 10, 0, []float64{0, 10}},                // n < 1: one step
	} {
		got := Ticks(c.lo, c.hi, c.n)
		if !slices.EqualFunc(got, c.want, func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }) {
			t.Errorf("Ticks(%v, %v, %d) = %v, want %v", c.lo, c.hi, c.n, got, c.want)
		}
	}
}

func TestLabel(t *testing.T) {
	for v, want := range map[float64]string{0: "0", math.Copysign(0, -1): "0", -0.0004: "-0.0004", 74.2: "74.2", -1.2737: "-1.27", 12345: "1.23e+04"} {
		if got := Label(v); got != want {
			t.Errorf("Label(%v) = %q, want %q", v, got, want)
		}
	}
}
