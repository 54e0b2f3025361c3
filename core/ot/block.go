package ot

import (
	"errors"
	"fmt"
	"github.com/otceseg/otceseg/core/detmath"
	"github.com/otceseg/otceseg/core/emd"
	"math"
)

// Thresholds of the stored kernel, in units of ε.
const (
	// flushExp: an absorb (OpAbsorb) stores the entries below
	// exp(−flushExp) as zero (float32 keeps full precision down to about
	// exp(−87)).
	flushExp = 80
	// kernelFlush: a kernel build (OpKernel) stores as zero the entries
	// below exp(−kernelFlush)·min(1, t_i), t_i the row's largest entry
	// (e^0 after a move, in [e^−rowLow, e^rowHigh] in any case): every
	// zero entry of a freshly built kernel is below exp(−kernelFlush) both
	// absolutely and relative to its row's largest (below e^−80 at worst,
	// within float32's range). What that drops is bounded by the solver
	// (dropBound in sinkhorn.go): for a row i at column scalings v, its
	// share of the row sum Σ_j K_ij v_j is at most
	// M·exp(−kernelFlush)·max v/min v, and the same holds for every
	// column's share of its marginal. On logits of trained networks at
	// ε/median 1e-3 (BENCHMARKS.md, "Kernel truncation"), 60 instead of
	// the former 80 stores 17 % fewer entries.
	kernelFlush = 60
	// rowHigh, rowLow: after a rebuild each row's largest exponent lies in
	// [−rowLow, rowHigh]: no float32 overflow, no all-zero rows.
	rowHigh = 30
	rowLow  = 20
)

// Block owns source rows [Lo, Hi) of a Problem: their features, their
// potentials f and scalings u, and their rows of the cost or kernel matrix
// as float32.
type Block struct {
	Lo, Hi int

	p   *Problem
	xt  []float32 // target features, M×D: the problem's own (shared between blocks)
	nt  []float64 // squared norms of the target features
	seg []int     // target class segments
	buf []float32 // (Hi−Lo)×M: the cost after OpCost, the kernel after OpKernel
	f   []float64 // row potentials
	u   []float64 // row scalings
	eps float64   // ε of the kernel (0 when buf holds the cost)

	// Sparse form of the kernel, used instead of buf once few entries are
	// non-zero (small ε): row r holds sv[sp[r]:sp[r+1]] at columns
	// sc[sp[r]:sp[r+1]], ascending; the columns are sc16 instead (sc nil,
	// sc16 not nil even when empty) when the problem has at most
	// MaxNarrowCols target points (sparseCols): 6 bytes an entry instead
	// of 8.
	sparse bool
	sv     []float32
	sc     []int32
	sc16   []uint16
	sp     []int

	ex *emd.RowBlock // the exact solver's state of the rows (OpExactStart)
	// bids is the buffer of the block's bids in a round of the auction.
	bids []emd.Bid
	// bidRep is OpBid's reply, reused from round to round (exact.go).
	bidRep Reply
	// colSum, joint and sums are OpIterate's buffers, reused from one
	// iteration to the next: the reply's ColSum and Joint are colSum and
	// joint. A new pair an iteration was most of a worker's garbage at
	// N = 10⁴ (80 KB a block), and a collection every iteration or two.
	colSum, joint, sums []float64
}

// SparseDensity is the fraction of non-zero kernel entries below which a
// block switches to the sparse form (6 or 8 bytes an entry, SparseEntryBytes,
// instead of 4 for every entry).
const SparseDensity = 0.25

// MaxNarrowCols is the most target points for which a sparse kernel's
// column indices are 16 bits (uint16, columns 0 to 65535) rather than 32.
const MaxNarrowCols = 1 << 16

// SparseEntryBytes is the memory of one entry of a sparse kernel with m
// columns: its float32 value and its column index, 2 bytes when m ≤
// MaxNarrowCols, else 4.
func SparseEntryBytes(m int) int {
	if sparseCols(m) {
		return 6
	}
	return 8
}

// sparseCols reports whether a sparse kernel of m columns stores its column
// indices in 16 bits (sc16).
func sparseCols(m int) bool { return m <= narrowCols }

