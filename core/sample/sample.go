// Package sample draws seeded samples of valid pixels from a domain.
//
// The draw is a function of the seed, the stream and the domain alone: the
// same inputs give the same pixels on every platform, whatever the number of
// workers or the order in which files are read. Pixels are drawn uniformly
// without replacement among the valid pixels of all images (a lazily stored
// Fisher–Yates shuffle of their ranks), and returned in canonical order
// (image, then position), not in the order drawn.
package sample

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"

	"github.com/otceseg/otceseg/core/dataset"
)

// Pixels are sampled pixels: their features and labels.
type Pixels struct {
	N, D      int
	X         []float32 // N×D features
	Y         []int32   // labels
	Dropped   int       // pixels skipped for non-finite features
	Exhausted bool      // fewer valid pixels than asked: all were taken
}

// Rand is the deterministic generator used for sampling: PCG-DXSM with a
// fixed bounded-integer method, so that its output never depends on the Go
// version or the platform.
type Rand struct{ src *rand.PCG }

// NewRand returns the generator of (seed, stream).
func NewRand(seed, stream uint64) *Rand { return &Rand{rand.NewPCG(seed, stream)} }

// Below returns a uniform integer in [0, n), n > 0 (Lemire's method).
func (r *Rand) Below(n uint64) uint64 {
	hi, lo := bits.Mul64(r.src.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.src.Uint64(), n)
		}
	}
	return hi
}

// shuffle is a Fisher–Yates shuffle of [0, n) storing only displaced entries.
type shuffle struct {
	n    int64
	next int64
	swap map[int64]int64
	rng  *Rand
}

func (s *shuffle) at(i int64) int64 {
	if v, ok := s.swap[i]; ok {
		return v
	}
	return i
}

// draw returns the next element of the shuffled sequence, or −1 when done.
func (s *shuffle) draw() int64 {
	if s.next >= s.n {
		return -1
	}
	k := s.next
	r := k + int64(s.rng.Below(uint64(s.n-k)))
	vk, vr := s.at(k), s.at(r)
	s.swap[r] = vk
	delete(s.swap, k)
	s.next++
	return vr
}

// Draw samples n valid pixels of d with the generator of (seed, stream).
// With dropNonFinite, pixels whose features hold NaN or Inf are skipped and
// replaced by further draws; without it they are an error naming the file.
func Draw(d *dataset.Domain, n int, seed, stream uint64, dropNonFinite bool) (*Pixels, error) {
	if n <= 0 {
		return nil, fmt.Errorf("sample size must be positive, got %d", n)
	}
	out := &Pixels{D: d.Dim}
	sh := &shuffle{n: d.Valid, swap: make(map[int64]int64), rng: NewRand(seed, stream)}
	// Start of each image's ranks.
	starts := make([]int64, len(d.Images)+1)
	for i, im := range d.Images {
		starts[i+1] = starts[i] + int64(im.Valid)
	}
	var ranks []int64
	want := n
	for want > 0 {
		batch := make([]int64, 0, want)
		for len(batch) < want {
			r := sh.draw()
			if r < 0 {
				break
			}
			batch = append(batch, r)
		}
		if len(batch) == 0 {
			out.Exhausted = true
			break
		}
		slices.Sort(batch)
		x, y, bad, err := read(d, starts, batch)
		if err != nil {
			return nil, err
		}
		if len(bad) > 0 && !dropNonFinite {
			im := imageOf(starts, batch[bad[0]])
			return nil, fmt.Errorf("%s: %d of %d sampled pixels have NaN or Inf features (--drop-nonfinite skips them)", d.Images[im].Features.Name, len(bad), len(batch))
		}
		isBad := make([]bool, len(batch))
		for _, k := range bad {
			isBad[k] = true
		}
		keep := 0
		for k := range batch {
			if isBad[k] {
				continue
			}
			batch[keep] = batch[k]
			copy(x[keep*d.Dim:(keep+1)*d.Dim], x[k*d.Dim:(k+1)*d.Dim])
			y[keep] = y[k]
			keep++
		}
		out.Dropped += len(bad)
		ranks = append(ranks, batch[:keep]...)
		out.X = append(out.X, x[:keep*d.Dim]...)
		out.Y = append(out.Y, y[:keep]...)
		want -= keep
		if sh.next >= sh.n && want > 0 {
			out.Exhausted = true
			break
		}
	}
	if len(ranks) == 0 {
		return nil, fmt.Errorf("%s: no pixel with finite features", d.Name)
	}
	// Batches after the first were drawn later: restore canonical order.
	if out.Dropped > 0 {
		order := make([]int, len(ranks))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return cmp64(ranks[a], ranks[b]) })
		x := make([]float32, len(out.X))
		y := make([]int32, len(out.Y))
		for k, o := range order {
			copy(x[k*d.Dim:(k+1)*d.Dim], out.X[o*d.Dim:(o+1)*d.Dim])
			y[k] = out.Y[o]
		}
		out.X, out.Y = x, y
	}
	out.N = len(out.Y)
	return out, nil
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func imageOf(starts []int64, r int64) int {
	i, _ := slices.BinarySearch(starts, r+1)
	return i - 1
}

// read gathers the features and labels of the pixels of the given sorted
// ranks, and returns the indices (into ranks) of those with non-finite
// features.
func read(d *dataset.Domain, starts []int64, ranks []int64) ([]float32, []int32, []int, error) {
	x := make([]float32, len(ranks)*d.Dim)
	y := make([]int32, len(ranks))
	var bad []int
	k := 0
	for k < len(ranks) {
		im := imageOf(starts, ranks[k])
		img := d.Images[im]
		var local []int
		k0 := k
		for k < len(ranks) && ranks[k] < starts[im+1] {
			local = append(local, int(ranks[k]-starts[im]))
			k++
		}
		pix := img.ValidPixels(local)
		vals := make([]float64, len(pix)*d.Dim)
		if err := img.Gather(pix, vals); err != nil {
			return nil, nil, nil, err
		}
		for i, p := range pix {
			l, _ := img.Label(p)
			y[k0+i] = int32(l)
			finite := true
			for c := 0; c < d.Dim; c++ {
				v := vals[i*d.Dim+c]
				if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
					finite = false
				}
				x[(k0+i)*d.Dim+c] = float32(v)
			}
			if !finite {
				bad = append(bad, k0+i)
			}
		}
	}
	return x, y, bad, nil
}
