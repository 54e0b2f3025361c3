package maps

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
)

// PatchMap is the patch-wise transferability map of "Transferability
// Estimation for Semantic Segmentation Task" (Tan, Li, Huang): the feature
// grid (H×W, the same in every image of both domains) is cut into s×s
// patches, patch (r, c) covering rows [r·s, min(r·s+s, H)) and columns
// [c·s, min(c·s+s, W)), ⌈H/s⌉×⌈W/s⌉ of them. For each patch, the valid
// pixels of all target images in it are scored against the valid pixels of
// all source images in the same patch by OTCE with the exact plan (uniform
// weights, squared Euclidean cost; the plan does not depend on the cost's
// normalisation): OTCE = Σ_ab P(a, b) log P(b|a). The other scores
// (Metrics, PatchMetrics) score the patch's target pixels alone.
type PatchMap struct {
	Stride, Rows, Cols int
	// OTCE is the Rows×Cols map, NaN where a side has no valid pixel.
	OTCE []float64
	// Source and Target count the valid pixels of each patch.
	Source, Target []int
	// Metrics are the maps of the other scores asked for
	// (PatchOptions.Metrics), in that order.
	Metrics []PatchScore
}

// MaxPatchCosts bounds the number of costs (source × target pixels) of one
// patch: the exact solver of unequal sides holds them densely (4 bytes
// each, 100 MB here).
const MaxPatchCosts = 25_000_000

// Patches computes the patch-wise OTCE map of the two domains with stride
// s, the features transformed as the sampler transforms them: PatchesWith
// without other scores.
func Patches(ctx context.Context, src, tgt *dataset.Domain, s int, transform string) (*PatchMap, error) {
	return PatchesWith(ctx, src, tgt, PatchOptions{Stride: s, Transform: transform})
}

// PatchesWith computes the patch-wise maps of the two domains: OTCE and
// the scores of o.Metrics, the features transformed as the sampler
// transforms them. Pixels with non-finite features are left out.
func PatchesWith(ctx context.Context, src, tgt *dataset.Domain, o PatchOptions) (*PatchMap, error) {
	s := o.Stride
	if s <= 0 {
		return nil, fmt.Errorf("maps: the patch stride must be positive, got %d", s)
	}
	for _, name := range o.Metrics {
		if !slices.Contains(PatchMetrics, name) {
			return nil, fmt.Errorf("maps: %q has no patch map (want one of %v)", name, PatchMetrics)
		}
	}
	h, w, err := PatchGrid(src, tgt)
	if err != nil {
		return nil, err
	}
	pm := &PatchMap{Stride: s, Rows: (h + s - 1) / s, Cols: (w + s - 1) / s}
	n := pm.Rows * pm.Cols
	pm.OTCE, pm.Source, pm.Target = make([]float64, n), make([]int, n), make([]int, n)
	for _, name := range o.Metrics {
		pm.Metrics = append(pm.Metrics, PatchScore{Name: name, Values: make([]float64, n)})
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// The files are read in this goroutine, patch after patch; the patches
	// are scored by the workers, each into its own slots (the reasons
	// too), so that the map does not depend on their number.
	type job struct {
		k, r, c int
		xs, xt  []float32
		ys, yt  []int
	}
	reasons := make([][]string, n)
	errs := make([]error, n)
	jobs := make(chan job, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jb := range jobs {
				if ctx.Err() != nil {
					continue
				}
				reasons[jb.k] = pm.scoreMetrics(jb.k, jb.xt, jb.yt, tgt.Dim, o)
				errs[jb.k] = pm.scoreOTCE(ctx, jb.k, jb.r, jb.c, jb.xs, jb.ys, jb.xt, jb.yt, src.Dim)
			}
		}()
	}
	read := func() error {
		defer close(jobs)
		for r := 0; r < pm.Rows; r++ {
			for c := 0; c < pm.Cols; c++ {
				if err := ctx.Err(); err != nil {
					return err
				}
				var pos []int
				for y := r * s; y < min(r*s+s, h); y++ {
					for x := c * s; x < min(c*s+s, w); x++ {
						pos = append(pos, y*w+x)
					}
				}
				xs, ys, err := patchPixels(src, pos, o.Transform)
				if err != nil {
					return err
				}
				xt, yt, err := patchPixels(tgt, pos, o.Transform)
				if err != nil {
					return err
				}
				k := r*pm.Cols + c
				pm.Source[k], pm.Target[k] = len(ys), len(yt)
				if int64(len(ys))*int64(len(yt)) > MaxPatchCosts {
					return fmt.Errorf("maps: patch (%d, %d) holds %d source and %d target pixels, more than the %d costs an exact patch solve may hold: use fewer images or a smaller --patch", r, c, len(ys), len(yt), MaxPatchCosts)
				}
				jobs <- job{k, r, c, xs, xt, ys, yt}
				if o.Progress != nil {
					o.Progress(k+1, n)
				}
			}
		}
		return nil
	}
	err = read()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for k := range n {
		if errs[k] != nil {
			return nil, errs[k]
		}
		for i, why := range reasons[k] {
			if why == "" {
				continue
			}
			ps := &pm.Metrics[i]
			if ps.Undefined == 0 {
				ps.Reason = fmt.Sprintf("patch (%d, %d): %s", k/pm.Cols, k%pm.Cols, why)
			}
			ps.Undefined++
		}
	}
	return pm, nil
}

