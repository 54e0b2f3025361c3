package ot

import (
	"math"
	"math/rand/v2"
	"testing"
)

// scoreSeq returns the scores L + f(x) and marginal errors 10⁻⁴/x of the
// iterations x = 1…n of a final stage.
func scoreSeq(n int, f func(x float64) float64) (ce, errs []float64) {
	for x := 1; x <= n; x++ {
		ce = append(ce, 1.2+f(float64(x)))
		errs = append(errs, 1e-4/float64(x))
	}
	return ce, errs
}

// TestScoreRestPowerLaw: scoreRest is exact for a power law of exponent at
// most 1 (the cap), whatever the window.
func TestScoreRestPowerLaw(t *testing.T) {
	for _, p := range []float64{0.3, 0.6, 1} {
		ce, errs := scoreSeq(2000, func(x float64) float64 { return -0.01 * math.Pow(x, -p) })
		checks := 0
		for k := 1; k <= len(ce); k++ {
			rest, ok := scoreRest(ce[:k], errs[:k])
			if !ok {
				continue
			}
			checks++
			want := 0.01 * math.Pow(float64(k), -p)
			if math.Abs(rest-want) > 1e-6*want {
				t.Fatalf("p = %g, k = %d: rest %.9g, want %.9g", p, k, rest, want)
			}
		}
		if checks < 150 {
			t.Fatalf("p = %g: %d estimates in 2000 iterations", p, checks)
		}
	}
}

// TestScoreRestBound: the rest is at least the true distance whenever
// x·|CE(x) − CE(∞)| did not grow over the last window (the score approached
// its limit at least at the harmonic rate there), for mixtures of power laws
// of exponent 1 to 4 and geometric terms, all of one sign. On the same
// sequences the geometric (Aitken) rest the rule used before, |Δ2|·ρ/(1−ρ),
// falls short.
func TestScoreRestBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 5))
	checks, aitkenShort := 0, 0
	for trial := 0; trial < 200; trial++ {
		sign := 1.0
		if trial%2 == 1 {
			sign = -1
		}
		var amp, pow []float64
		for range 1 + rng.IntN(3) {
			amp = append(amp, math.Pow(10, -1-3*rng.Float64()))
			pow = append(pow, 1+3*rng.Float64())
		}
		ga, gr := math.Pow(10, -1-3*rng.Float64()), 0.9+0.09*rng.Float64()
		f := func(x float64) float64 {
			s := ga * math.Pow(gr, x)
			for i := range amp {
				s += amp[i] * math.Pow(x, -pow[i])
			}
			return sign * s
		}
		ce, errs := scoreSeq(1500, f)
		for k := 1; k <= len(ce); k++ {
			rest, ok := scoreRest(ce[:k], errs[:k])
			if !ok {
				continue
			}
			w := max(ScoreWindow, k/8)
			xb, xc := float64(k-w), float64(k)
			if xc*math.Abs(f(xc)) > xb*math.Abs(f(xb)) {
				continue // slower than harmonic over the window: no claim
			}
			want := math.Abs(f(xc))
			if want < 1e-12 {
				continue // below the rounding of the scores
			}
			checks++
			if rest < want*(1-1e-9) {
				t.Fatalf("trial %d, k = %d: rest %.6g below the true distance %.6g", trial, k, rest, want)
			}
			a, b, c := k-1-2*w, k-1-w, k-1
			rho := (ce[c] - ce[b]) / (ce[b] - ce[a])
			if math.Abs(ce[c]-ce[b])*(1+rho/(1-rho)) < want {
				aitkenShort++
			}
		}
	}
	if checks < 10000 {
		t.Fatalf("only %d checks", checks)
	}
	if aitkenShort == 0 {
		t.Fatal("the geometric rest was never short: the sequences do not slow down")
	}
	t.Logf("%d checks, rest ≥ the true distance on all; the geometric rest (with |Δ2| added) was short on %d", checks, aitkenShort)
}

// TestScoreRestRefuses: no estimate while the score still turns (Δ1, Δ2 of
// opposite signs), while the marginal error grows or is above
// ScoreMaxError, or when Δ2/Δ1 is at least ρ0 = ln(x_c/x_b)/ln(x_b/x_a),
// slower than any power law; just below ρ0 the rest is large.
func TestScoreRestRefuses(t *testing.T) {
	rho0 := math.Log(30.0/20) / math.Log(20.0/10)
	for _, rho := range []float64{rho0 * (1 + 1e-9), 0.9, 1, 3} {
		if rest, ok := powerRest(1, rho, 10, 20, 30); ok {
			t.Errorf("ρ = %g ≥ ρ0 = %g: rest %g", rho, rho0, rest)
		}
	}
	if rest, ok := powerRest(1, 0.999*rho0, 10, 20, 30); !ok || rest < 100 {
		t.Errorf("ρ = 0.999 ρ0: rest %g (%v), want a large one", rest, ok)
	}
	if rest, ok := powerRest(1, 10/30.0, 10, 20, 30); !ok || math.Abs(rest-2) > 1e-12 {
		t.Errorf("ρ = x_a/x_c (p = 1): rest %g (%v), want x_b/w = 2", rest, ok)
	}
	ce, errs := scoreSeq(400, func(x float64) float64 { return 1e-3 * math.Cos(x/15) / x })
	for k := 1; k <= len(ce); k++ {
		w := max(ScoreWindow, k/8)
		a, b, c := k-1-2*w, k-1-w, k-1
		if _, ok := scoreRest(ce[:k], errs[:k]); ok && a >= 0 && (ce[b]-ce[a])*(ce[c]-ce[b]) < 0 {
			t.Fatalf("k = %d: an estimate while the score turns", k)
		}
	}
	ce, errs = scoreSeq(400, func(x float64) float64 { return 1 / x })
	for i := range errs {
		errs[i] = 2 * ScoreMaxError
	}
	for k := 1; k <= len(ce); k++ {
		if _, ok := scoreRest(ce[:k], errs[:k]); ok {
			t.Fatalf("k = %d: an estimate at marginal error %g", k, errs[k-1])
		}
	}
}
