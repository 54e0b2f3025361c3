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
func segDotSparseRef(segsum []float64, sv []float32, sc []int32, v []float64, seg []int) float64 {
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

// TestSegDotSparseSameBits compares segDotSparseGo with the direct sums on
// sparse rows over class segments (empty classes, classes skipped, rows
// with no entry, entries of −0 and of mixed signs and magnitudes), bit for
// bit: the total and every class sum.
func TestSegDotSparseSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 6))
	for trial := range 2000 {
		classes := 1 + rng.IntN(9)
		seg := make([]int, classes+1)
		for c := 1; c <= classes; c++ {
			seg[c] = seg[c-1] + rng.IntN(30) // some classes are empty
		}
		m := seg[classes]
		v := make([]float64, m)
		for j := range v {
			v[j] = math.Exp(20 * (rng.Float64() - 0.5))
			if rng.IntN(5) == 0 {
				v[j] = -v[j]
			}
		}
		var sc []int32
		var sv []float32
		density := rng.Float64()
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
		got, want := make([]float64, classes), make([]float64, classes)
		for c := range got {
			got[c], want[c] = math.NaN(), math.NaN() // both must write every class
		}
		gt, wt := segDotSparseGo(got, sv, sc, v, seg), segDotSparseRef(want, sv, sc, v, seg)
		if math.Float64bits(gt) != math.Float64bits(wt) {
			t.Fatalf("trial %d: total %v, want %v", trial, gt, wt)
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
	}{{"ref", segDotSparseRef}, {"go", segDotSparseGo}} {
		b.Run(k.name, func(b *testing.B) {
			for b.Loop() {
				k.f(segsum, sv, sc, v, seg)
			}
		})
	}
}
