//go:build js && wasm

package simd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/otceseg/otceseg/core/maps"
)

// TestClassWeights checks the c-transform's class sums against core/maps's
// Go kernel, bit for bit: exponents e_i = f_i (c = 0, inv = 1, top = 0,
// ie = 1) at every step of expWeight's reduction (each table entry), on
// both sides of −flush, −Inf and NaN, each point its own class so that q
// holds every weight alone; then random costs and potentials of odd and
// even lengths, with a few classes (sums in source order) or one a point.
func TestClassWeights(t *testing.T) {
	load(t)
	ref := maps.GoKernels().ClassWeights
	check := func(what string, ys []int32, c []float32, f []float64, classes int, inv, top, ie float64) {
		t.Helper()
		got, want := make([]float64, classes), make([]float64, classes)
		ClassWeights(got, ys, c, f, inv, top, ie)
		ref(want, ys, c, f, inv, top, ie)
		sameBits64(t, what, got, want)
	}
	es := []float64{0, math.Copysign(0, -1), -1e-300, -1e-17, -0.5, -math.Ln2 / 128, -79.999999,
		math.Nextafter(-80, 0), -80, math.Nextafter(-80, math.Inf(-1)), -1e300, math.Inf(-1), math.NaN(), -math.MaxFloat64}
	for j := range 7400 {
		es = append(es, -float64(j)*math.Ln2/128, math.Nextafter(-float64(j)*math.Ln2/128, 0))
	}
	for _, n := range []int{len(es), len(es) - 1} {
		ys := make([]int32, n)
		for i := range ys {
			ys[i] = int32(i)
		}
		check("exponents", ys, make([]float32, n), es[:n], n, 1, 0, 1)
	}
	rng := rand.New(rand.NewPCG(15, 256))
	for k, n := range []int{1, 2, 3, 4, 5, 7, 8, 511, 512, 513, 1027, 10000, 1, 5, 8, 513, 10000} {
		classes := 1 + rng.IntN(19)
		if k >= 11 {
			classes = n
		}
		c, f, ys := make([]float32, n), make([]float64, n), make([]int32, n)
		for i := range n {
			c[i] = float32(rng.Float64() * 600)
			f[i] = rng.NormFloat64() * 0.3
			ys[i] = int32(rng.IntN(classes))
			if k >= 11 {
				ys[i] = int32(i)
			}
		}
		check("random", ys, c, f, classes, 1/512.0, 0.9, 1/(0.001+rng.Float64()*0.1))
	}
}

// TestClassTies checks the exact map's tie counts against core/maps's Go
// kernel: q and the count, bit for bit, on odd and even lengths, with
// exact ties at lim (v = lim), zeros of both signs, NaN and infinite
// potentials, and every point its own class or a few classes.
func TestClassTies(t *testing.T) {
	load(t)
	ref := maps.GoKernels().ClassTies
	rng := rand.New(rand.NewPCG(16, 19))
	for k, n := range []int{1, 2, 3, 4, 5, 7, 64, 513, 10000, 1, 3, 999} {
		classes := 1 + rng.IntN(19)
		if k >= 9 {
			classes = n
		}
		c, f, ys := make([]float32, n), make([]float64, n), make([]int32, n)
		inv := 1 / (0.5 + rng.Float64())
		lim := rng.Float64()
		for i := range n {
			c[i] = float32(rng.Float64() * 3)
			switch rng.IntN(8) {
			case 0: // v = lim exactly: c = 0, f = −lim
				c[i], f[i] = 0, -lim
			case 1: // v = ±0
				c[i], f[i] = 0, math.Copysign(0, float64(rng.IntN(2)*2-1))
			case 2:
				f[i] = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[rng.IntN(3)]
			default:
				f[i] = rng.NormFloat64()
			}
			ys[i] = int32(rng.IntN(classes))
			if k >= 9 {
				ys[i] = int32(i)
			}
		}
		got, want := make([]float64, classes), make([]float64, classes)
		tg, tw := ClassTies(got, ys, c, f, inv, lim), ref(want, ys, c, f, inv, lim)
		if tg != tw {
			t.Fatalf("n = %d: %d ties, Go %d", n, tg, tw)
		}
		sameBits64(t, "ties", got, want)
	}
}
