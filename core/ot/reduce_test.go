package ot

import (
	"math"
	"math/rand/v2"
	"testing"
)

// iterReplies draws nb OpIterate replies of m columns and a 3×2 joint table
// (fresh each call: the sums consume them).
func iterReplies(seed uint64, nb, m int) []*Reply {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]*Reply, nb)
	for b := range out {
		r := &Reply{ColSum: make([]float64, m), Joint: make([]float64, 6), RowErr: rng.Float64(), Mass: rng.Float64(), Zero: rng.IntN(2), MaxLogU: rng.Float64()}
		for j := range r.ColSum {
			r.ColSum[j] = math.Ldexp(rng.Float64(), rng.IntN(40)-20)
		}
		for j := range r.Joint {
			r.Joint[j] = rng.Float64()
		}
		out[b] = r
	}
	return out
}

// TestCombineIterate: whatever the runs of blocks the hosts sum themselves,
// the total has the bits of the per-block sum.
func TestCombineIterate(t *testing.T) {
	for nb := 1; nb <= MaxBlocks; nb++ {
		want, err := ReduceIterate(iterReplies(uint64(nb), nb, 37))
		if err != nil {
			t.Fatal(err)
		}
		for workers := 1; workers <= nb; workers++ {
			leaves := iterReplies(uint64(nb), nb, 37)
			var all []*Reply
			for w := 0; w < workers; w++ { // contiguous runs, as the page assigns
				lo, hi := w*nb/workers, (w+1)*nb/workers
				part, err := CombineIterate(leaves[lo:hi], lo, hi, nb)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, part...)
			}
			got, err := ReduceIterate(all)
			if err != nil {
				t.Fatalf("nb %d, %d workers: %v", nb, workers, err)
			}
			for j := range want.ColSum {
				if math.Float64bits(got.ColSum[j]) != math.Float64bits(want.ColSum[j]) {
					t.Fatalf("nb %d, %d workers: column %d: %v, want %v", nb, workers, j, got.ColSum[j], want.ColSum[j])
				}
			}
			for j := range want.Joint {
				if got.Joint[j] != want.Joint[j] {
					t.Fatalf("nb %d, %d workers: joint %d differs", nb, workers, j)
				}
			}
			if got.RowErr != want.RowErr || got.Mass != want.Mass || got.Zero != want.Zero || got.MaxLogU != want.MaxLogU {
				t.Fatalf("nb %d, %d workers: scalars differ", nb, workers)
			}
		}
	}
	// A missing block is an error, not a silently smaller sum.
	reps := iterReplies(1, 4, 3)
	reps[2] = nil
	if _, err := ReduceIterate(reps); err == nil {
		t.Error("a missing reply was summed without an error")
	}
}

// addTo gives the plain loop's sums, bit for bit, at every length around
// its step of four (a length of 4k+r takes the tail r one at a time).
func TestAddTo(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := range 19 {
		x, y := make([]float64, n+3), make([]float64, n)
		for i := range x {
			x[i] = r.NormFloat64() * math.Exp2(float64(r.IntN(80)-40))
		}
		for i := range y {
			y[i] = r.NormFloat64() * math.Exp2(float64(r.IntN(80)-40))
		}
		want := append([]float64(nil), x...)
		for i, v := range y {
			want[i] += v
		}
		addTo(x, y)
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(want[i]) {
				t.Fatalf("length %d: element %d is %v, want %v", n, i, x[i], want[i])
			}
		}
	}
}
