package maps

import (
	"math"
	"math/rand/v2"
	"testing"
)

// weightCase is one input of ClassWeights: the exponents e_i = f_i when
// c = 0, inv = 1, top = 0, ie = 1 (every step of expWeight's reduction,
// both sides of −flush, −Inf, NaN), each point its own class so that q
// holds every weight alone; then random costs and potentials, with a few
// classes (sums in source order) or one class a point.
type weightCase struct {
	c            []float32
	f            []float64
	ys           []int32
	inv, top, ie float64
	classes      int
}

func weightCases() []weightCase {
	var cs []weightCase
	es := []float64{0, math.Copysign(0, -1), -1e-300, -1e-17, -0.5, -math.Ln2 / 128, -79.999999,
		math.Nextafter(-flush, 0), -flush, math.Nextafter(-flush, math.Inf(-1)), -1e300, math.Inf(-1), math.NaN(), -math.MaxFloat64}
	for j := range 7400 {
		es = append(es, -float64(j)*math.Ln2/128, math.Nextafter(-float64(j)*math.Ln2/128, 0))
	}
	ys := make([]int32, len(es))
	for i := range ys {
		ys[i] = int32(i)
	}
	cs = append(cs, weightCase{c: make([]float32, len(es)), f: es, ys: ys, inv: 1, ie: 1, classes: len(es)})
	rng := rand.New(rand.NewPCG(15, 256))
	for k, n := range []int{0, 1, 3, 4, 5, 7, 8, 511, 512, 513, 1027, 10000, 1, 5, 8, 513, 10000} {
		w := weightCase{c: make([]float32, n), f: make([]float64, n), ys: make([]int32, n), classes: 1 + rng.IntN(19)}
		if k >= 12 {
			w.classes = n
		}
		for i := range n {
			w.c[i] = float32(rng.Float64() * 600)
			w.f[i] = rng.NormFloat64() * 0.3
			w.ys[i] = int32(rng.IntN(w.classes))
			if k >= 12 {
				w.ys[i] = int32(i)
			}
		}
		w.inv, w.ie = 1/512.0, 1/(0.001+rng.Float64()*0.1)
		w.top = 0.9 // e_i on both sides of −flush as ie varies
		cs = append(cs, w)
	}
	return cs
}

// TestClassWeights: the AVX2 kernel (where the CPU has it) gives the Go
// kernel's sums bit for bit, and the Go kernel is the c-transform's loop
// (each weight expWeight(e_i) if e_i > −flush, added in source order).
func TestClassWeights(t *testing.T) {
	kernels := map[string]func(q []float64, ys []int32, c []float32, f []float64, inv, top, ie float64){"go": classWeightsGo}
	if haveAVX2 {
		kernels["avx2"] = classWeightsAVX2
	} else {
		t.Log("no AVX2 here: the Go kernel alone")
	}
	for k, wc := range weightCases() {
		want := make([]float64, wc.classes)
		for i, ci := range wc.c {
			e := (wc.f[i] - float64(ci)*wc.inv - wc.top) * wc.ie
			if e > -flush {
				want[wc.ys[i]] += expWeight(e)
			}
		}
		for name, kern := range kernels {
			got := make([]float64, wc.classes)
			kern(got, wc.ys, wc.c, wc.f, wc.inv, wc.top, wc.ie)
			for a := range got {
				if math.Float64bits(got[a]) != math.Float64bits(want[a]) {
					t.Fatalf("case %d (n = %d), %s: q[%d] = %v, the loop's %v", k, len(wc.c), name, a, got[a], want[a])
				}
			}
		}
	}
}
