//go:build js && wasm

package simd

import (
	"math"
	"runtime"
	"sync"
	"syscall/js"
	"unsafe"

	"github.com/otceseg/otceseg/core/detmath"
	"github.com/otceseg/otceseg/core/emd"
	"github.com/otceseg/otceseg/core/maps"
	"github.com/otceseg/otceseg/core/ot"
)

// The SIMD module's functions, through the host's trampolines (import module
// "otcesimd"; see www/worker.js). Pointers are offsets in the Go memory.

//go:wasmimport otcesimd sqdist
func sqdist(out, x, nx, y, ny unsafe.Pointer, n, m, d, stride int32)

//go:wasmimport otcesimd dot32
func dot32(k, v unsafe.Pointer, n int32) float64

//go:wasmimport otcesimd axpy32
func axpy32(y unsafe.Pointer, a float64, k unsafe.Pointer, n int32)

//go:wasmimport otcesimd kernelrow
func kernelrow(row, g unsafe.Pointer, n int32, fi, inv, eps, flush float64) int32

//go:wasmimport otcesimd rowtop
func rowtop(row, g unsafe.Pointer, n int32, inv float64) float64

//go:wasmimport otcesimd compactrow
func compactrow(sv, sc, row unsafe.Pointer, n, room int32) int32

//go:wasmimport otcesimd rowstats
func rowstats(row unsafe.Pointer, n int32, hist, out unsafe.Pointer) float64

//go:wasmimport otcesimd segdot32
func segdot32(segsum, row, v, seg unsafe.Pointer, lb int32) float64

//go:wasmimport otcesimd segdotsparse
func segdotsparse(segsum, sv, sc, v, seg unsafe.Pointer, nnz, lb int32) float64

//go:wasmimport otcesimd scattersparse
func scattersparse(col unsafe.Pointer, a float64, sv, sc unsafe.Pointer, nnz int32)

//go:wasmimport otcesimd absorbrow
func absorbrow(row, v unsafe.Pointer, n int32, ui, lo float64, square int32) int32

//go:wasmimport otcesimd segdotsparserows
func segdotsparserows(segsums, totals, sv, sc, sp, v, seg unsafe.Pointer, nrows, lb int32)

//go:wasmimport otcesimd scattersparserows
func scattersparserows(col, a, sv, sc, sp unsafe.Pointer, nrows int32)

//go:wasmimport otcesimd scan
func scan(vals, idx unsafe.Pointer, steps int32, row, prices unsafe.Pointer, n, from int32)

//go:wasmimport otcesimd minmax32
func minmax32(x unsafe.Pointer, n int32, out unsafe.Pointer) int32

//go:wasmimport otcesimd maxslack
func maxslack(row, v unsafe.Pointer, n int32, ui float64) float64

//go:wasmimport otcesimd hist16
func hist16(x unsafe.Pointer, n, bucket int32, h unsafe.Pointer)

//go:wasmimport otcesimd classweights
func classweights(q, ys, c, f unsafe.Pointer, n, nq int32, inv, top, ie float64, tab unsafe.Pointer)

//go:wasmimport otcesimd classties
func classties(q, ys, c, f unsafe.Pointer, n, nq int32, inv, lim float64) int32

// The sparse kernels with 16-bit columns (sc uint16).

//go:wasmimport otcesimd segdotsparse16
func segdotsparse16(segsum, sv, sc, v, seg unsafe.Pointer, nnz, lb int32) float64

//go:wasmimport otcesimd scattersparse16
func scattersparse16(col unsafe.Pointer, a float64, sv, sc unsafe.Pointer, nnz int32)

//go:wasmimport otcesimd segdotsparserows16
func segdotsparserows16(segsums, totals, sv, sc, sp, v, seg unsafe.Pointer, nrows, lb int32)

//go:wasmimport otcesimd scattersparserows16
func scattersparserows16(col, a, sv, sc, sp unsafe.Pointer, nrows int32)

//go:wasmimport otcesimd compactrow16
func compactrow16(sv, sc, row unsafe.Pointer, n, room int32) int32