// narrowCols is MaxNarrowCols, which tests lower to run the 32-bit form on
// small problems.
var narrowCols = MaxNarrowCols

// Target holds the target side of a problem in the form blocks use; blocks in
// the same process share one.
type Target struct {
	nt  []float64
	seg []int
}

// NewTarget prepares the target side of p for blocks.
func NewTarget(p *Problem) *Target {
	t := &Target{nt: make([]float64, p.M), seg: p.segments()}
	for j := 0; j < p.M; j++ {
		s := 0.0
		for k := 0; k < p.D; k++ {
			x := float64(p.Xt[j*p.D+k])
			s += x * x
		}
		t.nt[j] = s
	}
	return t
}

// NewBlock returns the block of rows [lo, hi) of p. Its buffers are allocated
// by the first OpCost.
func NewBlock(p *Problem, t *Target, lo, hi int) *Block {
	b := &Block{Lo: lo, Hi: hi, p: p, xt: p.Xt, nt: t.nt, seg: t.seg}
	b.f = make([]float64, hi-lo)
	b.u = make([]float64, hi-lo)
	for i := range b.u {
		b.u[i] = 1
	}
	return b
}

// NewCostBlock returns the block of rows [lo, hi) of p holding cost, its
// (hi−lo)×M cost rows as OpCost computes them (OpRows returns them), as if
// OpCost had run: a process that receives the rows another one computed
// (the browser's sampler, solving the exact plan over every block) needs
// not compute them again. With a nil t the block serves the exact solver's
// operations only: it cannot compute its cost (OpCost fails).
func NewCostBlock(p *Problem, t *Target, lo, hi int, cost []float32) (*Block, error) {
	if lo < 0 || hi < lo || hi > p.N || len(cost) != (hi-lo)*p.M {
		return nil, fmt.Errorf("ot: %d costs for the rows [%d, %d) of a %d×%d problem", len(cost), lo, hi, p.N, p.M)
	}
	if t == nil {
		t = &Target{seg: p.segments()}
	}
	b := NewBlock(p, t, lo, hi)
	b.buf = cost
	return b, nil
}

// Do performs op on the block.
func (b *Block) Do(op *Op) (*Reply, error) {
	switch op.Kind {
	case OpCost:
		if len(b.xt) != len(b.p.Xt) {
			return nil, errors.New("ot: the block has no target points to compute its cost from")
		}
		b.ex, b.bids = nil, nil
		return b.cost(op.Stats), nil
	case OpCostHistogram:
		return b.costHistogram(op.Bucket)
	case OpColMin:
		return b.colMin(op.Scale)
	case OpKernel:
		b.ex, b.bids = nil, nil
		if op.F != nil {
			copy(b.f, op.F[b.Lo:b.Hi])
		}
		return b.kernel(op.G, op.Eps, op.Scale)
	case OpIterate:
		return b.iterate(op.V, op.Omega)
	case OpAbsorb:
		return b.absorb(op.V, op.Square)
	case OpFinish:
		return b.finish(op.V, op.G)
	case OpPotentials:
		return b.potentials(op.V)
	case OpRelease:
		b.buf, b.ex, b.bids = nil, nil, nil
		b.colSum, b.joint, b.sums = nil, nil, nil
		return &Reply{}, nil
	case OpExactStart, OpBid, OpSlack, OpCached, OpRows, OpInfeasibility:
		return b.exact(op)
	}
	return nil, fmt.Errorf("ot: unknown block operation %d", op.Kind)
}

func (b *Block) rows() int { return b.Hi - b.Lo }

