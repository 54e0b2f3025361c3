//go:build !amd64

package ot

// haveFMA is false off amd64: the squared distances stay in the tiles.
const haveFMA = false

// AVX2FMA reports whether the CPU supports AVX2 and FMA: false off amd64.
func AVX2FMA() bool { return false }

func sqDistPacked(out []float32, x, nx []float64, y []float32, ny []float64, n4, m4, m, d int) {
	panic("ot: sqDistPacked without AVX2")
}