// Load asks the host to instantiate Module on the Go memory, through its
// globalThis.otceSIMDLoad(bytes) → bool (which answers false when
// WebAssembly.validate rejects the bytes: a browser without SIMD128). It
// reports whether the kernels are usable; without a host function (an old
// boot script) they are not.
func Load() bool {
	load := js.Global().Get("otceSIMDLoad")
	if load.Type() != js.TypeFunction {
		return false
	}
	b := Module()
	arr := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(arr, b)
	ok := load.Invoke(arr)
	return ok.Type() == js.TypeBoolean && ok.Bool()
}

// Install loads the module and, if it is usable, installs its kernels into
// core/ot and core/emd. It reports whether it did.
func Install() bool {
	if !Load() {
		return false
	}
	ot.SetKernels(Kernels())
	emd.SetKernels(emd.Kernels{Scan: Scan, MinMax32: MinMax32, MaxSlack: MaxSlack})
	maps.SetKernels(maps.Kernels{ClassWeights: ClassWeights, ClassTies: ClassTies})
	return true
}

// ClassWeights is core/maps's Kernels.ClassWeights: the c-transform's
// weights of one pixel added into q by class, in source order.
func ClassWeights(q []float64, ys []int32, c []float32, f []float64, inv, top, ie float64) {
	if len(c) == 0 {
		return
	}
	if len(ys) < len(c) || len(f) < len(c) || len(q) == 0 || len(c) >= maxLen/8 || len(q) >= maxLen/8 {
		panic("simd: ClassWeights arguments out of range")
	}
	classweights(unsafe.Pointer(&q[0]), unsafe.Pointer(&ys[0]), unsafe.Pointer(&c[0]), unsafe.Pointer(&f[0]), int32(len(c)), int32(len(q)), inv, top, ie, unsafe.Pointer(&mapsExpTab[0]))
	runtime.KeepAlive(q)
	runtime.KeepAlive(ys)
	runtime.KeepAlive(c)
	runtime.KeepAlive(f)
}

// ClassTies is core/maps's Kernels.ClassTies: the exact map's ties of one
// pixel counted into q by class; it returns their number.
func ClassTies(q []float64, ys []int32, c []float32, f []float64, inv, lim float64) int {
	if len(c) == 0 {
		return 0
	}
	if len(ys) < len(c) || len(f) < len(c) || len(q) == 0 || len(c) >= maxLen/8 || len(q) >= maxLen/8 {
		panic("simd: ClassTies arguments out of range")
	}
	t := classties(unsafe.Pointer(&q[0]), unsafe.Pointer(&ys[0]), unsafe.Pointer(&c[0]), unsafe.Pointer(&f[0]), int32(len(c)), int32(len(q)), inv, lim)
	runtime.KeepAlive(q)
	runtime.KeepAlive(ys)
	runtime.KeepAlive(c)
	runtime.KeepAlive(f)
	return int(t)
}

// mapsExpTab is core/maps's table of 2^{j/64}, j < 64 (detmath's Exp, as
// there: the same bits).
var mapsExpTab = func() (t [64]float64) {
	for j := range t {
		t[j] = detmath.Exp(float64(j) * (math.Ln2 / 64))
	}
	return t
}()

// MinMax32 is core/emd's Kernels.MinMax32.
func MinMax32(x []float32) (lo, hi float32, nan bool) {
	if len(x) == 0 {
		return emd.MinMax32Go(x)
	}
	if len(x) >= maxLen {
		panic("simd: MinMax32 arguments out of range")
	}
	var out [2]float32
	bad := minmax32(unsafe.Pointer(&x[0]), int32(len(x)), unsafe.Pointer(&out[0]))
	runtime.KeepAlive(x)
	return out[0], out[1], bad != 0
}

// MaxSlack is core/emd's Kernels.MaxSlack.
func MaxSlack(row []float32, v []float64, ui float64) float64 {
	if len(row) == 0 {
		return math.Inf(-1)
	}
	if len(v) < len(row) || len(row) >= maxLen {
		panic("simd: MaxSlack arguments out of range")
	}
	w := maxslack(unsafe.Pointer(&row[0]), unsafe.Pointer(&v[0]), int32(len(row)), ui)
	runtime.KeepAlive(row)
	runtime.KeepAlive(v)
	return w
}

