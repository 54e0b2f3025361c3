package detmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDetMath(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		x := (rng.Float64() - 0.5) * 200
		if e, w := Exp(x), math.Exp(x); math.Abs(e-w) > 4.5e-16*w {
			t.Fatalf("Exp(%v) = %v, math.Exp %v", x, e, w)
		}
		y := math.Exp(x)
		if l, w := Log(y), math.Log(y); math.Abs(l-w) > 4e-16*math.Max(1, math.Abs(w)) {
			t.Fatalf("Log(%v) = %v, math.Log %v", y, l, w)
		}
	}
}
