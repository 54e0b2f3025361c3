package ot

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// sparseRowSumsRows is sparseRowSumsGo as it was, segDotSparseGo one row
// after the other: the reference for the rows taken two at a time.
func sparseRowSumsRows[C colIndex](segsums, totals []float64, sv []float32, sc []C, sp []int, v []float64, seg []int) {
	lb := len(seg) - 1
	for r := range totals {
		lo, hi := sp[r], sp[r+1]
		totals[r] = segDotSparseGo(segsums[r*lb:(r+1)*lb], sv[lo:hi], sc[lo:hi], v, seg)
	}
}

// scatterSparseRowsScalar is scatterSparseRowsGo as it was, the scalar
// loop row after row.
func scatterSparseRowsScalar[C colIndex](col, a []float64, sv []float32, sc []C, sp []int) {
	for r, ar := range a {
		for k := sp[r]; k < sp[r+1]; k++ {
			if ar != 0 {
				col[sc[k]] += ar * float64(sv[k])
			}
		}
	}
}

// oneRowKernels are the kernels of an iteration one row at a time, as
// before the pairs: installed, they take the dense rows off the pairs
// (pairRows), and the sparse rows go to sparseRowSumsRows and
// scatterSparseRowsScalar (of either width of columns).
var oneRowKernels = Kernels{SparseRowSums: sparseRowSumsRows[int32], ScatterSparseRows: scatterSparseRowsScalar[int32],
	SparseRowSums16: sparseRowSumsRows[uint16], ScatterSparseRows16: scatterSparseRowsScalar[uint16],
	SegDot32: segDot32Go, Axpy32: axpy32Go}

// narrow returns the columns sc as 16-bit ones (they are below 1<<16).
func narrow(sc []int32) []uint16 {
	out := make([]uint16, len(sc))
	for k, j := range sc {
		out[k] = uint16(j)
	}
	return out
}

// randomSparseRows returns rows sparse rows over the class segments seg
// (ascending columns, some rows empty, lengths from 0 to all columns,
// entries of −0 and of mixed magnitudes) in the block's sparse form.
func randomSparseRows(rng *rand.Rand, rows int, seg []int) (sv []float32, sc []int32, sp []int) {
	m := seg[len(seg)-1]
	sp = make([]int, rows+1)
	for r := range rows {
		density := rng.Float64()
		switch rng.IntN(6) {
		case 0:
			density = 0
		case 1:
			density = 1
		}
		sv, sc = appendSparseRow(rng, sv, sc, m, density)
		sp[r+1] = len(sc)
	}
	return sv, sc, sp
}

// TestSparseRowSumsSameBits compares sparseRowSumsGo (the rows two at a
// time) with segDotSparseGo row after row, and with the direct sums
// (segDotSparseRef), bit for bit: every total and class sum of blocks of
// odd and even numbers of rows of unequal lengths, empty rows, empty and
// skipped classes; with 32-bit columns, and with the same columns in 16
// bits (sparseRowSumsGo[uint16], the form of problems of at most
// MaxNarrowCols target points).
func TestSparseRowSumsSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for trial := range 1500 {
		seg, v := randomSegments(rng)
		classes := len(seg) - 1
		rows := 1 + rng.IntN(7)
		sv, sc, sp := randomSparseRows(rng, rows, seg)
		got, want := make([]float64, rows*classes), make([]float64, rows*classes)
		got16 := make([]float64, rows*classes)
		for c := range got {
			got[c], want[c], got16[c] = math.NaN(), math.NaN(), math.NaN() // each must write every class
		}
		gt, wt, gt16 := make([]float64, rows), make([]float64, rows), make([]float64, rows)
		sparseRowSumsGo(got, gt, sv, sc, sp, v, seg)
		sparseRowSumsRows(want, wt, sv, sc, sp, v, seg)
		sparseRowSumsGo(got16, gt16, sv, narrow(sc), sp, v, seg)
		if j := diffAt(got16, got); j >= 0 || diffAt(gt16, gt) >= 0 {
			t.Fatalf("trial %d: 16-bit columns: class sums %v totals %v, 32-bit %v %v", trial, got16, gt16, got, gt)
		}
		for r := range rows {
			ref := make([]float64, classes)
			rt := segDotSparseRef(ref, sv[sp[r]:sp[r+1]], sc[sp[r]:sp[r+1]], v, seg)
			if math.Float64bits(gt[r]) != math.Float64bits(wt[r]) || math.Float64bits(gt[r]) != math.Float64bits(rt) {
				t.Fatalf("trial %d, row %d of %d: total %v, want %v (direct %v)", trial, r, rows, gt[r], wt[r], rt)
			}
			for c := range classes {
				g, w := got[r*classes+c], want[r*classes+c]
				if math.Float64bits(g) != math.Float64bits(w) || math.Float64bits(g) != math.Float64bits(ref[c]) {
					t.Fatalf("trial %d, row %d of %d: class %d sums to %v, want %v (direct %v)", trial, r, rows, c, g, w, ref[c])
				}
			}
		}
	}
}

