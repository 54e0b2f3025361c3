package emd

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestScanAVX2SameHeap offers rows to topK.scan (scanAVX2) and to ScanGo,
// the scalar reference, and asks for the same heap slot for slot: the same
// values and columns at every position, so that the cache stores the same
// columns in the same order. The rows hold ties (small integers, repeated
// values, signed zeros), runs that fill the heap in every step (decreasing
// rows), lengths around the eight-column steps and cache sizes from 1 to
// 64, whose padded trees have depths 1 to 6.
func TestScanAVX2SameHeap(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	kinds := []func(j, n int) float32{
		func(int, int) float32 { return float32(rng.NormFloat64() * 100) },
		func(int, int) float32 { return float32(rng.IntN(5)) },
		func(j, n int) float32 { return float32(n - j) },                              // every value enters
		func(int, int) float32 { return 3 },                                           // all tied
		func(j, _ int) float32 { return float32(math.Copysign(0, float64(j%2)-0.5)) }, // ±0
		func(int, int) float32 { return float32(rng.ExpFloat64() * 1e30) },
	}
	for _, k := range []int{1, 2, 3, 6, 7, 14, 15, 24, 30, 31, 63, 64} {
		for _, n := range []int{1, 2, 7, 8, 9, 15, 16, 17, 25, 64, 100, 1001, 10007} {
			for kind, gen := range kinds {
				row := make([]float32, n)
				prices := make([]float64, n+3)
				for j := range row {
					row[j] = gen(j, n)
					switch kind {
					case 1, 3:
						prices[j] = float64(rng.IntN(3))
					case 4:
						prices[j] = 0
					default:
						prices[j] = rng.Float64()
					}
				}
				var want, got topK
				want.reset(k)
				ScanGo(want.vals[:k+1], want.idx[:k+1], row, prices)
				got.scan(k, row, prices)
				if !slices.Equal(want.vals[:k+1], got.vals[:k+1]) || !slices.Equal(want.idx[:k+1], got.idx[:k+1]) {
					t.Fatalf("k = %d, n = %d, rows of kind %d: AVX2 heap\n%v %v\nwant\n%v %v", k, n, kind,
						got.vals[:k+1], got.idx[:k+1], want.vals[:k+1], want.idx[:k+1])
				}
			}
		}
	}
}

// TestScanAVX2SameAuction solves assignment problems with ties with the
// full scans in AVX2 and in Go (under the shared prices and under a
// block's private ones, refreshLocal), and asks for the same plan, bit for
// bit.
func TestScanAVX2SameAuction(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	const n = 300
	rng := rand.New(rand.NewPCG(9, 10))
	xs, xt := logitFeatures(n, n, 3)
	ties := make([]float32, n*n)
	same := make([]float32, n*n)
	a := uniformCost(1, n, 10, true, rng)
	for i := range n {
		for j := range n {
			ties[i*n+j] = float32((i/10 - j/7) * (i/10 - j/7) % 5)
			same[i*n+j] = a[j] + float32(i%3)
		}
	}
	cx, ct := clusteredFeatures(n, n, 8, 6)
	for name, cost := range map[string][]float32{
		"logits":    sqDistCost(xs, xt, n, n, 7),
		"clustered": sqDistCost(cx, ct, n, n, 8),
		"ties":      ties,
		"sameRows":  same, // the rows of a block bid for the same columns: scans under private prices
		"uniform":   uniformCost(n, n, 1, false, rng),
	} {
		avx, err := Solve(context.Background(), cost, n, n, Options{Method: MethodAuction, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		haveAVX2 = false
		plain, err := Solve(context.Background(), cost, n, n, Options{Method: MethodAuction, Workers: 2})
		haveAVX2 = true
		if err != nil {
			t.Fatal(err)
		}
		if plain.Iterations != avx.Iterations || plain.Cost != avx.Cost || !slices.Equal(plain.Cols, avx.Cols) ||
			!slices.Equal(plain.U, avx.U) || !slices.Equal(plain.V, avx.V) {
			t.Errorf("%s: Go scans %d rounds, cost %v; AVX2 %d rounds, cost %v (or the columns or duals differ)",
				name, plain.Iterations, plain.Cost, avx.Iterations, avx.Cost)
		}
	}
}

// BenchmarkScan times a full scan of a row of 10⁴ normal costs under
// random prices into a heap of 25 (the auction's cache of 24 columns), the
// rows taken from an 80 MB matrix (more than the L3 cache) in a scattered
// order as the auction's bids take them, in AVX2 and in Go.
func BenchmarkScan(b *testing.B) {
	const n, rows = 10000, 2000
	rng := rand.New(rand.NewPCG(1, 2))
	cost := make([]float32, n*rows)
	for i := range cost {
		cost[i] = float32(100 + 50*rng.NormFloat64())
	}
	prices := make([]float64, n)
	for j := range prices {
		prices[j] = 10 * rng.Float64()
	}
	for _, avx := range []bool{true, false} {
		name := "go"
		if avx {
			name = "avx2"
			if !haveAVX2 {
				continue
			}
		}
		b.Run(name, func(b *testing.B) {
			haveAVX2 = avx
			defer func() { haveAVX2 = true }()
			var t topK
			for it := range b.N {
				r := it * 7919 % rows
				t.scan(bidCacheSize, cost[r*n:(r+1)*n], prices)
			}
		})
	}
}

// TestMinMaxSlackAVX2 checks the cost range's and the certificate's scans
// in AVX2 against MinMax32Go and MaxSlackGo on entries with NaN, infinite,
// tied and signed-zero values, at every length around the steps: the same
// values and the same NaN flag (a zero's sign may differ: the lanes meet
// ties in another order, and the auction uses the values only).
func TestMinMaxSlackAVX2(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 100, 1001} {
		for trial := range 20 {
			x := make([]float32, n)
			v := make([]float64, n)
			for j := range x {
				x[j] = float32(rng.IntN(7)) - 3
				v[j] = float64(rng.IntN(5)) - 2
				switch rng.IntN(30) {
				case 0:
					if trial%2 == 0 {
						x[j] = float32(math.NaN())
					}
				case 1:
					x[j] = float32(math.Inf(1 - 2*rng.IntN(2)))
				case 2:
					x[j] = float32(math.Copysign(0, -1))
				case 3:
					v[j] = math.Inf(-1)
				}
			}
			wlo, whi, wnan := MinMax32Go(x)
			glo, ghi, gnan := minMax32AVX2(x)
			if wlo != glo || whi != ghi || wnan != gnan {
				t.Fatalf("n = %d: minMax32AVX2 %v %v %v, want %v %v %v (%v)", n, glo, ghi, gnan, wlo, whi, wnan, x)
			}
			ui := float64(rng.IntN(5)) - 2
			if w, g := MaxSlackGo(x, v, ui), maxSlackAVX2(x, v, ui); !same(w, g) {
				t.Fatalf("n = %d: maxSlackAVX2 %v, want %v (%v %v %v)", n, g, w, x, v, ui)
			}
		}
	}
}
