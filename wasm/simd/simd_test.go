//go:build js && wasm

// Run with the SIMD host: make test-simd, or
//
//	GOOS=js GOARCH=wasm go test -exec "$PWD/wasm/simd/testdata/go_js_wasm_exec" ./wasm/simd/
package simd

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"syscall/js"
	"testing"

	"github.com/otceseg/otceseg/core/emd"
	"github.com/otceseg/otceseg/core/ot"
)

func load(t testing.TB) {
	t.Helper()
	if !Load() {
		t.Fatal("the SIMD module did not load (run with wasm/simd/testdata/go_js_wasm_exec)")
	}
}

// values draws n numbers of the given kind: mixed signs and magnitudes.
func values(rng *rand.Rand, n int, kind int) []float64 {
	v := make([]float64, n)
	for i := range v {
		switch kind {
		case 0:
			v[i] = rng.NormFloat64()
		case 1: // large and tiny magnitudes, both signs
			v[i] = math.Ldexp(rng.Float64()-0.5, rng.IntN(120)-60)
		case 2: // few distinct values: many exact ties, cancellation to 0 and below
			v[i] = float64(rng.IntN(5) - 2)
		default: // float32-representable, as the features are
			v[i] = float64(float32(rng.NormFloat64() * 10))
		}
	}
	return v
}

func norms(x []float64, n, d int) []float64 {
	out := make([]float64, n)
	for i := range out {
		s := 0.0
		for k := 0; k < d; k++ {
			s += x[i*d+k] * x[i*d+k]
		}
		out[i] = s
	}
	return out
}

func sameBits32(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: entry %d: got %v (%#x), want %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func sameBits64(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: entry %d: got %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestSqDistTiles(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{{4, 4, 1}, {4, 4, 2}, {5, 7, 3}, {8, 12, 1}, {9, 13, 17}, {16, 16, 64}, {7, 4, 5}, {4, 9, 256}, {12, 23, 255}, {33, 65, 31},
		// Several panels of columns, the last one partial (sqDistPanel).
		{8, 300, 256}, {6, 1030, 40}, {5, 70, 2000}}
	for kind := 0; kind < 4; kind++ {
		for _, s := range sizes {
			n, m, d := s[0], s[1], s[2]
			x, y := values(rng, n*d, kind), values(rng, m*d, kind)
			nx, ny := norms(x, n, d), norms(y, m, d)
			if kind == 1 {
				// Norms that do not match the features: negative results (clamp0).
				for i := range nx {
					nx[i] *= rng.Float64() - 0.3
				}
			}
			// Rows m apart, and further apart (sqDist's panels of columns).
			stride := m + 3*(kind%2)
			want := make([]float32, n*stride)
			got := make([]float32, n*stride)
			for i := range got {
				got[i], want[i] = 12345, 12345 // untouched outside the tiles
			}
			ref.SqDistTiles(want, stride, x, nx, y, ny, n, m, d)
			SqDistTiles(got, stride, x, nx, y, ny, n, m, d)
			sameBits32(t, "sqDist", got, want)
			zeros := 0
			for _, c := range want {
				if c == 0 {
					zeros++
				}
			}
			t.Logf("kind %d, %d×%d×%d: %d zeros", kind, n, m, d, zeros)
		}
	}
}

func TestDotAxpy(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 63, 64, 65, 1000, 1003} {
		for kind := 0; kind < 4; kind++ {
			k := make([]float32, n)
			for i, x := range values(rng, n, kind) {
				k[i] = float32(x)
			}
			v := values(rng, n+3, kind) // longer than k: only v[:len(k)] is read
			var want1 [1]float64
			ref.SegDot32(want1[:], k, v, []int{0, n})
			if got, want := Dot32(k, v), want1[0]; math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("dot32 n=%d kind %d: got %v, want %v", n, kind, got, want)
			}
			a := values(rng, 1, kind)[0]
			y0 := values(rng, n+3, kind)
			want := append([]float64(nil), y0...)
			got := append([]float64(nil), y0...)
			ref.Axpy32(want, a, k)
			Axpy32(got, a, k)
			sameBits64(t, "axpy32", got, want)
		}
	}
}

// randomSegments draws the class segments of m columns in lb classes:
// sorted bounds from 0 to m, some classes empty.
func randomSegments(rng *rand.Rand, m, lb int) []int {
	seg := make([]int, lb+1)
	for c := 1; c < lb; c++ {
		seg[c] = rng.IntN(m + 1)
	}
	seg[lb] = m
	for c := 1; c < lb; c++ {
		for e := c; e > 0 && seg[e] < seg[e-1]; e-- {
			seg[e], seg[e-1] = seg[e-1], seg[e]
		}
	}
	return seg
}

func TestSegDot(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, m := range []int{1, 3, 19, 100, 2001} {
		for _, lb := range []int{1, 2, 5, 19} {
			seg := randomSegments(rng, m, lb)
			row := make([]float32, m)
			for i, x := range values(rng, m, lb%4) {
				row[i] = float32(x)
			}
			v := values(rng, m, 0)
			want, got := make([]float64, lb), make([]float64, lb)
			ws := ref.SegDot32(want, row, v, seg)
			gs := SegDot32(got, row, v, seg)
			sameBits64(t, "segDot32", got, want)
			if math.Float64bits(gs) != math.Float64bits(ws) {
				t.Fatalf("segDot32 m=%d lb=%d: sum %v, want %v", m, lb, gs, ws)
			}
		}
	}
}