// logitProblem returns an n×n problem modelled on the logits of a small
// segmentation network (d = 7): bilinear mixes of a coarse grid of class
// logits (neighbouring cells mostly of one class), the target less
// confident and drifted, its points ordered by class. It is a smaller
// cousin of core/emd's logitFeatures (a fixture, no data files).
func logitProblem(seed uint64, n int) *Problem {
	const d, w = 7, 32
	rng := rand.New(rand.NewPCG(seed, 0x6c6f67697473))
	weights := []float64{18, 30, 16, 8, 22, 4, 2}
	class := func() int {
		u := rng.Float64() * 100
		for c, x := range weights {
			if u < x {
				return c
			}
			u -= x
		}
		return d - 1
	}
	bias, drift := make([]float64, d), make([]float64, d)
	for k := range d {
		bias[k], drift[k] = -1.5+rng.NormFloat64(), 3.5*rng.NormFloat64()
	}
	draw := func(target bool) ([]float32, []int32) {
		h := max(2, (n*5/2+w-1)/w)
		cls, cell := make([]int, h*w), make([]float64, h*w*d)
		for i := range h * w {
			c := class()
			if i%w > 0 && rng.Float64() < 0.85 {
				c = cls[i-1]
			} else if i >= w && rng.Float64() < 0.7 {
				c = cls[i-w]
			}
			cls[i] = c
			s, noise := 0.4+0.9*rng.Float64(), 0.8
			if target {
				s, noise = 0.15+0.7*rng.Float64(), 1.2
			}
			for k := range d {
				x := bias[k] + noise*rng.NormFloat64()
				if k == c {
					x += 7 * s
				}
				if target {
					x += drift[k]
				}
				cell[i*d+k] = x
			}
		}
		x, y := make([]float32, n*d), make([]int32, n)
		for i := range n {
			a, b := rng.IntN(h-1), rng.IntN(w-1)
			ty, tx := float64(2*rng.IntN(4)+1)/8, float64(2*rng.IntN(4)+1)/8
			c00, c01, c10, c11 := (a*w+b)*d, (a*w+b+1)*d, ((a+1)*w+b)*d, ((a+1)*w+b+1)*d
			for k := range d {
				top := (1-tx)*cell[c00+k] + tx*cell[c01+k]
				bot := (1-tx)*cell[c10+k] + tx*cell[c11+k]
				x[i*d+k] = float32((1-ty)*top + ty*bot)
			}
			// The label: the class of the nearest of the four cells.
			y[i] = int32(cls[(a+int(ty+0.5))*w+b+int(tx+0.5)])
		}
		return x, y
	}
	p := &Problem{N: n, M: n, D: d, La: d, Lb: d}
	p.Xs, p.Ys = draw(false)
	xt, yt := draw(true)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return yt[idx[a]] < yt[idx[b]] })
	p.Xt, p.Yt = make([]float32, n*d), make([]int32, n)
	for i, j := range idx {
		copy(p.Xt[i*d:(i+1)*d], xt[j*d:(j+1)*d])
		p.Yt[i] = yt[j]
	}
	return p
}

