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