// TestSqDist checks the whole-sqDist kernel (rows packed once, columns
// packed from float32 a panel at a time) against the Go tiles on the same
// float32 points, bit for bit, rows m apart, and that it writes nothing
// outside the tiles.
func TestSqDist(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(3, 5))
	sizes := [][3]int{{4, 4, 1}, {5, 7, 3}, {8, 12, 1}, {9, 13, 17}, {16, 16, 64}, {7, 4, 5}, {4, 9, 256}, {12, 23, 255}, {33, 65, 31},
		{8, 300, 256}, {6, 1030, 40}, {5, 70, 2000}, {210, 250, 19}}
	for kind := 0; kind < 4; kind++ {
		for _, s := range sizes {
			n, m, d := s[0], s[1], s[2]
			x, y := values(rng, n*d, 3), values(rng, m*d, 3)
			if kind == 1 {
				y = values(rng, m*d, 2)
			}
			y32 := make([]float32, len(y))
			for k, v := range y {
				y32[k] = float32(v)
				y[k] = float64(y32[k])
			}
			nx, ny := norms(x, n, d), norms(y, m, d)
			if kind == 2 {
				for i := range nx {
					nx[i] *= rng.Float64() - 0.3 // negative results (clamp0)
				}
			}
			want := make([]float32, n*m)
			got := make([]float32, n*m)
			for i := range got {
				got[i], want[i] = 12345, 12345
			}
			ref.SqDistTiles(want, m, x, nx, y, ny, n, m, d)
			SqDist(got, x, nx, y32, ny, n&^3, m&^3, m, d)
			sameBits32(t, fmt.Sprintf("sqDist %d×%d×%d", n, m, d), got, want)
		}
	}
}

func benchSizes(b *testing.B) (n, m, d int) { return 64, 2000, 256 }

func BenchmarkSqDist(b *testing.B) {
	n, m, d := benchSizes(b)
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := values(rng, n*d, 0), values(rng, m*d, 0)
	nx, ny := norms(x, n, d), norms(y, m, d)
	out := make([]float32, n*m)
	b.Run("go", func(b *testing.B) {
		for range b.N {
			ot.GoKernels().SqDistTiles(out, m, x, nx, y, ny, n, m, d)
		}
	})
	b.Run("simd", func(b *testing.B) {
		load(b)
		for range b.N {
			SqDistTiles(out, m, x, nx, y, ny, n, m, d)
		}
	})
}

func BenchmarkIterateRow(b *testing.B) {
	// One row of the Sinkhorn iteration: the segment dots, then the axpy.
	const m, lb = 2000, 19
	rng := rand.New(rand.NewPCG(1, 1))
	row := make([]float32, m)
	for i := range row {
		row[i] = float32(rng.Float64())
	}
	v, col := values(rng, m, 0), make([]float64, m)
	seg := make([]int, lb+1)
	for c := range seg {
		seg[c] = c * m / lb
	}
	segsum := make([]float64, lb)
	for _, c := range []struct {
		name string
		k    func() ot.Kernels
	}{{"go", ot.GoKernels}, {"simd", func() ot.Kernels { load(b); return Kernels() }}} {
		b.Run(c.name, func(b *testing.B) {
			k := c.k()
			for range b.N {
				s := k.SegDot32(segsum, row, v, seg)
				k.Axpy32(col, 1/s, row)
			}
		})
	}
}

func TestKernelRow(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 2, 3, 5, 64, 999, 2000} {
		for trial := 0; trial < 20; trial++ {
			row := make([]float32, n)
			g := make([]float64, n+1)
			fi, inv, eps, flush := rng.NormFloat64(), 1/(0.1+rng.Float64()), math.Ldexp(0.5+rng.Float64(), -rng.IntN(8)), 80.0
			for j := range row {
				row[j] = float32(rng.Float64() * 10)
				// exponents a from about −800 to 30 (−flush, −700 and both signs of k)
				target := -800 + 830*rng.Float64()
				if trial%4 == 0 {
					target = -90 + 120*rng.Float64()
				}
				g[j] = target*eps - fi + float64(row[j])*inv
			}
			if trial%3 == 0 {
				flush = 1000 // expKernel's own floor (−700) and far exponents
			}
			want := append([]float32(nil), row...)
			got := append([]float32(nil), row...)
			nzWant := ref.KernelRow(want, g, fi, inv, eps, flush)
			nzGot := KernelRow(got, g, fi, inv, eps, flush)
			sameBits32(t, "kernelRow", got, want)
			if nzGot != nzWant {
				t.Fatalf("n=%d trial %d: kernelRow counts %d non-zero entries, Go %d", n, trial, nzGot, nzWant)
			}
		}
	}
}

