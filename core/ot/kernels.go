package ot

import (
	"fmt"
	"math"

	"github.com/otceseg/otceseg/core/detmath"
)

// Kernels are alternative implementations of the hot loops, for a platform
// where faster code computes bit-identical results: the browser's worker
// installs the WebAssembly SIMD128 kernels of wasm/simd (plain Go compiled to
// wasm has no SIMD). Each must perform exactly the float64 operations of the
// pure-Go kernel, in the same order, with the same rounding; a nil field
// keeps the pure-Go kernel.
type Kernels struct {
	// SqDistTiles computes the 4×4 tiles of the squared distances (rows
	// [0, n&^3), columns [0, m&^3)) as sqDistTiles: row i at
	// out[i·stride:]. sqDist calls it a panel of target points at a time.
	SqDistTiles func(out []float32, stride int, x, nx, y, ny []float64, n, m, d int)
	// SqDist, when set, computes sqDist's tiles (rows [0, n4), columns
	// [0, m4), multiples of 4; row i at out[i·m:]) from the float32
	// target points y itself, as sqDistPacked does natively (it converts
	// and packs them its own way), instead of SqDistTiles on panels that
	// sqDist converts.
	SqDist func(out []float32, x, nx []float64, y []float32, ny []float64, n4, m4, m, d int)
	// Axpy32 is axpy32, used for len(k) ≥ MinAxpy (shorter ones stay in
	// Go: a call into another wasm module costs about a few dozen entries).
	Axpy32  func(y []float64, a float64, k []float32)
	MinAxpy int
	// SegDot32 is segDot32 (one call a row, not one a segment).
	SegDot32 func(segsum []float64, row []float32, v []float64, seg []int) float64
	// KernelRow is kernelRow.
	KernelRow func(row []float32, g []float64, fi, inv, eps, flush float64) int
	// RowTop is rowTopGo (one call a row).
	RowTop func(row []float32, g []float64, inv float64) float64
	// CompactRow is compactRowGo (one call a row).
	CompactRow func(sv []float32, sc []int32, row []float32) int
	// CompactRow16 is CompactRow with 16-bit columns (a block's sparse
	// form when the problem has at most MaxNarrowCols target points).
	CompactRow16 func(sv []float32, sc []uint16, row []float32) int
	// RowStats is rowStatsGo (one call a row).
	RowStats func(row []float32, hist []uint32) (sum, max float64, at int)
	// SegDotSparse is segDotSparse (one call a sparse row).
	SegDotSparse func(segsum []float64, sv []float32, sc []int32, v []float64, seg []int) float64
	// SegDotSparse16 is SegDotSparse with 16-bit columns.
	SegDotSparse16 func(segsum []float64, sv []float32, sc []uint16, v []float64, seg []int) float64
	// ScatterSparse is scatterSparseGo (one call a sparse row). The
	// iteration calls ScatterSparseRows instead (a chunk of rows a call);
	// this one is the single row's form, which the kernels' tests check.
	ScatterSparse func(col []float64, a float64, sv []float32, sc []int32)
	// ScatterSparse16 is ScatterSparse with 16-bit columns.
	ScatterSparse16 func(col []float64, a float64, sv []float32, sc []uint16)
	// AbsorbRow is absorbRow (one call a dense row).
	AbsorbRow func(row []float32, v []float64, ui, lo float64, square bool) int
	// SparseRowSums is segDotSparse on each of the rows r < len(totals)
	// of a sparse block, one call for them all (where a call into another
	// module costs as much as a short row): row r holds the values
	// sv[sp[r]:sp[r+1]] at the columns sc[sp[r]:sp[r+1]]; its class sums
	// go to segsums[r·lb:(r+1)·lb] for all lb = len(seg)−1 classes (0 for
	// a class without entries) and its total to totals[r]. It is
	// sparseRowSumsGo's result, bit for bit.
	SparseRowSums func(segsums, totals []float64, sv []float32, sc []int32, sp []int, v []float64, seg []int)
	// SparseRowSums16 is SparseRowSums with 16-bit columns.
	SparseRowSums16 func(segsums, totals []float64, sv []float32, sc []uint16, sp []int, v []float64, seg []int)
	// ScatterSparseRows is scatterSparse(col, a[r], row r) for each row
	// r < len(a) with a[r] ≠ 0, in row order (rows as in SparseRowSums).
	ScatterSparseRows func(col, a []float64, sv []float32, sc []int32, sp []int)
	// ScatterSparseRows16 is ScatterSparseRows with 16-bit columns.
	ScatterSparseRows16 func(col, a []float64, sv []float32, sc []uint16, sp []int)
	// Hist16 is hist16Go (one call a block).
	Hist16 func(h []uint32, x []float32, bucket int)
}

