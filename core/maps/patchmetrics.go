package maps

import (
	"math"
	"slices"

	"github.com/otceseg/otceseg/core/metrics"
	"github.com/otceseg/otceseg/core/report"
)

// PatchMetrics are the scores of package metrics that have a patch map, in
// its display order. Each is a function of target features and target
// labels alone, so a patch's value is the score of the patch's target
// pixels (all target images' valid pixels in it, after the transform) as
// metrics.Compute scores a repetition's sampled target pixels: LEEP and NCE
// read the features as the source model's logits (probabilities after
// --transform softmax), LogME, H-score and GBC as embeddings. The
// zero-shot accuracy has none: it is two numbers of the argmax against the
// labels, a baseline rather than a transferability score.
//
// A patch needs at least two target pixels of at least two classes for any
// of them (metrics' rule); where a score is undefined its map is NaN. On a
// patch of few pixels the scores are those of a small sample: H-score, a
// ratio of between-class to total covariance, reaches its largest value
// (the number of classes − 1) once the patch holds no more pixels than
// channels + 1 (any labelling is then linearly separable).
var PatchMetrics = []string{"logme", "leep", "nce", "hscore", "gbc"}

// PatchScore is one score's patch map.
type PatchScore struct {
	// Name is the score's (one of PatchMetrics).
	Name string
	// Values is the Rows×Cols map, row-major; NaN where the score is
	// undefined.
	Values []float64
	// Undefined counts the patches where it is NaN; Reason says why for
	// the first of them ("patch (r, c): …").
	Undefined int
	Reason    string
}

// PatchOptions say what PatchesWith computes.
type PatchOptions struct {
	// Stride is the side s of the patches, in feature pixels.
	Stride int
	// Transform is the run's feature transform (otce.Transform): LEEP
	// reads the features as probabilities when it is "softmax".
	Transform string
	// Metrics are the other scores to map, names of PatchMetrics.
	Metrics []string
	// HScoreRcond and GBCDiagonal are the run's metrics.Options.
	HScoreRcond float64
	GBCDiagonal bool
	// Workers is the number of goroutines that score the patches (0:
	// GOMAXPROCS); the maps do not depend on it. Each holds one patch's
	// exact solve at a time (at most MaxPatchCosts costs).
	Workers int
	// Progress, when set, is called after each patch is read, with the
	// patches read so far and their number.
	Progress func(done, total int)
}

// PatchOptionsOf returns the patch options of a run's settings at stride
// s: the scores of s.Metrics (metrics.Select) that have a patch map, in
// PatchMetrics' order, with the run's transform and the scores' options,
// and the ones that would be computed but have no patch map (zeroshot).
func PatchOptionsOf(s report.Settings, stride int) (PatchOptions, []string, error) {
	o := PatchOptions{Stride: stride, Transform: s.Transform.String(), HScoreRcond: s.HScoreRcond, GBCDiagonal: s.GBCGaussian == "diagonal"}
	compute, _, err := metrics.Select(s.Metrics, s.SharedClasses)
	if err != nil {
		return o, nil, err
	}
	var unmapped []string
	for _, n := range compute {
		if slices.Contains(PatchMetrics, n) {
			o.Metrics = append(o.Metrics, n)
		} else {
			unmapped = append(unmapped, n)
		}
	}
	return o, unmapped, nil
}

// scoreMetrics sets patch k of every score of pm.Metrics from the patch's
// target pixels (xt n×dim float32 after the transform, yt their labels),
// NaN where a score is undefined, and returns why for each score (""
// where it has a value).
func (pm *PatchMap) scoreMetrics(k int, xt []float32, yt []int, dim int, o PatchOptions) []string {
	if len(pm.Metrics) == 0 {
		return nil
	}
	why := make([]string, len(pm.Metrics))
	if len(yt) == 0 {
		for i := range pm.Metrics {
			pm.Metrics[i].Values[k] = math.NaN()
			why[i] = "no valid target pixel"
		}
		return why
	}
	x := make([]float64, len(xt))
	for i, v := range xt {
		x[i] = float64(v)
	}
	labels := make([]int32, len(yt))
	for i, v := range yt {
		labels[i] = int32(v)
	}
	names := make([]string, len(pm.Metrics))
	for i, ps := range pm.Metrics {
		names[i] = ps.Name
	}
	vals, errs := metrics.Compute(names, x, dim, labels, metrics.Options{
		Probabilities: o.Transform == "softmax", HScoreRcond: o.HScoreRcond, GBCDiagonal: o.GBCDiagonal,
	})
	for i, ps := range pm.Metrics {
		if v, ok := vals[ps.Name]; ok {
			ps.Values[k] = v
		} else {
			ps.Values[k] = math.NaN()
			why[i] = errs[ps.Name]
		}
	}
	return why
}

// PatchHeat is a patch map in the form heat.Cell draws (the CLI's PNG and
// the page alike): H, the value to colour, runs from 0 (dark blue, the best
// end) to Top (yellow, the worst end); Labels is −1 where the patch has no
// valid target pixel (heat's "ignored") and 0 elsewhere, so that a NaN there
// is heat's "undefined"; Best and Worst are the map's values at the
// scale's two ends.
type PatchHeat struct {
	H           []float32
	Labels      []int32
	Top         float64
	Best, Worst float64
}

// Heat returns map name ("otce", or one of pm.Metrics) ready to draw, and
// false when pm has no such map. OTCE is drawn as −OTCE, the patch's
// H(Y_t|Y_s), on the pixel maps' scale [0, maxH]; a metric (higher is
// better, on a scale of its own) as max − v on [0, max − min], its largest
// finite value dark blue and its least yellow (Top is 1 when they are
// equal or there is none).
func (pm *PatchMap) Heat(name string, maxH float64) (PatchHeat, bool) {
	var values []float64
	if name == "otce" {
		values = pm.OTCE
	}
	for _, ps := range pm.Metrics {
		if ps.Name == name {
			values = ps.Values
		}
	}
	if values == nil {
		return PatchHeat{}, false
	}
	ph := PatchHeat{H: make([]float32, len(values)), Labels: make([]int32, len(values))}
	for k, n := range pm.Target {
		if n == 0 {
			ph.Labels[k] = -1
		}
	}
	if name == "otce" {
		ph.Top, ph.Best, ph.Worst = maxH, 0, -maxH
		for k, v := range values {
			ph.H[k] = -float32(v)
		}
		return ph, true
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo > hi {
		lo, hi = 0, 0
	}
	ph.Best, ph.Worst, ph.Top = hi, lo, hi-lo
	if !(ph.Top > 0) {
		ph.Top = 1
	}
	for k, v := range values {
		ph.H[k] = float32(hi - v)
	}
	return ph, true
}