// cost computes the squared Euclidean distances of the block's rows to all
// target points, ‖x‖² + ‖y‖² − 2x·y in float64, rounded to float32.
func (b *Block) cost(stats bool) *Reply {
	p := b.p
	n, m, d := b.rows(), p.M, p.D
	b.sparse, b.sv, b.sc, b.sc16, b.sp = false, nil, nil, nil, nil
	if len(b.buf) != n*m {
		b.buf = make([]float32, n*m)
	}
	xs := make([]float64, n*d)
	ns := make([]float64, n)
	for i := 0; i < n; i++ {
		s := 0.0
		for k := 0; k < d; k++ {
			x := float64(p.Xs[(b.Lo+i)*d+k])
			xs[i*d+k] = x
			s += x * x
		}
		ns[i] = s
	}
	sqDist(b.buf, xs, ns, b.xt, b.nt, n, m, d)
	b.eps = 0
	rep := &Reply{}
	mx, sum, at := -1.0, 0.0, 0
	if stats {
		rep.Hist = make([]uint32, 1<<16)
	}
	for r := 0; r < n; r++ {
		rs, rmx, j := rowStats(b.buf[r*m:(r+1)*m], rep.Hist)
		if rmx > mx {
			mx, at = rmx, (b.Lo+r)*m+j
		}
		sum += rs
	}
	rep.Max, rep.Sum, rep.MaxAt = mx, sum, at
	return rep
}

func (b *Block) costHistogram(bucket int) (*Reply, error) {
	if b.eps != 0 || b.buf == nil {
		return nil, errors.New("ot: cost histogram asked when the buffer holds no cost")
	}
	h := make([]uint32, 1<<16)
	if accel.Hist16 != nil {
		accel.Hist16(h, b.buf, bucket)
	} else {
		hist16Go(h, b.buf, bucket)
	}
	return &Reply{Hist: h}, nil
}

func (b *Block) colMin(scale float64) (*Reply, error) {
	if b.eps != 0 || b.buf == nil {
		return nil, errors.New("ot: column minima asked when the buffer holds no cost")
	}
	m := b.p.M
	out := make([]float64, m)
	for j := range out {
		out[j] = math.Inf(1)
	}
	inv := 1 / scale
	for r := 0; r < b.rows(); r++ {
		fi := b.f[r]
		row := b.buf[r*m : (r+1)*m]
		for j, c := range row {
			if v := float64(c)*inv - fi; v < out[j] {
				out[j] = v
			}
		}
	}
	return &Reply{ColSum: out}, nil
}

// kernel turns the cost into the kernel in place.
func (b *Block) kernel(g []float64, eps, scale float64) (*Reply, error) {
	if b.eps != 0 || b.buf == nil {
		return nil, errors.New("ot: kernel asked when the buffer holds no cost")
	}
	m := b.p.M
	inv := 1 / scale
	moved, nz := 0, 0
	for r := 0; r < b.rows(); r++ {
		row := b.buf[r*m : (r+1)*m]
		// Largest exponent of the row: (f_i + max_j (g_j − C_ij))/ε.
		best := rowTop(row, g, inv)
		top := (b.f[r] + best) / eps
		if top > rowHigh || top < -rowLow {
			b.f[r] = -best
			moved++
			top = 0
		}
		// Below e^−kernelFlush and below e^−kernelFlush·e^top (NaN: the
		// former).
		flush := float64(kernelFlush)
		if top < 0 {
			flush -= top
		}
		nz += kernelRow(row, g, b.f[r], inv, eps, flush)
		b.u[r] = 1
	}
	b.eps = eps
	// The count is the dense kernel's: settle need not count again.
	b.maybeSparsify(nz)
	return &Reply{Zero: moved, Mass: b.fraction(nz)}, nil
}