// hist16Go adds one to h[bits & 0xffff] for each entry of x whose float32
// bits have bucket as their top 16 (h has 1<<16 entries).
func hist16Go(h []uint32, x []float32, bucket int) {
	h = h[:1<<16]
	for _, c := range x {
		bits := math.Float32bits(c)
		if int(bits>>16) == bucket {
			h[bits&0xffff]++
		}
	}
}

var accel Kernels

// SetKernels installs k for every later problem; call it once at start, before
// any solve (it is not synchronised).
func SetKernels(k Kernels) { accel = k }

// GoKernels returns the pure-Go kernels, the reference that installed kernels
// are tested against.
func GoKernels() Kernels {
	return Kernels{SqDistTiles: sqDistTiles, Axpy32: axpy32Go, SegDot32: segDot32Go, KernelRow: kernelRowGo,
		RowTop: rowTopGo, CompactRow: compactRowGo[int32], RowStats: rowStatsGo,
		SegDotSparse: segDotSparseGo[int32], ScatterSparse: scatterSparseGo[int32], AbsorbRow: absorbRowGo,
		SparseRowSums: sparseRowSumsGo[int32], ScatterSparseRows: scatterSparseRowsGo[int32], Hist16: hist16Go,
		CompactRow16: compactRowGo[uint16], SegDotSparse16: segDotSparseGo[uint16], ScatterSparse16: scatterSparseGo[uint16],
		SparseRowSums16: sparseRowSumsGo[uint16], ScatterSparseRows16: scatterSparseRowsGo[uint16]}
}

// sparseRowSumsGo is Kernels.SparseRowSums in Go: segDotSparseGo's sums
// of each row, two rows at a time. A row alone waits on the latency of its
// chains of dependent additions (on logits of trained networks, d = 7,
// N = 10⁴, ε/median 1e-3, that was two thirds of a sparse iteration); the
// two rows' chains are independent, and interleaving them lets the
// processor overlap them. Each row keeps its own running sums (its class's
// and its total) and adds its terms in its own column order, so every row
// gets segDotSparseGo's bits. The rows go in two lanes: a lane that ends
// its row takes the next one, so that rows of unequal lengths still go in
// pairs; sparseRun2 runs both lanes until either leaves its class or ends
// its row.
func sparseRowSumsGo[C colIndex](segsums, totals []float64, sv []float32, sc []C, sp []int, v []float64, seg []int) {
	lb := len(seg) - 1
	next := 0 // the next row to start
	// start puts the next row with entries into l (clearing the class
	// sums of the rows it passes); false when no row is left.
	start := func(l *sumLane) bool {
		for next < len(totals) {
			r := next
			next++
			clear(segsums[r*lb : (r+1)*lb])
			totals[r] = 0
			if sp[r] < sp[r+1] {
				*l = sumLane{r: r, k: sp[r], end: sp[r+1]}
				laneClass(l, sc, seg)
				return true
			}
		}
		return false
	}
	// step moves l on after a run: into its next class, or its next row.
	step := func(l *sumLane) bool {
		if l.k < l.end {
			if int(sc[l.k]) >= l.e {
				segsums[l.r*lb+l.c] = l.acc
				laneClass(l, sc, seg)
			}
			return true
		}
		segsums[l.r*lb+l.c] = l.acc
		totals[l.r] = l.total
		return start(l)
	}
	var a, b sumLane
	okA, okB := start(&a), start(&b)
	for okA && okB {
		n := min(a.end-a.k, b.end-b.k)
		var i int
		i, a.acc, a.total, b.acc, b.total = sparseRun2(sv[a.k:a.k+n], sc[a.k:a.k+n], sv[b.k:b.k+n], sc[b.k:b.k+n], v,
			a.e, b.e, a.acc, a.total, b.acc, b.total)
		a.k += i
		b.k += i
		okA, okB = step(&a), step(&b)
	}
	// One lane left: it ends its row (the rest of its class from entry k
	// on, then the later classes), then the rows left go one at a time.
	for _, l := range []*sumLane{&a, &b} {
		if (l == &a && okA) || (l == &b && okB) {
			totals[l.r] = segDotSparseTail(segsums[l.r*lb:(l.r+1)*lb], sv[:l.end], sc[:l.end], v, seg, l.k, l.c, l.e, l.acc, l.total)
		}
	}
	for r := next; r < len(totals); r++ {
		lo, hi := sp[r], sp[r+1]
		totals[r] = segDotSparseGo(segsums[r*lb:(r+1)*lb], sv[lo:hi], sc[lo:hi], v, seg)
	}
}

