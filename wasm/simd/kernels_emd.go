package simd

// The exact plan's kernels (core/emd): the auction's row scans with their
// heap of best columns, the cost range and the certificate's slack.
//
// The scan's time on trained logits (d = 7, N = 10⁴: 240 values of a row's
// 10⁴ enter its heap) went to the values that enter: a mispredicted branch
// in the filter and several in the sift, whose comparisons are coin flips.
// Its sift (siftPadded) now has none on the values, as core/emd's AVX2
// scan: it moves the values as bits with integer selects (a float select
// compiled to branches in V8: no faster than the branchy sift) and finds
// the larger child's value with f64x2.pmax instead of a dependent load.
// On the dumped repetition's rows (Node, CPU time a scan at the final
// prices) 15.3 µs before, 11.7 µs after; the plan is the same bit for bit.

import "math"

// scanBody: params vals, idx, steps, row, prices, n, from. core/emd's
// ScanGo from column from on, on a padded heap (core/emd's resetPadded, as
// its AVX2 scan takes it): vals (float64) and idx (int32) have 2^(steps+1)
// − 1 slots, the complete tree of depth steps, the slots beyond the heap's
// entries holding −Inf. For from <= j < n in order, val = float64(row_j) +
// prices_j (row float32, prices float64) is offered: when val < vals[0],
// it replaces the root and moves down (sift). Eight columns a step are
// compared in four f64x2 with the root; a step with a value below it goes
// to its first such column (i64x2.bitmask, ctz), which is sifted in, and
// the scan goes on from the next column, the root having changed. The last
// n − j < 8 columns one at a time.
func scanBody() []byte {
	f := &fn{nparam: 7}
	const pVals, pIdx, pSteps, pRow, pPrices, pN, pFrom = 0, 1, 2, 3, 4, 5, 6
	pr := f.local(i32)    // byte offset of row_j, j = pFrom
	pp := f.local(i32)    // and of prices_j
	last8 := f.local(i32) // n − 8: the last start of a full step
	mask := f.local(i32)
	thr := f.local(f64)
	val := f.local(f64)
	thrv := f.local(v128)
	var a [4]uint32
	for q := range a {
		a[q] = f.local(v128)
	}
	sl := f.newSiftLocals()
	// sift: val at column j (pFrom) into the heap; thr = the new root
	sift := func() {
		f.loadF32AsF64(pr)
		f.loadF64(pp)
		f.op(opF64Add)
		f.set(val)
		f.siftPadded(pVals, pIdx, pSteps, val, pFrom, sl)
		f.loadF64(pVals)
		f.tee(thr)
		f.simd(simdF64x2Splat)
		f.set(thrv)
	}
	next := func(k int32) {
		f.bump(pr, 4*k)
		f.bump(pp, 8*k)
		f.bump(pFrom, k)
	}
	f.elemAt(pRow, pFrom, 2)
	f.set(pr)
	f.elemAt(pPrices, pFrom, 3)
	f.set(pp)
	f.get(pN)
	f.i32c(8)
	f.op(opI32Sub)
	f.set(last8)
	f.loadF64(pVals)
	f.tee(thr)
	f.simd(simdF64x2Splat)
	f.set(thrv)
	f.block()
	f.loop()
	{
		// while j <= n − 8 (signed: n − 8 may be negative)
		f.get(pFrom)
		f.get(last8)
		f.op(opI32GtS)
		f.brIf(1)
		for q := range a {
			f.get(pr)
			f.simd(simdLoad64Zero)
			f.memarg(2, uint32(8*q))
			f.simd(simdF64x2Promote)
			f.get(pp)
			f.vload(uint32(16 * q))
			f.simd(simdF64x2Add)
			f.tee(a[q])
			f.get(thrv)
			f.simd(simdF64x2Lt)
			if q > 0 {
				f.simd(simdV128Or)
			}
		}
		f.simd(simdAnyTrue)
		f.ifBlock() // a lane is below the root: go to the first one
		{
			for q := range a {
				f.get(a[q])
				f.get(thrv)
				f.simd(simdF64x2Lt)
				f.simd(simdI64x2Bitmask)
				if q > 0 {
					f.i32c(int32(2 * q))
					f.op(opI32Shl)
					f.op(opI32Or)
				}
			}
			f.op(opI32Ctz)
			f.set(mask)
			f.get(pr)
			f.get(mask)
			f.i32c(2)
			f.op(opI32Shl)
			f.op(opI32Add)
			f.set(pr)
			f.get(pp)
			f.get(mask)
			f.i32c(3)
			f.op(opI32Shl)
			f.op(opI32Add)
			f.set(pp)
			f.get(pFrom)
			f.get(mask)
			f.op(opI32Add)
			f.set(pFrom)
			sift()
			next(1)
			f.br(1) // the loop
		}
		f.end()
		next(8)
		f.br(0)
	}
	f.end()
	f.end()
	// The last columns, one at a time.
	f.block()
	f.loop()
	{
		f.get(pFrom)
		f.get(pN)
		f.op(opI32GeS)
		f.brIf(1)
		f.loadF32AsF64(pr)
		f.loadF64(pp)
		f.op(opF64Add)
		f.get(thr)
		f.op(opF64Lt)
		f.ifBlock()
		sift()
		f.end()
		next(1)
		f.br(0)
	}
	f.end()
	f.end()
	return f.body()
}