// iterate is one fused pass: row scaling update, then the row's contribution
// to the column sums while the row is in cache.
func (b *Block) iterate(v []float64, omega float64) (*Reply, error) {
	if b.eps == 0 {
		return nil, errors.New("ot: iteration asked before the kernel was built")
	}
	p := b.p
	m, lb := p.M, p.Lb
	a := 1 / float64(p.N)
	rep := &Reply{ColSum: zeroed(&b.colSum, m), Joint: zeroed(&b.joint, p.La*lb)}
	col := rep.ColSum
	// The largest |log u_i| is that of the largest or the smallest u_i:
	// two logarithms a block, not one a row.
	unMin, unMax := 1.0, 1.0
	// row takes row r's scaling from its sum s and its class sums into
	// the joint table; false for a row left alone (rowScaling).
	row := func(r int, s float64, segsum []float64) (float64, bool) {
		un, ok := b.rowScaling(rep, r, s, a, omega)
		if !ok {
			return 0, false
		}
		// Explicit comparisons: min and max call the runtime in
		// WebAssembly (un is not NaN here).
		if un < unMin {
			unMin = un
		}
		if un > unMax {
			unMax = un
		}
		jr := rep.Joint[int(p.Ys[b.Lo+r])*lb:]
		for c := range lb {
			jr[c] += un * segsum[c]
		}
		return un, true
	}
	switch {
	case b.sparse && b.sc16 != nil:
		rowSums, scatter := sparseRowSumsGo[uint16], scatterSparseRowsGo[uint16]
		if accel.SparseRowSums16 != nil && accel.ScatterSparseRows16 != nil {
			rowSums, scatter = accel.SparseRowSums16, accel.ScatterSparseRows16
		}
		unMin, unMax = iterateSparseRows(b, b.sc16, rowSums, scatter, rep, v, omega)
	case b.sparse:
		rowSums, scatter := sparseRowSumsGo[int32], scatterSparseRowsGo[int32]
		if accel.SparseRowSums != nil && accel.ScatterSparseRows != nil {
			rowSums, scatter = accel.SparseRowSums, accel.ScatterSparseRows
		}
		unMin, unMax = iterateSparseRows(b, b.sc, rowSums, scatter, rep, v, omega)
	default:
		segsum := make([]float64, 2*lb)
		sega, segb := segsum[:lb], segsum[lb:]
		r := 0
		if pairRows() {
			// Two rows at a time: both rows' sums (which read v only),
			// then each row's scaling, joint entries and column sums in
			// row order, as row after row.
			for ; r+2 <= b.rows(); r += 2 {
				ka, kb := b.buf[r*m:(r+1)*m], b.buf[(r+1)*m:(r+2)*m]
				sa, sb := segDot32x2(sega, segb, ka, kb, v, b.seg)
				ua, okA := row(r, sa, sega)
				ub, okB := row(r+1, sb, segb)
				switch {
				case okA && okB:
					axpy32x2(col, ua, ka, ub, kb)
				case okA:
					axpy32(col, ua, ka)
				case okB:
					axpy32(col, ub, kb)
				}
			}
		}
		for ; r < b.rows(); r++ {
			k := b.buf[r*m : (r+1)*m]
			if un, ok := row(r, segDot32(sega, k, v, b.seg), sega); ok {
				axpy32(col, un, k)
			}
		}
	}
	rep.MaxLogU = max(math.Abs(detmath.Log(unMin)), math.Abs(detmath.Log(unMax)))
	return rep, nil
}

// zeroed returns *buf as n zeros, allocating it when it is too short.
func zeroed(buf *[]float64, n int) []float64 {
	if cap(*buf) < n {
		*buf = make([]float64, n)
		return *buf
	}
	*buf = (*buf)[:n]
	clear(*buf)
	return *buf
}

// rowScaling updates row r's scaling from its sum s with v (relaxed by
// omega), adds its mass and marginal error to rep, and returns it; a row
// without a positive finite sum counts in rep.Zero and is left alone.
func (b *Block) rowScaling(rep *Reply, r int, s, a, omega float64) (float64, bool) {
	if !(s > 0) || math.IsInf(s, 0) {
		rep.Zero++
		return 0, false
	}
	un := a / s
	if omega != 1 {
		un = relax(b.u[r], un, omega)
	}
	b.u[r] = un
	mass := un * s
	rep.Mass += mass
	rep.RowErr += math.Abs(mass - a)
	return un, true
}

// sparseChunk is the number of sparse rows iterateSparseRows hands to the
// installed kernels a call.
const sparseChunk = 64