// scatterSparseRowsGo is Kernels.ScatterSparseRows in Go.
func scatterSparseRowsGo[C colIndex](col, a []float64, sv []float32, sc []C, sp []int) {
	for r, ar := range a {
		if ar != 0 {
			lo, hi := sp[r], sp[r+1]
			scatterSparseGo(col, ar, sv[lo:hi], sc[lo:hi])
		}
	}
}

// segDotSparse computes the per-class partial dot products of one sparse
// row (values sv at ascending columns sc) with v into segsum, and returns
// their total, added in column order.
func segDotSparse[C colIndex](segsum []float64, sv []float32, sc []C, v []float64, seg []int) float64 {
	// A pointer in the interface, not the slice: the slice would be
	// boxed on the heap, as it goes on to the installed kernel.
	switch p := any(&sc).(type) {
	case *[]int32:
		if accel.SegDotSparse != nil {
			return accel.SegDotSparse(segsum, sv, *p, v, seg)
		}
	case *[]uint16:
		if accel.SegDotSparse16 != nil {
			return accel.SegDotSparse16(segsum, sv, *p, v, seg)
		}
	}
	return segDotSparseGo(segsum, sv, sc, v, seg)
}

// segDotSparseGo is segDotSparse in Go. The running sum of the current
// class is kept in a register (acc) and stored when the columns leave the
// class: the same additions in the same order as segsum[c] += x, but
// without a load and a store of segsum[c] in the chain of dependent
// additions, which made the loop three times slower (on logits of trained
// networks, d = 7, N = 10⁴, ε/median 1e-3, it was 80 % of an iteration).
// The loop is segDotSparseTail's, from the first entry.
func segDotSparseGo[C colIndex](segsum []float64, sv []float32, sc []C, v []float64, seg []int) float64 {
	for c := range segsum {
		segsum[c] = 0
	}
	if len(sc) == 0 {
		return 0
	}
	return segDotSparseTail(segsum, sv, sc, v, seg, 0, 0, seg[1], 0, 0)
}

// colIndex is the type of a sparse kernel's column indices: uint16 when the
// problem has at most MaxNarrowCols target points, else int32 (sparseCols).
// The Go kernels of the sparse form are generic over it: the same
// operations in the same order for either, two instantiations (exactly
// these two types: the kernels pick the installed or assembly form of
// each by a type switch).
type colIndex interface{ int32 | uint16 }

// sumLane is a lane of sparseRowSumsGo: row r, whose entries end at end,
// at entry k, in class c, whose columns end at e, with the running sum acc
// of the class and total of the row.
type sumLane struct {
	r, k, end, c, e int
	acc, total      float64
}

// laneClass moves l into the class of its entry k (from its present class
// on).
func laneClass[C colIndex](l *sumLane, sc []C, seg []int) {
	for int(sc[l.k]) >= seg[l.c+1] {
		l.c++
	}
	l.e, l.acc = seg[l.c+1], 0
}

// sparseRun2 adds the terms float64(xa_i)·v[ja_i] to acca and totala and
// float64(xb_i)·v[jb_i] to accb and totalb, i in order (xa, ja, xb and jb
// of one length), up to the first i with ja_i ≥ enda or jb_i ≥ endb (the
// end of either row's class, an int: 1<<16 does not fit a uint16): it
// returns that i (or the length) and the four sums. It is a function of
// its own so that its loop keeps every value in a register (inlined in its
// caller, the compiler kept the index on the stack).
//
//go:noinline
func sparseRun2[C colIndex](xa []float32, ja []C, xb []float32, jb []C, v []float64, enda, endb int, acca, totala, accb, totalb float64) (int, float64, float64, float64, float64) {
	ja, xb, jb = ja[:len(xa)], xb[:len(xa)], jb[:len(xa)]
	for i, x := range xa {
		ca, cb := ja[i], jb[i]
		if int(ca) >= enda || int(cb) >= endb {
			return i, acca, totala, accb, totalb
		}
		ya := float64(x) * v[ca]
		yb := float64(xb[i]) * v[cb]
		acca += ya
		totala += ya
		accb += yb
		totalb += yb
	}
	return len(xa), acca, totala, accb, totalb
}