// siftLocals are the scratch locals of siftPadded.
type siftLocals struct{ s, c, t, mv, bits, pair uint32 }

// newSiftLocals declares siftPadded's locals.
func (f *fn) newSiftLocals() siftLocals {
	return siftLocals{s: f.local(i32), c: f.local(i32), t: f.local(i32), mv: f.local(i32), bits: f.local(i64), pair: f.local(v128)}
}

// siftPadded emits core/emd's SiftIn on a padded heap (see scanBody) without
// branches on the values: val (an f64 local, below the root) at column j
// (an i32 local) replaces the root and moves down exactly steps levels
// from s = 0. At each level the larger child c of s (the right one l + 1
// if vals[l+1] > vals[l], else the left one l = 2s + 1: SiftIn's rule)
// moves up to s and s = c if vals[c] > val; otherwise s receives val and j
// and stays (its children, no larger than val, lose at every later level
// too). Finally val and j go to slot s. The choices are selects on the
// comparisons SiftIn makes (the heap holds no NaN, val is below the root),
// so the heap ends as SiftIn leaves it, slot for slot; a −Inf padding slot
// never moves up.
func (f *fn) siftPadded(pVals, pIdx, pSteps, val, j uint32, sl siftLocals) {
	s, c, t, mv, bits, pair := sl.s, sl.c, sl.t, sl.mv, sl.bits, sl.pair
	f.get(val)
	f.op(opI64ReinterpretF64)
	f.set(bits)
	f.i32c(0)
	f.set(s)
	f.get(pSteps)
	f.set(t)
	f.loop()
	{
		// c = 2s + 1, + 1 if vals[c+1] > vals[c]
		f.get(s)
		f.i32c(1)
		f.op(opI32Shl)
		f.i32c(1)
		f.op(opI32Add)
		f.tee(c)
		f.elemAt(pVals, c, 3)
		f.vload(0)
		f.set(pair)
		// mv = max(vals[c], vals[c+1]) > val: pmax (b if a < b, else a)
		// of the pair and the pair swapped, the larger child's value (a
		// zero's sign aside, which the comparison ignores; the heap holds
		// no NaN)
		f.get(pair)
		f.highHalf(pair)
		f.simd(simdF64x2Pmax)
		f.simd(simdF64x2Extract)
		f.op(0)
		f.get(val)
		f.op(opF64Gt)
		f.set(mv)
		f.elemAt(pVals, c, 3)
		f.scalar(opF64Load, 3, 8)
		f.elemAt(pVals, c, 3)
		f.scalar(opF64Load, 3, 0)
		f.op(opF64Gt)
		f.op(opI32Add)
		f.set(c)
		// vals[s] = mv ? vals[c] : val, as bits (an integer select);
		// idx[s] = mv ? idx[c] : j
		f.elemAt(pVals, s, 3)
		f.elemAt(pVals, c, 3)
		f.scalar(opI64Load, 3, 0)
		f.get(bits)
		f.get(mv)
		f.op(opSelect)
		f.scalar(opI64Store, 3, 0)
		f.elemAt(pIdx, s, 2)
		f.elemAt(pIdx, c, 2)
		f.scalar(opI32Load, 2, 0)
		f.get(j)
		f.get(mv)
		f.op(opSelect)
		f.scalar(opI32Store, 2, 0)
		// s = mv ? c : s
		f.get(c)
		f.get(s)
		f.get(mv)
		f.op(opSelect)
		f.set(s)
		// while --t != 0
		f.get(t)
		f.i32c(1)
		f.op(opI32Sub)
		f.tee(t)
		f.brIf(0)
	}
	f.end()
	f.elemAt(pVals, s, 3)
	f.get(val)
	f.scalar(opF64Store, 3, 0)
	f.elemAt(pIdx, s, 2)
	f.get(j)
	f.scalar(opI32Store, 2, 0)
}