// iterateSparseRows is iterate's loop over the rows of sparse block b, of
// columns cols (b.sc or b.sc16), with rowSums and scatter: the installed
// Kernels.SparseRowSums and ScatterSparseRows (SparseRowSums16 and
// ScatterSparseRows16 for 16-bit columns) when both are, else
// sparseRowSumsGo and scatterSparseRowsGo. The same operations in the same
// order as a row-by-row loop (a row's scatter into the column sums only
// moves after the next rows' class sums, which do not read them), in two
// calls a chunk of rows instead of two a row, and the class sums of two
// rows at a time in Go. It returns the smallest and largest row scalings
// (1 included).
func iterateSparseRows[C colIndex](b *Block, cols []C, rowSums func(segsums, totals []float64, sv []float32, sc []C, sp []int, v []float64, seg []int),
	scatter func(col, a []float64, sv []float32, sc []C, sp []int), rep *Reply, v []float64, omega float64) (unMin, unMax float64) {
	p := b.p
	lb := p.Lb
	a := 1 / float64(p.N)
	unMin, unMax = 1, 1
	n := min(sparseChunk, b.rows())
	scratch := zeroed(&b.sums, n*(lb+2))
	sums, totals, uns := scratch[:n*lb], scratch[n*lb:n*(lb+1)], scratch[n*(lb+1):]
	for r0 := 0; r0 < b.rows(); r0 += sparseChunk {
		r1 := min(r0+sparseChunk, b.rows())
		k := r1 - r0
		sp := b.sp[r0 : r1+1]
		rowSums(sums[:k*lb], totals[:k], b.sv, cols, sp, v, b.seg)
		for i := range k {
			r := r0 + i
			uns[i] = 0
			un, ok := b.rowScaling(rep, r, totals[i], a, omega)
			if !ok {
				continue
			}
			uns[i] = un
			if un < unMin {
				unMin = un
			}
			if un > unMax {
				unMax = un
			}
			// The row's classes: those of its first and last columns
			// (a row with a positive sum has one at least).
			sc := cols[sp[i]:sp[i+1]]
			lo, hi := int(p.Yt[sc[0]]), int(p.Yt[sc[len(sc)-1]])
			jr := rep.Joint[int(p.Ys[b.Lo+r])*lb:]
			seg := sums[i*lb : (i+1)*lb]
			for c := lo; c <= hi; c++ {
				jr[c] += un * seg[c]
			}
		}
		scatter(rep.ColSum, uns[:k], b.sv, cols, sp)
	}
	return unMin, unMax
}

// sparseSums computes the class sums of sparse row r of b, of columns cols
// (b.sc or b.sc16), with v: segsum[c] for the classes [lo, hi] its columns
// fall in (the others are not written), and returns the row's values and
// columns, that class range and the total.
func sparseSums[C colIndex](b *Block, cols []C, r int, v, segsum []float64) (sv []float32, sc []C, lo, hi int, s float64) {
	sv, sc = b.sv[b.sp[r]:b.sp[r+1]], cols[b.sp[r]:b.sp[r+1]]
	if len(sc) == 0 {
		return sv, sc, 0, -1, 0
	}
	yt := b.p.Yt
	lo, hi = int(yt[sc[0]]), int(yt[sc[len(sc)-1]])
	s = segDotSparse(segsum[lo:hi+1], sv, sc, v, b.seg[lo:hi+2])
	return sv, sc, lo, hi, s
}

func (b *Block) absorb(v []float64, square bool) (*Reply, error) {
	if b.eps == 0 {
		return nil, errors.New("ot: absorb asked before the kernel was built")
	}
	m := b.p.M
	lo := detmath.Exp(-flushExp)
	if square {
		lo = detmath.Exp(-flushExp / 2)
	}
	nz := 0 // non-zero entries of the dense form after
	maxLog := math.Inf(-1)
	for r := 0; r < b.rows(); r++ {
		ui := b.u[r]
		if l := detmath.Log(ui); l > maxLog {
			maxLog = l
		}
		if b.sparse && b.sc16 != nil {
			absorbSparseRow(b.sv[b.sp[r]:b.sp[r+1]], b.sc16[b.sp[r]:b.sp[r+1]], v, ui, lo, square)
		} else if b.sparse {
			absorbSparseRow(b.sv[b.sp[r]:b.sp[r+1]], b.sc[b.sp[r]:b.sp[r+1]], v, ui, lo, square)
		} else {
			nz += absorbRow(b.buf[r*m:(r+1)*m], v, ui, lo, square)
		}
		b.f[r] += b.eps * detmath.Log(ui)
		b.u[r] = 1
	}
	if square {
		b.eps /= 2
	}
	if !b.sparse {
		// The count is the dense form's: settle need not count again.
		b.maybeSparsify(nz)
		return &Reply{MaxLogU: maxLog, Mass: b.fraction(nz)}, nil
	}
	return &Reply{MaxLogU: maxLog, Mass: b.settle()}, nil
}