// logitKernelBlock returns the block of rows [0, rows) of p holding the
// kernel at the ε that leaves about density of its entries non-zero (with
// g = 0, each row shifted to its best entry: an entry survives when its
// cost is within kernelFlush·ε of its row's least), and that ε.
func logitKernelBlock(tb testing.TB, p *Problem, rows int, density float64) (*Block, float64) {
	blk := NewBlock(p, NewTarget(p), 0, rows)
	if _, err := blk.Do(&Op{Kind: OpCost}); err != nil {
		tb.Fatal(err)
	}
	var gaps []float64
	for r := 0; r < rows; r += 8 {
		row := blk.buf[r*p.M : (r+1)*p.M]
		lo := slices.Min(row)
		for _, c := range row {
			gaps = append(gaps, float64(c-lo))
		}
	}
	slices.Sort(gaps)
	eps := gaps[int(density*float64(len(gaps)))] / kernelFlush
	if _, err := blk.Do(&Op{Kind: OpKernel, G: make([]float64, p.M), Eps: eps, Scale: 1}); err != nil {
		tb.Fatal(err)
	}
	return blk, eps
}

// BenchmarkIterateLogits times OpIterate on 512 rows of a logit-like kernel
// (logitProblem, N = 10⁴) at the densities of the trained logits' stages
// (BENCHMARKS.md, issue 21 target 5: 28 % non-zero at 2ε, dense form; 14 %
// at ε, sparse form), each with the kernels before this round ("rows": one
// row at a time, oneRowKernels) and now (two rows at a time): compare them
// in one run (-count 5, medians).
func BenchmarkIterateLogits(b *testing.B) {
	p := logitProblem(7, 10000)
	v := make([]float64, p.M)
	rng := rand.New(rand.NewPCG(8, 9))
	for j := range v {
		v[j] = 0.5 + rng.Float64()
	}
	for _, c := range []struct {
		name    string
		density float64
	}{{"sparse", 0.14}, {"dense", 0.28}} {
		blk, _ := logitKernelBlock(b, p, 512, c.density)
		b.Logf("%s: density %.3f, sparse form %v", c.name, blk.density(), blk.sparse)
		for _, k := range []struct {
			name string
			set  Kernels
		}{{"rows", oneRowKernels}, {"now", Kernels{}}} {
			b.Run(c.name+"/"+k.name, func(b *testing.B) {
				SetKernels(k.set)
				defer SetKernels(Kernels{})
				for b.Loop() {
					if _, err := blk.Do(&Op{Kind: OpIterate, V: v, Omega: 1}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestDensePairsSameBits compares segDot32x2 and axpy32x2 with segDot32Go
// and axpy32Go row after row, bit for bit, on rows of lengths around the
// steps of four and eight, over class segments (empty, short and long),
// with subnormal, huge, infinite and signed-zero entries among ordinary
// ones (as TestSSE2SameBits), and that axpy32x2 leaves y beyond the rows
// alone.
func TestDensePairsSameBits(t *testing.T) {
	if !haveSSE2 {
		t.Skip("the pairs are amd64's (pairRows)")
	}
	rng := rand.New(rand.NewPCG(43, 44))
	val := func(f32 bool) float64 { return randomValue(rng, specials, f32) }
	for trial := range 3000 {
		classes := 1 + rng.IntN(6)
		seg := make([]int, classes+1)
		for c := 1; c <= classes; c++ {
			seg[c] = seg[c-1] + rng.IntN([]int{3, 9, 20, 70}[rng.IntN(4)])
		}
		m := seg[classes]
		ka, kb := make([]float32, m), make([]float32, m)
		v := make([]float64, m)
		for j := range m {
			ka[j], kb[j], v[j] = float32(val(true)), float32(val(true)), val(false)
		}
		ga, gb := make([]float64, classes), make([]float64, classes)
		wa, wb := make([]float64, classes), make([]float64, classes)
		sa, sb := segDot32x2(ga, gb, ka, kb, v, seg)
		ra, rb := segDot32Go(wa, ka, v, seg), segDot32Go(wb, kb, v, seg)
		if !sameFloat(sa, ra) || !sameFloat(sb, rb) {
			t.Fatalf("trial %d (m %d): sums %v %v, want %v %v", trial, m, sa, sb, ra, rb)
		}
		for c := range classes {
			if !sameFloat(ga[c], wa[c]) || !sameFloat(gb[c], wb[c]) {
				t.Fatalf("trial %d (m %d): class %d sums %v %v, want %v %v", trial, m, c, ga[c], gb[c], wa[c], wb[c])
			}
		}
		y, want := make([]float64, m+3), make([]float64, m+3)
		for j := range y {
			y[j] = val(false)
			want[j] = y[j]
		}
		a, b := val(false), val(false)
		axpy32x2(y, a, ka, b, kb)
		axpy32Go(want, a, ka)
		axpy32Go(want, b, kb)
		if j := diffAt(y, want); j >= 0 {
			t.Fatalf("trial %d (m %d): y[%d] = %v, want %v", trial, m, j, y[j], want[j])
		}
	}
}

// TestIteratePairsSameBits runs OpIterate on dense and sparse blocks of a
// logit-like kernel (odd and even numbers of rows) with the kernels of two
// rows at a time and with oneRowKernels, and asks for the same replies and
// scalings, bit for bit, over a few iterations (the column scalings moved
// between them as the solver would, and some rows' sums made zero).
func TestIteratePairsSameBits(t *testing.T) {
	p := logitProblem(3, 1200)
	for _, density := range []float64{0.05, 0.3} {
		for _, rows := range []int{1, 2, 77, 128} {
			blk, _ := logitKernelBlock(t, p, rows, density)
			ref, _ := logitKernelBlock(t, p, rows, density)
			if blk.sparse != (density < SparseDensity) {
				t.Fatalf("density %v: sparse form %v", density, blk.sparse)
			}
			v := make([]float64, p.M)
			for j := range v {
				v[j] = 1
			}
			if rows > 2 {
				// Rows 1 and 4 with a zero sum: their scalings are left
				// alone (and their pairs' other rows go alone).
				for _, k := range []*Block{blk, ref} {
					for _, r := range []int{1, 4} {
						if k.sparse {
							clear(k.sv[k.sp[r]:k.sp[r+1]])
						} else {
							clear(k.buf[r*p.M : (r+1)*p.M])
						}
					}
				}
			}
			for it := range 4 {
				got, err := blk.Do(&Op{Kind: OpIterate, V: v, Omega: 1 + 0.3*float64(it%2)})
				if err != nil {
					t.Fatal(err)
				}
				SetKernels(oneRowKernels)
				want, err := ref.Do(&Op{Kind: OpIterate, V: v, Omega: 1 + 0.3*float64(it%2)})
				SetKernels(Kernels{})
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("density %v, %d rows, iteration %d", density, rows, it)
				sameReply(t, name, got, want)
				for r := range blk.u {
					if math.Float64bits(blk.u[r]) != math.Float64bits(ref.u[r]) {
						t.Fatalf("%s: u[%d] = %v, want %v", name, r, blk.u[r], ref.u[r])
					}
				}
				// The column scalings of the next iteration.
				for j, c := range got.ColSum {
					if c > 0 {
						v[j] = 1 / (float64(p.M) * c)
					}
				}
			}
		}
	}
}

// sameReply fails unless the OpIterate replies got and want agree bit for
// bit.
func sameReply(t *testing.T, name string, got, want *Reply) {
	t.Helper()
	bits := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
	if !bits(got.RowErr, want.RowErr) || !bits(got.Mass, want.Mass) || !bits(got.MaxLogU, want.MaxLogU) || got.Zero != want.Zero {
		t.Fatalf("%s: row error %v mass %v max log u %v zero %d; want %v %v %v %d", name,
			got.RowErr, got.Mass, got.MaxLogU, got.Zero, want.RowErr, want.Mass, want.MaxLogU, want.Zero)
	}
	for j := range want.ColSum {
		if !bits(got.ColSum[j], want.ColSum[j]) {
			t.Fatalf("%s: column sum %d = %v, want %v", name, j, got.ColSum[j], want.ColSum[j])
		}
	}
	for j := range want.Joint {
		if !bits(got.Joint[j], want.Joint[j]) {
			t.Fatalf("%s: joint %d = %v, want %v", name, j, got.Joint[j], want.Joint[j])
		}
	}
}

// TestScatterSparseSameBits compares scatterSparseGo (scatter2's two
// products a step on amd64; scatter2w with 16-bit columns) with the scalar
// loop col[sc_k] += a·sv_k, bit for bit, on rows of odd and even lengths
// with special values among the entries, the scalings and the column sums,
// the columns in 32 and in 16 bits (up to 65535: the widest 16-bit ones).
func TestScatterSparseSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	special := append(slices.Clip(specials), math.NaN())
	val := func() float64 { return randomValue(rng, special, false) }
	for trial := range 3000 {
		m := 1 + rng.IntN(60)
		base := 0
		if trial%3 == 0 {
			base = 1<<16 - m // the last columns a 16-bit index holds
		}
		var sc []int32
		var sv []float32
		density := rng.Float64()
		for j := range m {
			if rng.Float64() < density {
				sc, sv = append(sc, int32(base+j)), append(sv, float32(val()))
			}
		}
		got, want := make([]float64, base+m), make([]float64, base+m)
		for j := base; j < base+m; j++ {
			got[j] = val()
			want[j] = got[j]
		}
		got16 := slices.Clone(got)
		a := val()
		scatterSparseGo(got, a, sv, sc)
		scatterSparseGo(got16, a, sv, narrow(sc))
		for k, c := range sc {
			want[c] += a * float64(sv[k])
		}
		if j := diffAt(got, want); j >= 0 {
			t.Fatalf("trial %d (%d entries): col[%d] = %v, want %v", trial, len(sc), j, got[j], want[j])
		}
		if j := diffAt(got16, want); j >= 0 {
			t.Fatalf("trial %d (%d entries, 16-bit columns): col[%d] = %v, want %v", trial, len(sc), j, got16[j], want[j])
		}
	}
}

// TestWideColumns: a block of a problem of more than MaxNarrowCols target
// points keeps its sparse kernel's columns in 32 bits (columns past 65535
// among them), and its iterations agree with oneRowKernels bit for bit, as
// its kernel's state handed to another block does.
func TestWideColumns(t *testing.T) {
	const m = MaxNarrowCols + 4500
	p := clustered(9, 8, m, 3, 2, 3, 4)
	blk, _ := logitKernelBlock(t, p, 8, 0.1)
	ref, _ := logitKernelBlock(t, p, 8, 0.1)
	if !blk.sparse || blk.sc16 != nil || len(blk.sc) == 0 || slices.Max(blk.sc) < 1<<16 {
		t.Fatalf("sparse %v, %d 16-bit and %d 32-bit columns: want 32-bit ones past 65535", blk.sparse, len(blk.sc16), len(blk.sc))
	}
	if got, want := KernelBytes(8, m, blk.density()), int64(8*len(blk.sv)+8*9+16*8); got != want {
		t.Errorf("KernelBytes %d, the block holds %d", got, want)
	}
	s, err := blk.Kernel()
	if err != nil {
		t.Fatal(err)
	}
	c := *s
	c.Values, c.Cols, c.Starts = slices.Clone(s.Values), slices.Clone(s.Cols), slices.Clone(s.Starts)
	lent, err := NewKernelBlock(p, NewTarget(p), &c)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float64, m)
	for j := range v {
		v[j] = 0.5 + float64(j%7)/8
	}
	for it := range 3 {
		got, err := blk.Do(&Op{Kind: OpIterate, V: v, Omega: 1})
		if err != nil {
			t.Fatal(err)
		}
		again, err := lent.Do(&Op{Kind: OpIterate, V: v, Omega: 1})
		if err != nil {
			t.Fatal(err)
		}
		SetKernels(oneRowKernels)
		want, err := ref.Do(&Op{Kind: OpIterate, V: v, Omega: 1})
		SetKernels(Kernels{})
		if err != nil {
			t.Fatal(err)
		}
		sameReply(t, fmt.Sprintf("iteration %d", it), got, want)
		sameReply(t, fmt.Sprintf("iteration %d, handed off", it), again, want)
	}
}
