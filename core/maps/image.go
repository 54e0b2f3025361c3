package maps

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/otce"
)

// Map is the dense map of h over one target image's feature grid, averaged
// over the repetitions.
type Map struct {
	D, H, W int
	// Values holds h at feature pixel (d·H + h)·W + w: the mean over the
	// repetitions in which it is defined; NaN where the pixel is ignored
	// (its label is the ignore index) or h is defined in no repetition.
	Values []float32
	// Labels holds each pixel's label value, −1 where it is ignored.
	Labels []int32
	// Valid counts the pixels with a valid label; Defined those with h in
	// at least one repetition, Partial those among them undefined in some
	// repetition; Undefined the valid pixels undefined in every repetition
	// (their class never occurs in a target sample, or P(b|a) = 0 for a
	// source class they are coupled with), Unseen those among them whose
	// class occurs in no repetition's target sample; NonFinite the valid
	// pixels with NaN or infinite features (undefined too).
	Valid, Defined, Partial, Undefined, Unseen, NonFinite int
	// Sum is Σ h over the defined pixels, in pixel order.
	Sum float64
}

// Mean returns the mean of h over the defined pixels (NaN if none).
func (m *Map) Mean() float64 {
	if m.Defined == 0 {
		return math.NaN()
	}
	return m.Sum / float64(m.Defined)
}

// Options control ImageMap.
type Options struct {
	// Transform is the feature transform of the settings ("none",
	// "softmax", "l2"), applied as the sampler applies it.
	Transform string
	// Workers is the number of goroutines (0: GOMAXPROCS).
	Workers int
}

// chunkRows is the number of pixels whose costs are computed together
// (a goroutine's rows of n float32 costs): as many as keep those under
// 8 MB (208 at n = 10⁴), at least 64 and at most 256. Each call of the
// cost kernel converts and packs the n source points for its rows, which
// with 64 rows was a quarter of a d = 256 map natively (5.96 → 4.43 CPU s
// with 256 rows). A pixel's values do not depend on its chunk.
func chunkRows(n int) int {
	return max(64, min(256, (1<<21)/max(n, 1))) &^ 3
}

// ImageMap computes the dense map of a target image against the
// repetitions (which must share the features' dimension). Its memory is
// that of the map and of a few chunks of pixels, whatever the image count.
func ImageMap(ctx context.Context, im *dataset.Image, reps []*Rep, opt Options) (*Map, error) {
	if len(reps) == 0 {
		return nil, errors.New("maps: no repetition to map with")
	}
	for _, r := range reps {
		if r.D != im.C {
			return nil, fmt.Errorf("maps: %s has %d channels, the sample %d", im.Features.Name, im.C, r.D)
		}
	}
	d := max(im.D, 1)
	m := &Map{D: d, H: im.H, W: im.W}
	n := d * im.H * im.W
	m.Values = make([]float32, n)
	m.Labels = make([]int32, n)
	var valid []int
	for p := 0; p < n; p++ {
		m.Values[p] = float32(math.NaN())
		if l, ok := im.Label(p); ok {
			m.Labels[p] = int32(l)
			valid = append(valid, p)
		} else {
			m.Labels[p] = -1
		}
	}
	m.Valid = len(valid)
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sum := make([]float64, len(valid))
	cnt := make([]int32, len(valid))
	bad := make([]bool, len(valid))
	seen := make([]bool, len(valid)) // the class occurs in some repetition's sample
	dim := im.C
	maxN := 0
	for _, r := range reps {
		maxN = max(maxN, r.N)
	}
	chunk := chunkRows(maxN)
	// Read workers chunks at a time (the file is read in one goroutine),
	// then compute them in parallel: each pixel's sums are its own.
	batch := workers * chunk
	raw := make([]float64, batch*dim)
	x32 := make([]float32, batch*dim)
	x := make([]float64, batch*dim)
	lab := make([]int32, batch)
	works := make([]*Work, workers)
	qs := make([][]float64, workers)
	for lo := 0; lo < len(valid); lo += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+batch, len(valid))
		k := hi - lo
		if err := im.Gather(valid[lo:hi], raw[:k*dim]); err != nil {
			return nil, err
		}
		for i := 0; i < k; i++ {
			for c := 0; c < dim; c++ {
				v := raw[i*dim+c]
				if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
					bad[lo+i] = true
				}
				x32[i*dim+c] = float32(v)
			}
			if bad[lo+i] {
				clear(x32[i*dim : (i+1)*dim])
			}
		}
		if err := otce.Transform(opt.Transform, x32[:k*dim], dim); err != nil {
			return nil, err
		}
		for i, v := range x32[:k*dim] {
			x[i] = float64(v)
		}
		for i := range k {
			lab[i] = m.Labels[valid[lo+i]]
		}
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			c0, c1 := w*chunk, min((w+1)*chunk, k)
			if c0 >= c1 {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, r := range reps {
					if cap(qs[w]) < chunk*r.La {
						qs[w] = make([]float64, chunk*r.La)
					}
					q := qs[w][:(c1-c0)*r.La]
					works[w] = r.LabeledMixtures(x[c0*dim:c1*dim], lab[c0:c1], c1-c0, q, works[w])
					for i := c0; i < c1; i++ {
						h, st := r.Entropy(q[(i-c0)*r.La:(i-c0+1)*r.La], int(m.Labels[valid[lo+i]]))
						if st == Defined {
							sum[lo+i] += h
							cnt[lo+i]++
						}
						if st != UnseenClass {
							seen[lo+i] = true
						}
					}
				}
			}()
		}
		wg.Wait()
	}
	for k, p := range valid {
		switch {
		case bad[k]:
			m.NonFinite++
		case cnt[k] == 0:
			m.Undefined++
			if !seen[k] {
				m.Unseen++
			}
		default:
			h := sum[k] / float64(cnt[k])
			m.Values[p] = float32(h)
			m.Sum += h
			m.Defined++
			if int(cnt[k]) < len(reps) {
				m.Partial++
			}
		}
	}
	return m, nil
}