// absorbSparseRow is absorb on a sparse row: its entries sv at columns sc
// times ui·v_j, as absorbEntry (below lo flushed to zero, squared when
// square); compact drops the zeros after.
func absorbSparseRow[C colIndex](sv []float32, sc []C, v []float64, ui, lo float64, square bool) {
	sv = sv[:len(sc)]
	for k, x := range sv {
		if x != 0 {
			sv[k] = absorbEntry(ui*float64(x)*v[sc[k]], lo, square)
		}
	}
}

// density is the fraction of stored non-zero kernel entries.
func (b *Block) density() float64 {
	if b.sparse {
		return b.fraction(len(b.sv))
	}
	return b.fraction(nonZero(b.buf))
}

// fraction is nz over the block's entries.
func (b *Block) fraction(nz int) float64 {
	total := float64(b.rows()) * float64(b.p.M)
	if total == 0 {
		return 0
	}
	return float64(nz) / total
}

func nonZero(x []float32) int {
	nz := 0
	for _, v := range x {
		if v != 0 {
			nz++
		}
	}
	return nz
}

// settle drops the zeros of the kernel after a change: the sparse form is
// compacted, and the dense one switches to the sparse form when few entries
// are non-zero. It returns the density, counted in the same pass.
func (b *Block) settle() float64 {
	if b.sparse {
		b.compact()
		return b.fraction(len(b.sv))
	}
	nz := nonZero(b.buf)
	b.maybeSparsify(nz)
	return b.fraction(nz)
}

// maybeSparsify switches to the sparse form when nz, the non-zero entries of
// the dense kernel, are few.
func (b *Block) maybeSparsify(nz int) {
	if float64(nz) >= SparseDensity*float64(len(b.buf)) {
		return
	}
	b.sv = make([]float32, nz)
	b.sp = make([]int, b.rows()+1)
	var w int
	if sparseCols(b.p.M) {
		b.sc16 = make([]uint16, nz)
		w = compactRows(b, b.sc16)
	} else {
		b.sc = make([]int32, nz)
		w = compactRows(b, b.sc)
	}
	if w != nz {
		panic(fmt.Sprintf("ot: the dense kernel has %d non-zero entries, %d were counted", w, nz))
	}
	b.sparse = true
	b.buf = nil
}

// compactRows writes the non-zero entries of the dense kernel's rows into
// b.sv and sc (b.sc or b.sc16), and the row starts into b.sp; it returns
// their number.
func compactRows[C colIndex](b *Block, sc []C) int {
	m := b.p.M
	w := 0
	for r := 0; r < b.rows(); r++ {
		w += compactRow(b.sv[w:], sc[w:], b.buf[r*m:(r+1)*m])
		b.sp[r+1] = w
	}
	return w
}

// compact drops the zeros of the sparse form.
func (b *Block) compact() {
	if b.sc16 != nil {
		b.sc16 = compactCols(b, b.sc16)
	} else {
		b.sc = compactCols(b, b.sc)
	}
}

// compactCols drops the zeros of the sparse form of columns sc (b.sc or
// b.sc16): b.sv and b.sp in place, and returns sc so shortened.
func compactCols[C colIndex](b *Block, sc []C) []C {
	w := 0
	for r := 0; r < b.rows(); r++ {
		lo, hi := b.sp[r], b.sp[r+1]
		b.sp[r] = w
		for k := lo; k < hi; k++ {
			if b.sv[k] != 0 {
				b.sv[w], sc[w] = b.sv[k], sc[k]
				w++
			}
		}
	}
	b.sp[b.rows()] = w
	b.sv = b.sv[:w]
	return sc[:w]
}

