// Package simd is the browser's WebAssembly SIMD128 version of the hot loops
// of core/ot (sqDist, dot32, axpy32): a small separate wasm module, generated
// by this package's Go code (Module, no other toolchain), that imports the Go
// module's linear memory and works on the Go slices in place.
//
// Every kernel performs exactly the float64 operations of its pure-Go
// counterpart in core/ot, in the same order: the Go code's independent
// accumulators are mapped to f64x2 lanes (never reassociated), there is no
// fused multiply-add, and the final rounding (float32 conversion, clamp at
// zero) is the same. The results are therefore bit-identical to the CLI's;
// simd_test.go checks it on random inputs of awkward sizes.
//
// The module's functions are reached from Go through //go:wasmimport
// functions of the import module "otcesimd", which the JavaScript host
// (www/worker.js, or testdata/exec.js under Node) resolves to trampolines
// into the SIMD instance; Install (GOOS=js only) builds the module, asks the
// host to instantiate it on the Go memory and, when the browser supports
// SIMD128, installs the kernels into core/ot.
package simd

import (
	"encoding/binary"
	"math"
)

// Module returns the SIMD module's binary. It imports env.mem (the Go
// module's memory) and exports
//
//	sqdist(out, x, nx, y, ny, n, m, d i32)     the 4×4 tiles of core/ot's sqDist
//	dot32(k, v, n i32) f64                     core/ot's dot32 on k[:n], v[:n]
//	axpy32(y i32, a f64, k, n i32)             core/ot's axpy32 on y[:n], k[:n]
//	segdot32(segsum, row, v, seg, lb i32) f64  dot32 on each segment [seg[c], seg[c+1]) of a row
//	kernelrow(row, g, n i32, fi, inv, eps, flush f64)  core/ot's kernelRow: row_j = exp((fi+g_j−row_j·inv)/eps)
//	segdotsparse(segsum, sv, sc, v, seg, nnz, lb i32) f64  core/ot's segDotSparse on one sparse row
//	scattersparse(col i32, a f64, sv, sc, nnz i32)      col[sc_k] += a·sv_k, k < nnz, in order
//	absorbrow(row, v, n i32, ui, lo f64, square i32) i32  core/ot's absorbRow: the scalings into a dense kernel row
//
// where every pointer is a byte offset in the Go memory (float64 and int64
// arrays 8 bytes an element, float32 arrays 4).
func Module() []byte {
	var m []byte
	m = append(m, 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00)

	// Types: 0 sqdist, 1 dot32, 2 axpy32, 3 segdot32, 4 kernelrow,
	// 5 segdotsparse, 6 scattersparse, 7 absorbrow.
	types := []byte{8}
	types = append(types, functype([]byte{i32, i32, i32, i32, i32, i32, i32, i32}, nil)...)
	types = append(types, functype([]byte{i32, i32, i32}, []byte{f64})...)
	types = append(types, functype([]byte{i32, f64, i32, i32}, nil)...)
	types = append(types, functype([]byte{i32, i32, i32, i32, i32}, []byte{f64})...)
	types = append(types, functype([]byte{i32, i32, i32, f64, f64, f64, f64}, nil)...)
	types = append(types, functype([]byte{i32, i32, i32, i32, i32, i32, i32}, []byte{f64})...)
	types = append(types, functype([]byte{i32, f64, i32, i32, i32}, nil)...)
	types = append(types, functype([]byte{i32, i32, i32, f64, f64, i32}, []byte{i32})...)
	m = section(m, 1, types)

	// Import: env.mem, a memory of at least 0 pages, no maximum.
	imp := []byte{1}
	imp = appendName(imp, "env")
	imp = appendName(imp, "mem")
	imp = append(imp, 0x02, 0x00, 0x00)
	m = section(m, 2, imp)

	// Functions: 0 sqdist, 1 dot32, 2 axpy32, 3 segdot32, 4 kernelrow,
	// 5 segdotsparse, 6 scattersparse, 7 absorbrow (function i has type i).
	m = section(m, 3, []byte{8, 0, 1, 2, 3, 4, 5, 6, 7})

	exp := []byte{8}
	for i, name := range []string{"sqdist", "dot32", "axpy32", "segdot32", "kernelrow", "segdotsparse", "scattersparse", "absorbrow"} {
		exp = appendName(exp, name)
		exp = append(exp, 0x00, byte(i))
	}
	m = section(m, 7, exp)

	bodies := [][]byte{sqdistBody(), dot32Body(), axpy32Body(), segdot32Body(), kernelrowBody(), segdotsparseBody(), scattersparseBody(), absorbrowBody()}
	code := uleb(nil, uint32(len(bodies)))
	for _, b := range bodies {
		code = uleb(code, uint32(len(b)))
		code = append(code, b...)
	}
	m = section(m, 10, code)
	return m
}

