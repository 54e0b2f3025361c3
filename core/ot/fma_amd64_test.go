package ot

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSqDistFMASameBits checks the AVX2 squared distances (sqDistPacked)
// against the scalar tiles (sqDistPanelTilesGo, the reference of the SSE2
// and WebAssembly tiles) bit for bit, on float32 values with signed zeros,
// subnormal, huge and infinite ones among ordinary values of many scales,
// for dimensions around the kernel's steps and column counts around its
// groups of 4 and 12 and its panels.
func TestSqDistFMASameBits(t *testing.T) {
	if !haveFMA {
		t.Skip("no AVX2 and FMA on this CPU")
	}
	rng := rand.New(rand.NewPCG(51, 52))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), 1.5e-45, -3e-42, 3e38, -3e38, 1e-20, 1e20}
	val := func(sp bool) float32 {
		if sp && rng.IntN(20) == 0 {
			return special[rng.IntN(len(special))]
		}
		return float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)))
	}
	for _, s := range [][3]int{{4, 4, 0}, {4, 4, 1}, {8, 12, 2}, {12, 16, 3}, {4, 20, 19}, {16, 24, 19}, {8, 28, 64}, {8, 132, 256}, {4, 1740, 19}, {12, 40, 257}} {
		n, m, d := s[0], s[1], s[2]
		for _, sp := range []bool{false, true} {
			x, y := make([]float64, n*d), make([]float32, m*d)
			for i := range x {
				x[i] = float64(val(sp))
			}
			for i := range y {
				y[i] = val(sp)
			}
			nx, ny := make([]float64, n), make([]float64, m)
			for i := range n {
				for k := range d {
					nx[i] += x[i*d+k] * x[i*d+k]
				}
			}
			for j := range m {
				for k := range d {
					ny[j] += float64(y[j*d+k]) * float64(y[j*d+k])
				}
			}
			y64 := make([]float64, len(y))
			for i, v := range y {
				y64[i] = float64(v)
			}
			got, want := make([]float32, n*m), make([]float32, n*m)
			sqDistPacked(got, x, nx, y, ny, n, m, m, d)
			sqDistPanelTilesGo(want, m, x, nx, y64, ny, n, d, 0, m)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("n=%d m=%d d=%d special %v: entry (%d, %d) = %v (AVX2), %v (Go)", n, m, d, sp, i/m, i%m, got[i], want[i])
				}
			}
		}
	}
}

// BenchmarkSqDist compares the squared distances of 64 rows to 10⁴
// columns with the AVX2 kernel (fma) and with the SSE2 tiles (tiles), at
// the authors' d = 19 and a decoder's d = 256, in one run.
func BenchmarkSqDist(b *testing.B) {
	for _, d := range []int{19, 256} {
		n, m := 64, 10000
		rng := rand.New(rand.NewPCG(1, 2))
		x, y := make([]float64, n*d), make([]float32, m*d)
		for i := range x {
			x[i] = float64(float32(rng.NormFloat64()))
		}
		for i := range y {
			y[i] = float32(rng.NormFloat64())
		}
		nx, ny := make([]float64, n), make([]float64, m)
		out := make([]float32, n*m)
		for _, name := range []string{"tiles", "fma"} {
			if name == "fma" && !haveFMA {
				continue
			}
			b.Run(fmt.Sprintf("d%d/%s", d, name), func(b *testing.B) {
				for b.Loop() {
					if name == "fma" {
						sqDistPacked(out, x, nx, y, ny, n, m, m, d)
					} else {
						pw := sqDistPanel(d)
						panel := make([]float64, pw*d)
						for jp := 0; jp < m; jp += pw {
							je := min(jp+pw, m)
							for k, v := range y[jp*d : je*d] {
								panel[k] = float64(v)
							}
							sqDistTiles(out[jp:], m, x, nx, panel[:(je-jp)*d], ny[jp:je], n, je-jp, d)
						}
					}
				}
			})
		}
	}
}
