//go:build !amd64

package emd

// haveAVX2 is false off amd64: the scans stay in Go.
const haveAVX2 = false

func scanAVX2(vals []float64, idx []int32, steps int, row []float32, prices []float64, from int) {
	panic("emd: scanAVX2 without AVX2")
}

func minMax32AVX2(x []float32) (lo, hi float32, nan bool) {
	panic("emd: minMax32AVX2 without AVX2")
}

func maxSlackAVX2(row []float32, v []float64, ui float64) float64 {
	panic("emd: maxSlackAVX2 without AVX2")
}
