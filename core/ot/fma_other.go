//go:build !amd64

package ot

// haveFMA is false off amd64: the squared distances stay in the tiles.
const haveFMA = false

func sqDistPacked(out []float32, x, nx []float64, y []float32, ny []float64, n4, m4, m, d int) {
	panic("ot: sqDistPacked without AVX2")
}
