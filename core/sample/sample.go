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
	rounds    int       // batches read
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

// Options choose how Draw samples.
type Options struct {
	// DropNonFinite skips pixels whose features hold NaN or Inf and
	// replaces them by further draws; without it they are an error naming
	// the file.
	DropNonFinite bool
	// PerClass draws evenly over the classes present (see Quotas) instead
	// of uniformly over all valid pixels.
	PerClass bool
	// MaxSquaredNorm, when positive, refuses a pixel whose features'
	// squared norm ‖x‖² (in float64) exceeds it, naming its file: with
	// MaxFloat32/4 every squared distance ‖xs − xt‖² ≤ (‖xs‖ + ‖xt‖)² of
	// the sample is finite in float32.
	MaxSquaredNorm float64
}

// SafeSquaredNorm is the MaxSquaredNorm under which squared distances of
// the raw features cannot overflow float32.
const SafeSquaredNorm = math.MaxFloat32 / 4

// maxBatchValues bounds the feature values read in one batch (float64, so
// 32 MB): redraws after skipped pixels double the batch up to this, so that
// a domain of non-finite features is read in a number of batches
// logarithmic in its size while the buffers stay fixed.
const maxBatchValues = 1 << 22

// Draw samples n valid pixels of d uniformly with the generator of (seed,
// stream); dropNonFinite is Options.DropNonFinite.
func Draw(d *dataset.Domain, n int, seed, stream uint64, dropNonFinite bool) (*Pixels, error) {
	return DrawWith(d, n, seed, stream, Options{DropNonFinite: dropNonFinite})
}

// DrawWith samples n valid pixels of d with the generator of (seed, stream).
//
// The valid pixels are split into strata — one for uniform sampling, one per
// class with PerClass — and stratum k of c_k pixels is given a quota q_k by
// Quotas. Each stratum's pixels are drawn in the order of a Fisher–Yates
// shuffle of its ranks, the strata taking turns in increasing label order
// from the one generator, and the first q_k drawn with finite features are
// kept. With DropNonFinite a skipped pixel lowers its stratum's capacity and
// the quotas are recomputed, so that a class whose pixels run out gives its
// share to the others. The result depends on the seed, the stream and the
// domain only.
func DrawWith(d *dataset.Domain, n int, seed, stream uint64, opt Options) (*Pixels, error) {
	if n <= 0 {
		return nil, fmt.Errorf("sample size must be positive, got %d", n)
	}
	out := &Pixels{D: d.Dim}
	rng := NewRand(seed, stream)
	sizes := []int64{d.Valid}
	if opt.PerClass {
		sizes = d.ClassPixels
	}
	k := len(sizes)
	sh := make([]*shuffle, k)
	for i, c := range sizes {
		sh[i] = &shuffle{n: c, swap: make(map[int64]int64), rng: rng}
	}
	// Start of each image's ranks.
	starts := make([]int64, len(d.Images)+1)
	for i, im := range d.Images {
		starts[i+1] = starts[i] + int64(im.Valid)
	}
	good := make([]int64, k)   // pixels kept of each stratum
	last := make([]int64, k)   // size of each stratum's last batch
	bad := make([]int64, k)    // pixels skipped (not redrawn) of each stratum
	capNow := make([]int64, k) // pixels each stratum can still give
	type kept struct {
		rank int64
		x    []float32
		y    int32
	}
	var keep []kept
	var lastX []float32 // the last batch read
	var lastY []int32
	maxBatch := int64(max(maxBatchValues/max(d.Dim, 1), 1))
	for {
		for i := range capNow {
			capNow[i] = sizes[i] - bad[i]
		}
		quota := Quotas(capNow, int64(n))
		batches := make([][]int64, k)
		drawn := 0
		for i := range k {
			want := quota[i] - good[i]
			if want <= 0 {
				continue
			}
			size := want
			if last[i] > 0 {
				size = max(want, min(2*last[i], maxBatch))
			}
			last[i] = size
			for int64(len(batches[i])) < size {
				r := sh[i].draw()
				if r < 0 {
					break
				}
				batches[i] = append(batches[i], r)
			}
			drawn += len(batches[i])
		}
		if drawn == 0 {
			break
		}
		out.rounds++
		glob := batches
		if opt.PerClass {
			glob = d.ClassRanks(batches)
		}
		// Read the batch in canonical order.
		type ref struct {
			rank      int64
			stratum   int
			drawOrder int
		}
		refs := make([]ref, 0, drawn)
		for i, b := range glob {
			for j, r := range b {
				refs = append(refs, ref{r, i, j})
			}
		}
		slices.SortFunc(refs, func(a, b ref) int { return cmp64(a.rank, b.rank) })
		ranks := make([]int64, len(refs))
		for i, r := range refs {
			ranks[i] = r.rank
		}
		x, y, badIdx, err := read(d, starts, ranks)
		if err != nil {
			return nil, err
		}
		lastX, lastY = x, y
		if opt.MaxSquaredNorm > 0 {
			if err := checkNorms(d, starts, ranks, x, badIdx, opt.MaxSquaredNorm); err != nil {
				return nil, err
			}
		}
		if len(badIdx) > 0 && !opt.DropNonFinite {
			im := imageOf(starts, ranks[badIdx[0]])
			return nil, d.Images[im].Features.Errorf("%d of %d sampled pixels have NaN or Inf features (--drop-nonfinite skips them)", len(badIdx), len(ranks))
		}
		isBad := make([]bool, len(ranks))
		for _, b := range badIdx {
			isBad[b] = true
		}
		// Back to draw order within each stratum: keep the first good
		// pixels up to the quota.
		pos := make([][]int, k)
		for i, b := range glob {
			pos[i] = make([]int, len(b))
		}
		for i, r := range refs {
			pos[r.stratum][r.drawOrder] = i
		}
		for i := range k {
			for _, at := range pos[i] {
				if good[i] >= quota[i] {
					break
				}
				if isBad[at] {
					bad[i]++
					out.Dropped++
					continue
				}
				good[i]++
				keep = append(keep, kept{ranks[at], x[at*d.Dim : (at+1)*d.Dim], y[at]})
			}
		}
	}
	if len(keep) == 0 {
		return nil, noFinite(d)
	}
	out.Exhausted = len(keep) < n
	if out.rounds == 1 && out.Dropped == 0 && len(keep) == len(lastX)/max(d.Dim, 1) {
		// One batch, every pixel kept: it is in canonical order already,
		// and copying it would double the sample's memory.
		out.X, out.Y, out.N = lastX, lastY, len(lastY)
		return out, nil
	}
	slices.SortFunc(keep, func(a, b kept) int { return cmp64(a.rank, b.rank) })
	out.X = make([]float32, 0, len(keep)*d.Dim)
	out.Y = make([]int32, 0, len(keep))
	for _, kp := range keep {
		out.X = append(out.X, kp.x...)
		out.Y = append(out.Y, kp.y)
	}
	out.N = len(out.Y)
	return out, nil
}

