package ot

import (
	"math"
	"math/rand/v2"
	"testing"
)

// dot32Scalar and axpy32Scalar are dot32 and axpy32Go as plain Go loops,
// the references of the SSE2 forms.
func dot32Scalar(k []float32, v []float64) float64 {
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+4 <= len(k); j += 4 {
		s0 += float64(k[j]) * v[j]
		s1 += float64(k[j+1]) * v[j+1]
		s2 += float64(k[j+2]) * v[j+2]
		s3 += float64(k[j+3]) * v[j+3]
	}
	for ; j < len(k); j++ {
		s0 += float64(k[j]) * v[j]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpy32Scalar(y []float64, a float64, k []float32) {
	for j := range k {
		y[j] += a * float64(k[j])
	}
}

// TestSSE2SameBits checks dot32 and axpy32 (SSE2 on amd64) against the
// scalar loops bit for bit, on lengths around the step of four, with
// subnormal, huge, infinite and signed-zero entries among ordinary ones,
// and that axpy32 leaves y beyond len(k) alone.
func TestSSE2SameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	val := func(f32 bool) float64 { return randomValue(rng, specials, f32) }
	for _, n := range []int{0, 1, 3, 4, 7, 8, 9, 11, 12, 13, 16, 17, 31, 64, 105, 999, 2000} {
		for trial := 0; trial < 50; trial++ {
			k := make([]float32, n)
			v := make([]float64, n+3)
			for j := range k {
				k[j] = float32(val(true))
			}
			for j := range v {
				v[j] = val(false)
			}
			if got, want := dot32(k, v), dot32Scalar(k, v); !sameFloat(got, want) {
				t.Fatalf("n=%d trial %d: dot32 %v (%x), scalar %v (%x)", n, trial, got, math.Float64bits(got), want, math.Float64bits(want))
			}
			a := val(false)
			y1 := make([]float64, n+3)
			for j := range y1 {
				y1[j] = val(false)
			}
			y2 := append([]float64(nil), y1...)
			axpy32Go(y1, a, k)
			axpy32Scalar(y2, a, k)
			if j := diffAt(y1, y2); j >= 0 {
				t.Fatalf("n=%d trial %d: axpy32 y[%d] = %v, scalar %v", n, trial, j, y1[j], y2[j])
			}
		}
	}
}

// TestTile4SameBits checks the SSE2 tiles of the squared distances
// against the pure-Go ones bit for bit, for d around small and large
// dimensions, with subnormal, huge, infinite and signed-zero features
// among ordinary ones, on several panels of a row stride wider than them.
func TestTile4SameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	val := func() float64 {
		if rng.IntN(20) == 0 {
			return specials[rng.IntN(len(specials))]
		}
		return rng.NormFloat64() * math.Exp2(float64(rng.IntN(20)-10))
	}
	for _, d := range []int{0, 1, 2, 3, 19, 64, 256} {
		n, m := 12, 16
		x, y := make([]float64, n*d), make([]float64, m*d)
		nx, ny := make([]float64, n), make([]float64, m)
		for _, s := range [][]float64{x, y, nx, ny} {
			for i := range s {
				s[i] = val()
			}
		}
		stride := m + 5
		got, want := make([]float32, n*stride), make([]float32, n*stride)
		for _, p := range [][2]int{{0, 8}, {8, 16}} {
			sqDistPanelTilesSSE2(got, stride, x, nx, y, ny, n, d, p[0], p[1])
			sqDistPanelTilesGo(want, stride, x, nx, y, ny, n, d, p[0], p[1])
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
				t.Fatalf("d=%d: entry %d (row %d, column %d) = %v (SSE2), %v (Go)", d, i, i/stride, i%stride, got[i], want[i])
			}
		}
		var a [16]float64
		if d > 0 {
			tile4(x[:4*d], y[:4*d], d, &a)
			for r := range 4 {
				for c := range 4 {
					s := 0.0
					for k := range d {
						s += x[r*d+k] * y[c*d+k]
					}
					if !sameFloat(a[r*4+c], s) {
						t.Fatalf("d=%d: tile4 sum (%d, %d) = %v, scalar %v", d, r, c, a[r*4+c], s)
					}
				}
			}
		}
	}
}
