package emd

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestScanAVX2Pieces offers rows to scanAVX2 in pieces (from > 0, as
// refreshLocal does between the columns with a private price: pieces of
// length 0, pieces ending at the row's end, and empty rows) and asks for
// ScanGo's heap on the whole row, slot for slot; the rows and prices hold
// NaN and infinities (values NaN, −Inf and +Inf among them, the latter
// never below the root) and the rows are as short as 0 to 20 columns.
func TestScanAVX2Pieces(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1)}
	value := func() float64 {
		if rng.IntN(6) == 0 {
			return special[rng.IntN(len(special))]
		}
		return float64(rng.IntN(7)) + rng.Float64()*float64(rng.IntN(2))
	}
	for trial := range 20000 {
		k := 1 + rng.IntN(maxBidCache)
		n := rng.IntN(21)
		if trial%10 == 0 {
			n = rng.IntN(300)
		}
		row := make([]float32, n)
		prices := make([]float64, n)
		for j := range row {
			row[j], prices[j] = float32(value()), value()
		}
		var want, got topK
		want.reset(k)
		ScanGo(want.vals[:k+1], want.idx[:k+1], row, prices)
		steps := got.resetPadded(k)
		vals, idx := got.vals[:2<<steps-1], got.idx[:2<<steps-1]
		var cuts []int
		for from := 0; ; {
			end := min(n, from+rng.IntN(12))
			cuts = append(cuts, end)
			scanAVX2(vals, idx, steps, row[:end], prices[:end], from)
			if end == n && rng.IntN(2) == 0 {
				break
			}
			from = end
		}
		if !slices.Equal(want.idx[:k+1], got.idx[:k+1]) || !sameBits(want.vals[:k+1], got.vals[:k+1]) {
			t.Fatalf("trial %d, k = %d, row %v, prices %v, pieces ending at %v: AVX2 heap\n%v %v\nwant\n%v %v",
				trial, k, row, prices, cuts, got.vals[:k+1], got.idx[:k+1], want.vals[:k+1], want.idx[:k+1])
		}
		for s := k + 1; s < len(vals); s++ {
			if !math.IsInf(vals[s], -1) {
				t.Fatalf("trial %d: padding slot %d holds %v", trial, s, vals[s])
			}
		}
	}
}

// sameBits reports whether a and b hold the same float64 bits.
func sameBits(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

// TestMinMaxSlackAVX2AllNaN: minMax32AVX2 and maxSlackAVX2 on rows of NaN
// only (and NaN scalings, where the sum is NaN whatever the entry), of 0
// to 20 entries, give MinMax32Go's and MaxSlackGo's values.
func TestMinMaxSlackAVX2AllNaN(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b)) || (a == 0 && b == 0)
	}
	for n := range 21 {
		for _, nanV := range []bool{false, true} {
			x, v := make([]float32, n), make([]float64, n)
			for j := range x {
				x[j] = float32(math.NaN())
				v[j] = float64(j % 3)
				if nanV {
					x[j], v[j] = float32(j%5)-2, math.NaN()
				}
			}
			wlo, whi, wnan := MinMax32Go(x)
			glo, ghi, gnan := minMax32AVX2(x)
			if !same(float64(wlo), float64(glo)) || !same(float64(whi), float64(ghi)) || wnan != gnan {
				t.Fatalf("n = %d, NaN scalings %v: minMax32AVX2 %v %v %v, want %v %v %v", n, nanV, glo, ghi, gnan, wlo, whi, wnan)
			}
			if w, g := MaxSlackGo(x, v, 1), maxSlackAVX2(x, v, 1); !same(w, g) {
				t.Fatalf("n = %d, NaN scalings %v: maxSlackAVX2 %v, want %v", n, nanV, g, w)
			}
		}
	}
}