// TestRowTop checks the row maximum of g_j − row_j·inv against the Go form,
// bit for bit (the sign of a zero too), with ties, zeros of both signs and
// infinities among the values.
func TestRowTop(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(17, 18))
	if got := RowTop(nil, nil, 1); !math.IsInf(got, -1) {
		t.Fatalf("empty row: %v, want -Inf", got)
	}
	for _, n := range []int{1, 2, 3, 4, 5, 17, 64, 999, 2000} {
		for trial := 0; trial < 40; trial++ {
			row := make([]float32, n)
			g := make([]float64, n+1)
			inv := 1 / (0.1 + rng.Float64())
			for j := range row {
				switch rng.IntN(6) {
				case 0: // an exact zero of either sign: g = row·inv
					row[j] = float32(rng.IntN(3))
					g[j] = float64(row[j]) * inv
					if rng.IntN(2) == 0 && row[j] == 0 {
						g[j] = math.Copysign(0, -1)
					}
				case 1: // a tie with the previous entry
					if j > 0 {
						row[j], g[j] = row[j-1], g[j-1]
						continue
					}
					fallthrough
				default:
					row[j] = float32(rng.Float64() * 10)
					g[j] = rng.NormFloat64() * 3
				}
				if trial%5 == 0 {
					g[j] = -math.Abs(g[j]) - float64(row[j])*inv // all ≤ 0
				}
			}
			if trial%7 == 0 {
				g[rng.IntN(n)] = math.Inf(1 - 2*rng.IntN(2))
			}
			want := ref.RowTop(row, g, inv)
			got := RowTop(row, g, inv)
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("n=%d trial %d: rowTop %v (%x), Go %v (%x)", n, trial, got, math.Float64bits(got), want, math.Float64bits(want))
			}
		}
	}
}

// TestRowStats checks a row's sum, maximum, its column and the histogram
// of the top 16 bits against the Go form, bit for bit, with ties for the
// maximum, zeros of both signs and huge values.
func TestRowStats(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(21, 22))
	for _, n := range []int{0, 1, 2, 3, 5, 64, 999, 2000} {
		for trial := 0; trial < 20; trial++ {
			row := make([]float32, n)
			for j := range row {
				switch rng.IntN(8) {
				case 0:
					row[j] = float32(math.Copysign(0, -1))
				case 1:
					row[j] = 7 // ties
				case 2:
					row[j] = float32(rng.Float64() * 1e30)
				default:
					row[j] = float32(rng.Float64() * 10)
				}
			}
			for _, withHist := range []bool{false, true} {
				var hGot, hWant []uint32
				if withHist {
					hGot, hWant = make([]uint32, 1<<16), make([]uint32, 1<<16)
					hGot[3], hWant[3] = 5, 5 // adds to what is there
				}
				sg, mg, ag := RowStats(row, hGot)
				sw, mw, aw := ref.RowStats(row, hWant)
				if math.Float64bits(sg) != math.Float64bits(sw) || math.Float64bits(mg) != math.Float64bits(mw) || ag != aw {
					t.Fatalf("n=%d trial %d: (%v, %v, %d), Go (%v, %v, %d)", n, trial, sg, mg, ag, sw, mw, aw)
				}
				for k := range hGot {
					if hGot[k] != hWant[k] {
						t.Fatalf("n=%d trial %d: histogram[%d] = %d, Go %d", n, trial, k, hGot[k], hWant[k])
					}
				}
			}
		}
	}
}

// TestCompactRow checks the compaction of a row against the Go form, with
// rows all zeros, all non-zero and in between, and the −1 answer (a panic)
// when the room is one short.
func TestCompactRow(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(19, 20))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 64, 999, 2000, 1 << 16} {
		for trial := 0; trial < 20; trial++ {
			density := []float64{0, 1, 0.001, 0.05, 0.5}[trial%5]
			row := make([]float32, n)
			nz := 0
			for j := range row {
				if rng.Float64() < density {
					row[j] = float32(rng.Float64() + 0.5)
					if rng.IntN(9) == 0 {
						row[j] = -row[j]
					}
					nz++
				} else if rng.IntN(2) == 0 {
					row[j] = float32(math.Copysign(0, -1)) // −0 is a zero too
				}
			}
			// Slices with room for exactly nz, inside larger arrays whose
			// rest must stay untouched.
			svGot, scGot := make([]float32, nz+3), make([]int32, nz+3)
			svWant, scWant := make([]float32, nz+3), make([]int32, nz+3)
			for k := range svGot {
				svGot[k], scGot[k], svWant[k], scWant[k] = -7, -7, -7, -7
			}
			wGot := CompactRow(svGot[:nz], scGot[:nz], row)
			wWant := ref.CompactRow(svWant[:nz], scWant[:nz], row)
			if wGot != wWant || wGot != nz {
				t.Fatalf("n=%d trial %d: %d entries, Go %d, want %d", n, trial, wGot, wWant, nz)
			}
			sameBits32(t, "compactRow values", svGot, svWant)
			for k := range scGot {
				if scGot[k] != scWant[k] {
					t.Fatalf("n=%d trial %d: column %d is %d, Go %d", n, trial, k, scGot[k], scWant[k])
				}
			}
			// 16-bit columns: the same entries, the same columns in 16
			// bits, nothing written past them.
			sv16, sc16 := make([]float32, nz+3), make([]uint16, nz+3)
			for k := range sv16 {
				sv16[k], sc16[k] = -7, 0xfff9
			}
			if w := CompactRow16(sv16[:nz], sc16[:nz], row); w != nz {
				t.Fatalf("n=%d trial %d: CompactRow16 %d entries, want %d", n, trial, w, nz)
			}
			sameBits32(t, "compactRow16 values", sv16, svWant)
			for k := range sc16 {
				want := uint16(0xfff9)
				if k < nz {
					want = uint16(scWant[k])
				}
				if sc16[k] != want {
					t.Fatalf("n=%d trial %d: 16-bit column %d is %d, want %d", n, trial, k, sc16[k], want)
				}
			}
			if nz > 0 {
				sv, sc := make([]float32, nz), make([]int32, nz)
				for k := range sv {
					sv[k], sc[k] = -7, -7
				}
				func() {
					defer func() {
						if recover() == nil {
							t.Fatalf("n=%d trial %d: no panic with room for %d of %d entries", n, trial, nz-1, nz)
						}
					}()
					CompactRow(sv[:nz-1], sc[:nz-1], row)
				}()
				if sv[nz-1] != -7 || sc[nz-1] != -7 {
					t.Fatalf("n=%d trial %d: wrote outside its room", n, trial)
				}
			}
		}
	}
}

