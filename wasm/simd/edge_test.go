//go:build js && wasm

package simd

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/otceseg/otceseg/core/emd"
	"github.com/otceseg/otceseg/core/ot"
)

// TestSparseRowsShortRows checks SparseRowSums(16) and
// ScatterSparseRows(16) against core/ot's Go kernels on every sequence of
// three rows of 0 to 4 entries (so that each of the kernel's two lanes
// ends its row while the other continues, in every order, and the third
// row goes to the lane that frees first or alone), with 65536 columns:
// the entries drawn from the first columns and the last ones (up to
// 65535, the largest 16-bit column), the classes [0, 3), an empty one,
// [3, 65533) and [65533, 65536), so that rows start past the first
// classes, cross the empty one and end in the last. Each sequence is also
// handed over as iterateSparseRows does a chunk of a block: its row
// pointers a slice of the block's (the first one not 0).
func TestSparseRowsShortRows(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(31, 32))
	const m = 1 << 16
	seg := []int{0, 3, 3, 65533, m}
	pool := []int32{0, 1, 2, 3, 4, 65532, 65533, 65534, 65535}
	v := values(rng, m, 0)
	row := func(n int) ([]float32, []int32) {
		cols := slices.Clone(pool)
		rng.Shuffle(len(cols), func(a, b int) { cols[a], cols[b] = cols[b], cols[a] })
		cols = cols[:n]
		slices.Sort(cols)
		vals := make([]float32, n)
		for k := range vals {
			vals[k] = float32(values(rng, 1, k%4)[0])
		}
		return vals, cols
	}
	lb := len(seg) - 1
	for la := range 5 {
		for lbn := range 5 {
			for lc := range 5 {
				// A block's first row of 2 entries, then the three rows.
				sv, sc := row(2)
				sp := []int{0, len(sc)}
				for _, n := range []int{la, lbn, lc} {
					rv, rc := row(n)
					sv, sc = append(sv, rv...), append(sc, rc...)
					sp = append(sp, len(sc))
				}
				what := fmt.Sprintf("rows of %d, %d, %d entries", la, lbn, lc)
				for _, chunk := range [][]int{sp, sp[1:]} {
					nrows := len(chunk) - 1
					want, got, got16 := make([]float64, nrows*lb), make([]float64, nrows*lb), make([]float64, nrows*lb)
					wt, gt, gt16 := make([]float64, nrows), make([]float64, nrows), make([]float64, nrows)
					for _, s := range [][]float64{want, got, got16, wt, gt, gt16} {
						for k := range s {
							s[k] = 7 // every sum is written
						}
					}
					ref.SparseRowSums(want, wt, sv, sc, chunk, v, seg)
					SparseRowSums(got, gt, sv, sc, chunk, v, seg)
					SparseRowSums16(got16, gt16, sv, narrow(sc), chunk, v, seg)
					sameBits64(t, what+": SparseRowSums sums", got, want)
					sameBits64(t, what+": SparseRowSums totals", gt, wt)
					sameBits64(t, what+": SparseRowSums16 sums", got16, want)
					sameBits64(t, what+": SparseRowSums16 totals", gt16, wt)
					a := values(rng, nrows, 1)
					a[rng.IntN(nrows)] = 0
					colW := values(rng, m, 0)
					colG, col16 := slices.Clone(colW), slices.Clone(colW)
					ref.ScatterSparseRows(colW, a, sv, sc, chunk)
					ScatterSparseRows(colG, a, sv, sc, chunk)
					ScatterSparseRows16(col16, a, sv, narrow(sc), chunk)
					sameBits64(t, what+": ScatterSparseRows", colG, colW)
					sameBits64(t, what+": ScatterSparseRows16", col16, colW)
				}
			}
		}
	}
}