// Pixel is what a map says about one pixel.
type Pixel struct {
	Label int     // its label value (−1: ignored)
	H     float64 // h averaged over the repetitions where it is defined (NaN: none)
	// Mixture is the source-class mixture q_x, by source label value,
	// averaged over the repetitions.
	Mixture map[int]float64
}

// PixelAt explains feature pixel p ((d·H + h)·W + w) of a target image.
func PixelAt(im *dataset.Image, p int, reps []*Rep, transform string) (Pixel, error) {
	px := Pixel{Label: -1, H: math.NaN(), Mixture: map[int]float64{}}
	if p < 0 || p >= max(im.D, 1)*im.H*im.W {
		return px, fmt.Errorf("maps: pixel %d outside the feature grid", p)
	}
	l, ok := im.Label(p)
	if !ok {
		return px, nil
	}
	px.Label = l
	raw := make([]float64, im.C)
	if err := im.Gather([]int{p}, raw); err != nil {
		return px, err
	}
	x32 := make([]float32, im.C)
	for c, v := range raw {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
			return px, nil
		}
		x32[c] = float32(v)
	}
	if err := otce.Transform(transform, x32, im.C); err != nil {
		return px, err
	}
	x := make([]float64, im.C)
	for c, v := range x32 {
		x[c] = float64(v)
	}
	sum, n := 0.0, 0
	for _, r := range reps {
		q := make([]float64, r.La)
		r.LabeledMixtures(x, []int32{int32(l)}, 1, q, nil)
		for a, v := range q {
			px.Mixture[r.SourceClasses[a]] += v / float64(len(reps))
		}
		if h, st := r.Entropy(q, l); st == Defined {
			sum += h
			n++
		}
	}
	if n > 0 {
		px.H = sum / float64(n)
	}
	return px, nil
}

// ImageScore is one target image's line of the per-image table.
type ImageScore struct {
	Stem      string  `json:"stem"`
	Index     int     `json:"index"` // position in the target domain
	Valid     int     `json:"valid"`
	Defined   int     `json:"defined"`
	Undefined int     `json:"undefined"`
	Unseen    int     `json:"unseen_class"` // of Undefined: class in no target sample
	NonFinite int     `json:"non_finite"`
	MeanH     float64 `json:"mean_h"` // mean h over the defined pixels
	OTCE      float64 `json:"otce"`   // −MeanH: the image's own score, higher is better
}

// Score returns the map's line of the per-image table.
func (m *Map) Score(stem string, index int) ImageScore {
	h := m.Mean()
	return ImageScore{Stem: stem, Index: index, Valid: m.Valid, Defined: m.Defined, Undefined: m.Undefined, Unseen: m.Unseen, NonFinite: m.NonFinite, MeanH: h, OTCE: -h}
}

// WorstFirst sorts the per-image table worst first (CompareWorst).
func WorstFirst(s []ImageScore) { slices.SortStableFunc(s, CompareWorst) }

// CompareWorst orders image scores by OTCE, lowest (worst) first; images
// without a defined pixel last; ties by index.
func CompareWorst(a, b ImageScore) int {
	an, bn := math.IsNaN(a.OTCE), math.IsNaN(b.OTCE)
	switch {
	case an && !bn:
		return 1
	case bn && !an:
		return -1
	case !an && a.OTCE != b.OTCE:
		return cmp.Compare(a.OTCE, b.OTCE)
	}
	return cmp.Compare(a.Index, b.Index)
}

// Stems names the images of a domain: the pairing stem of the feature file
// (dataset.Stem), with "_<b>" for image b of a batch file holding several.
func Stems(d *dataset.Domain) []string {
	count := map[string]int{}
	for _, im := range d.Images {
		count[im.Features.Name]++
	}
	out := make([]string, len(d.Images))
	for k, im := range d.Images {
		out[k] = dataset.Stem(im.Features.Name)
		if count[im.Features.Name] > 1 {
			out[k] += "_" + strconv.Itoa(im.Batch)
		}
	}
	return out
}

// Thumbnail returns a small copy of a map for a list of images: one slice
// (the middle one of a volume), every s-th row and column of it with s the
// least step that makes both sides at most size (nearest neighbour, no
// averaging: each value is one of the map's). Its counts and Sum are the
// map's.
func (m *Map) Thumbnail(size int) *Map {
	size = max(size, 1)
	s := max((m.H+size-1)/size, (m.W+size-1)/size, 1)
	z := m.D / 2
	t := &Map{D: 1, H: (m.H + s - 1) / s, W: (m.W + s - 1) / s,
		Valid: m.Valid, Defined: m.Defined, Partial: m.Partial, Undefined: m.Undefined, Unseen: m.Unseen, NonFinite: m.NonFinite, Sum: m.Sum}
	t.Values = make([]float32, t.H*t.W)
	t.Labels = make([]int32, t.H*t.W)
	for y := 0; y < t.H; y++ {
		for x := 0; x < t.W; x++ {
			p := (z*m.H+y*s)*m.W + x*s
			t.Values[y*t.W+x], t.Labels[y*t.W+x] = m.Values[p], m.Labels[p]
		}
	}
	return t
}