// segDotSparseTail is segDotSparseGo's loop from entry k on, with the
// current class c (whose segment ends at end), its running sum acc and the
// running total: it stores the class sums from c on and returns the total.
func segDotSparseTail[C colIndex](segsum []float64, sv []float32, sc []C, v []float64, seg []int, k, c, end int, acc, total float64) float64 {
	sv, sc = sv[k:len(sc)], sc[k:]
	for k, j := range sc {
		if int(j) >= end {
			segsum[c] = acc
			for int(j) >= seg[c+1] {
				c++
			}
			end, acc = seg[c+1], 0
		}
		x := float64(sv[k]) * v[j]
		acc += x
		total += x
	}
	segsum[c] = acc
	return total
}

// scatterSparseGo adds a·sv_k into col[sc_k], in order (the columns
// ascending). On amd64 the products go two at a time in SSE2 (scatter2:
// the same products and additions, fewer instructions), after a check of
// the first and the last column, which bound the others.
func scatterSparseGo[C colIndex](col []float64, a float64, sv []float32, sc []C) {
	sv = sv[:len(sc)]
	if haveSSE2 && len(sc) >= 2 {
		if sc[0] < 0 || int(sc[len(sc)-1]) >= len(col) {
			panic(fmt.Sprintf("ot: sparse row's columns %d…%d outside %d columns", sc[0], sc[len(sc)-1], len(col)))
		}
		j := len(sc) &^ 1
		switch p := any(&sc).(type) {
		case *[]int32:
			scatter2(col, a, sv[:j], (*p)[:j])
		case *[]uint16:
			scatter2w(col, a, sv[:j], (*p)[:j])
		}
		sv, sc = sv[j:], sc[j:]
	}
	for k, c := range sc {
		col[c] += a * float64(sv[k])
	}
}

// kernelRow turns a row of the cost into the kernel in place: with a =
// (fi + g_j − row_j·inv)/eps, row_j becomes 0 if a < −flush, else
// float32(expKernel(a)). It returns the number of non-zero entries written
// (an exponential can also round to a float32 zero).
func kernelRow(row []float32, g []float64, fi, inv, eps, flush float64) int {
	if accel.KernelRow != nil {
		return accel.KernelRow(row, g, fi, inv, eps, flush)
	}
	return kernelRowGo(row, g, fi, inv, eps, flush)
}

func kernelRowGo(row []float32, g []float64, fi, inv, eps, flush float64) int {
	nz := 0
	for j, c := range row {
		a := (fi + g[j] - float64(c)*inv) / eps
		if a < -flush {
			row[j] = 0
		} else {
			row[j] = float32(expKernel(a))
		}
		if row[j] != 0 {
			nz++
		}
	}
	return nz
}

// rowTop returns max_j (g_j − float64(row_j)·inv), −Inf for an empty row.
func rowTop(row []float32, g []float64, inv float64) float64 {
	if accel.RowTop != nil {
		return accel.RowTop(row, g, inv)
	}
	return rowTopGo(row, g, inv)
}

// rowTopGo is rowTop with the even and the odd columns in two running
// maxima (a later equal value does not replace the maximum), the last
// column of an odd row in the even one, and then the odd one taken if it is
// larger: a maximum's value does not depend on the order, but the sign of
// a zero does, and the two lanes of the SIMD kernel keep this order.
func rowTopGo(row []float32, g []float64, inv float64) float64 {
	b0, b1 := math.Inf(-1), math.Inf(-1)
	n := len(row)
	g = g[:n]
	j := 0
	for ; j+1 < n; j += 2 {
		if v := g[j] - float64(row[j])*inv; v > b0 {
			b0 = v
		}
		if v := g[j+1] - float64(row[j+1])*inv; v > b1 {
			b1 = v
		}
	}
	if j < n {
		if v := g[j] - float64(row[j])*inv; v > b0 {
			b0 = v
		}
	}
	if b1 > b0 {
		b0 = b1
	}
	return b0
}

// rowStats returns Σ float64(row_j), added in order, the largest entry if
// it exceeds −1 (else −1) and the first column where it is (−1 if none);
// with hist not nil (1<<16 entries), it adds one to hist[bits >> 16] for
// the float32 bits of each entry.
func rowStats(row []float32, hist []uint32) (sum, max float64, at int) {
	if accel.RowStats != nil {
		return accel.RowStats(row, hist)
	}
	return rowStatsGo(row, hist)
}