func BenchmarkKernelRow(b *testing.B) {
	const m = 2000
	rng := rand.New(rand.NewPCG(1, 1))
	row := make([]float32, m)
	g := make([]float64, m)
	for j := range row {
		g[j] = rng.Float64()
	}
	for _, c := range []struct {
		name string
		k    func() ot.Kernels
	}{{"go", ot.GoKernels}, {"simd", func() ot.Kernels { load(b); return Kernels() }}} {
		b.Run(c.name, func(b *testing.B) {
			k := c.k()
			for range b.N {
				for j := range row {
					row[j] = float32(j%100) * 0.01
				}
				k.KernelRow(row, g, 0.1, 1, 0.05, 80)
			}
		})
	}
}

// sparseRow draws a sparse row of m columns: about density·m entries at
// ascending columns, values of the given kind (zeros included).
func sparseRow(rng *rand.Rand, m int, density float64, kind int) ([]float32, []int32) {
	var sv []float32
	var sc []int32
	for j := 0; j < m; j++ {
		if rng.Float64() < density {
			sc = append(sc, int32(j))
			sv = append(sv, float32(values(rng, 1, kind)[0]))
		}
	}
	return sv, sc
}

// narrow returns the columns sc in 16 bits (core/ot's sc16).
// sparseRows is nrows rows of sparseRow (kind 0) in one block, each of
// density lo + span·u for a uniform u: the values, the columns and the rows'
// starts, as a sparse block of core/ot holds them.
func sparseRows(rng *rand.Rand, nrows, m int, lo, span float64) (sv []float32, sc []int32, sp []int) {
	sp = []int{0}
	for range nrows {
		rv, rc := sparseRow(rng, m, lo+span*rng.Float64(), 0)
		sv, sc = append(sv, rv...), append(sc, rc...)
		sp = append(sp, len(sc))
	}
	return sv, sc, sp
}

func narrow(sc []int32) []uint16 {
	out := make([]uint16, len(sc))
	for k, j := range sc {
		out[k] = uint16(j)
	}
	return out
}

// TestSparse checks the one-row kernels against core/ot's Go ones, and
// those with 16-bit columns (the same columns) against the same results,
// up to 65536 columns (the widest in 16 bits).
func TestSparse(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(9, 10))
	for _, m := range []int{1, 3, 19, 100, 2001, 1 << 16} {
		for _, lb := range []int{1, 2, 5, 19} {
			for _, density := range []float64{0, 0.01, 0.2, 1} {
				seg := randomSegments(rng, m, lb)
				sv, sc := sparseRow(rng, m, density, (lb+m)%4)
				v := values(rng, m, 0)
				want, got := make([]float64, lb), make([]float64, lb)
				for c := range got {
					got[c], want[c] = 7, 7 // every class is written
				}
				ws := ref.SegDotSparse(want, sv, sc, v, seg)
				gs := SegDotSparse(got, sv, sc, v, seg)
				sameBits64(t, "segDotSparse", got, want)
				if math.Float64bits(gs) != math.Float64bits(ws) {
					t.Fatalf("segDotSparse m=%d lb=%d: total %v, want %v", m, lb, gs, ws)
				}
				sc16 := narrow(sc)
				for c := range got {
					got[c] = 7
				}
				gs = SegDotSparse16(got, sv, sc16, v, seg)
				sameBits64(t, "segDotSparse16", got, want)
				if math.Float64bits(gs) != math.Float64bits(ws) {
					t.Fatalf("segDotSparse16 m=%d lb=%d: total %v, want %v", m, lb, gs, ws)
				}
				a := values(rng, 1, 1)[0]
				colW := values(rng, m, 0)
				colG := append([]float64(nil), colW...)
				col16 := append([]float64(nil), colW...)
				ref.ScatterSparse(colW, a, sv, sc)
				ScatterSparse(colG, a, sv, sc)
				ScatterSparse16(col16, a, sv, sc16)
				sameBits64(t, "scatterSparse", colG, colW)
				sameBits64(t, "scatterSparse16", col16, colW)
			}
		}
	}
}

