//go:build !amd64

package ot

// haveSSE2 is false off amd64: dot32 and axpy32 stay the pure-Go loops.
const haveSSE2 = false

func dot4(k []float32, v []float64) (s0, s1, s2, s3 float64) { panic("ot: dot4 without SSE2") }

func axpy4(y []float64, a float64, k []float32) { panic("ot: axpy4 without SSE2") }

func dot4x2(ka, kb []float32, v []float64, out *[8]float64) { panic("ot: dot4x2 without SSE2") }

func axpy4x2(y []float64, a float64, ka []float32, b float64, kb []float32) {
	panic("ot: axpy4x2 without SSE2")
}

func scatter2(col []float64, a float64, sv []float32, sc []int32) { panic("ot: scatter2 without SSE2") }

func scatter2w(col []float64, a float64, sv []float32, sc []uint16) {
	panic("ot: scatter2w without SSE2")
}

func tile4(x, y []float64, d int, out *[16]float64) { panic("ot: tile4 without SSE2") }