// TestSparseRowsChunks checks SparseRowSums(16) and ScatterSparseRows(16)
// on a block's rows handed over in chunks of 1, 2, 3, 5 and 64 rows, as
// iterateSparseRows hands them (the row pointers a slice of the block's,
// the values and columns the block's whole arrays), against core/ot's Go
// kernels on the same chunks and against the whole block in one call;
// with 1, 4, 7 and 300 classes (300 over 300 columns at random
// boundaries: many empty, the others of a few columns, so that a lane
// changes class at nearly every entry).
func TestSparseRowsChunks(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(33, 34))
	for trial, m := range []int{5, 300, 1 << 16, 300} {
		lb := []int{4, 1, 7, 300}[trial]
		seg := randomSegments(rng, m, lb)
		v := values(rng, m, 3)
		var sv []float32
		var sc []int32
		sp := []int{0}
		const nrows = 70
		for r := range nrows {
			rv, rc := sparseRow(rng, m, []float64{0, 2.5 / float64(m), 0.05, 0.6}[r%4], r%4)
			sv, sc = append(sv, rv...), append(sc, rc...)
			sp = append(sp, len(sc))
		}
		whole, wholeT := make([]float64, nrows*lb), make([]float64, nrows)
		ref.SparseRowSums(whole, wholeT, sv, sc, sp, v, seg)
		for _, size := range []int{1, 2, 3, 5, 64} {
			got, gt := make([]float64, nrows*lb), make([]float64, nrows)
			got16, gt16 := make([]float64, nrows*lb), make([]float64, nrows)
			a := values(rng, nrows, 0)
			colW := values(rng, m, 0)
			colG, col16 := slices.Clone(colW), slices.Clone(colW)
			for r0 := 0; r0 < nrows; r0 += size {
				r1 := min(r0+size, nrows)
				chunk := sp[r0 : r1+1]
				want, wt := make([]float64, (r1-r0)*lb), make([]float64, r1-r0)
				ref.SparseRowSums(want, wt, sv, sc, chunk, v, seg)
				SparseRowSums(got[r0*lb:r1*lb], gt[r0:r1], sv, sc, chunk, v, seg)
				SparseRowSums16(got16[r0*lb:r1*lb], gt16[r0:r1], sv, narrow(sc), chunk, v, seg)
				what := fmt.Sprintf("m=%d, chunk of %d at row %d", m, size, r0)
				sameBits64(t, what+": SparseRowSums sums", got[r0*lb:r1*lb], want)
				sameBits64(t, what+": SparseRowSums totals", gt[r0:r1], wt)
				sameBits64(t, what+": SparseRowSums16 sums", got16[r0*lb:r1*lb], want)
				sameBits64(t, what+": SparseRowSums16 totals", gt16[r0:r1], wt)
				ref.ScatterSparseRows(colW, a[r0:r1], sv, sc, chunk)
				ScatterSparseRows(colG, a[r0:r1], sv, sc, chunk)
				ScatterSparseRows16(col16, a[r0:r1], sv, narrow(sc), chunk)
			}
			sameBits64(t, fmt.Sprintf("m=%d, chunks of %d: sums against one call", m, size), got, whole)
			sameBits64(t, fmt.Sprintf("m=%d, chunks of %d: totals against one call", m, size), gt, wholeT)
			sameBits64(t, fmt.Sprintf("m=%d, chunks of %d: ScatterSparseRows", m, size), colG, colW)
			sameBits64(t, fmt.Sprintf("m=%d, chunks of %d: ScatterSparseRows16", m, size), col16, colW)
		}
	}
}

// TestScanTiesSignedZeros checks Scan against core/emd's ScanPaddedGo on
// rows where most values tie with each other and with the heap's entries
// (few distinct values, +0 and −0 among them: the heap's bits keep the
// sign of the zero that entered), into padded heaps of 1 to 65 entries,
// from column 0 and from later columns.
func TestScanTiesSignedZeros(t *testing.T) {
	load(t)
	rng := rand.New(rand.NewPCG(35, 36))
	negZero := math.Copysign(0, -1)
	for _, n := range []int{1, 6, 8, 9, 31, 64, 257} {
		for _, size := range []int{1, 2, 5, 9, 16, 33, 65} {
			row := make([]float32, n)
			prices := make([]float64, n)
			for j := range row {
				switch rng.IntN(4) {
				case 0:
					row[j], prices[j] = float32(negZero), negZero // −0
				case 1:
					row[j], prices[j] = 0, negZero // +0
				case 2:
					row[j], prices[j] = -1, 1 // +0
				default:
					row[j], prices[j] = float32(rng.IntN(3)-1), float64(rng.IntN(3)-1)
				}
			}
			steps := 1
			for 2<<steps-1 < size {
				steps++
			}
			heap, idx := make([]float64, 2<<steps-1), make([]int32, 2<<steps-1)
			for s := range heap {
				heap[s], idx[s] = math.Inf(1), -1
				if s >= size {
					heap[s] = math.Inf(-1)
				}
			}
			for _, from := range []int{0, 1, n / 2, n - 1} {
				wv, wi, gv, gi := slices.Clone(heap), slices.Clone(idx), slices.Clone(heap), slices.Clone(idx)
				emd.ScanPaddedGo(wv, wi, steps, row, prices, from)
				Scan(gv, gi, steps, row, prices, from)
				what := fmt.Sprintf("scan n=%d size=%d from=%d", n, size, from)
				sameBits64(t, what+": heap values", gv, wv)
				if !slices.Equal(gi, wi) {
					t.Fatalf("%s: columns %v, want %v", what, gi, wi)
				}
				// Again into the heap the scan left: every value now
				// ties with or exceeds its entries.
				emd.ScanPaddedGo(wv, wi, steps, row, prices, 0)
				Scan(gv, gi, steps, row, prices, 0)
				sameBits64(t, what+", then again: heap values", gv, wv)
				if !slices.Equal(gi, wi) {
					t.Fatalf("%s, then again: columns %v, want %v", what, gi, wi)
				}
			}
		}
	}
}