// TestSparseRows checks the one-call-a-chunk forms against core/ot's Go
// ones on blocks of rows of varied densities, empty rows among them, and
// row factors of which some are 0 (rows the scatter skips); and those with
// 16-bit columns (the same columns) against the same results, up to 65536
// columns.
func TestSparseRows(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(13, 14))
	for _, m := range []int{1, 19, 2001, 1 << 16} {
		for _, lb := range []int{1, 5, 19} {
			for _, nrows := range []int{1, 2, 7, 64} {
				if m > 2001 && nrows > 7 {
					continue
				}
				seg := randomSegments(rng, m, lb)
				v := values(rng, m, 0)
				var sv []float32
				var sc []int32
				sp := []int{0}
				for r := range nrows {
					density := []float64{0, 0.01, 0.2, 1}[(r+m)%4]
					rv, rc := sparseRow(rng, m, density, r%4)
					sv, sc = append(sv, rv...), append(sc, rc...)
					sp = append(sp, len(sc))
				}
				sameSparseRowSums(t, "", sv, sc, sp, v, seg, lb)
				sc16 := narrow(sc)
				a := values(rng, nrows, 1)
				for r := range a {
					if r%3 == 1 {
						a[r] = 0
					}
				}
				colW := values(rng, m, 0)
				colG := append([]float64(nil), colW...)
				col16 := append([]float64(nil), colW...)
				ref.ScatterSparseRows(colW, a, sv, sc, sp)
				ScatterSparseRows(colG, a, sv, sc, sp)
				ScatterSparseRows16(col16, a, sv, sc16, sp)
				sameBits64(t, "ScatterSparseRows", colG, colW)
				sameBits64(t, "ScatterSparseRows16", col16, colW)
			}
		}
	}
}

// TestSparseRowsRagged checks SparseRowSums and SparseRowSums16 against
// core/ot's Go kernel on chunks whose rows differ in length as the
// trained logits' kernel rows do (so that the kernel's two lanes take
// their next rows at different times), empty rows and rows of one entry
// among them at random places (first, last, in runs), rows whose entries
// start past the first classes or end before the last, or lie in one
// class.
func TestSparseRowsRagged(t *testing.T) {
	load(t)
	rng := rand.New(rand.NewPCG(15, 16))
	for trial := range 40 {
		m := []int{7, 300, 10000}[trial%3]
		lb := []int{1, 2, 7}[trial/3%3]
		nrows := 1 + rng.IntN(70)
		seg := randomSegments(rng, m, lb)
		v := values(rng, m, trial%4)
		var sv []float32
		var sc []int32
		sp := []int{0}
		for range nrows {
			var rv []float32
			var rc []int32
			switch k := rng.IntN(8); {
			case k == 0: // empty
			case k == 1: // one entry
				rc = []int32{int32(rng.IntN(m))}
				rv = []float32{float32(values(rng, 1, 0)[0])}
			case k == 2: // a window of the columns
				lo := rng.IntN(m)
				hi := lo + rng.IntN(m-lo+1)
				wv, wc := sparseRow(rng, hi-lo, rng.Float64(), 0)
				for i := range wc {
					wc[i] += int32(lo)
				}
				rv, rc = wv, wc
			default:
				rv, rc = sparseRow(rng, m, 0.3*rng.Float64(), rng.IntN(4))
			}
			sv, sc = append(sv, rv...), append(sc, rc...)
			sp = append(sp, len(sc))
		}
		sameSparseRowSums(t, fmt.Sprintf("trial %d: ", trial), sv, sc, sp, v, seg, lb)
	}
}

// sameSparseRowSums checks SparseRowSums and SparseRowSums16 against
// core/ot's Go kernel on the rows sp of a sparse block (values sv,
// columns sc) with lb classes seg, bit for bit: every class sum and row
// total, each output starting at 7 so that one left unwritten shows.
func sameSparseRowSums(t *testing.T, where string, sv []float32, sc []int32, sp []int, v []float64, seg []int, lb int) {
	t.Helper()
	nrows := len(sp) - 1
	fill := func(x []float64) []float64 {
		for i := range x {
			x[i] = 7
		}
		return x
	}
	want, wt := fill(make([]float64, nrows*lb)), fill(make([]float64, nrows))
	ot.GoKernels().SparseRowSums(want, wt, sv, sc, sp, v, seg)
	got, gt := fill(make([]float64, nrows*lb)), fill(make([]float64, nrows))
	SparseRowSums(got, gt, sv, sc, sp, v, seg)
	sameBits64(t, where+"SparseRowSums sums", got, want)
	sameBits64(t, where+"SparseRowSums totals", gt, wt)
	got, gt = fill(got), fill(gt)
	SparseRowSums16(got, gt, sv, narrow(sc), sp, v, seg)
	sameBits64(t, where+"SparseRowSums16 sums", got, want)
	sameBits64(t, where+"SparseRowSums16 totals", gt, wt)
}