// Scan is core/emd's Kernels.Scan: the values float64(row[j]) + prices[j],
// from <= j < len(row), offered in order to the max-heap (vals, idx)
// padded to depth steps.
func Scan(vals []float64, idx []int32, steps int, row []float32, prices []float64, from int) {
	if from >= len(row) {
		return
	}
	if from < 0 || steps < 1 || steps > 20 || len(vals) != 2<<steps-1 || len(idx) != len(vals) || len(prices) < len(row) || len(row) >= maxLen {
		panic("simd: Scan arguments out of range")
	}
	scan(unsafe.Pointer(&vals[0]), unsafe.Pointer(&idx[0]), int32(steps), unsafe.Pointer(&row[0]), unsafe.Pointer(&prices[0]), int32(len(row)), int32(from))
	runtime.KeepAlive(vals)
	runtime.KeepAlive(idx)
	runtime.KeepAlive(row)
	runtime.KeepAlive(prices)
}

// Kernels returns the SIMD kernels in core/ot's form (valid after Load).
func Kernels() ot.Kernels {
	return ot.Kernels{
		SqDistTiles: SqDistTiles,
		SqDist:      SqDist,
		Axpy32:      Axpy32, MinAxpy: 16,
		SegDot32:      SegDot32,
		KernelRow:     KernelRow,
		RowTop:        RowTop,
		CompactRow:    CompactRow,
		RowStats:      RowStats,
		SegDotSparse:  SegDotSparse,
		ScatterSparse: ScatterSparse,
		AbsorbRow:     AbsorbRow,

		SparseRowSums:     SparseRowSums,
		ScatterSparseRows: ScatterSparseRows,
		Hist16:            Hist16,

		CompactRow16:        CompactRow16,
		SegDotSparse16:      SegDotSparse16,
		ScatterSparse16:     ScatterSparse16,
		SparseRowSums16:     SparseRowSums16,
		ScatterSparseRows16: ScatterSparseRows16,
	}
}

// Hist16 is core/ot's Kernels.Hist16: h[bits & 0xffff]++ for each entry of
// x whose float32 bits have bucket as their top 16.
func Hist16(h []uint32, x []float32, bucket int) {
	if len(h) < 1<<16 || len(x) >= maxLen {
		panic("simd: Hist16 arguments out of range")
	}
	if len(x) == 0 || bucket < 0 || bucket >= 1<<16 {
		return // no entry in such a bucket
	}
	hist16(unsafe.Pointer(&x[0]), int32(len(x)), int32(bucket), unsafe.Pointer(&h[0]))
	runtime.KeepAlive(x)
	runtime.KeepAlive(h)
}

// cols are the types of a sparse kernel's column indices (core/ot's sc and
// sc16).
type cols interface{ int32 | uint16 }

// checkRows panics unless the rows r < nrows of a sparse block (values
// sv[sp[r]:sp[r+1]] at the ascending columns sc[sp[r]:sp[r+1]]) lie in sv
// and sc, with columns in [0, m). The kernels trust the columns between a
// row's ends, which bound them.
func checkRows[C cols](sv []float32, sc []C, sp []int, nrows, m int) {
	if len(sp) < nrows+1 || len(sv) < len(sc) {
		panic("simd: sparse rows out of range")
	}
	for r := range nrows {
		lo, hi := sp[r], sp[r+1]
		if lo < 0 || hi < lo || hi > len(sc) {
			panic("simd: sparse row pointers out of range")
		}
		if hi > lo && (sc[lo] < 0 || int(sc[hi-1]) >= m) {
			panic("simd: sparse row column out of range")
		}
	}
}

// SparseRowSums is core/ot's Kernels.SparseRowSums: SegDotSparse on each
// row r < len(totals), in one call.
func SparseRowSums(segsums, totals []float64, sv []float32, sc []int32, sp []int, v []float64, seg []int) {
	sparseRowSums(segsums, totals, sv, sc, sp, v, seg, segdotsparserows)
}

// SparseRowSums16 is core/ot's Kernels.SparseRowSums16: SparseRowSums with
// 16-bit columns.
func SparseRowSums16(segsums, totals []float64, sv []float32, sc []uint16, sp []int, v []float64, seg []int) {
	sparseRowSums(segsums, totals, sv, sc, sp, v, seg, segdotsparserows16)
}