// checkNorms refuses the first pixel of finite features whose squared norm
// exceeds max2.
func checkNorms(d *dataset.Domain, starts, ranks []int64, x []float32, bad []int, max2 float64) error {
	b := 0
	for i := range ranks {
		if b < len(bad) && bad[b] == i {
			b++
			continue
		}
		s := 0.0
		for _, v := range x[i*d.Dim : (i+1)*d.Dim] {
			s += float64(v) * float64(v)
		}
		if s > max2 {
			im := imageOf(starts, ranks[i])
			return d.Images[im].Features.Errorf("features of norm %.3g: their squared distances overflow float32 (at most %.3g); wrongly scaled or overflowed features? (--transform l2 or softmax would rescale them)", math.Sqrt(s), math.Sqrt(max2))
		}
	}
	return nil
}

// noFinite is the error of a domain without a pixel of finite features.
func noFinite(d *dataset.Domain) error {
	var names []string
	for _, im := range d.Images {
		if n := im.Features.Name; len(names) == 0 || names[len(names)-1] != n {
			names = append(names, n)
		}
	}
	what := names[0]
	if len(names) > 1 {
		what = fmt.Sprintf("%s (and %d more feature files)", what, len(names)-1)
	}
	return fmt.Errorf("%s: no pixel with finite features: every value read is NaN or Inf (a diverged or overflowed float16 export?)", what)
}

// Quotas shares n pixels among strata of the given sizes as evenly as they
// allow (water-filling): every stratum gets min(size, L) for the largest
// level L with Σ min(size_k, L) ≤ n, and the r pixels still missing go one
// each to the first r strata (in order) larger than L. A stratum with fewer
// pixels than its share gives all of them and the rest is spread over the
// others; with Σ size_k ≤ n every stratum gives all.
func Quotas(sizes []int64, n int64) []int64 {
	q := make([]int64, len(sizes))
	var total int64
	for _, s := range sizes {
		total += max(s, 0)
	}
	if total <= n {
		for i, s := range sizes {
			q[i] = max(s, 0)
		}
		return q
	}
	fill := func(level int64) int64 {
		var sum int64
		for _, s := range sizes {
			sum += min(max(s, 0), level)
		}
		return sum
	}
	lo, hi := int64(0), n // fill(lo) ≤ n < fill(hi+1) somewhere in [0, n]
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if fill(mid) <= n {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	rest := n - fill(lo)
	for i, s := range sizes {
		q[i] = min(max(s, 0), lo)
		if rest > 0 && s > lo {
			q[i]++
			rest--
		}
	}
	return q
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
// features. Beyond its N×C float32 result it allocates only the fixed
// buffers of Image.Gather32, so that memory is O(N·C) plus a constant.
func read(d *dataset.Domain, starts []int64, ranks []int64) ([]float32, []int32, []int, error) {
	x := make([]float32, len(ranks)*d.Dim)
	y := make([]int32, len(ranks))
	isBad := make([]bool, len(ranks))
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
		if err := img.Gather32(pix, x[k0*d.Dim:k*d.Dim], isBad[k0:k]); err != nil {
			return nil, nil, nil, err
		}
		for i, p := range pix {
			l, _ := img.Label(p)
			y[k0+i] = int32(l)
		}
	}
	var bad []int
	for i, b := range isBad {
		if b {
			bad = append(bad, i)
		}
	}
	return x, y, bad, nil
}