// TestScan checks the auction's full-row scan against core/emd's Go one
// (ScanPaddedGo) on rows of awkward lengths with NaN, infinite and tied
// values, into padded heaps of 1 to 65 entries (depths 1 to 6) that start
// empty (+Inf) or half full, from column 0 and from later columns (a row
// fed in pieces, as refreshLocal does; from past the row's end offers
// nothing): the same heap slot for slot, the padding untouched.
func TestScan(t *testing.T) {
	load(t)
	rng := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 100, 2001} {
		for _, size := range []int{1, 2, 3, 4, 7, 8, 25, 31, 32, 65} {
			row := make([]float32, n)
			prices := make([]float64, n+1)
			for j := range row {
				row[j] = float32(rng.IntN(50))
				prices[j] = float64(rng.IntN(4)) / 4
				switch rng.IntN(40) {
				case 0:
					row[j] = float32(math.NaN())
				case 1:
					row[j] = float32(math.Inf(1))
				case 2:
					prices[j] = math.Inf(-1)
				}
			}
			steps := 1
			for 2<<steps-1 < size {
				steps++
			}
			wv, wi := make([]float64, 2<<steps-1), make([]int32, 2<<steps-1)
			for s := range wv {
				wv[s], wi[s] = math.Inf(1), -1
				if s >= size {
					wv[s] = math.Inf(-1)
				}
			}
			if size%2 == 1 { // a heap already holding values
				for j := 0; j < size/2; j++ {
					emd.SiftIn(wv[:size], wi[:size], float64(rng.IntN(60)), 100000+j)
				}
			}
			for _, from := range []int{0, 1, 3, 8, 9, n - 9, n - 1, n, n + 1} {
				if from < 0 {
					continue
				}
				wv, wi, gv, gi := slices.Clone(wv), slices.Clone(wi), slices.Clone(wv), slices.Clone(wi)
				emd.ScanPaddedGo(wv, wi, steps, row, prices, from)
				Scan(gv, gi, steps, row, prices, from)
				sameBits64(t, "scan heap values", gv, wv)
				if !slices.Equal(gi, wi) {
					t.Fatalf("scan n=%d size=%d from=%d: columns %v, want %v", n, size, from, gi, wi)
				}
				for s := size; s < len(gv); s++ {
					if !math.IsInf(gv[s], -1) || gi[s] != -1 {
						t.Fatalf("scan n=%d size=%d from=%d: padding slot %d holds %v at %d", n, size, from, s, gv[s], gi[s])
					}
				}
			}
		}
	}
}