// finish returns the block's transport cost and joint table for the current
// scalings: π_ij = u_i K_ij v_j, C_ij = (f_i + g_j − ε log K_ij)·Scale is
// left to the solver's units (normalised cost).
func (b *Block) finish(v, g []float64) (*Reply, error) {
	if b.eps == 0 {
		return nil, errors.New("ot: finish asked before the kernel was built")
	}
	p := b.p
	m, lb := p.M, p.Lb
	rep := &Reply{Joint: make([]float64, p.La*lb)}
	eps := b.eps
	segsum := make([]float64, lb)
	for r := 0; r < b.rows(); r++ {
		ui, fi := b.u[r], b.f[r]
		jr := rep.Joint[int(p.Ys[b.Lo+r])*lb:]
		// The row's plan entries u_i·K_ij·v_j by target class (the same
		// class sums as the iteration's), then its cost Σ_j K_ij·v_j·C_ij.
		var s, rowCost float64
		lo, hi := 0, lb-1
		if b.sparse && b.sc16 != nil {
			lo, hi, s, rowCost = finishSparseRow(b, b.sc16, r, v, g, segsum)
		} else if b.sparse {
			lo, hi, s, rowCost = finishSparseRow(b, b.sc, r, v, g, segsum)
		} else {
			row := b.buf[r*m : (r+1)*m]
			s = segDot32(segsum, row, v, b.seg)
			v, g := v[:len(row)], g[:len(row)]
			for j, kv := range row {
				if kv != 0 {
					rowCost += float64(kv) * v[j] * (fi + g[j] - eps*logKernel(kv))
				}
			}
		}
		for c := lo; c <= hi; c++ {
			jr[c] += ui * segsum[c]
		}
		rep.Mass += ui * s
		rep.Sum += ui * rowCost
	}
	return rep, nil
}

// finishSparseRow is finish on sparse row r of b, of columns cols (b.sc or
// b.sc16): its class sums into segsum, their class range [lo, hi], the
// total s and the row's cost Σ_j K_ij·v_j·C_ij.
func finishSparseRow[C colIndex](b *Block, cols []C, r int, v, g, segsum []float64) (lo, hi int, s, rowCost float64) {
	sv, sc, lo, hi, s := sparseSums(b, cols, r, v, segsum)
	sv = sv[:len(sc)]
	fi, eps := b.f[r], b.eps
	for k, j := range sc {
		kv := sv[k]
		rowCost += float64(kv) * v[j] * (fi + g[j] - eps*logKernel(kv))
	}
	return lo, hi, s, rowCost
}

// potentials returns the block's row potentials of the coupling u_i K_ij v_j
// and its source-class column sums (OpPotentials).
func (b *Block) potentials(v []float64) (*Reply, error) {
	if b.eps == 0 {
		return nil, errors.New("ot: potentials asked before the kernel was built")
	}
	p := b.p
	m := p.M
	if len(v) != m {
		return nil, fmt.Errorf("ot: potentials asked with %d column scalings, want %d", len(v), m)
	}
	rep := &Reply{Values: make([]float64, b.rows()), ColSum: make([]float64, p.La*m)}
	for r := 0; r < b.rows(); r++ {
		ui := b.u[r]
		rep.Values[r] = b.f[r] + b.eps*detmath.Log(ui)
		col := rep.ColSum[int(p.Ys[b.Lo+r])*m:][:m]
		if b.sparse && b.sc16 != nil {
			potentialsSparseRow(col, b.sv[b.sp[r]:b.sp[r+1]], b.sc16[b.sp[r]:b.sp[r+1]], v, ui)
		} else if b.sparse {
			potentialsSparseRow(col, b.sv[b.sp[r]:b.sp[r+1]], b.sc[b.sp[r]:b.sp[r+1]], v, ui)
		} else {
			for j, kv := range b.buf[r*m : (r+1)*m] {
				if kv != 0 {
					col[j] += ui * float64(kv) * v[j]
				}
			}
		}
	}
	return rep, nil
}

// potentialsSparseRow adds ui·K_ij·v_j of a sparse row (values sv at
// columns sc) into col[j].
func potentialsSparseRow[C colIndex](col []float64, sv []float32, sc []C, v []float64, ui float64) {
	sv = sv[:len(sc)]
	for k, j := range sc {
		col[j] += ui * float64(sv[k]) * v[j]
	}
}