// sparseRowSums is SparseRowSums with the module's function k of the
// columns' width.
func sparseRowSums[C cols](segsums, totals []float64, sv []float32, sc []C, sp []int, v []float64, seg []int,
	k func(segsums, totals, sv, sc, sp, v, seg unsafe.Pointer, nrows, lb int32)) {
	nrows, lb := len(totals), len(seg)-1
	if nrows == 0 {
		return
	}
	if lb < 1 || len(segsums) < nrows*lb || seg[lb] > len(v) {
		panic("simd: SparseRowSums arguments out of range")
	}
	checkRows(sv, sc, sp, nrows, seg[lb])
	if len(sc) == 0 {
		// No entry at all (and no element to point at): every sum is 0.
		clear(segsums[:nrows*lb])
		clear(totals)
		return
	}
	k(unsafe.Pointer(&segsums[0]), unsafe.Pointer(&totals[0]), unsafe.Pointer(&sv[0]), unsafe.Pointer(&sc[0]),
		unsafe.Pointer(&sp[0]), unsafe.Pointer(&v[0]), unsafe.Pointer(&seg[0]), int32(nrows), int32(lb))
	runtime.KeepAlive(segsums)
	runtime.KeepAlive(totals)
	runtime.KeepAlive(sv)
	runtime.KeepAlive(sc)
	runtime.KeepAlive(sp)
	runtime.KeepAlive(v)
	runtime.KeepAlive(seg)
}

// ScatterSparseRows is core/ot's Kernels.ScatterSparseRows: ScatterSparse
// of each row r < len(a) with a[r] ≠ 0, in order, in one call.
func ScatterSparseRows(col, a []float64, sv []float32, sc []int32, sp []int) {
	scatterSparseRows(col, a, sv, sc, sp, scattersparserows)
}

// ScatterSparseRows16 is core/ot's Kernels.ScatterSparseRows16:
// ScatterSparseRows with 16-bit columns.
func ScatterSparseRows16(col, a []float64, sv []float32, sc []uint16, sp []int) {
	scatterSparseRows(col, a, sv, sc, sp, scattersparserows16)
}

// scatterSparseRows is ScatterSparseRows with the module's function k of
// the columns' width.
func scatterSparseRows[C cols](col, a []float64, sv []float32, sc []C, sp []int, k func(col, a, sv, sc, sp unsafe.Pointer, nrows int32)) {
	if len(a) == 0 || len(sc) == 0 {
		return
	}
	checkRows(sv, sc, sp, len(a), len(col))
	k(unsafe.Pointer(&col[0]), unsafe.Pointer(&a[0]), unsafe.Pointer(&sv[0]), unsafe.Pointer(&sc[0]),
		unsafe.Pointer(&sp[0]), int32(len(a)))
	runtime.KeepAlive(col)
	runtime.KeepAlive(a)
	runtime.KeepAlive(sv)
	runtime.KeepAlive(sc)
	runtime.KeepAlive(sp)
}

// AbsorbRow is core/ot's absorbRow: the scalings ui·v_j into the non-zero
// entries of a dense kernel row (squared when square), those below lo
// flushed to zero; it returns the non-zero entries left.
func AbsorbRow(row []float32, v []float64, ui, lo float64, square bool) int {
	if len(row) == 0 {
		return 0
	}
	v = v[:len(row)]
	sq := int32(0)
	if square {
		sq = 1
	}
	nz := absorbrow(unsafe.Pointer(&row[0]), unsafe.Pointer(&v[0]), int32(len(row)), ui, lo, sq)
	runtime.KeepAlive(row)
	runtime.KeepAlive(v)
	return int(nz)
}

// SegDotSparse is core/ot's segDotSparse: the class sums of one sparse row
// (values sv at ascending columns sc, classes by seg) times v, and their
// total in column order.
func SegDotSparse(segsum []float64, sv []float32, sc []int32, v []float64, seg []int) float64 {
	return segDotSparse(segsum, sv, sc, v, seg, segdotsparse)
}

// SegDotSparse16 is SegDotSparse with 16-bit columns (core/ot's
// Kernels.SegDotSparse16).
func SegDotSparse16(segsum []float64, sv []float32, sc []uint16, v []float64, seg []int) float64 {
	return segDotSparse(segsum, sv, sc, v, seg, segdotsparse16)
}

