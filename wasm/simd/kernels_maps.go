package simd

import "math"

// The dense maps' kernel (core/maps's Kernels.ClassWeights).

// expWeight's constants (core/maps, exp.go): the same untyped constants,
// rounded to float64 as the Go code rounds them.
const (
	mapsExpInv   = 64 / math.Ln2
	mapsExpLn2Hi = 6.93147180369123816490e-01 / 64
	mapsExpLn2Lo = 1.90821492927058770002e-10 / 64
	mapsFlush    = 80
)

// classweightsBody: params q, ys, c, f, n, nq (i32), inv, top, ie (f64),
// tab (i32). core/maps's classWeightsGo, two source points a step: e =
// ((f_i − float64(c_i)·inv) − top)·ie, then expWeight(e) step by step (k =
// trunc(e·64/ln2 − 0.5), r = (e − k·ln2Hi) − k·ln2Lo, p = r·(1 + r·(1/2 +
// r·(1/6 + r·(1/24 + r/120)))), t = tab[k & 63], (t + t·p)·2^(k >> 6)),
// zero where e ≤ −flush (or NaN), and q[ys_i] += that, lane 0 then lane 1:
// a zero weight leaves q[ys_i] as it is (q ≥ +0), as the Go loop's skip
// does. A pair with both weights flushed is skipped. tab holds the 64
// float64 values 2^{j/64}; a class ys_i ≥ nq traps (unreachable) rather
// than write outside q.
func classweightsBody() []byte {
	f := &fn{nparam: 10}
	const pQ, pYs, pC, pF, pN, pNq, pInv, pTop, pIe, pTab = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
	end2, endC := f.ends(pC, pN, 2)
	vinv := f.local(v128)
	vtop := f.local(v128)
	vie := f.local(v128)
	vflush := f.local(v128)
	e := f.local(v128)
	keep := f.local(v128) // e > −flush, lane by lane
	ki := f.local(v128)
	kf := f.local(v128)
	r := f.local(v128)
	p := f.local(v128)
	t := f.local(v128)
	w := f.local(v128)
	at := f.local(i32)
	f.splatLocal(pInv, vinv)
	f.splatLocal(pTop, vtop)
	f.splatLocal(pIe, vie)
	f.splat(-mapsFlush)
	f.set(vflush)
	// tabAt pushes the address of tab[k & 63] for lane l of ki.
	tabAt := func(l byte) {
		f.get(ki)
		f.simd(simdI32x4Extract)
		f.op(l)
		f.i32c(63)
		f.op(opI32And)
		f.i32c(3)
		f.op(opI32Shl)
		f.get(pTab)
		f.op(opI32Add)
	}
	// addLane adds lane l of w into q[ys_i] (ys at pYs + 4l).
	addLane := func(l byte) {
		f.classSlot(pQ, pYs, pNq, at, l)
		f.lane(w, simdF64x2Extract, l)
		f.op(opF64Add)
		f.scalar(opF64Store, 3, 0)
	}
	body := func(single bool) {
		// e = ((f − float64(c)·inv) − top)·ie
		f.load64x2(pF, single)
		f.load32x2(pC, single)
		f.get(vinv)
		f.simd(simdF64x2Mul)
		f.simd(simdF64x2Sub)
		f.get(vtop)
		f.simd(simdF64x2Sub)
		f.get(vie)
		f.simd(simdF64x2Mul)
		f.tee(e)
		f.get(vflush)
		f.simd(simdF64x2Gt)
		f.tee(keep)
		f.simd(simdAnyTrue)
		f.ifBlock() // any weight is kept
		// ki = trunc_sat(e·64/ln2 − 0.5), kf = float64(ki)
		f.get(e)
		f.splat(mapsExpInv)
		f.simd(simdF64x2Mul)
		f.splat(0.5)
		f.simd(simdF64x2Sub)
		f.truncTo(ki, kf)
		// r = (e − kf·ln2Hi) − kf·ln2Lo
		f.reduce(r, e, kf, mapsExpLn2Hi, mapsExpLn2Lo)
		// p = r·(1 + r·(1/2 + r·(1/6 + r·(1/24 + r·(1/120)))))
		f.horner(p, r, []float64{1.0 / 120, 1.0 / 24, 1.0 / 6, 1.0 / 2, 1})
		f.get(r)
		f.get(p)
		f.simd(simdF64x2Mul)
		f.set(p)
		// t = (tab[k0 & 63], tab[k1 & 63])
		tabAt(0)
		f.simd(simdLoad64Zero)
		f.memarg(3, 0)
		if !single {
			f.set(t)
			tabAt(1)
			f.get(t)
			f.simd(simdLoad64Lane)
			f.memarg(3, 0)
			f.op(1)
		}
		f.tee(t)
		// w = ((t + t·p) · 2^(k >> 6)) & keep
		f.get(t)
		f.get(p)
		f.simd(simdF64x2Mul)
		f.simd(simdF64x2Add)
		f.pow2(ki, 6)
		f.simd(simdF64x2Mul)
		f.get(keep)
		f.simd(simdV128And)
		f.set(w)
		f.forLanes(single, addLane)
		f.end()
	}
	f.pointPairs(pC, pF, pYs, end2, endC, body)
	return f.body()
}