// TestScanSameAuction solves assignment problems with the auction (emd.Solve,
// 8 row blocks) once with core/emd's Go scans and once with the SIMD
// module's (the full scans, the private-price scans in pieces, the cost
// range and the certificate), as core/emd's TestScanAVX2SameAuction does
// for AVX2: the same plan, bit for bit (columns, duals, cost, rounds). The
// costs: squared distances of low-dimensional smooth features (trained
// logits' kind, where many values enter the heaps), clustered points,
// integer costs with ties, rows equal up to a constant (a block's rows bid
// for the same columns: the private-price scans) and uniform ones.
func TestScanSameAuction(t *testing.T) {
	load(t)
	const n = 300
	rng := rand.New(rand.NewPCG(21, 22))
	sq := func(d int, point func(i, k int, target bool) float64) []float32 {
		xs, xt := make([]float64, n*d), make([]float64, n*d)
		for i := range n {
			for k := range d {
				xs[i*d+k], xt[i*d+k] = point(i, k, false), point(i, k, true)
			}
		}
		c := make([]float32, n*n)
		for i := range n {
			for j := range n {
				s := 0.0
				for k := range d {
					e := xs[i*d+k] - xt[j*d+k]
					s += e * e
				}
				c[i*n+j] = float32(s)
			}
		}
		return c
	}
	costs := map[string][]float32{
		"smooth": sq(7, func(i, k int, target bool) float64 {
			x := math.Sin(float64(i)*0.05*float64(k+1)) * 3
			if target {
				x = 0.8*x + 0.3 + 0.2*rng.NormFloat64()
			}
			return x
		}),
		"clustered": sq(8, func(i, k int, target bool) float64 {
			return float64((i%6)*(k+1)%7) + rng.NormFloat64()*0.3
		}),
	}
	ties, same, uniform := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	row := make([]float32, n)
	for j := range row {
		row[j] = float32(rng.IntN(10))
	}
	for i := range n {
		for j := range n {
			ties[i*n+j] = float32((i/10 - j/7) * (i/10 - j/7) % 5)
			same[i*n+j] = row[j] + float32(i%3)
			uniform[i*n+j] = float32(rng.Float64())
		}
	}
	costs["ties"], costs["sameRows"], costs["uniform"] = ties, same, uniform
	defer emd.SetKernels(emd.Kernels{})
	for name, cost := range costs {
		emd.SetKernels(emd.Kernels{})
		plain, err := emd.Solve(context.Background(), cost, n, n, emd.Options{Method: emd.MethodAuction, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		emd.SetKernels(emd.Kernels{Scan: Scan, MinMax32: MinMax32, MaxSlack: MaxSlack})
		simd, err := emd.Solve(context.Background(), cost, n, n, emd.Options{Method: emd.MethodAuction, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if plain.Iterations != simd.Iterations || plain.Cost != simd.Cost || !slices.Equal(plain.Cols, simd.Cols) ||
			!slices.Equal(plain.U, simd.U) || !slices.Equal(plain.V, simd.V) {
			t.Errorf("%s: Go scans %d rounds, cost %v; SIMD %d rounds, cost %v (or the columns or duals differ)",
				name, plain.Iterations, plain.Cost, simd.Iterations, simd.Cost)
		}
		t.Logf("%s: %d rounds, cost %.12g", name, simd.Iterations, simd.Cost)
	}
}

// TestMinMaxSlack checks the auction's range and certificate scans against
// core/emd's Go ones, with NaN, infinite and signed-zero entries. The
// values must be equal (a zero's sign may differ: the lanes meet ties in
// another order, and the auction uses the values only).
func TestMinMaxSlack(t *testing.T) {
	load(t)
	rng := rand.New(rand.NewPCG(17, 18))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 64, 2001} {
		for trial := range 12 {
			x := make([]float32, n)
			v := make([]float64, n+1)
			for j := range x {
				x[j] = float32(rng.NormFloat64() * 100)
				v[j] = rng.NormFloat64() * 100
				switch rng.IntN(30) {
				case 0:
					if trial%3 == 0 {
						x[j] = float32(math.NaN())
					}
				case 1:
					x[j] = float32(math.Inf(1 - 2*rng.IntN(2)))
				case 2:
					x[j] = float32(math.Copysign(0, float64(1-2*rng.IntN(2))))
				case 3:
					v[j] = math.Inf(1 - 2*rng.IntN(2))
				}
			}
			wlo, whi, wnan := emd.MinMax32Go(x)
			glo, ghi, gnan := MinMax32(x)
			if glo != wlo || ghi != whi || gnan != wnan {
				t.Fatalf("MinMax32 n=%d: %v %v %v, want %v %v %v", n, glo, ghi, gnan, wlo, whi, wnan)
			}
			ui := rng.NormFloat64() * 100
			ws, gs := emd.MaxSlackGo(x, v, ui), MaxSlack(x, v, ui)
			if gs != ws && !(math.IsNaN(gs) && math.IsNaN(ws)) {
				t.Fatalf("MaxSlack n=%d: %v, want %v", n, gs, ws)
			}
		}
	}
}

// TestHist16 checks the median's second histogram against core/ot's Go one
// on costs of which many share the bucket asked for.
func TestHist16(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(19, 20))
	for _, n := range []int{0, 1, 3, 4, 5, 8, 1001} {
		x := make([]float32, n)
		for j := range x {
			x[j] = float32(300 + rng.Float64()*(1+float64(j%3)*50))
		}
		for _, bucket := range []int{int(math.Float32bits(300) >> 16), int(math.Float32bits(340) >> 16), 0, -1, 1 << 16} {
			want, got := make([]uint32, 1<<16), make([]uint32, 1<<16)
			for i := range want {
				want[i], got[i] = uint32(i%5), uint32(i%5) // counts add to what is there
			}
			ref.Hist16(want, x, bucket)
			Hist16(got, x, bucket)
			if !slices.Equal(got, want) {
				t.Fatalf("hist16 n=%d bucket=%d: the counts differ", n, bucket)
			}
		}
	}
}

func BenchmarkIterateSparseRow(b *testing.B) {
	// One sparse row of the Sinkhorn iteration: the class sums, then the
	// scatter into the column sums (a quarter of the entries stored).
	for _, density := range []float64{0.005, 0.01, 0.02, 0.05, 0.25} {
		b.Run(fmt.Sprint(density), func(b *testing.B) { benchSparseRow(b, density) })
	}
}

func benchSparseRow(b *testing.B, density float64) {
	const m, lb = 2000, 19
	rng := rand.New(rand.NewPCG(1, 1))
	sv, sc := sparseRow(rng, m, density, 0)
	v, col := values(rng, m, 0), make([]float64, m)
	seg := make([]int, lb+1)
	for c := range seg {
		seg[c] = c * m / lb
	}
	segsum := make([]float64, lb)
	for _, c := range []struct {
		name string
		k    func() ot.Kernels
	}{{"go", ot.GoKernels}, {"simd", func() ot.Kernels { load(b); return Kernels() }}} {
		b.Run(c.name, func(b *testing.B) {
			k := c.k()
			for range b.N {
				s := k.SegDotSparse(segsum, sv, sc, v, seg)
				k.ScatterSparse(col, 1/s, sv, sc)
			}
		})
	}
}

func TestAbsorbRow(t *testing.T) {
	load(t)
	ref := ot.GoKernels()
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 2, 3, 5, 64, 999, 2000} {
		for trial := 0; trial < 16; trial++ {
			row := make([]float32, n)
			v := make([]float64, n+1)
			for j := range row {
				switch {
				case rng.IntN(5) == 0:
					row[j] = 0 // stays 0
				default:
					row[j] = float32(math.Exp(-90 + 120*rng.Float64()))
				}
				v[j] = math.Exp(-30 + 60*rng.Float64())
			}
			ui := math.Exp(-20 + 40*rng.Float64())
			square := trial%2 == 1
			lo := math.Exp(-80)
			if square {
				lo = math.Exp(-40)
			}
			want := append([]float32(nil), row...)
			got := append([]float32(nil), row...)
			wn := ref.AbsorbRow(want, v, ui, lo, square)
			gn := AbsorbRow(got, v, ui, lo, square)
			sameBits32(t, "absorbRow", got, want)
			if gn != wn {
				t.Fatalf("absorbRow n=%d: %d non-zeros, want %d", n, gn, wn)
			}
		}
	}
}

func BenchmarkAbsorbRow(b *testing.B) {
	const m = 2000
	rng := rand.New(rand.NewPCG(1, 1))
	row, orig := make([]float32, m), make([]float32, m)
	v := make([]float64, m)
	for j := range row {
		v[j] = 1
		orig[j] = float32(rng.Float64())
	}
	for _, c := range []struct {
		name string
		k    func() ot.Kernels
	}{{"go", ot.GoKernels}, {"simd", func() ot.Kernels { load(b); return Kernels() }}} {
		b.Run(c.name, func(b *testing.B) {
			k := c.k()
			for range b.N {
				copy(row, orig)
				k.AbsorbRow(row, v, 1, 1e-30, false)
			}
		})
	}
}

// BenchmarkSparseRowSums times the class sums of a chunk of 64 sparse rows
// like those of a trained network's logits at N = 10⁴ (7 classes, 14 % of
// the entries stored): segdotsparserows (two rows at a time), the one-row
// kernel called a row at a time (segdotsparse, as segdotsparserows ran
// before the pairs, plus a crossing into JavaScript a row) and the Go
// kernel compiled to WebAssembly:
//
//	GOOS=js GOARCH=wasm go test -run '^$' -bench SparseRowSums -exec "$PWD/wasm/simd/testdata/go_js_wasm_exec" ./wasm/simd
func BenchmarkSparseRowSums(b *testing.B) {
	const m, lb, nrows = 10000, 7, 64
	rng := rand.New(rand.NewPCG(3, 3))
	seg := []int{0, 1556, 4395, 5836, 6547, 9088, 9524, m}
	v := values(rng, m, 0)
	sv, sc, sp := sparseRows(rng, nrows, m, 0.05, 0.18)
	sums, totals := make([]float64, nrows*lb), make([]float64, nrows)
	load(b)
	b.Run("pairs", func(b *testing.B) {
		for b.Loop() {
			SparseRowSums(sums, totals, sv, sc, sp, v, seg)
		}
	})
	sc16 := narrow(sc)
	b.Run("pairs16", func(b *testing.B) {
		for b.Loop() {
			SparseRowSums16(sums, totals, sv, sc16, sp, v, seg)
		}
	})
	b.Run("one-row", func(b *testing.B) {
		for b.Loop() {
			for r := range nrows {
				totals[r] = SegDotSparse(sums[r*lb:(r+1)*lb], sv[sp[r]:sp[r+1]], sc[sp[r]:sp[r+1]], v, seg)
			}
		}
	})
	ref := ot.GoKernels()
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			ref.SparseRowSums(sums, totals, sv, sc, sp, v, seg)
		}
	})
}