// segDotSparse is SegDotSparse with the module's function k of the
// columns' width.
func segDotSparse[C cols](segsum []float64, sv []float32, sc []C, v []float64, seg []int,
	k func(segsum, sv, sc, v, seg unsafe.Pointer, nnz, lb int32) float64) float64 {
	lb := len(segsum)
	if lb == 0 || len(seg) < lb+1 || len(sv) < len(sc) || seg[lb] > len(v) {
		panic("simd: segDotSparse arguments out of range")
	}
	if len(sc) == 0 {
		clear(segsum)
		return 0
	}
	// The kernel trusts the columns: each in [0, seg[lb]), ascending (as
	// the blocks build them); check the ends, which bound the rest.
	if sc[0] < 0 || int(sc[len(sc)-1]) >= seg[lb] {
		panic("simd: segDotSparse column out of range")
	}
	r := k(unsafe.Pointer(&segsum[0]), unsafe.Pointer(&sv[0]), unsafe.Pointer(&sc[0]), unsafe.Pointer(&v[0]), unsafe.Pointer(&seg[0]), int32(len(sc)), int32(lb))
	runtime.KeepAlive(segsum)
	runtime.KeepAlive(sv)
	runtime.KeepAlive(sc)
	runtime.KeepAlive(v)
	runtime.KeepAlive(seg)
	return r
}

// ScatterSparse is core/ot's scatterSparse: col[sc_k] += a·sv_k in order.
func ScatterSparse(col []float64, a float64, sv []float32, sc []int32) {
	scatterSparse(col, a, sv, sc, scattersparse)
}

// ScatterSparse16 is ScatterSparse with 16-bit columns (core/ot's
// Kernels.ScatterSparse16).
func ScatterSparse16(col []float64, a float64, sv []float32, sc []uint16) {
	scatterSparse(col, a, sv, sc, scattersparse16)
}

// scatterSparse is ScatterSparse with the module's function k of the
// columns' width.
func scatterSparse[C cols](col []float64, a float64, sv []float32, sc []C, k func(col unsafe.Pointer, a float64, sv, sc unsafe.Pointer, nnz int32)) {
	if len(sc) == 0 {
		return
	}
	if len(sv) < len(sc) || sc[0] < 0 || int(sc[len(sc)-1]) >= len(col) {
		panic("simd: scatterSparse arguments out of range")
	}
	k(unsafe.Pointer(&col[0]), a, unsafe.Pointer(&sv[0]), unsafe.Pointer(&sc[0]), int32(len(sc)))
	runtime.KeepAlive(col)
	runtime.KeepAlive(sv)
	runtime.KeepAlive(sc)
}

const maxLen = 1 << 31

// SqDistTiles is core/ot's sqDistTiles: the 4×4 tiles (rows [0, n&^3),
// columns [0, m&^3)) of the squared distances, row i at out[i·stride:]
// (x's rows packed in every call; sqDist calls SqDist instead).
func SqDistTiles(out []float32, stride int, x, nx, y, ny []float64, n, m, d int) {
	if n < 4 || m < 4 {
		return
	}
	if d < 1 || stride < m || (n-1)*stride+m > len(out) || n*d > len(x) || m*d > len(y) || n > len(nx) || m > len(ny) || n*stride >= maxLen/4 || n*d >= maxLen/8 || m*d >= maxLen/8 {
		panic("simd: sqDist arguments out of range")
	}
	bp, _ := packs.Get().(*[2][]float64)
	if bp == nil {
		bp = new([2][]float64)
	}
	yp := packY(&bp[0], y, m&^3, d)
	xp := packY(&bp[1], x, n&^3, d)
	sqdist(unsafe.Pointer(&out[0]), unsafe.Pointer(&xp[0]), unsafe.Pointer(&nx[0]), unsafe.Pointer(&yp[0]), unsafe.Pointer(&ny[0]), int32(n), int32(m), int32(d), int32(stride))
	runtime.KeepAlive(out)
	runtime.KeepAlive(xp)
	runtime.KeepAlive(nx)
	runtime.KeepAlive(yp)
	runtime.KeepAlive(ny)
	packs.Put(bp)
}

