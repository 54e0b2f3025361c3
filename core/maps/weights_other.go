//go:build !amd64

package maps

// haveAVX2 is false off amd64.
const haveAVX2 = false

func classWeightsAVX2(q []float64, ys []int32, c []float32, f []float64, inv, top, ie float64) {
	panic("maps: classWeightsAVX2 without AVX2")
}
