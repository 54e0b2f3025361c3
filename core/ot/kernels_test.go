package ot

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestExpLogKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200000; i++ {
		a := -90 + 178*rng.Float64()
		if got, want := expKernel(a), math.Exp(a); math.Abs(got-want) > 1e-9*want {
			t.Fatalf("expKernel(%v) = %v, want %v", a, got, want)
		}
		x := float32(math.Exp(a))
		if x == 0 || x < math.SmallestNonzeroFloat32*(1<<23) {
			continue
		}
		if got, want := logKernel(x), math.Log(float64(x)); math.Abs(got-want) > 1e-13 {
			t.Fatalf("logKernel(%v) = %v, want %v", x, got, want)
		}
	}
	if expKernel(-800) != 0 {
		t.Error("expKernel(-800) != 0")
	}
}

// segDotSparseRef is segDotSparseGo as it was, summing into segsum[c]
// directly: the reference for the register accumulator.
func segDotSparseRef[C colIndex](segsum []float64, sv []float32, sc []C, v []float64, seg []int) float64 {
	for c := range segsum {
		segsum[c] = 0
	}
	c := 0
	total := 0.0
	for k, j := range sc {
		for int(j) >= seg[c+1] {
			c++
		}
		x := float64(sv[k]) * v[j]
		segsum[c] += x
		total += x
	}
	return total
}

// specials are values that kernels must carry bit for bit: signed zeros,
// infinities, float64 subnormals and huge values, and the float32
// extremes (a subnormal, a value near the largest).
var specials = []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 5e-324, -1e-310, 1e300, -1e300, 1.5e-45, 3e38}

// randomValue returns one in ten times a value of special (rounded to
// float32 when f32), else a normal deviate times 2⁻²⁰ to 2¹⁹.
func randomValue(rng *rand.Rand, special []float64, f32 bool) float64 {
	if rng.IntN(10) == 0 {
		x := special[rng.IntN(len(special))]
		if f32 {
			return float64(float32(x))
		}
		return x
	}
	return rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20))
}

// sameFloat reports whether a and b have the same bits, or are both NaN.
func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// diffAt returns the first index at which got and want differ in their
// bits (NaNs alike: sameFloat), or −1 when they do not.
func diffAt(got, want []float64) int {
	for j := range got {
		if !sameFloat(got[j], want[j]) {
			return j
		}
	}
	return -1
}

// randomSegments returns 1 to 9 class segments seg of 0 to 29 columns
// each (some classes empty) and column scalings v over their columns, of
// mixed signs and magnitudes from e⁻¹⁰ to e¹⁰.
func randomSegments(rng *rand.Rand) (seg []int, v []float64) {
	classes := 1 + rng.IntN(9)
	seg = make([]int, classes+1)
	for c := 1; c <= classes; c++ {
		seg[c] = seg[c-1] + rng.IntN(30)
	}
	v = make([]float64, seg[classes])
	for j := range v {
		v[j] = math.Exp(20 * (rng.Float64() - 0.5))
		if rng.IntN(5) == 0 {
			v[j] = -v[j]
		}
	}
	return seg, v
}

// appendSparseRow appends a sparse row over m columns to sv and sc: each
// column an entry with probability density, in ascending order, the
// entries of mixed magnitudes from e⁻²⁰ to e²⁰ (float32: some round to 0
// or +Inf) and one in ten −0.
func appendSparseRow(rng *rand.Rand, sv []float32, sc []int32, m int, density float64) ([]float32, []int32) {
	for j := range m {
		if rng.Float64() < density {
			sc = append(sc, int32(j))
			x := float32(math.Exp(40 * (rng.Float64() - 0.5)))
			if rng.IntN(10) == 0 {
				x = float32(math.Copysign(0, -1))
			}
			sv = append(sv, x)
		}
	}
	return sv, sc
}

// TestSegDotSparseSameBits compares segDotSparseGo with the direct sums on
// sparse rows over class segments (empty classes, classes skipped, rows
// with no entry, entries of −0 and of mixed signs and magnitudes), bit for
// bit: the total and every class sum; and segDotSparseGo with the same
// columns in 16 bits.
func TestSegDotSparseSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 6))
	for trial := range 2000 {
		seg, v := randomSegments(rng)
		classes := len(seg) - 1
		sv, sc := appendSparseRow(rng, nil, nil, seg[classes], rng.Float64())
		got, want, got16 := make([]float64, classes), make([]float64, classes), make([]float64, classes)
		for c := range got {
			got[c], want[c], got16[c] = math.NaN(), math.NaN(), math.NaN() // each must write every class
		}
		gt, wt := segDotSparseGo(got, sv, sc, v, seg), segDotSparseRef(want, sv, sc, v, seg)
		if math.Float64bits(gt) != math.Float64bits(wt) {
			t.Fatalf("trial %d: total %v, want %v", trial, gt, wt)
		}
		if gt16 := segDotSparseGo(got16, sv, narrow(sc), v, seg); !sameFloat(gt16, wt) || diffAt(got16, want) >= 0 {
			t.Fatalf("trial %d: 16-bit columns: total %v, class sums %v; want %v, %v", trial, gt16, got16, wt, want)
		}
		for c := range got {
			if math.Float64bits(got[c]) != math.Float64bits(want[c]) {
				t.Fatalf("trial %d: class %d sums to %v, want %v", trial, c, got[c], want[c])
			}
		}
	}
}

// BenchmarkSegDotSparse times one sparse row of 3000 entries over 7
// classes (a row of the logits' kernel at ε/median 1e-3, N = 10⁴) with the
// direct sums (ref) and the register accumulator (go): compare the two in
// one run.
func BenchmarkSegDotSparse(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const m, classes = 10000, 7
	seg := []int{0, 1800, 4800, 6400, 7200, 9400, 9800, m}
	v := make([]float64, m)
	for j := range v {
		v[j] = rng.Float64()
	}
	var sc []int32
	var sv []float32
	for j := range m {
		if rng.IntN(10) < 3 {
			sc, sv = append(sc, int32(j)), append(sv, rng.Float32())
		}
	}
	segsum := make([]float64, classes)
	for _, k := range []struct {
		name string
		f    func([]float64, []float32, []int32, []float64, []int) float64
	}{{"ref", segDotSparseRef[int32]}, {"go", segDotSparseGo[int32]}} {
		b.Run(k.name, func(b *testing.B) {
			for b.Loop() {
				k.f(segsum, sv, sc, v, seg)
			}
		})
	}
}