func rowStatsGo(row []float32, hist []uint32) (sum, max float64, at int) {
	max, at = -1, -1
	if hist != nil {
		hist = hist[:1<<16]
	}
	for j, c := range row {
		cv := float64(c)
		sum += cv
		if cv > max {
			max, at = cv, j
		}
		if hist != nil {
			hist[math.Float32bits(c)>>16]++
		}
	}
	return sum, max, at
}

// compactRow writes the non-zero entries of row and their columns, in
// order, to sv and sc (which have room for them) and returns their number.
func compactRow[C colIndex](sv []float32, sc []C, row []float32) int {
	switch p := any(&sc).(type) { // a pointer: as in segDotSparse
	case *[]int32:
		if accel.CompactRow != nil {
			return accel.CompactRow(sv, *p, row)
		}
	case *[]uint16:
		if accel.CompactRow16 != nil {
			return accel.CompactRow16(sv, *p, row)
		}
	}
	return compactRowGo(sv, sc, row)
}

// compactRowGo is compactRow in Go; the columns of row must fit in C (the
// block picks C by the number of columns: sparseCols).
func compactRowGo[C colIndex](sv []float32, sc []C, row []float32) int {
	w := 0
	for j, x := range row {
		if x != 0 {
			sv[w], sc[w] = x, C(j)
			w++
		}
	}
	return w
}

// segDot32 sets segsum[c] to dot32 of the segment [seg[c], seg[c+1]) of row
// and v, for c < len(segsum), and returns their sum, added in order.
func segDot32(segsum []float64, row []float32, v []float64, seg []int) float64 {
	if accel.SegDot32 != nil {
		return accel.SegDot32(segsum, row, v, seg)
	}
	return segDot32Go(segsum, row, v, seg)
}

func segDot32Go(segsum []float64, row []float32, v []float64, seg []int) float64 {
	s := 0.0
	for c := range segsum {
		x := dot32(row[seg[c]:seg[c+1]], v[seg[c]:seg[c+1]])
		segsum[c] = x
		s += x
	}
	return s
}

// pairRows says whether a dense block's iteration takes its rows two at a
// time (segDot32x2, axpy32x2): on amd64 (SSE2), unless other kernels are
// installed for the rows (the page's WebAssembly SIMD: its segDot32 and
// axpy32 take one row a call).
func pairRows() bool {
	return haveSSE2 && accel.SegDot32 == nil && accel.Axpy32 == nil
}

// segDot32x2 is segDot32Go of two rows at once (ka's class sums into sega,
// kb's into segb; the rows have one length), with dot32x2: the same bits
// for each row. Only where pairRows holds.
func segDot32x2(sega, segb []float64, ka, kb []float32, v []float64, seg []int) (sa, sb float64) {
	kb = kb[:len(ka)]
	for c := range sega {
		lo, hi := seg[c], seg[c+1]
		x, y := dot32x2(ka[lo:hi], kb[lo:hi], v[lo:hi])
		sega[c], segb[c] = x, y
		sa += x
		sb += y
	}
	return sa, sb
}

// dot32x2 is dot32 of two rows of one length at once (dot4x2 for their
// steps of four when dot32 would use dot4): each row's sums are dot32's.
func dot32x2(ka, kb []float32, v []float64) (float64, float64) {
	if len(ka) < 8 {
		return dot32(ka, v), dot32(kb, v)
	}
	j := len(ka) &^ 3
	var s [8]float64
	dot4x2(ka[:j], kb[:j], v[:j], &s)
	return dot32Tail(ka, v, j, s[0], s[1], s[2], s[3]), dot32Tail(kb, v, j, s[4], s[5], s[6], s[7])
}