// SqDist is core/ot's Kernels.SqDist: sqDist's tiles (rows [0, n4),
// columns [0, m4)) straight from the float32 target points: the rows packed
// once (packY's layout, 4 rows channel major, as the sqdist kernel reads
// them), then a panel of columns at a time (sqDistPanel's width) converted
// and packed in one pass (packY), each panel through the sqdist kernel.
// The same sums in the same order as SqDistTiles.
func SqDist(out []float32, x, nx []float64, y []float32, ny []float64, n4, m4, m, d int) {
	if n4 < 4 || m4 < 4 {
		return
	}
	if d < 1 || n4&3 != 0 || m4&3 != 0 || m < m4 || (n4-1)*m+m4 > len(out) || n4*d > len(x) || m4*d > len(y) || n4 > len(nx) || m4 > len(ny) || n4*m >= maxLen/4 || n4*d >= maxLen/8 || m4*d >= maxLen/8 {
		panic("simd: sqDist arguments out of range")
	}
	bp, _ := packs.Get().(*[2][]float64)
	if bp == nil {
		bp = new([2][]float64)
	}
	xp := packY(&bp[1], x, n4, d)
	pw := min(max(4, (32768/d)&^3), m4)
	for jp := 0; jp < m4; jp += pw {
		je := min(jp+pw, m4)
		yp := packY(&bp[0], y[jp*d:je*d], je-jp, d)
		sqdist(unsafe.Pointer(&out[jp]), unsafe.Pointer(&xp[0]), unsafe.Pointer(&nx[0]), unsafe.Pointer(&yp[0]), unsafe.Pointer(&ny[jp]), int32(n4), int32(je-jp), int32(d), int32(m))
	}
	runtime.KeepAlive(out)
	runtime.KeepAlive(bp)
	runtime.KeepAlive(nx)
	runtime.KeepAlive(ny)
	packs.Put(bp)
}

// packs holds SqDistTiles's and SqDist's buffers for the packed columns (a
// panel of them, 256 KB at most) and rows, reused from call to call.
var packs sync.Pool

// packY returns the first m4 (a multiple of 4) columns of y (m4×d, row
// major; float64, or the float32 points, converted) in groups of 4, channel
// major, as the sqdist kernel reads them: column 4g + c's channel k at
// yp[4g·d + 4k + c]. A group spans the same 4·d entries as its columns in
// y. *bp is the buffer, grown as needed.
func packY[T float32 | float64](bp *[]float64, y []T, m4, d int) []float64 {
	if cap(*bp) < m4*d {
		*bp = make([]float64, m4*d)
	}
	yp := (*bp)[:m4*d]
	for g := 0; g < m4*d; g += 4 * d {
		y0, y1, y2, y3 := y[g:g+d], y[g+d:g+2*d], y[g+2*d:g+3*d], y[g+3*d:g+4*d]
		q := yp[g : g+4*d]
		for k := range y0 {
			q[4*k], q[4*k+1], q[4*k+2], q[4*k+3] = float64(y0[k]), float64(y1[k]), float64(y2[k]), float64(y3[k])
		}
	}
	return yp
}

// Dot32 is core/ot's dot32 (Σ k_j v_j, the one segment of SegDot32).
func Dot32(k []float32, v []float64) float64 {
	if len(k) == 0 {
		return 0
	}
	v = v[:len(k)]
	r := dot32(unsafe.Pointer(&k[0]), unsafe.Pointer(&v[0]), int32(len(k)))
	runtime.KeepAlive(k)
	runtime.KeepAlive(v)
	return r
}

// Axpy32 is core/ot's axpy32.
func Axpy32(y []float64, a float64, k []float32) {
	if len(k) == 0 {
		return
	}
	y = y[:len(k)]
	axpy32(unsafe.Pointer(&y[0]), a, unsafe.Pointer(&k[0]), int32(len(k)))
	runtime.KeepAlive(y)
	runtime.KeepAlive(k)
}

// SegDot32 is core/ot's segDot32: segsum[c] = dot32 of the segment
// [seg[c], seg[c+1]) of row and v, and their sum in order.
func SegDot32(segsum []float64, row []float32, v []float64, seg []int) float64 {
	lb := len(segsum)
	if lb == 0 {
		return 0
	}
	if len(seg) < lb+1 || seg[0] < 0 || seg[lb] > len(row) || seg[lb] > len(v) {
		panic("simd: segDot32 arguments out of range")
	}
	for c := 0; c < lb; c++ {
		if seg[c] > seg[c+1] {
			panic("simd: segDot32 segments out of order")
		}
	}
	// Addresses one past the end are fine (never read): take them from
	// the slices' start.
	if len(row) == 0 || len(v) == 0 {
		for c := range segsum {
			segsum[c] = 0
		}
		return 0
	}
	r := segdot32(unsafe.Pointer(&segsum[0]), unsafe.Pointer(&row[0]), unsafe.Pointer(&v[0]), unsafe.Pointer(&seg[0]), int32(lb))
	runtime.KeepAlive(segsum)
	runtime.KeepAlive(row)
	runtime.KeepAlive(v)
	runtime.KeepAlive(seg)
	return r
}