// BenchmarkSparseIteration times the sparse kernels of one iteration over
// a block of 1536 rows like those of a trained network's logits at N = 10⁴
// (7 classes, 18.5 % of the entries stored, as the kernel at ε on the
// trained logits: 2.8 M entries, 23 MB with 32-bit columns, more than the
// caches hold), a chunk of 64 rows at a time as core/ot's
// iterateSparseRows calls them (SparseRowSums, then ScatterSparseRows),
// with 32-bit columns and with 16-bit ones (6 bytes an entry instead of 8).
// Besides the wall time it reports the process's CPU time an iteration
// (cpu-ns/op, Node's process.cpuUsage), which a shared machine's load
// disturbs less:
//
//	GOOS=js GOARCH=wasm go test -run '^$' -bench SparseIteration -count 5 -exec "$PWD/wasm/simd/testdata/go_js_wasm_exec" ./wasm/simd
func BenchmarkSparseIteration(b *testing.B) {
	const m, lb, nrows, chunk = 10000, 7, 1536, 64
	rng := rand.New(rand.NewPCG(5, 5))
	seg := []int{0, 1556, 4395, 5836, 6547, 9088, 9524, m}
	v := values(rng, m, 0)
	sv, sc, sp := sparseRows(rng, nrows, m, 0.1, 0.17)
	sc16 := narrow(sc)
	sums, totals := make([]float64, chunk*lb), make([]float64, chunk)
	a, col := make([]float64, chunk), make([]float64, m)
	for r := range a {
		a[r] = 1 / float64(nrows)
	}
	load(b)
	b.Logf("%d entries (%.3f of the block)", len(sc), float64(len(sc))/(nrows*m))
	// run times one iteration's kernels, iterate(rows) on each chunk.
	run := func(name string, iterate func(rows []int)) {
		b.Run(name, func(b *testing.B) {
			t0 := cpuNanos()
			for b.Loop() {
				for r0 := 0; r0 < nrows; r0 += chunk {
					iterate(sp[r0 : r0+chunk+1])
				}
			}
			b.ReportMetric((cpuNanos()-t0)/float64(b.N), "cpu-ns/op")
		})
	}
	run("32", func(rows []int) {
		SparseRowSums(sums, totals, sv, sc, rows, v, seg)
		ScatterSparseRows(col, a, sv, sc, rows)
	})
	run("16", func(rows []int) {
		SparseRowSums16(sums, totals, sv, sc16, rows, v, seg)
		ScatterSparseRows16(col, a, sv, sc16, rows)
	})
}

// cpuNanos is the host process's CPU time (user and system) so far, in
// nanoseconds: Node's process.cpuUsage().
func cpuNanos() float64 {
	u := js.Global().Get("process").Call("cpuUsage")
	return 1000 * (u.Get("user").Float() + u.Get("system").Float())
}
