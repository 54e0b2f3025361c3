package chart

import (
	"math"
	"reflect"
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

func TestPadded(t *testing.T) {
	for _, c := range []struct {
		v      []float64
		lo, hi float64
	}{
		{[]float64{0.4, 0.8, 0.6}, 0.4 - 0.08*0.4, 0.8 + 0.08*0.4},
		{[]float64{-1.27, -0.37}, -1.27 - 0.08*0.9, -0.37 + 0.08*0.9},
		{[]float64{3, 3}, 2, 4}, // all equal: ±1
	} {
		lo, hi := Padded(c.v, 0.08)
		if math.Abs(lo-c.lo) > 1e-12 || math.Abs(hi-c.hi) > 1e-12 {
			t.Errorf("Padded(%v) = [%v, %v], want [%v, %v]", c.v, lo, hi, c.lo, c.hi)
		}
	}
}

// TestClipLine checks the clipping to the rectangle [0, 10] × [0, 10]
// against segments whose clipped ends are known by hand.
func TestClipLine(t *testing.T) {
	for _, c := range []struct {
		seg, want [4]float64
		ok        bool
	}{
		{[4]float64{1, 1, 9, 9}, [4]float64{1, 1, 9, 9}, true},        // inside: unchanged
		{[4]float64{-5, 5, 15, 5}, [4]float64{0, 5, 10, 5}, true},     // across, horizontal
		{[4]float64{0, -10, 10, 30}, [4]float64{2.5, 0, 5, 10}, true}, // steep: leaves through the top and bottom
		{[4]float64{-5, 11, 15, 11}, [4]float64{}, false},             // above
		{[4]float64{-5, 1, 5, 21}, [4]float64{}, false},               // passes above the corner (0, 10)
	} {
		x0, y0, x1, y1, ok := ClipLine(c.seg[0], c.seg[1], c.seg[2], c.seg[3], 0, 0, 10, 10)
		got := [4]float64{x0, y0, x1, y1}
		if ok != c.ok || ok && !slices.EqualFunc(got[:], c.want[:], func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }) {
			t.Errorf("ClipLine(%v) = %v, %v; want %v, %v", c.seg, got, ok, c.want, c.ok)
		}
	}
}

func TestBarAxis(t *testing.T) {
	// Bars of −1.2 ± 0.1 and −0.4 ± 0.05: from −1.3 less 5 % of 1.3 to 0,
	// ticks every 0.5 (a step of 0.25 would make more than 5).
	lo, hi, ticks := BarAxis([]float64{-1.2, -0.4}, []float64{0.1, 0.05})
	if want := -1.3 - 0.05*(1.3+1e-9); math.Abs(lo-want) > 1e-12 || hi != 0 {
		t.Errorf("BarAxis: [%v, %v], want [%v, 0]", lo, hi, want)
	}
	if !slices.EqualFunc(ticks, []float64{-1, -0.5, 0}, func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }) {
		t.Errorf("BarAxis ticks %v", ticks)
	}
	if lo, hi, _ := BarAxis([]float64{0.5}, []float64{0}); lo >= 0 || hi != 0.5 {
		t.Errorf("a positive bar: [%v, %v]", lo, hi)
	}
}

func TestShades(t *testing.T) {
	got := Shades([][]float64{{0, 0.25}, {1, 0.0625}})
	// √(0.25) = 0.5 of the way from #f7fbff to #08306b; √(0.0625) = 0.25.
	want := [][]string{{"#f7fbff", "#7f95b5"}, {"#08306b", "#bbc8da"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Shades = %v, want %v", got, want)
	}
	if got := Shades([][]float64{{0, 0}}); got[0][0] != "#f7fbff" || got[0][1] != "#f7fbff" {
		t.Errorf("no mass: %v", got)
	}
}