// KernelRow is core/ot's kernelRow: it returns the non-zero entries written.
func KernelRow(row []float32, g []float64, fi, inv, eps, flush float64) int {
	if len(row) == 0 {
		return 0
	}
	if len(row) >= maxLen {
		panic("simd: KernelRow arguments out of range")
	}
	g = g[:len(row)]
	nz := kernelrow(unsafe.Pointer(&row[0]), unsafe.Pointer(&g[0]), int32(len(row)), fi, inv, eps, flush)
	runtime.KeepAlive(row)
	runtime.KeepAlive(g)
	return int(nz)
}

// RowTop is core/ot's rowTop: max over j of g_j − float64(row_j)·inv
// (−Inf for an empty row), with rowTopGo's order of comparisons.
func RowTop(row []float32, g []float64, inv float64) float64 {
	if len(row) == 0 {
		return math.Inf(-1)
	}
	if len(row) >= maxLen {
		panic("simd: RowTop arguments out of range")
	}
	g = g[:len(row)]
	r := rowtop(unsafe.Pointer(&row[0]), unsafe.Pointer(&g[0]), int32(len(row)), inv)
	runtime.KeepAlive(row)
	runtime.KeepAlive(g)
	return r
}

// RowStats is core/ot's rowStats: the row's sum (in order), its largest
// entry from −1 and that entry's first column (−1 if none), and, with hist
// not nil, one more in hist[bits >> 16] for each entry's float32 bits.
func RowStats(row []float32, hist []uint32) (sum, max float64, at int) {
	if len(row) == 0 {
		return 0, -1, -1
	}
	var ph unsafe.Pointer
	if hist != nil {
		if len(hist) < 1<<16 {
			panic("simd: RowStats histogram too short")
		}
		ph = unsafe.Pointer(&hist[0])
	}
	if len(row) >= maxLen {
		panic("simd: RowStats arguments out of range")
	}
	var out [2]float64
	sum = rowstats(unsafe.Pointer(&row[0]), int32(len(row)), ph, unsafe.Pointer(&out[0]))
	runtime.KeepAlive(row)
	runtime.KeepAlive(hist)
	return sum, out[0], int(out[1])
}

// CompactRow is core/ot's compactRow: the non-zero entries of row and their
// columns to sv and sc, in order; it returns their number. It panics, as
// the Go form does, if sv or sc has no room for them (having written only
// within their lengths).
func CompactRow(sv []float32, sc []int32, row []float32) int {
	return compactRow(sv, sc, row, compactrow)
}

// CompactRow16 is CompactRow with 16-bit columns (core/ot's
// Kernels.CompactRow16; the row has at most 1<<16 entries).
func CompactRow16(sv []float32, sc []uint16, row []float32) int {
	if len(row) > 1<<16 {
		panic("simd: CompactRow16 of a row of more than 65536 columns")
	}
	return compactRow(sv, sc, row, compactrow16)
}

// compactRow is CompactRow with the module's function k of the columns'
// width.
func compactRow[C cols](sv []float32, sc []C, row []float32, k func(sv, sc, row unsafe.Pointer, n, room int32) int32) int {
	if len(row) == 0 {
		return 0
	}
	room := min(len(sv), len(sc))
	if len(row) >= maxLen || room >= maxLen {
		panic("simd: CompactRow arguments out of range")
	}
	var psv, psc unsafe.Pointer
	if room > 0 {
		psv, psc = unsafe.Pointer(&sv[0]), unsafe.Pointer(&sc[0])
	}
	w := k(psv, psc, unsafe.Pointer(&row[0]), int32(len(row)), int32(room))
	runtime.KeepAlive(sv)
	runtime.KeepAlive(sc)
	runtime.KeepAlive(row)
	if w < 0 {
		panic("simd: CompactRow: more non-zero entries than room")
	}
	return int(w)
}