// scoreOTCE sets the OTCE of patch k = (r, c) from its source and target
// pixels (NaN when a side has none).
func (pm *PatchMap) scoreOTCE(ctx context.Context, k, r, c int, xs []float32, ys []int, xt []float32, yt []int, dim int) error {
	if len(ys) == 0 || len(yt) == 0 {
		pm.OTCE[k] = math.NaN()
		return nil
	}
	ce, err := exactCE(ctx, xs, ys, xt, yt, dim)
	if err != nil {
		return fmt.Errorf("maps: patch (%d, %d): %w", r, c, err)
	}
	pm.OTCE[k] = -ce
	return nil
}

// PatchGrid checks that the domains' feature maps suit patch maps (2-D, one
// size, the same channels) and returns their size.
func PatchGrid(src, tgt *dataset.Domain) (h, w int, err error) {
	h, w = -1, -1
	for _, d := range []*dataset.Domain{src, tgt} {
		for _, im := range d.Images {
			if im.D > 1 || im.Layout == "nc" {
				return 0, 0, fmt.Errorf("maps: patch maps need 2-D feature maps; %s is %s", im.Features.Name, im.Layout)
			}
			if h < 0 {
				h, w = im.H, im.W
			}
			if im.H != h || im.W != w {
				return 0, 0, fmt.Errorf("maps: patch maps need feature maps of one size; %s is %d×%d, another %d×%d", im.Features.Name, im.H, im.W, h, w)
			}
		}
	}
	if src.Dim != tgt.Dim {
		return 0, 0, fmt.Errorf("maps: source features have %d channels, target %d", src.Dim, tgt.Dim)
	}
	return h, w, nil
}

// patchPixels gathers the valid pixels at the given positions of every
// image of the domain (image after image, positions ascending): their
// transformed features and label values.
func patchPixels(d *dataset.Domain, pos []int, transform string) ([]float32, []int, error) {
	var xs []float32
	var ys []int
	dim := d.Dim
	for _, im := range d.Images {
		var pix []int
		for _, p := range pos {
			if _, ok := im.Label(p); ok {
				pix = append(pix, p)
			}
		}
		if len(pix) == 0 {
			continue
		}
		raw := make([]float64, len(pix)*dim)
		if err := im.Gather(pix, raw); err != nil {
			return nil, nil, err
		}
		for i, p := range pix {
			row := raw[i*dim : (i+1)*dim]
			if slices.ContainsFunc(row, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 }) {
				continue
			}
			l, _ := im.Label(p)
			ys = append(ys, l)
			for _, v := range row {
				xs = append(xs, float32(v))
			}
		}
	}
	return xs, ys, otce.Transform(transform, xs, dim)
}

// exactCE returns H(Y_t|Y_s) of the exact plan between two point sets.
func exactCE(ctx context.Context, xs []float32, ys []int, xt []float32, yt []int, dim int) (float64, error) {
	toInt32 := func(y []int) []int32 {
		out := make([]int32, len(y))
		for i, v := range y {
			out[i] = int32(v)
		}
		return out
	}
	p, _, _ := ot.NewLabeledProblem(xs, toInt32(ys), xt, toInt32(yt), dim)
	if err := p.Validate(); err != nil {
		return 0, err
	}
	sol, err := ot.Solve(ctx, ot.NewLocalBlocks(p, 1), p, ot.Params{Exact: true, CostNorm: ot.NormNone, Tol: 1, MaxIter: 1})
	if err != nil {
		return 0, err
	}
	if math.IsNaN(sol.CE) {
		return 0, errors.New("the exact plan has no mass")
	}
	return sol.CE, nil
}
