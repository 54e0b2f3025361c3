package simd

// The assembler: the WebAssembly binary encoding (sections, LEB128), and fn,
// a function body written one instruction at a time, with the few idioms
// the kernels share. The kernels themselves are in module.go, the list of
// them in kernels.go.

import (
	"encoding/binary"
	"math"
)

// Value types.
const (
	i32  = 0x7f
	i64  = 0x7e
	f64  = 0x7c
	f32  = 0x7d
	v128 = 0x7b
)

func functype(params, results []byte) []byte {
	b := []byte{0x60, byte(len(params))}
	b = append(b, params...)
	b = append(b, byte(len(results)))
	return append(b, results...)
}

func section(m []byte, id byte, content []byte) []byte {
	m = append(m, id)
	m = uleb(m, uint32(len(content)))
	return append(m, content...)
}

func appendName(b []byte, s string) []byte {
	b = uleb(b, uint32(len(s)))
	return append(b, s...)
}

func uleb(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func sleb(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// fn assembles one function body.
type fn struct {
	locals []byte // types of the locals after the parameters, one entry each
	nparam int
	b      []byte
}

// local declares a local of type t and returns its index.
func (f *fn) local(t byte) uint32 {
	f.locals = append(f.locals, t)
	return uint32(f.nparam + len(f.locals) - 1)
}

func (f *fn) body() []byte {
	// Locals as runs of equal types.
	var groups [][2]int
	for _, t := range f.locals {
		if n := len(groups); n > 0 && groups[n-1][1] == int(t) {
			groups[n-1][0]++
		} else {
			groups = append(groups, [2]int{1, int(t)})
		}
	}
	out := uleb(nil, uint32(len(groups)))
	for _, g := range groups {
		out = uleb(out, uint32(g[0]))
		out = append(out, byte(g[1]))
	}
	out = append(out, f.b...)
	return append(out, 0x0b)
}

func (f *fn) op(b ...byte)      { f.b = append(f.b, b...) }
func (f *fn) get(i uint32)      { f.op(0x20); f.b = uleb(f.b, i) }
func (f *fn) set(i uint32)      { f.op(0x21); f.b = uleb(f.b, i) }
func (f *fn) tee(i uint32)      { f.op(0x22); f.b = uleb(f.b, i) }
func (f *fn) i32c(v int32)      { f.op(0x41); f.b = sleb(f.b, int64(v)) }
func (f *fn) call(i uint32)     { f.op(0x10); f.b = uleb(f.b, i) }
func (f *fn) br(depth uint32)   { f.op(0x0c); f.b = uleb(f.b, depth) }
func (f *fn) brIf(depth uint32) { f.op(0x0d); f.b = uleb(f.b, depth) }
func (f *fn) block()            { f.op(0x02, 0x40) }
func (f *fn) loop()             { f.op(0x03, 0x40) }
func (f *fn) end()              { f.op(0x0b) }
func (f *fn) memarg(align, off uint32) {
	f.b = uleb(f.b, align)
	f.b = uleb(f.b, off)
}

func (f *fn) f64c(v float64) {
	f.op(0x44)
	f.b = binary.LittleEndian.AppendUint64(f.b, math.Float64bits(v))
}

// Scalar opcodes.
const (
	opI32Add = 0x6a
	opI32Sub = 0x6b
	opI32Mul = 0x6c
	opI32And = 0x71
	opI32Shl = 0x74
	opI32GeU = 0x4f
	opI32GeS = 0x4e
	opI32GtS = 0x4a
	opI32Ctz = 0x68

	opI64ReinterpretF64 = 0xbd
	opI32Load           = 0x28
	opI32WrapI64        = 0xa7
	opF64Add            = 0xa0
	opF64Ne             = 0x62
	opF64Lt             = 0x63
	opF64Gt             = 0x64
	opF64Le             = 0x65
	opF64Sub            = 0xa1
	opF32Lt             = 0x5d
	opF32Gt             = 0x5e
	opF32Ne             = 0x5c
	opF32Store          = 0x38
	opI32Or             = 0x72
	opSelect            = 0x1b
	opI32ShrU           = 0x76
	opI32Eq             = 0x46
	opI32Store          = 0x36
	opF64Mul            = 0xa2
	opF64Promote        = 0xbb
	opF32Load           = 0x2a
	opF64Load           = 0x2b
	opI64Load           = 0x29
	opF64Store          = 0x39
	opI64Store          = 0x37
	opI32Load16U        = 0x2f
	opI32Store16        = 0x3b
)

// SIMD opcodes (after the 0xfd prefix).
const (
	simdV128Load     = 0x00
	simdV128Const    = 0x0c
	simdV128Store    = 0x0b
	simdShuffle      = 0x0d
	simdLoad64Splat  = 0x0a
	simdF64x2Splat   = 0x14
	simdF64x2Extract = 0x21
	simdF64x2Lt      = 0x49
	simdV128AndNot   = 0x4f
	simdLoad64Lane   = 0x57
	simdLoad32Lane   = 0x56
	simdF64x2Replace = 0x22
	simdStore64Lane  = 0x5b
	simdLoad64Zero   = 0x5d
	simdF32x4Demote  = 0x5e
	simdF64x2Promote = 0x5f
	simdLoad32Zero   = 0x5c
	simdStore32Lane  = 0x5a
	simdBitselect    = 0x52
	simdV128Or       = 0x50
	simdI64x2Splat   = 0x12
	simdI64x2Extend  = 0xc7 // i64x2.extend_low_i32x4_s
	simdI64x2Shl     = 0xcb
	simdI64x2Add     = 0xce
	simdI64x2Sub     = 0xd1
	simdI64x2Extract = 0x1d
	simdAnyTrue      = 0x53 // v128.any_true
	simdF32x4Splat   = 0x13
	simdF32x4Extract = 0x1f
	simdF32x4Ne      = 0x42
	simdF32x4Pmin    = 0xea
	simdF32x4Pmax    = 0xeb
	simdF64x2Pmax    = 0xf7
	simdI32x4Splat   = 0x11
	simdI32x4Extract = 0x1b
	simdI32x4Eq      = 0x37
	simdI32x4ShrU    = 0xad
	simdF64x2Eq      = 0x47
	simdTruncSatZero = 0xfc // i32x4.trunc_sat_f64x2_s_zero
	simdConvertLow   = 0xfe // f64x2.convert_low_i32x4_s
	simdF64x2Div     = 0xf3
	simdF64x2Add     = 0xf0
	simdF64x2Sub     = 0xf1
	simdF64x2Mul     = 0xf2
	simdV128And      = 0x4e
	simdI32x4Sub     = 0xb1
	simdI64x2AllTrue = 0xc3
	simdI64x2Bitmask = 0xc4
	simdF64x2Gt      = 0x4a
	simdF64x2Le      = 0x4b
	simdI64x2ShrS    = 0xcc
)

func (f *fn) simd(op uint32) { f.op(0xfd); f.b = uleb(f.b, op) }

// load/store helpers: address on the stack.
func (f *fn) scalar(op byte, align, off uint32) { f.op(op); f.memarg(align, off) }
func (f *fn) vload(off uint32)                  { f.simd(simdV128Load); f.memarg(3, off) }
func (f *fn) vstore(off uint32)                 { f.simd(simdV128Store); f.memarg(3, off) }
func (f *fn) zero128() {
	f.simd(simdV128Const)
	f.op(make([]byte, 16)...)
}

// bump adds by to the i32 local p.
func (f *fn) bump(p uint32, by int32) {
	f.get(p)
	f.i32c(by)
	f.op(opI32Add)
	f.set(p)
}

// exitIfGeU leaves the loop (the block around it) when a ≥ b, unsigned.
func (f *fn) exitIfGeU(a, b uint32) {
	f.get(a)
	f.get(b)
	f.op(opI32GeU)
	f.brIf(1)
}

// accumulate adds a·float64(x) to the float64 at the address in local at,
// for the f64 local a and the float32 at the address in local x (axpy32's
// tail and scattersparse's entries).
func (f *fn) accumulate(at, a, x uint32) {
	f.get(at)
	f.loadF64(at)
	f.get(a)
	f.loadF32AsF64(x)
	f.op(opF64Mul)
	f.op(opF64Add)
	f.scalar(opF64Store, 3, 0)
}

// addr pushes base + off (i32 locals/constant).
func (f *fn) addLocals(a, b uint32) { f.get(a); f.get(b); f.op(opI32Add) }

// f32c pushes a float32 constant.
func (f *fn) f32c(v float32) {
	f.op(0x43)
	f.b = binary.LittleEndian.AppendUint32(f.b, math.Float32bits(v))
}

// ifBlock opens an if (no result) on the i32 on the stack; elseBlock
// starts its else; end closes it.
func (f *fn) ifBlock()   { f.op(0x04, 0x40) }
func (f *fn) elseBlock() { f.op(0x05) }

// whileBelow emits a loop that runs body while the i32 local p is below
// the i32 local end (unsigned): the block and loop around it, the exit
// test at the top and the branch back at the bottom. body moves p on.
func (f *fn) whileBelow(p, end uint32, body func()) {
	f.block()
	f.loop()
	f.exitIfGeU(p, end)
	body()
	f.br(0)
	f.end()
	f.end()
}

// ifBelow opens an if that runs when the i32 local p is below the i32
// local end (unsigned): the odd last entry after a loop over pairs.
func (f *fn) ifBelow(p, end uint32) {
	f.get(p)
	f.get(end)
	f.op(0x49) // i32.lt_u
	f.ifBlock()
}

// pairsThenOdd runs body(false) on the pairs of entries from the float32
// pointer p up to end2, then body(true) on an odd last entry when p is
// still below endR (the two ends of ends(p, n, 2)). body advances p.
func (f *fn) pairsThenOdd(p, end2, endR uint32, body func(single bool)) {
	f.whileBelow(p, end2, func() { body(false) })
	f.ifBelow(p, endR)
	body(true)
	f.end()
}

// groupEnd sets the i32 local dst to p + 4·(n &^ (size−1)), the byte offset
// of the end of the float32 array at p's groups of size (a power of two)
// entries, n its length; elemAt(p, n, 2) is its end.
func (f *fn) groupEnd(p, n uint32, size int32, dst uint32) {
	f.get(p)
	f.get(n)
	f.i32c(-size)
	f.op(opI32And)
	f.i32c(2)
	f.op(opI32Shl)
	f.op(opI32Add)
	f.set(dst)
}

// splatLocal sets the v128 local v to the f64 local x in both lanes.
func (f *fn) splatLocal(x, v uint32) {
	f.get(x)
	f.simd(simdF64x2Splat)
	f.set(v)
}

// splat pushes the f64x2 (v, v).
func (f *fn) splat(v float64) {
	f.f64c(v)
	f.simd(simdF64x2Splat)
}

// lane pushes lane l of the v128 local v, extracted by the SIMD opcode
// extract (simdF64x2Extract and friends).
func (f *fn) lane(v uint32, extract uint32, l byte) {
	f.get(v)
	f.simd(extract)
	f.op(l)
}

// load32x2 pushes the float32 at the address in the local p promoted to
// f64x2: two entries (lane 1 the second), or one in lane 0 (single,
// lane 1 zero).
func (f *fn) load32x2(p uint32, single bool) {
	f.get(p)
	if single {
		f.simd(simdLoad32Zero)
	} else {
		f.simd(simdLoad64Zero)
	}
	f.memarg(2, 0)
	f.simd(simdF64x2Promote)
}

// load64x2 pushes the float64 at the address in the local p as an f64x2:
// two entries, or one in lane 0 (single, lane 1 zero).
func (f *fn) load64x2(p uint32, single bool) {
	f.get(p)
	if single {
		f.simd(simdLoad64Zero)
		f.memarg(3, 0)
	} else {
		f.vload(0)
	}
}

// pairStep is how many entries a step of a loop over pairs moves on: 2,
// or 1 for the odd last entry (single).
func pairStep(single bool) int32 {
	if single {
		return 1
	}
	return 2
}

// highHalf pushes the v128 local v with its two halves swapped, so that
// f64x2.promote_low_f32x4 takes its float32 lanes 2 and 3.
func (f *fn) highHalf(v uint32) {
	f.get(v)
	f.get(v)
	f.simd(simdShuffle)
	f.op(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)
}

// keepIf sets the local w to the local x when x cmp w holds (cmp a scalar
// comparison opcode, opF64Gt and friends), keeping w otherwise: Go's "if x
// > w { w = x }" as a select.
func (f *fn) keepIf(x, w uint32, cmp byte) {
	f.get(x)
	f.get(w)
	f.get(x)
	f.get(w)
	f.op(cmp)
	f.op(opSelect)
	f.set(w)
}

// horner sets the f64x2 local q to the polynomial in the local r with the
// coefficients cs, highest degree first, by Horner's rule: q = cs[0], then
// q = c + r·q for each further c in turn.
func (f *fn) horner(q, r uint32, cs []float64) {
	f.splat(cs[0])
	f.set(q)
	for _, c := range cs[1:] {
		f.splat(c)
		f.get(r)
		f.get(q)
		f.simd(simdF64x2Mul)
		f.simd(simdF64x2Add)
		f.set(q)
	}
}

// reduce sets the f64x2 local r to (a − kf·hi) − kf·lo: the argument
// reduction of an exponential, ln 2 (or a fraction of it) split in hi and
// lo.
func (f *fn) reduce(r, a, kf uint32, hi, lo float64) {
	f.get(a)
	f.get(kf)
	f.splat(hi)
	f.simd(simdF64x2Mul)
	f.simd(simdF64x2Sub)
	f.get(kf)
	f.splat(lo)
	f.simd(simdF64x2Mul)
	f.simd(simdF64x2Sub)
	f.set(r)
}

// pow2 pushes the f64x2 2^(k >> shift) for the int32 lanes 0 and 1 of the
// v128 local ki (shift 0: 2^k), built from the exponent bits (k + 1023)
// << 52.
func (f *fn) pow2(ki uint32, shift int32) {
	f.get(ki)
	f.simd(simdI64x2Extend)
	if shift != 0 {
		f.i32c(shift)
		f.simd(simdI64x2ShrS)
	}
	f.op(0x42) // i64.const 1023
	f.b = sleb(f.b, 1023)
	f.simd(simdI64x2Splat)
	f.simd(simdI64x2Add)
	f.i32c(52)
	f.simd(simdI64x2Shl)
}

// increment32 adds 1 to the uint32 at the address on the stack (kept in
// the i32 local at): a histogram's count.
func (f *fn) increment32(at uint32) {
	f.tee(at)
	f.get(at)
	f.scalar(opI32Load, 2, 0)
	f.i32c(1)
	f.op(opI32Add)
	f.scalar(opI32Store, 2, 0)
}

// elemAt pushes base + size·i (a byte offset of element i).
func (f *fn) elemAt(base, i uint32, shift int32) {
	f.get(base)
	f.get(i)
	f.i32c(shift)
	f.op(opI32Shl)
	f.op(opI32Add)
}

// ends declares two i32 locals and sets them to the byte offsets, in the
// float32 array at parameter p of length parameter n, of the end of its
// groups of size (a power of two) entries, p + 4·(n &^ (size−1)), and of
// its end, p + 4·n: size 2 for the loops over pairs, 4 over f32x4 groups.
func (f *fn) ends(p, n uint32, size int32) (endG, endP uint32) {
	endG, endP = f.local(i32), f.local(i32)
	f.groupEnd(p, n, size, endG)
	f.elemAt(p, n, 2)
	f.set(endP)
	return endG, endP
}

// storeDemoted demotes the f64x2 on the stack to float32 and stores its
// first lane (single) or both at the address below it; the demoted v128
// is also kept in the local tee, if one is given.
func (f *fn) storeDemoted(single bool, tee ...uint32) {
	f.simd(simdF32x4Demote)
	for _, t := range tee {
		f.tee(t)
	}
	if single {
		f.simd(simdStore32Lane)
	} else {
		f.simd(simdStore64Lane)
	}
	f.memarg(2, 0)
	f.op(0)
}

// advance moves a float32 pointer p32 and a float64 pointer p64 on by one
// entry (single) or two.
func (f *fn) advance(single bool, p32, p64 uint32) {
	f.bump(p32, 4*pairStep(single))
	f.bump(p64, 8*pairStep(single))
}

// foldMax folds the f64 on the stack into the local w: w = x > w ? x : w
// (x kept in the local tmp).
func (f *fn) foldMax(w, tmp uint32) {
	f.set(tmp)
	f.keepIf(tmp, w, opF64Gt)
}

// forLanes emits lane(0), then lane(1) unless single: a pair's entries
// in order, or the odd last one's.
func (f *fn) forLanes(single bool, lane func(l byte)) {
	for l := byte(0); l < byte(pairStep(single)); l++ {
		lane(l)
	}
}

// loadF32AsF64 pushes float64 of the float32 at the address in the local
// p.
func (f *fn) loadF32AsF64(p uint32) {
	f.get(p)
	f.scalar(opF32Load, 2, 0)
	f.op(opF64Promote)
}

// loadF64 pushes the float64 at the address in the local p.
func (f *fn) loadF64(p uint32) {
	f.get(p)
	f.scalar(opF64Load, 3, 0)
}

// truncTo sets the v128 local ki to the f64x2 on the stack truncated to
// int32 (saturating, lanes 0 and 1; 2 and 3 zero) and the local kf to
// those integers as f64x2: an exponential's k.
func (f *fn) truncTo(ki, kf uint32) {
	f.simd(simdTruncSatZero)
	f.tee(ki)
	f.simd(simdConvertLow)
	f.set(kf)
}