// classtiesBody: params q, ys, c, f, n, nq (i32), inv, lim (f64); returns
// i32. core/maps's classTiesGo, two source points a step: v =
// float64(c_i)·inv − f_i, and where v ≤ lim, q[ys_i] += 1 and the count
// goes up, lane 0 then lane 1 (a pair with no tie, nearly all of them,
// costs one test). A class ys_i ≥ nq traps (unreachable).
func classtiesBody() []byte {
	f := &fn{nparam: 8}
	const pQ, pYs, pC, pF, pN, pNq, pInv, pLim = 0, 1, 2, 3, 4, 5, 6, 7
	end2, endC := f.ends(pC, pN, 2)
	vinv := f.local(v128)
	vlim := f.local(v128)
	tie := f.local(v128)
	at := f.local(i32)
	ties := f.local(i32)
	f.splatLocal(pInv, vinv)
	f.splatLocal(pLim, vlim)
	// count counts lane l if it ties: q[ys_l] += 1, ties++.
	count := func(l byte) {
		f.lane(tie, simdI64x2Extract, l)
		f.op(0x50) // i64.eqz
		f.op(0x45) // i32.eqz
		f.ifBlock()
		f.classSlot(pQ, pYs, pNq, at, l)
		f.f64c(1)
		f.op(opF64Add)
		f.scalar(opF64Store, 3, 0)
		f.bump(ties, 1)
		f.end()
	}
	body := func(single bool) {
		// tie = float64(c)·inv − f ≤ lim
		f.load32x2(pC, single)
		f.get(vinv)
		f.simd(simdF64x2Mul)
		f.load64x2(pF, single)
		f.simd(simdF64x2Sub)
		f.get(vlim)
		f.simd(simdF64x2Le)
		f.tee(tie)
		f.simd(simdAnyTrue)
		f.ifBlock()
		f.forLanes(single, count)
		f.end()
	}
	f.pointPairs(pC, pF, pYs, end2, endC, body)
	f.get(ties)
	return f.body()
}

// classSlot pushes the address of q[ys_l] (float64, q at the i32 local
// pQ) and its value, for lane l's class ys_l (int32 at pYs + 4l), kept in
// the i32 local at; a class ys_l ≥ nq (the local pNq) traps
// (unreachable) rather than reach outside q. The caller pushes what to add
// and stores.
func (f *fn) classSlot(pQ, pYs, pNq, at uint32, l byte) {
	f.get(pYs)
	f.scalar(opI32Load, 2, uint32(4*l))
	f.tee(at)
	f.get(pNq)
	f.op(opI32GeU)
	f.ifBlock()
	f.op(0x00) // unreachable
	f.end()
	f.get(at)
	f.i32c(3)
	f.op(opI32Shl)
	f.get(pQ)
	f.op(opI32Add)
	f.tee(at)
	f.loadF64(at)
}

// pointPairs runs body on the source points two at a time, then on an odd
// last one (pairsThenOdd over c's ends), and after each moves the points'
// pointers on: c (float32), f (float64) and ys (int32).
func (f *fn) pointPairs(pC, pF, pYs, end2, endC uint32, body func(single bool)) {
	f.pairsThenOdd(pC, end2, endC, func(single bool) {
		body(single)
		f.advance(single, pC, pF)
		f.bump(pYs, 4*pairStep(single))
	})
}
