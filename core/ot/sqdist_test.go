package ot

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSqDistPanels checks sqDist, tiles in panels of columns and edges,
// against sqd entry by entry (the same sum in the same order), bit for
// bit, on sizes with several panels, a partial last one and edge rows and
// columns.
func TestSqDistPanels(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, s := range [][3]int{{4, 4, 1}, {9, 300, 256}, {7, 1030, 40}, {5, 70, 2000}, {13, 131, 129}} {
		n, m, d := s[0], s[1], s[2]
		x, y := make([]float64, n*d), make([]float32, m*d)
		for i := range x {
			x[i] = float64(float32(rng.NormFloat64()))
		}
		for i := range y {
			y[i] = float32(rng.NormFloat64())
		}
		nx, ny := sqNorms(x, y, n, m, d)
		out := make([]float32, n*m)
		for i := range out {
			out[i] = -1
		}
		sqDist(out, x, nx, y, ny, n, m, d)
		for i := range n {
			for j := range m {
				want := sqd(x[i*d:(i+1)*d], nx[i], y[j*d:(j+1)*d], ny[j])
				if got := out[i*m+j]; math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("n=%d m=%d d=%d: entry (%d, %d) = %v, want %v", n, m, d, i, j, got, want)
				}
			}
		}
	}
}

// sqNorms returns the squared norms of the n rows of x and the m rows of y
// (d values each), summed in channel order.
func sqNorms(x []float64, y []float32, n, m, d int) (nx, ny []float64) {
	nx, ny = make([]float64, n), make([]float64, m)
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
	return nx, ny
}