// hiddenLocal hides a LocalBlocks' type from ot.ExactOverBlocks, whose
// bidding rounds then go to every block as an OpBid instead of through
// the busy blocks' RowBlock.BidAt.
type hiddenLocal struct{ l *ot.LocalBlocks }

func (h hiddenLocal) Do(op *ot.Op) ([]*ot.Reply, error) { return h.l.Do(op) }

// TestExactOverBlocksSameWithScan runs the page's exact plan as its
// sampler does on the gathered cost: ot.ExactOverBlocks over a LocalBlocks
// (bidding rounds through RowBlock.BidAt, the finish's row scans, the
// private-price scans in pieces) with the SIMD module's scan, cost range
// and slack installed, against the same solve with core/emd's Go loops,
// and against OpBid's rounds with the module's kernels: the same plan bit
// for bit (columns, duals, cost, rounds). The problems: smooth
// low-dimensional features (trained logits' kind) and integer features
// with repeated source points (ties, equal rows: private prices), N = 700
// in 11 blocks.
func TestExactOverBlocksSameWithScan(t *testing.T) {
	load(t)
	const n, d = 700, 5
	rng := rand.New(rand.NewPCG(37, 38))
	smooth := &ot.Problem{N: n, M: n, D: d, La: 2, Lb: 2,
		Xs: make([]float32, n*d), Xt: make([]float32, n*d), Ys: make([]int32, n), Yt: make([]int32, n)}
	tied := &ot.Problem{N: n, M: n, D: d, La: 2, Lb: 2,
		Xs: make([]float32, n*d), Xt: make([]float32, n*d), Ys: make([]int32, n), Yt: make([]int32, n)}
	for i := range n {
		smooth.Ys[i], tied.Ys[i] = int32(i%2), int32(i%2)
		smooth.Yt[i], tied.Yt[i] = int32(2*i/n), int32(2*i/n)
		for k := range d {
			smooth.Xs[i*d+k] = float32(3 * math.Sin(float64(i)*0.03*float64(k+1)))
			smooth.Xt[i*d+k] = float32(2.4*math.Sin(float64(i)*0.031*float64(k+1)) + 0.3 + 0.2*rng.NormFloat64())
			tied.Xs[i*d+k] = float32(rng.IntN(3))
			tied.Xt[i*d+k] = float32(rng.IntN(3))
		}
		if i%4 != 0 {
			copy(tied.Xs[i*d:(i+1)*d], tied.Xs[(i-i%4)*d:(i-i%4+1)*d])
		}
	}
	solve := func(p *ot.Problem, hide bool) *emd.Plan {
		t.Helper()
		l := ot.NewLocalBlocks(p, 1)
		var bs ot.BlockSet = l
		if hide {
			bs = hiddenLocal{l}
		}
		if _, err := bs.Do(&ot.Op{Kind: ot.OpCost}); err != nil {
			t.Fatal(err)
		}
		plan, err := ot.ExactOverBlocks(context.Background(), bs, p)
		if err != nil {
			t.Fatal(err)
		}
		return plan
	}
	same := func(a, b *emd.Plan) bool {
		bits := func(x []float64) []uint64 {
			out := make([]uint64, len(x))
			for i, v := range x {
				out[i] = math.Float64bits(v)
			}
			return out
		}
		return slices.Equal(a.Rows, b.Rows) && slices.Equal(a.Cols, b.Cols) && slices.Equal(bits(a.U), bits(b.U)) &&
			slices.Equal(bits(a.V), bits(b.V)) && math.Float64bits(a.Cost) == math.Float64bits(b.Cost) && a.Iterations == b.Iterations
	}
	defer emd.SetKernels(emd.Kernels{})
	for name, p := range map[string]*ot.Problem{"smooth": smooth, "tied": tied} {
		emd.SetKernels(emd.Kernels{})
		plain := solve(p, false)
		emd.SetKernels(emd.Kernels{Scan: Scan, MinMax32: MinMax32, MaxSlack: MaxSlack})
		if got := solve(p, false); !same(got, plain) {
			t.Errorf("%s: LocalBlocks with the SIMD scan: %d rounds, cost %v; Go: %d rounds, cost %v (or the columns or duals differ)",
				name, got.Iterations, got.Cost, plain.Iterations, plain.Cost)
		}
		if got := solve(p, true); !same(got, plain) {
			t.Errorf("%s: OpBid's rounds with the SIMD scan: %d rounds, cost %v; Go: %d rounds, cost %v (or the columns or duals differ)",
				name, got.Iterations, got.Cost, plain.Iterations, plain.Cost)
		}
		t.Logf("%s: %d rounds, cost %.12g", name, plain.Iterations, plain.Cost)
	}
}