// dot32Tail is dot32 after dot4's steps: the entries from j (a multiple
// of four, at most three before the end) added to s0, then the lanes'
// sum.
func dot32Tail(k []float32, v []float64, j int, s0, s1, s2, s3 float64) float64 {
	for ; j < len(k); j++ {
		s0 += float64(k[j]) * v[j]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy32x2 is axpy32Go(y, a, ka) then axpy32Go(y, b, kb) (rows of one
// length), each entry of y loaded and stored once for both (axpy4x2):
// the same additions in the same order.
func axpy32x2(y []float64, a float64, ka []float32, b float64, kb []float32) {
	if len(ka) < 8 {
		axpy32Go(y, a, ka)
		axpy32Go(y, b, kb)
		return
	}
	y, kb = y[:len(ka)], kb[:len(ka)]
	j := len(ka) &^ 3
	axpy4x2(y[:j], a, ka[:j], b, kb[:j])
	for ; j < len(ka); j++ {
		y[j] += a * float64(ka[j])
		y[j] += b * float64(kb[j])
	}
}

// dot32 returns Σ k_j v_j with float64 accumulation, in a fixed order.
func dot32(k []float32, v []float64) float64 {
	v = v[:len(k)]
	var s0, s1, s2, s3 float64
	j := 0
	if haveSSE2 && len(k) >= 8 {
		j = len(k) &^ 3
		s0, s1, s2, s3 = dot4(k[:j], v[:j])
	}
	for ; j+4 <= len(k); j += 4 {
		s0 += float64(k[j]) * v[j]
		s1 += float64(k[j+1]) * v[j+1]
		s2 += float64(k[j+2]) * v[j+2]
		s3 += float64(k[j+3]) * v[j+3]
	}
	for ; j < len(k); j++ {
		s0 += float64(k[j]) * v[j]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy32 adds a·k into y.
func axpy32(y []float64, a float64, k []float32) {
	if accel.Axpy32 != nil && len(k) >= accel.MinAxpy {
		accel.Axpy32(y[:len(k)], a, k)
		return
	}
	axpy32Go(y, a, k)
}

func axpy32Go(y []float64, a float64, k []float32) {
	y = y[:len(k)]
	j := 0
	if haveSSE2 && len(k) >= 8 {
		j = len(k) &^ 3
		axpy4(y[:j], a, k[:j])
	}
	for ; j+4 <= len(k); j += 4 {
		y[j] += a * float64(k[j])
		y[j+1] += a * float64(k[j+1])
		y[j+2] += a * float64(k[j+2])
		y[j+3] += a * float64(k[j+3])
	}
	for ; j < len(k); j++ {
		y[j] += a * float64(k[j])
	}
}

// sqDist writes ‖x_i − y_j‖² (as ‖x‖² + ‖y‖² − 2x·y in float64, clamped at
// zero) into out (n×m, float32) for x n×d, y m×d, with their squared norms.
// The dot products are computed four rows by four columns at a time. x
// must hold float32 values (the features, as float64), as y does: the
// AVX2 kernel's fused multiply-adds rely on their exact products.
func sqDist(out []float32, x, nx []float64, y []float32, ny []float64, n, m, d int) {
	n4, m4 := n&^3, m&^3
	tiles := sqDistTiles
	if accel.SqDistTiles != nil {
		tiles = accel.SqDistTiles
	}
	if n4 > 0 && m4 > 0 && accel.SqDist != nil {
		accel.SqDist(out, x, nx, y, ny, n4, m4, m, d)
	} else if n4 > 0 && m4 > 0 && accel.SqDistTiles == nil && haveFMA {
		sqDistPacked(out, x, nx, y, ny, n4, m4, m, d)
	} else if n4 > 0 && m4 > 0 {
		// The target points stay float32 (the problem's own array); a panel
		// of them at a time is converted for the tiles, which read it once
		// for every 4 rows. A float64 copy of them all was 20 MB in every
		// worker at N = 10⁴, d = 256. The values, and so the sums, are the
		// same.
		pw := sqDistPanel(d)
		panel := make([]float64, min(pw, m4)*d)
		for jp := 0; jp < m4; jp += pw {
			je := min(jp+pw, m4)
			yp := panel[:(je-jp)*d]
			for k, v := range y[jp*d : je*d] {
				yp[k] = float64(v)
			}
			tiles(out[jp:], m, x, nx, yp, ny[jp:je], n, je-jp, d)
		}
	}
	for i := 0; i < n4; i++ {
		for j := m4; j < m; j++ {
			out[i*m+j] = sqd(x[i*d:(i+1)*d], nx[i], y[j*d:(j+1)*d], ny[j])
		}
	}
	for i := n4; i < n; i++ {
		for j := 0; j < m; j++ {
			out[i*m+j] = sqd(x[i*d:(i+1)*d], nx[i], y[j*d:(j+1)*d], ny[j])
		}
	}
}

// sqDistTiles computes the 4×4 tiles of the squared distances ‖x_i‖² +
// ‖y_j‖² − 2·x_i·y_j (rows [0, n&^3), columns [0, m&^3)), row i at
// out[i·stride:], in panels of columns.
func sqDistTiles(out []float32, stride int, x, nx, y, ny []float64, n, m, d int) {
	pw := sqDistPanel(d)
	m4 := m &^ 3
	for jp := 0; jp < m4; jp += pw {
		sqDistPanelTiles(out, stride, x, nx, y, ny, n, d, jp, min(jp+pw, m4))
	}
}

// sqDistPanel is the width of the panels of columns sqDistTiles works in:
// the panel's target points (pw·d float64, 256 KB) stay in cache while
// every tile of rows passes over them. Going over all the columns for each
// tile of rows instead read all of y from memory a tile (d = 256, N = 10⁴:
// 20 MB for every 4 rows). Each entry's sum is the same, in the same order.
func sqDistPanel(d int) int {
	return max(4, (32768/max(d, 1))&^3)
}

// sqDistPanelTiles is sqDistTiles on the columns [j0, j1) (multiples of 4).
func sqDistPanelTiles(out []float32, m int, x, nx, y, ny []float64, n, d, j0, j1 int) {
	if haveSSE2 {
		sqDistPanelTilesSSE2(out, m, x, nx, y, ny, n, d, j0, j1)
		return
	}
	sqDistPanelTilesGo(out, m, x, nx, y, ny, n, d, j0, j1)
}

// sqDistPanelTilesSSE2 is sqDistPanelTiles with each tile's sums in SSE2
// (tile4): the same sums in the same order, half the instructions. The
// squared distances are three quarters of the CLI's time at d = 256.
func sqDistPanelTilesSSE2(out []float32, m int, x, nx, y, ny []float64, n, d, j0, j1 int) {
	var a [16]float64
	for i := 0; i+4 <= n; i += 4 {
		xi := x[i*d : (i+4)*d]
		for j := j0; j+4 <= j1; j += 4 {
			tile4(xi, y[j*d:(j+4)*d], d, &a)
			put4(out[i*m+j:], nx[i], ny[j:j+4], a[0], a[1], a[2], a[3])
			put4(out[(i+1)*m+j:], nx[i+1], ny[j:j+4], a[4], a[5], a[6], a[7])
			put4(out[(i+2)*m+j:], nx[i+2], ny[j:j+4], a[8], a[9], a[10], a[11])
			put4(out[(i+3)*m+j:], nx[i+3], ny[j:j+4], a[12], a[13], a[14], a[15])
		}
	}
}

// sqDistPanelTilesGo is sqDistPanelTiles in plain Go, four rows by four
// columns of running sums in registers.
func sqDistPanelTilesGo(out []float32, m int, x, nx, y, ny []float64, n, d, j0, j1 int) {
	i := 0
	for ; i+4 <= n; i += 4 {
		x0, x1, x2, x3 := x[i*d:(i+1)*d], x[(i+1)*d:(i+2)*d], x[(i+2)*d:(i+3)*d], x[(i+3)*d:(i+4)*d]
		j := j0
		for ; j+4 <= j1; j += 4 {
			y0, y1, y2, y3 := y[j*d:(j+1)*d], y[(j+1)*d:(j+2)*d], y[(j+2)*d:(j+3)*d], y[(j+3)*d:(j+4)*d]
			var a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33 float64
			for k := 0; k < d; k++ {
				b0, b1, b2, b3 := y0[k], y1[k], y2[k], y3[k]
				c := x0[k]
				a00 += c * b0
				a01 += c * b1
				a02 += c * b2
				a03 += c * b3
				c = x1[k]
				a10 += c * b0
				a11 += c * b1
				a12 += c * b2
				a13 += c * b3
				c = x2[k]
				a20 += c * b0
				a21 += c * b1
				a22 += c * b2
				a23 += c * b3
				c = x3[k]
				a30 += c * b0
				a31 += c * b1
				a32 += c * b2
				a33 += c * b3
			}
			put4(out[i*m+j:], nx[i], ny[j:j+4], a00, a01, a02, a03)
			put4(out[(i+1)*m+j:], nx[i+1], ny[j:j+4], a10, a11, a12, a13)
			put4(out[(i+2)*m+j:], nx[i+2], ny[j:j+4], a20, a21, a22, a23)
			put4(out[(i+3)*m+j:], nx[i+3], ny[j:j+4], a30, a31, a32, a33)
		}
	}
}

func put4(out []float32, nx float64, ny []float64, a0, a1, a2, a3 float64) {
	out[0] = clamp0(nx + ny[0] - 2*a0)
	out[1] = clamp0(nx + ny[1] - 2*a1)
	out[2] = clamp0(nx + ny[2] - 2*a2)
	out[3] = clamp0(nx + ny[3] - 2*a3)
}

func sqd(x []float64, nx float64, y []float32, ny float64) float32 {
	s := 0.0
	for k := range x {
		s += x[k] * float64(y[k])
	}
	return clamp0(nx + ny - 2*s)
}

func clamp0(c float64) float32 {
	if c < 0 {
		return 0
	}
	return float32(c)
}

// expKernel returns e**a for a kernel exponent a ≤ 88 with a relative error
// below 1e-9 (ample for a float32 result): a Taylor polynomial of degree 8
// after reduction by powers of two. It is plain arithmetic, so every
// platform computes the same bits. Exponents below −745 give 0.
func expKernel(a float64) float64 {
	const (
		log2e = 1.44269504088896338700e+00
		ln2hi = 6.93147180369123816490e-01
		ln2lo = 1.90821492927058770002e-10
	)
	if a < -700 {
		return 0
	}
	var k int
	if a < 0 {
		k = int(a*log2e - 0.5)
	} else {
		k = int(a*log2e + 0.5)
	}
	r := (a - float64(k)*ln2hi) - float64(k)*ln2lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040+r*(1.0/40320))))))))
	return p * math.Float64frombits(uint64(k+1023)<<52)
}

