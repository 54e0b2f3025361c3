package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSymEigen checks A·w_i = λ_i·w_i, orthonormal w and ascending λ on
// random symmetric matrices, rank-deficient Gram matrices and repeated
// eigenvalues.
func TestSymEigen(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 14))
	cases := map[string][]float64{}
	sizes := map[string]int{}
	for _, n := range []int{1, 2, 5, 40} {
		a := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j <= i; j++ {
				v := rng.NormFloat64()
				a[i*n+j], a[j*n+i] = v, v
			}
		}
		name := "random" + string(rune('0'+n%10))
		cases[name], sizes[name] = a, n
	}
	// Gram of 10 points in 30 dimensions: rank 10.
	n, m := 30, 10
	x := make([]float64, m*n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	g := make([]float64, n*n)
	for r := 0; r < m; r++ {
		for a := 0; a < n; a++ {
			for b := 0; b < n; b++ {
				g[a*n+b] += x[r*n+a] * x[r*n+b]
			}
		}
	}
	cases["gram-rank10"], sizes["gram-rank10"] = g, n
	id := make([]float64, 16)
	for i := 0; i < 4; i++ {
		id[i*4+i] = 2
	}
	cases["identity"], sizes["identity"] = id, 4
	cases["zero"], sizes["zero"] = make([]float64, 9), 3
	for name, a := range cases {
		n := sizes[name]
		lam, w, err := symEigen(a, n)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		norm := 0.0
		for _, v := range a {
			norm = math.Max(norm, math.Abs(v))
		}
		norm = math.Max(norm*float64(n), 1)
		for i := 0; i < n; i++ {
			if i > 0 && lam[i] < lam[i-1] {
				t.Errorf("%s: eigenvalues not ascending: %v", name, lam)
			}
			wi := w[i*n : (i+1)*n]
			for r := 0; r < n; r++ {
				av := 0.0
				for k := 0; k < n; k++ {
					av += a[r*n+k] * wi[k]
				}
				if math.Abs(av-lam[i]*wi[r]) > 1e-12*norm {
					t.Fatalf("%s: residual %g at eigenpair %d", name, av-lam[i]*wi[r], i)
				}
			}
			for j := 0; j <= i; j++ {
				dot := 0.0
				for k := 0; k < n; k++ {
					dot += wi[k] * w[j*n+k]
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(dot-want) > 1e-12 {
					t.Fatalf("%s: w%d·w%d = %g", name, i, j, dot)
				}
			}
		}
		if name == "gram-rank10" {
			for i := 0; i < n-m; i++ {
				if math.Abs(lam[i]) > 1e-12*lam[n-1] {
					t.Errorf("%s: eigenvalue %d = %g, want ≈ 0", name, i, lam[i])
				}
			}
		}
	}
}
