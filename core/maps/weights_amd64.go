package maps

import "github.com/otceseg/otceseg/core/ot"

// haveAVX2 says whether the CPU has AVX2 (ot.AVX2FMA: AVX2 and FMA, which
// core/ot's cost kernel uses; this one needs AVX2 alone).
var haveAVX2 = ot.AVX2FMA()

// weightConsts are weightsAVX2's operands, each in the 4 lanes of a
// register: the pixel's inv, top and ie, −flush, and expWeight's
// constants; m63 and b1023 are int32 lanes.
type weightConsts struct {
	inv, top, ie, nflush, expInv, half, ln2Hi, ln2Lo, c5, c4, c3, c2, one [4]float64
	m63, b1023                                                            [4]int32
}

// bcast is v in 4 lanes.
func bcast(v float64) [4]float64 { return [4]float64{v, v, v, v} }

// classWeightsAVX2 is Kernels.ClassWeights with the weights of 4 source
// points at a time in AVX2 (weightsAVX2: expWeight's operations, unfused,
// in 4 lanes; the table by a gather), then added into q in source order.
// A weight below the flush threshold is 0 there, and q[a] + 0 = q[a]
// exactly (q ≥ +0), so adding it is skipping it: the same bits as
// classWeightsGo (TestClassWeightsAVX2).
func classWeightsAVX2(q []float64, ys []int32, c []float32, f []float64, inv, top, ie float64) {
	k := weightConsts{
		inv: bcast(inv), top: bcast(top), ie: bcast(ie), nflush: bcast(-flush),
		expInv: bcast(expInv), half: bcast(0.5), ln2Hi: bcast(expLn2Hi), ln2Lo: bcast(expLn2Lo),
		c5: bcast(expC5), c4: bcast(expC4), c3: bcast(expC3), c2: bcast(expC2), one: bcast(1),
		m63: [4]int32{63, 63, 63, 63}, b1023: [4]int32{1023, 1023, 1023, 1023},
	}
	var w [512]float64
	f, ys = f[:len(c)], ys[:len(c)]
	for lo := 0; lo < len(c); lo += len(w) {
		hi := min(lo+len(w), len(c))
		n4 := (hi - lo) &^ 3
		if n4 > 0 {
			weightsAVX2(w[:n4], c[lo:lo+n4], f[lo:lo+n4], &k, &expTab)
		}
		for i, wi := range w[:n4] {
			q[ys[lo+i]] += wi
		}
		classWeightsGo(q, ys[lo+n4:hi], c[lo+n4:hi], f[lo+n4:hi], inv, top, ie)
	}
}

// weightsAVX2 writes w_i = expWeight(e_i) if e_i > −flush, else 0, with
// e_i = (f_i − float64(c_i)·inv − top)·ie, for i < len(c) (a multiple of
// 4; w and f at least as long).
//
//go:noescape
func weightsAVX2(w []float64, c []float32, f []float64, k *weightConsts, tab *[64]float64)