// logKernel returns the natural logarithm of a positive, normal float32 kernel
// entry with an absolute error below 1e-13: from its exponent bits, a table
// of logarithms at the centres of 256 buckets of the mantissa m ∈ [1, 2), and
// a series in r = m/t − 1 (|r| < 2⁻⁹, computed with the table's 1/t: no
// division) for the rest.
func logKernel(x float32) float64 {
	const ln2 = 6.93147180559945309417e-01
	bits := math.Float32bits(x)
	t := &logTab[bits>>15&0xff]
	r := float64(math.Float32frombits(bits&0x007fffff|0x3f800000))*t.inv - 1
	return float64(int(bits>>23)-127)*ln2 + (t.log + r*(1+r*(-1.0/2+r*(1.0/3+r*(-1.0/4+r*(1.0/5))))))
}

// logTab holds, for each bucket [1 + i/256, 1 + (i+1)/256) of the mantissa,
// the logarithm of its centre t and 1/t (detmath's, the same bits on every
// platform).
var logTab = func() (tab [256]struct{ log, inv float64 }) {
	for i := range tab {
		t := 1 + (float64(i)+0.5)/256
		tab[i].log = detmath.Log(t)
		tab[i].inv = 1 / t
	}
	return tab
}()

// absorbRow multiplies the non-zero entries of a dense kernel row by ui·v_j
// (and squares them when the stage halves ε), flushing those below lo to
// zero, and returns the number of non-zero entries left.
func absorbRow(row []float32, v []float64, ui, lo float64, square bool) int {
	if accel.AbsorbRow != nil {
		return accel.AbsorbRow(row, v, ui, lo, square)
	}
	return absorbRowGo(row, v, ui, lo, square)
}