// minmax32Body: params x, n, out. The smallest and the largest of x[:n]
// (float32) by the comparisons of core/emd's Go loop (x < lo, x > hi: a NaN
// never wins), four lanes at a time (pmin and pmax are exactly those
// comparisons), then the lanes and the tail in order; out[0] = lo, out[1] =
// hi (+Inf and −Inf when n = 0); returns 1 if an entry is NaN.
func minmax32Body() []byte {
	f := &fn{nparam: 3}
	const pX, pN, pOut = 0, 1, 2
	end4 := f.local(i32)
	end := f.local(i32)
	nan := f.local(i32)
	lo := f.local(f32)
	hi := f.local(f32)
	c := f.local(f32)
	lo4 := f.local(v128)
	hi4 := f.local(v128)
	nan4 := f.local(v128)
	x := f.local(v128)
	f.elemAt(pX, pN, 2)
	f.set(end)
	f.groupEnd(pX, pN, 4, end4)
	f.f32c(float32(math.Inf(1)))
	f.simd(simdF32x4Splat)
	f.set(lo4)
	f.f32c(float32(math.Inf(-1)))
	f.simd(simdF32x4Splat)
	f.set(hi4)
	f.whileBelow(pX, end4, func() {
		f.get(pX)
		f.vload(0)
		f.set(x)
		f.get(lo4)
		f.get(x)
		f.simd(simdF32x4Pmin)
		f.set(lo4)
		f.get(hi4)
		f.get(x)
		f.simd(simdF32x4Pmax)
		f.set(hi4)
		f.get(nan4)
		f.get(x)
		f.get(x)
		f.simd(simdF32x4Ne)
		f.simd(simdV128Or)
		f.set(nan4)
		f.bump(pX, 16)
	})
	f.get(nan4)
	f.simd(simdAnyTrue)
	f.set(nan)
	// step folds the f32 on the stack into lo, hi and nan.
	step := func() {
		f.set(c)
		f.keepIf(c, lo, opF32Lt)
		f.keepIf(c, hi, opF32Gt)
		f.get(nan)
		f.get(c)
		f.get(c)
		f.op(opF32Ne)
		f.op(opI32Or)
		f.set(nan)
	}
	f.lane(lo4, simdF32x4Extract, 0)
	f.set(lo)
	f.lane(hi4, simdF32x4Extract, 0)
	f.set(hi)
	for l := byte(1); l < 4; l++ {
		f.lane(lo4, simdF32x4Extract, l)
		f.set(c)
		f.keepIf(c, lo, opF32Lt)
		f.lane(hi4, simdF32x4Extract, l)
		f.set(c)
		f.keepIf(c, hi, opF32Gt)
	}
	f.whileBelow(pX, end, func() {
		f.get(pX)
		f.scalar(opF32Load, 2, 0)
		step()
		f.bump(pX, 4)
	})
	f.get(pOut)
	f.get(lo)
	f.scalar(opF32Store, 2, 0)
	f.get(pOut)
	f.get(hi)
	f.scalar(opF32Store, 2, 4)
	f.get(nan)
	return f.body()
}

// maxslackBody: params row, v, n, ui. The largest (ui + v_j) − float64(row_j)
// over j < n (row float32, v float64), by core/emd's comparison (d > worst:
// a NaN never wins), two columns a step in f64x2 lanes (pmax is that
// comparison), then the lanes and the last column in order; −Inf if n = 0.
func maxslackBody() []byte {
	f := &fn{nparam: 4}
	const pRow, pV, pN, pUi = 0, 1, 2, 3
	end2, endR := f.ends(pRow, pN, 2)
	w := f.local(f64)
	d := f.local(f64)
	ui2 := f.local(v128)
	w2 := f.local(v128)
	f.splatLocal(pUi, ui2)
	f.maxOfPairs(pRow, pV, end2, w2, func() {
		// (ui + v) − promote(row)
		f.get(ui2)
		f.load64x2(pV, false)
		f.simd(simdF64x2Add)
		f.load32x2(pRow, false)
		f.simd(simdF64x2Sub)
	})
	f.lane(w2, simdF64x2Extract, 0)
	f.set(w)
	f.lane(w2, simdF64x2Extract, 1)
	f.foldMax(w, d)
	// The last column of an odd n.
	f.ifBelow(pRow, endR)
	{
		f.get(pUi)
		f.loadF64(pV)
		f.op(opF64Add)
		f.loadF32AsF64(pRow)
		f.op(opF64Sub)
		f.foldMax(w, d)
	}
	f.end()
	f.get(w)
	return f.body()
}