// Value types.
const (
	i32  = 0x7f
	i64  = 0x7e
	f64  = 0x7c
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
	opI32Add     = 0x6a
	opI32Sub     = 0x6b
	opI32Mul     = 0x6c
	opI32And     = 0x71
	opI32Shl     = 0x74
	opI32GeU     = 0x4f
	opI32GeS     = 0x4e
	opI32Load    = 0x28
	opI32WrapI64 = 0xa7
	opF64Add     = 0xa0
	opF64Mul     = 0xa2
	opF64Promote = 0xbb
	opF32Load    = 0x2a
	opF64Load    = 0x2b
	opI64Load    = 0x29
	opF64Store   = 0x39
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
	simdF64x2Eq      = 0x47
	simdTruncSatZero = 0xfc // i32x4.trunc_sat_f64x2_s_zero
	simdConvertLow   = 0xfe // f64x2.convert_low_i32x4_s
	simdF64x2Div     = 0xf3
	simdF64x2Add     = 0xf0
	simdF64x2Sub     = 0xf1
	simdF64x2Mul     = 0xf2
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

// addr pushes base + off (i32 locals/constant).
func (f *fn) addLocals(a, b uint32) { f.get(a); f.get(b); f.op(opI32Add) }

// sqdistBody: params out, x, nx, y, ny, n, m, d (i32). For every tile of rows
// i..i+3 < n&^3 and columns j..j+3 < m&^3, the 16 dot products are summed
// over k in order, row r's pairs (a_r0, a_r1), (a_r2, a_r3) in two f64x2
// accumulators, then out[(i+r)*m+j+c] = clamp0(nx[i+r] + ny[j+c] − 2·a_rc).
func sqdistBody() []byte {
	f := &fn{nparam: 8}
	const (
		pOut, pX, pNx, pY, pNy, pN, pM, pD = 0, 1, 2, 3, 4, 5, 6, 7
	)
	n4 := f.local(i32)
	m4 := f.local(i32)
	d8 := f.local(i32)
	i := f.local(i32)
	j := f.local(i32)
	k := f.local(i32)
	var xr, yc [4]uint32
	for r := range xr {
		xr[r] = f.local(i32)
	}
	for c := range yc {
		yc[c] = f.local(i32)
	}
	orow := f.local(i32) // byte offset of out[(i+r)*m + j]
	var acc [8]uint32
	for q := range acc {
		acc[q] = f.local(v128)
	}
	bl := f.local(v128)
	bh := f.local(v128)
	cv := f.local(v128)
	t := f.local(v128)

	// n4 = n &^ 3; m4 = m &^ 3; d8 = d*8
	f.get(pN)
	f.i32c(-4)
	f.op(opI32And)
	f.set(n4)
	f.get(pM)
	f.i32c(-4)
	f.op(opI32And)
	f.set(m4)
	f.get(pD)
	f.i32c(3)
	f.op(opI32Shl)
	f.set(d8)

	f.i32c(0)
	f.set(i)
	f.block()
	f.loop()
	{
		f.get(i)
		f.get(n4)
		f.op(opI32GeU)
		f.brIf(1)
		// xr0 = x + i*d8, xr_{r+1} = xr_r + d8
		f.get(pX)
		f.get(i)
		f.get(d8)
		f.op(opI32Mul)
		f.op(opI32Add)
		f.set(xr[0])
		for r := 1; r < 4; r++ {
			f.addLocals(xr[r-1], d8)
			f.set(xr[r])
		}
		f.i32c(0)
		f.set(j)
		f.block()
		f.loop()
		{
			f.get(j)
			f.get(m4)
			f.op(opI32GeU)
			f.brIf(1)
			f.get(pY)
			f.get(j)
			f.get(d8)
			f.op(opI32Mul)
			f.op(opI32Add)
			f.set(yc[0])
			for c := 1; c < 4; c++ {
				f.addLocals(yc[c-1], d8)
				f.set(yc[c])
			}
			for q := range acc {
				f.zero128()
				f.set(acc[q])
			}
			f.i32c(0)
			f.set(k)
			f.block()
			f.loop()
			{
				f.get(k)
				f.get(d8)
				f.op(opI32GeU)
				f.brIf(1)
				// bl = (y0[k], y1[k]), bh = (y2[k], y3[k])
				f.addLocals(yc[1], k)
				f.addLocals(yc[0], k)
				f.simd(simdLoad64Zero)
				f.memarg(3, 0)
				f.simd(simdLoad64Lane)
				f.memarg(3, 0)
				f.op(1)
				f.set(bl)
				f.addLocals(yc[3], k)
				f.addLocals(yc[2], k)
				f.simd(simdLoad64Zero)
				f.memarg(3, 0)
				f.simd(simdLoad64Lane)
				f.memarg(3, 0)
				f.op(1)
				f.set(bh)
				for r := 0; r < 4; r++ {
					f.addLocals(xr[r], k)
					f.simd(simdLoad64Splat)
					f.memarg(3, 0)
					f.set(cv)
					for h, b := range []uint32{bl, bh} {
						a := acc[2*r+h]
						f.get(a)
						f.get(cv)
						f.get(b)
						f.simd(simdF64x2Mul)
						f.simd(simdF64x2Add)
						f.set(a)
					}
				}
				f.get(k)
				f.i32c(8)
				f.op(opI32Add)
				f.set(k)
				f.br(0)
			}
			f.end()
			f.end()
			// Results, row by row.
			for r := 0; r < 4; r++ {
				// orow = out + ((i+r)*m + j)*4
				f.get(pOut)
				f.get(i)
				if r > 0 {
					f.i32c(int32(r))
					f.op(opI32Add)
				}
				f.get(pM)
				f.op(opI32Mul)
				f.get(j)
				f.op(opI32Add)
				f.i32c(2)
				f.op(opI32Shl)
				f.op(opI32Add)
				f.set(orow)
				for h := 0; h < 2; h++ {
					// t = (splat(nx[i+r]) + ny[j+2h : j+2h+2]) − 2·acc
					f.get(pNx)
					f.get(i)
					f.i32c(3)
					f.op(opI32Shl)
					f.op(opI32Add)
					f.simd(simdLoad64Splat)
					f.memarg(3, uint32(8*r))
					f.get(pNy)
					f.get(j)
					f.i32c(3)
					f.op(opI32Shl)
					f.op(opI32Add)
					f.vload(uint32(16 * h))
					f.simd(simdF64x2Add)
					f.f64c(2)
					f.simd(simdF64x2Splat)
					f.get(acc[2*r+h])
					f.simd(simdF64x2Mul)
					f.simd(simdF64x2Sub)
					f.set(t)
					// clamp0: t &^ (t < 0), then demote to float32 and store two.
					f.get(orow)
					f.get(t)
					f.get(t)
					f.zero128()
					f.simd(simdF64x2Lt)
					f.simd(simdV128AndNot)
					f.simd(simdF32x4Demote)
					f.simd(simdStore64Lane)
					f.memarg(2, uint32(8*h))
					f.op(0)
				}
			}
			f.get(j)
			f.i32c(4)
			f.op(opI32Add)
			f.set(j)
			f.br(0)
		}
		f.end()
		f.end()
		f.get(i)
		f.i32c(4)
		f.op(opI32Add)
		f.set(i)
		f.br(0)
	}
	f.end()
	f.end()
	return f.body()
}

// dot32Body: params k, v, n; returns Σ k_j v_j as dot32: (s0, s1) and
// (s2, s3) in two f64x2 accumulators over groups of four, the tail into s0,
// ends32 declares two i32 locals and sets them to the byte offsets, in the
// float32 array at parameter pK of length parameter pN, of the end of its
// groups of four (pK + 4·(pN &^ 3)) and of its end (pK + 4·pN).
func (f *fn) ends32(pK, pN uint32) (end4, endK uint32) {
	end4, endK = f.local(i32), f.local(i32)
	f.get(pK)
	f.get(pN)
	f.i32c(-4)
	f.op(opI32And)
	f.i32c(2)
	f.op(opI32Shl)
	f.op(opI32Add)
	f.set(end4)
	f.get(pK)
	f.get(pN)
	f.i32c(2)
	f.op(opI32Shl)
	f.op(opI32Add)
	f.set(endK)
	return end4, endK
}

// then (s0 + s1) + (s2 + s3).
func dot32Body() []byte {
	f := &fn{nparam: 3}
	const pK, pV, pN = 0, 1, 2
	end4, endK := f.ends32(pK, pN)
	s01 := f.local(v128)
	s23 := f.local(v128)
	kv := f.local(v128)
	s0 := f.local(f64)

	f.zero128()
	f.set(s01)
	f.zero128()
	f.set(s23)
	f.block()
	f.loop()
	{
		f.get(pK)
		f.get(end4)
		f.op(opI32GeU)
		f.brIf(1)
		f.get(pK)
		f.vload(0)
		f.set(kv)
		// s01 += promote(k0, k1) * (v0, v1)
		f.get(s01)
		f.get(kv)
		f.simd(simdF64x2Promote)
		f.get(pV)
		f.vload(0)
		f.simd(simdF64x2Mul)
		f.simd(simdF64x2Add)
		f.set(s01)
		// s23 += promote(k2, k3) * (v2, v3)
		f.get(s23)
		f.get(kv)
		f.get(kv)
		f.simd(simdShuffle)
		f.op(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)
		f.simd(simdF64x2Promote)
		f.get(pV)
		f.vload(16)
		f.simd(simdF64x2Mul)
		f.simd(simdF64x2Add)
		f.set(s23)
		f.get(pK)
		f.i32c(16)
		f.op(opI32Add)
		f.set(pK)
		f.get(pV)
		f.i32c(32)
		f.op(opI32Add)
		f.set(pV)
		f.br(0)
	}
	f.end()
	f.end()
	// Tail into s0.
	f.get(s01)
	f.simd(simdF64x2Extract)
	f.op(0)
	f.set(s0)
	f.block()
	f.loop()
	{
		f.get(pK)
		f.get(endK)
		f.op(opI32GeU)
		f.brIf(1)
		f.get(s0)
		f.get(pK)
		f.scalar(opF32Load, 2, 0)
		f.op(opF64Promote)
		f.get(pV)
		f.scalar(opF64Load, 3, 0)
		f.op(opF64Mul)
		f.op(opF64Add)
		f.set(s0)
		f.get(pK)
		f.i32c(4)
		f.op(opI32Add)
		f.set(pK)
		f.get(pV)
		f.i32c(8)
		f.op(opI32Add)
		f.set(pV)
		f.br(0)
	}
	f.end()
	f.end()
	// (s0 + s1) + (s2 + s3)
	f.get(s0)
	f.get(s01)
	f.simd(simdF64x2Extract)
	f.op(1)
	f.op(opF64Add)
	f.get(s23)
	f.simd(simdF64x2Extract)
	f.op(0)
	f.get(s23)
	f.simd(simdF64x2Extract)
	f.op(1)
	f.op(opF64Add)
	f.op(opF64Add)
	return f.body()
}

// axpy32Body: params y, a, k, n; y_j += a·k_j, two entries a lane.
func axpy32Body() []byte {
	f := &fn{nparam: 4}
	const pY, pA, pK, pN = 0, 1, 2, 3
	end4, endK := f.ends32(pK, pN)
	av := f.local(v128)
	kv := f.local(v128)

	f.get(pA)
	f.simd(simdF64x2Splat)
	f.set(av)
	f.block()
	f.loop()
	{
		f.get(pK)
		f.get(end4)
		f.op(opI32GeU)
		f.brIf(1)
		f.get(pK)
		f.vload(0)
		f.set(kv)
		for h := 0; h < 2; h++ {
			f.get(pY) // store address
			f.get(pY)
			f.vload(uint32(16 * h))
			f.get(av)
			f.get(kv)
			if h == 1 {
				f.get(kv)
				f.simd(simdShuffle)
				f.op(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)
			}
			f.simd(simdF64x2Promote)
			f.simd(simdF64x2Mul)
			f.simd(simdF64x2Add)
			f.vstore(uint32(16 * h))
		}
		f.get(pK)
		f.i32c(16)
		f.op(opI32Add)
		f.set(pK)
		f.get(pY)
		f.i32c(32)
		f.op(opI32Add)
		f.set(pY)
		f.br(0)
	}
	f.end()
	f.end()
	f.block()
	f.loop()
	{
		f.get(pK)
		f.get(endK)
		f.op(opI32GeU)
		f.brIf(1)
		f.get(pY)
		f.get(pY)
		f.scalar(opF64Load, 3, 0)
		f.get(pA)
		f.get(pK)
		f.scalar(opF32Load, 2, 0)
		f.op(opF64Promote)
		f.op(opF64Mul)
		f.op(opF64Add)
		f.scalar(opF64Store, 3, 0)
		f.get(pK)
		f.i32c(4)
		f.op(opI32Add)
		f.set(pK)
		f.get(pY)
		f.i32c(8)
		f.op(opI32Add)
		f.set(pY)
		f.br(0)
	}
	f.end()
	f.end()
	return f.body()
}

// segdot32Body: params segsum, row, v, seg, lb; for c < lb, x = dot32 of
// row[seg[c]:seg[c+1]] and v[seg[c]:seg[c+1]] (seg: int64), segsum[c] = x,
// s += x in order; returns s.
func segdot32Body() []byte {
	f := &fn{nparam: 5}
	const pSum, pRow, pV, pSeg, pLb = 0, 1, 2, 3, 4
	c := f.local(i32)
	lo := f.local(i32)
	x := f.local(f64)
	s := f.local(f64)

	f.f64c(0)
	f.set(s)
	f.i32c(0)
	f.set(c)
	f.block()
	f.loop()
	{
		f.get(c)
		f.get(pLb)
		f.op(opI32GeU)
		f.brIf(1)
		// lo = seg[c]
		f.get(pSeg)
		f.scalar(opI64Load, 3, 0)
		f.op(opI32WrapI64)
		f.set(lo)
		// x = dot32(row + 4lo, v + 8lo, seg[c+1] − lo)
		f.get(pRow)
		f.get(lo)
		f.i32c(2)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.get(pV)
		f.get(lo)
		f.i32c(3)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.get(pSeg)
		f.scalar(opI64Load, 3, 8)
		f.op(opI32WrapI64)
		f.get(lo)
		f.op(opI32Sub)
		f.call(1)
		f.set(x)
		f.get(pSum)
		f.get(x)
		f.scalar(opF64Store, 3, 0)
		f.get(s)
		f.get(x)
		f.op(opF64Add)
		f.set(s)
		f.get(pSum)
		f.i32c(8)
		f.op(opI32Add)
		f.set(pSum)
		f.get(pSeg)
		f.i32c(8)
		f.op(opI32Add)
		f.set(pSeg)
		f.get(c)
		f.i32c(1)
		f.op(opI32Add)
		f.set(c)
		f.br(0)
	}
	f.end()
	f.end()
	f.get(s)
	return f.body()
}

// kernelrowBody: params row, g, n, fi, inv, eps, flush. For j < n, with
// a = (fi + g_j − float64(row_j)·inv)/eps: row_j = 0 if a < −flush, else
// float32(expKernel(a)), two entries a lane (core/ot's kernelRow and
// expKernel step by step: the reduction k = trunc(a·log2e ± 0.5), r = (a −
// k·ln2hi) − k·ln2lo, the degree-8 Horner polynomial, times 2**k built from
// the exponent bits; exponents below −700 give 0).
func kernelrowBody() []byte {
	f := &fn{nparam: 7}
	const pRow, pG, pN, pFi, pInv, pEps, pFlush = 0, 1, 2, 3, 4, 5, 6
	end2 := f.local(i32)
	endR := f.local(i32)
	vfi := f.local(v128)
	vinv := f.local(v128)
	veps := f.local(v128)
	vflush := f.local(v128)
	a := f.local(v128)
	kf := f.local(v128)
	ki := f.local(v128)
	r := f.local(v128)
	q := f.local(v128)

	f.get(pRow)
	f.get(pN)
	f.i32c(-2)
	f.op(opI32And)
	f.i32c(2)
	f.op(opI32Shl)
	f.op(opI32Add)
	f.set(end2)
	f.get(pRow)
	f.get(pN)
	f.i32c(2)
	f.op(opI32Shl)
	f.op(opI32Add)
	f.set(endR)
	for _, p := range [][2]uint32{{pFi, vfi}, {pInv, vinv}, {pEps, veps}} {
		f.get(p[0])
		f.simd(simdF64x2Splat)
		f.set(p[1])
	}
	// −flush
	f.f64c(0)
	f.get(pFlush)
	f.op(0xa1) // f64.sub
	f.simd(simdF64x2Splat)
	f.set(vflush)
	splat := func(v float64) {
		f.f64c(v)
		f.simd(simdF64x2Splat)
	}
	const (
		log2e = 1.44269504088896338700e+00
		ln2hi = 6.93147180369123816490e-01
		ln2lo = 1.90821492927058770002e-10
	)
	// body computes the entries at pRow (one or two) and advances.
	body := func(single bool) {
		// a = ((fi + g) − c·inv) / eps
		f.get(vfi)
		f.get(pG)
		if single {
			f.simd(simdLoad64Zero)
			f.memarg(3, 0)
		} else {
			f.vload(0)
		}
		f.simd(simdF64x2Add)
		f.get(pRow)
		if single {
			f.simd(simdLoad32Zero)
			f.memarg(2, 0)
		} else {
			f.simd(simdLoad64Zero)
			f.memarg(2, 0)
		}
		f.simd(simdF64x2Promote)
		f.get(vinv)
		f.simd(simdF64x2Mul)
		f.simd(simdF64x2Sub)
		f.get(veps)
		f.simd(simdF64x2Div)
		f.set(a)
		// ki = trunc(a·log2e + (a < 0 ? −0.5 : 0.5)), kf = float64(ki)
		f.get(a)
		splat(log2e)
		f.simd(simdF64x2Mul)
		splat(-0.5)
		splat(0.5)
		f.get(a)
		f.zero128()
		f.simd(simdF64x2Lt)
		f.simd(simdBitselect)
		f.simd(simdF64x2Add)
		f.simd(simdTruncSatZero)
		f.tee(ki)
		f.simd(simdConvertLow)
		f.set(kf)
		// r = (a − kf·ln2hi) − kf·ln2lo
		f.get(a)
		f.get(kf)
		splat(ln2hi)
		f.simd(simdF64x2Mul)
		f.simd(simdF64x2Sub)
		f.get(kf)
		splat(ln2lo)
		f.simd(simdF64x2Mul)
		f.simd(simdF64x2Sub)
		f.set(r)
		// q = 1 + r·(1 + r·(1/2 + … + r·(1/5040 + r·(1/40320))))
		splat(1.0 / 40320)
		f.set(q)
		for _, c := range []float64{1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 1.0 / 2, 1, 1} {
			splat(c)
			f.get(r)
			f.get(q)
			f.simd(simdF64x2Mul)
			f.simd(simdF64x2Add)
			f.set(q)
		}
		// store address, then q · 2**ki, zero where a < −flush or a < −700
		f.get(pRow)
		f.get(q)
		f.get(ki)
		f.simd(simdI64x2Extend)
		f.op(0x42) // i64.const 1023
		f.b = sleb(f.b, 1023)
		f.simd(simdI64x2Splat)
		f.simd(simdI64x2Add)
		f.i32c(52)
		f.simd(simdI64x2Shl)
		f.simd(simdF64x2Mul)
		f.get(a)
		f.get(vflush)
		f.simd(simdF64x2Lt)
		f.get(a)
		splat(-700)
		f.simd(simdF64x2Lt)
		f.simd(simdV128Or)
		f.simd(simdV128AndNot)
		f.simd(simdF32x4Demote)
		if single {
			f.simd(simdStore32Lane)
		} else {
			f.simd(simdStore64Lane)
		}
		f.memarg(2, 0)
		f.op(0)
		step := int32(2)
		if single {
			step = 1
		}
		f.get(pRow)
		f.i32c(4 * step)
		f.op(opI32Add)
		f.set(pRow)
		f.get(pG)
		f.i32c(8 * step)
		f.op(opI32Add)
		f.set(pG)
	}
	f.block()
	f.loop()
	f.get(pRow)
	f.get(end2)
	f.op(opI32GeU)
	f.brIf(1)
	body(false)
	f.br(0)
	f.end()
	f.end()
	// An odd last entry.
	f.get(pRow)
	f.get(endR)
	f.op(0x49)       // i32.lt_u
	f.op(0x04, 0x40) // if
	body(true)
	f.end()
	return f.body()
}

// segdotsparseBody: params segsum, sv, sc, v, seg, nnz, lb. core/ot's
// segDotSparse: for k < nnz, with j = sc_k (ascending) in class c (seg[c] ≤
// j < seg[c+1], seg int64), x = float64(sv_k)·v_j is added to the class's sum
// and to the total, in order; segsum[c] gets each class's sum (0 for a class
// without entries); returns the total. The class's running sum is a local
// that starts at 0, as segsum[c] does in Go (0 + x = x, bit for bit).
func segdotsparseBody() []byte {
	f := &fn{nparam: 7}
	const pSum, pSv, pSc, pV, pSeg, pNnz, pLb = 0, 1, 2, 3, 4, 5, 6
	c := f.local(i32)
	hi := f.local(i32)
	j := f.local(i32)
	end := f.local(i32)
	acc := f.local(f64)
	total := f.local(f64)
	x := f.local(f64)

	// hi = seg[1]; end = sc + 4·nnz
	f.get(pSeg)
	f.scalar(opI64Load, 3, 8)
	f.op(opI32WrapI64)
	f.set(hi)
	f.get(pSc)
	f.get(pNnz)
	f.i32c(2)
	f.op(opI32Shl)
	f.op(opI32Add)
	f.set(end)
	f.block()
	f.loop()
	{
		f.get(pSc)
		f.get(end)
		f.op(opI32GeU)
		f.brIf(1)
		f.get(pSc)
		f.scalar(opI32Load, 2, 0)
		f.set(j)
		// while j >= hi: segsum[c] = acc; acc = 0; c++; hi = seg[c+1]
		f.block()
		f.loop()
		{
			f.get(j)
			f.get(hi)
			f.op(0x48) // i32.lt_s
			f.brIf(1)
			f.get(pSum)
			f.get(c)
			f.i32c(3)
			f.op(opI32Shl)
			f.op(opI32Add)
			f.get(acc)
			f.scalar(opF64Store, 3, 0)
			f.f64c(0)
			f.set(acc)
			f.get(c)
			f.i32c(1)
			f.op(opI32Add)
			f.set(c)
			f.get(pSeg)
			f.get(c)
			f.i32c(3)
			f.op(opI32Shl)
			f.op(opI32Add)
			f.scalar(opI64Load, 3, 8)
			f.op(opI32WrapI64)
			f.set(hi)
			f.br(0)
		}
		f.end()
		f.end()
		// x = float64(sv_k) · v_j; acc += x; total += x
		f.get(pSv)
		f.scalar(opF32Load, 2, 0)
		f.op(opF64Promote)
		f.get(pV)
		f.get(j)
		f.i32c(3)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.scalar(opF64Load, 3, 0)
		f.op(opF64Mul)
		f.set(x)
		f.get(acc)
		f.get(x)
		f.op(opF64Add)
		f.set(acc)
		f.get(total)
		f.get(x)
		f.op(opF64Add)
		f.set(total)
		f.get(pSc)
		f.i32c(4)
		f.op(opI32Add)
		f.set(pSc)
		f.get(pSv)
		f.i32c(4)
		f.op(opI32Add)
		f.set(pSv)
		f.br(0)
	}
	f.end()
	f.end()
	// segsum[c] = acc, then zeros up to lb.
	f.block()
	f.loop()
	{
		f.get(c)
		f.get(pLb)
		f.op(opI32GeS)
		f.brIf(1)
		f.get(pSum)
		f.get(c)
		f.i32c(3)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.get(acc)
		f.scalar(opF64Store, 3, 0)
		f.f64c(0)
		f.set(acc)
		f.get(c)
		f.i32c(1)
		f.op(opI32Add)
		f.set(c)
		f.br(0)
	}
	f.end()
	f.end()
	f.get(total)
	return f.body()
}

// scattersparseBody: params col, a, sv, sc, nnz; col[sc_k] += a·float64(sv_k)
// for k < nnz, in order.
func scattersparseBody() []byte {
	f := &fn{nparam: 5}
	const pCol, pA, pSv, pSc, pNnz = 0, 1, 2, 3, 4
	end := f.local(i32)
	at := f.local(i32)

	f.get(pSc)
	f.get(pNnz)
	f.i32c(2)
	f.op(opI32Shl)
	f.op(opI32Add)
	f.set(end)
	f.block()
	f.loop()
	{
		f.get(pSc)
		f.get(end)
		f.op(opI32GeU)
		f.brIf(1)
		// at = col + 8·sc_k; col[at] = col[at] + a·float64(sv_k)
		f.get(pCol)
		f.get(pSc)
		f.scalar(opI32Load, 2, 0)
		f.i32c(3)
		f.op(opI32Shl)
		f.op(opI32Add)
		f.tee(at)
		f.get(at)
		f.scalar(opF64Load, 3, 0)
		f.get(pA)
		f.get(pSv)
		f.scalar(opF32Load, 2, 0)
		f.op(opF64Promote)
		f.op(opF64Mul)
		f.op(opF64Add)
		f.scalar(opF64Store, 3, 0)
		f.get(pSc)
		f.i32c(4)
		f.op(opI32Add)
		f.set(pSc)
		f.get(pSv)
		f.i32c(4)
		f.op(opI32Add)
		f.set(pSv)
		f.br(0)
	}
	f.end()
	f.end()
	return f.body()
}

// absorbrowBody: params row, v, n, ui, lo, square; for j < n with x = row_j
// ≠ 0, y = ui·float64(x)·v_j: row_j = 0 if y < lo, else float32(y·y) when
// square ≠ 0, float32(y) otherwise (core/ot's absorbRow), two entries a
// lane. Returns the number of non-zero entries after.
func absorbrowBody() []byte {
	f := &fn{nparam: 6}
	const pRow, pV, pN, pUi, pLo, pSquare = 0, 1, 2, 3, 4, 5
	end2 := f.local(i32)
	endR := f.local(i32)
	vui := f.local(v128)
	vlo := f.local(v128)
	x := f.local(v128)
	y := f.local(v128)
	zeros := f.local(v128) // i64x2: zero entries seen, a count a lane
	f.get(pRow)
	f.get(pN)
	f.i32c(-2)
	f.op(opI32And)
	f.i32c(2)
	f.op(opI32Shl)
	f.op(opI32Add)
	f.set(end2)
	f.get(pRow)
	f.get(pN)
	f.i32c(2)
	f.op(opI32Shl)
	f.op(opI32Add)
	f.set(endR)
	f.get(pUi)
	f.simd(simdF64x2Splat)
	f.set(vui)
	f.get(pLo)
	f.simd(simdF64x2Splat)
	f.set(vlo)
	// body handles the entries at pRow (two, or one) and advances.
	body := func(single, square bool) {
		f.get(pRow)
		if single {
			f.simd(simdLoad32Zero)
		} else {
			f.simd(simdLoad64Zero)
		}
		f.memarg(2, 0)
		f.simd(simdF64x2Promote)
		f.set(x)
		// y = (ui·x)·v
		f.get(vui)
		f.get(x)
		f.simd(simdF64x2Mul)
		f.get(pV)
		if single {
			f.simd(simdLoad64Zero)
			f.memarg(3, 0)
		} else {
			f.vload(0)
		}
		f.simd(simdF64x2Mul)
		f.set(y)
		// store address; result = (square ? y·y : y) &^ (x == 0 | y < lo)
		f.get(pRow)
		f.get(y)
		if square {
			f.get(y)
			f.simd(simdF64x2Mul)
		}
		f.get(x)
		f.zero128()
		f.simd(simdF64x2Eq)
		f.get(y)
		f.get(vlo)
		f.simd(simdF64x2Lt)
		f.simd(simdV128Or)
		if !single {
			// zeros −= mask (−1 in each lane that is zero); the mask goes
			// to x, which is not needed again
			f.set(x)
			f.get(zeros)
			f.get(x)
			f.simd(simdI64x2Sub)
			f.set(zeros)
			f.get(x)
		} else {
			f.set(x)
			// Only lane 0 is an entry: count it alone.
			f.get(zeros)
			f.get(x)
			f.simd(simdV128Const)
			f.op(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0)
			f.simd(0x4e) // v128.and
			f.simd(simdI64x2Sub)
			f.set(zeros)
			f.get(x)
		}
		f.simd(simdV128AndNot)
		f.simd(simdF32x4Demote)
		if single {
			f.simd(simdStore32Lane)
		} else {
			f.simd(simdStore64Lane)
		}
		f.memarg(2, 0)
		f.op(0)
		step := int32(2)
		if single {
			step = 1
		}
		f.get(pRow)
		f.i32c(4 * step)
		f.op(opI32Add)
		f.set(pRow)
		f.get(pV)
		f.i32c(8 * step)
		f.op(opI32Add)
		f.set(pV)
	}
	loops := func(square bool) {
		f.block()
		f.loop()
		f.get(pRow)
		f.get(end2)
		f.op(opI32GeU)
		f.brIf(1)
		body(false, square)
		f.br(0)
		f.end()
		f.end()
		f.get(pRow)
		f.get(endR)
		f.op(0x49)       // i32.lt_u
		f.op(0x04, 0x40) // if
		body(true, square)
		f.end()
	}
	f.get(pSquare)
	f.op(0x04, 0x40) // if square
	loops(true)
	f.op(0x05) // else
	loops(false)
	f.end()
	// n − (zeros lane 0 + lane 1)
	f.get(pN)
	f.get(zeros)
	f.simd(simdI64x2Extract)
	f.op(0)
	f.get(zeros)
	f.simd(simdI64x2Extract)
	f.op(1)
	f.op(0x7c) // i64.add
	f.op(opI32WrapI64)
	f.op(opI32Sub)
	return f.body()
}