func absorbRowGo(row []float32, v []float64, ui, lo float64, square bool) int {
	v = v[:len(row)]
	nz := 0
	for j, x := range row {
		if x != 0 {
			row[j] = absorbEntry(ui*float64(x)*v[j], lo, square)
			if row[j] != 0 {
				nz++
			}
		}
	}
	return nz
}

// absorbEntry is a kernel entry y after absorbing the scalings: 0 below lo,
// else y (or y², when the stage halves ε) as float32.
func absorbEntry(y, lo float64, square bool) float32 {
	switch {
	case y < lo:
		return 0
	case square:
		return float32(y * y)
	}
	return float32(y)
}

// CostRows writes the squared Euclidean costs ‖x_i‖² + ‖y_j‖² − 2·x_i·y_j
// between n points x (row-major n×d, float64 values of float32 features,
// squared norms nx) and m points y (m×d float32, squared norms ny) into out
// (n×m, float32), with the arithmetic of the blocks' OpCost (the dot
// product summed in channel order, in float64, rounded once): the cost of a
// pair is the blocks' cost of the same pair, bit for bit, whichever side
// either point is on. A norm is Σ_k x_k² in channel order, in float64.
func CostRows(out []float32, x, nx []float64, y []float32, ny []float64, n, m, d int) {
	sqDist(out[:n*m], x[:n*d], nx[:n], y[:m*d], ny[:m], n, m, d)
}
