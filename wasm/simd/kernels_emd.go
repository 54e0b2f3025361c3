package simd

// The exact plan's kernels (core/emd): the auction's row scans with their
// heap of best columns, the cost range and the certificate's slack.

import "math"

// scanBody: params vals, idx, size, row, prices, n. core/emd's ScanGo: for
// j < n in order, val = float64(row_j) + prices_j (row float32, prices
// float64) is offered to the max-heap (vals float64, idx int32, of size
// entries): when val < vals[0], siftin(vals, idx, size, val, j). Two
// columns a step are compared in f64x2 lanes with the root, then, where one
// is below, each lane in order against the root as it is then.
func scanBody() []byte {
	f := &fn{nparam: 6}
	const pVals, pIdx, pSize, pRow, pPrices, pN = 0, 1, 2, 3, 4, 5
	j := f.local(i32)
	n2 := f.local(i32)
	thr := f.local(f64)
	val := f.local(f64)
	thrv := f.local(v128)
	v := f.local(v128)
	// offer: if val < thr { siftin(val, j + lane); thr = vals[0] }
	offer := func(lane int32) {
		f.get(val)
		f.get(thr)
		f.op(opF64Lt)
		f.ifBlock()
		f.get(pVals)
		f.get(pIdx)
		f.get(pSize)
		f.get(val)
		f.get(j)
		if lane != 0 {
			f.i32c(lane)
			f.op(opI32Add)
		}
		f.call(fnSiftin)
		f.loadF64(pVals)
		f.set(thr)
		f.end()
	}
	f.loadF64(pVals)
	f.tee(thr)
	f.simd(simdF64x2Splat)
	f.set(thrv)
	f.get(pN)
	f.i32c(-2)
	f.op(opI32And)
	f.set(n2)
	f.block()
	f.loop()
	{
		f.get(j)
		f.get(n2)
		f.op(opI32GeS)
		f.brIf(1)
		f.elemAt(pRow, j, 2)
		f.simd(simdLoad64Zero)
		f.memarg(2, 0)
		f.simd(simdF64x2Promote)
		f.elemAt(pPrices, j, 3)
		f.vload(0)
		f.simd(simdF64x2Add)
		f.tee(v)
		f.get(thrv)
		f.simd(simdF64x2Lt)
		f.simd(simdAnyTrue)
		f.ifBlock() // a lane is below the root
		for lane := int32(0); lane < 2; lane++ {
			f.lane(v, simdF64x2Extract, byte(lane))
			f.set(val)
			offer(lane)
		}
		f.get(thr)
		f.simd(simdF64x2Splat)
		f.set(thrv)
		f.end()
		f.bump(j, 2)
		f.br(0)
	}
	f.end()
	f.end()
	// The last column of an odd n.
	f.get(j)
	f.get(pN)
	f.op(0x48) // i32.lt_s
	f.ifBlock()
	{
		f.elemAt(pRow, j, 2)
		f.scalar(opF32Load, 2, 0)
		f.op(opF64Promote)
		f.elemAt(pPrices, j, 3)
		f.scalar(opF64Load, 3, 0)
		f.op(opF64Add)
		f.set(val)
		offer(0)
	}
	f.end()
	return f.body()
}

// siftinBody: params vals, idx, size, val, j. core/emd's SiftIn on the
// max-heap (vals float64, idx int32, of size entries): from the root s =
// 0, while s has a child l (the larger of two, the left on a tie) with
// vals[l] > val, the child moves up to s and s = l; then vals[s] = val,
// idx[s] = j.
func siftinBody() []byte {
	f := &fn{nparam: 5}
	const pVals, pIdx, pSize, pVal, pJ = 0, 1, 2, 3, 4
	s := f.local(i32)
	l := f.local(i32)
	r := f.local(i32)
	valAt := func(i uint32) {
		f.elemAt(pVals, i, 3)
		f.scalar(opF64Load, 3, 0)
	}
	f.block()
	f.loop()
	{
		// l = 2s + 1; stop when l >= size
		f.get(s)
		f.i32c(1)
		f.op(opI32Shl)
		f.i32c(1)
		f.op(opI32Add)
		f.tee(l)
		f.get(pSize)
		f.op(opI32GeS)
		f.brIf(1)
		// r = l + 1; if r < size && vals[r] > vals[l] { l = r }
		f.get(l)
		f.i32c(1)
		f.op(opI32Add)
		f.tee(r)
		f.get(pSize)
		f.op(0x48) // i32.lt_s
		f.ifBlock()
		valAt(r)
		valAt(l)
		f.op(opF64Gt)
		f.ifBlock()
		f.get(r)
		f.set(l)
		f.end()
		f.end()
		// if vals[l] <= val: stop
		valAt(l)
		f.get(pVal)
		f.op(opF64Le)
		f.brIf(1)
		// vals[s] = vals[l]; idx[s] = idx[l]; s = l
		f.elemAt(pVals, s, 3)
		valAt(l)
		f.scalar(opF64Store, 3, 0)
		f.elemAt(pIdx, s, 2)
		f.elemAt(pIdx, l, 2)
		f.scalar(opI32Load, 2, 0)
		f.scalar(opI32Store, 2, 0)
		f.get(l)
		f.set(s)
		f.br(0)
	}
	f.end()
	f.end()
	f.elemAt(pVals, s, 3)
	f.get(pVal)
	f.scalar(opF64Store, 3, 0)
	f.elemAt(pIdx, s, 2)
	f.get(pJ)
	f.scalar(opI32Store, 2, 0)
	return f.body()
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
