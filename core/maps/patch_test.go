package maps

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/heat"
	"github.com/otceseg/otceseg/core/metrics"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/settings"
)

func openFixture(t *testing.T, side string) *dataset.Domain {
	t.Helper()
	file := func(name string) dataset.File {
		b, err := os.ReadFile(filepath.Join("testdata", "patch", name))
		if err != nil {
			t.Fatal(err)
		}
		return dataset.NewMemFile(name, b)
	}
	d, err := dataset.Open(side, []dataset.File{file(side + "_features.npy")}, []dataset.File{file(side + "_labels.npy")}, dataset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPatchesMatchPOT compares the patch-wise maps with the independent
// NumPy + POT (ot.emd) implementation of scripts/maps_reference.py: OTCE
// to 1e-9, and the other scores' maps (the formulas of
// scripts/metrics_reference.py on each patch's target pixels) to 1e-9
// relative, NaN exactly where the reference has no score.
func TestPatchesMatchPOT(t *testing.T) {
	var want struct {
		Strides map[string]struct {
			Rows, Cols     int
			OTCE           []*float64
			Source, Target []int
			Metrics        map[string][]*float64
		}
	}
	b, err := os.ReadFile(filepath.Join("testdata", "patch", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	src, tgt := openFixture(t, "source"), openFixture(t, "target")
	if len(want.Strides) == 0 {
		t.Fatal("no strides in expected.json")
	}
	for key, w := range want.Strides {
		s, _ := strconv.Atoi(key)
		if len(w.Metrics) != len(PatchMetrics) {
			t.Fatalf("stride %d: expected.json maps %d scores, want the %d of PatchMetrics", s, len(w.Metrics), len(PatchMetrics))
		}
		pm, err := PatchesWith(context.Background(), src, tgt, PatchOptions{Stride: s, Transform: "none", Metrics: PatchMetrics, HScoreRcond: 1e-15})
		if err != nil {
			t.Fatal(err)
		}
		if pm.Rows != w.Rows || pm.Cols != w.Cols || len(w.OTCE) != w.Rows*w.Cols {
			t.Fatalf("stride %d: %d×%d patches, want %d×%d", s, pm.Rows, pm.Cols, w.Rows, w.Cols)
		}
		worst := 0.0
		for k, v := range w.OTCE {
			if pm.Source[k] != w.Source[k] || pm.Target[k] != w.Target[k] {
				t.Errorf("stride %d patch %d: %d and %d pixels, want %d and %d", s, k, pm.Source[k], pm.Target[k], w.Source[k], w.Target[k])
			}
			if v == nil {
				if !math.IsNaN(pm.OTCE[k]) {
					t.Errorf("stride %d patch %d: OTCE %v, want NaN", s, k, pm.OTCE[k])
				}
				continue
			}
			worst = math.Max(worst, math.Abs(pm.OTCE[k]-*v))
		}
		t.Logf("stride %d: largest |Δ| %.2g over %d patches", s, worst, len(w.OTCE))
		if worst > 1e-9 {
			t.Errorf("stride %d: the patch map differs from POT's by %.2g", s, worst)
		}
		for i, ps := range pm.Metrics {
			wv := w.Metrics[ps.Name]
			if ps.Name != PatchMetrics[i] || len(wv) != len(ps.Values) {
				t.Fatalf("stride %d: map %d is %s of %d patches, want %s of %d", s, i, ps.Name, len(ps.Values), PatchMetrics[i], len(wv))
			}
			worst, nan := 0.0, 0
			for k, v := range wv {
				if v == nil {
					nan++
					if !math.IsNaN(ps.Values[k]) {
						t.Errorf("stride %d %s patch %d: %v, want NaN (the reference has no score)", s, ps.Name, k, ps.Values[k])
					}
					continue
				}
				worst = math.Max(worst, math.Abs(ps.Values[k]-*v)/math.Max(1, math.Abs(*v)))
			}
			t.Logf("stride %d %s: largest relative |Δ| %.2g, %d undefined (%s)", s, ps.Name, worst, ps.Undefined, ps.Reason)
			if worst > 1e-9 || ps.Undefined != nan {
				t.Errorf("stride %d %s: differs from NumPy's by %.2g (relative), %d undefined patches, want %d", s, ps.Name, worst, ps.Undefined, nan)
			}
		}
	}
}

// memDomain is a one-image domain of c×h×w float32 features and h×w uint8
// labels (255 ignored).
func memDomain(t *testing.T, side string, c, h, w int, feats []float32, labels []uint8) *dataset.Domain {
	t.Helper()
	fb, err := arrays.EncodeNPY([]int{1, c, h, w}, "<f4", feats)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := arrays.EncodeNPY([]int{1, h, w}, "|u1", labels)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dataset.Open(side, []dataset.File{dataset.NewMemFile(side+"_f.npy", fb)}, []dataset.File{dataset.NewMemFile(side+"_l.npy", lb)}, dataset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPatchMetricsUndefined: a patch without target pixels, or with one
// target class, has NaN scores counted in Undefined with the first reason,
// and draws as heat's ignored (no target pixel) or undefined cell; the
// metric's heat scale runs from its largest value (0) to its least.
func TestPatchMetricsUndefined(t *testing.T) {
	const c, h, w = 3, 4, 4
	feats := make([]float32, c*h*w)
	for k := range feats {
		feats[k] = float32(math.Sin(float64(7*k + 1)))
	}
	// Patch (0, 0) ignored in the target, patch (0, 1) one class, the
	// lower patches two classes.
	lt := []uint8{255, 255, 1, 1, 255, 255, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0}
	ls := []uint8{0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0}
	src, tgt := memDomain(t, "source", c, h, w, feats, ls), memDomain(t, "target", c, h, w, feats, lt)
	pm, err := PatchesWith(context.Background(), src, tgt, PatchOptions{Stride: 2, Transform: "none", Metrics: []string{"leep", "logme"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ps := range pm.Metrics {
		if !math.IsNaN(ps.Values[0]) || !math.IsNaN(ps.Values[1]) || math.IsNaN(ps.Values[2]) || math.IsNaN(ps.Values[3]) {
			t.Errorf("%s: %v, want NaN in the two upper patches only", ps.Name, ps.Values)
		}
		if ps.Undefined != 2 || !strings.HasPrefix(ps.Reason, "patch (0, 0): no valid target pixel") {
			t.Errorf("%s: %d undefined (%q), want 2, the first without target pixels", ps.Name, ps.Undefined, ps.Reason)
		}
		ph, ok := pm.Heat(ps.Name, 1)
		if !ok || ph.Labels[0] != -1 || ph.Labels[1] != 0 || !heat.IsIgnored(ph.H[0], ph.Labels[0]) || heat.IsIgnored(ph.H[1], ph.Labels[1]) {
			t.Errorf("%s heat: labels %v, H %v", ps.Name, ph.Labels, ph.H)
		}
		lo, hi := math.Min(ps.Values[2], ps.Values[3]), math.Max(ps.Values[2], ps.Values[3])
		if ph.Best != hi || ph.Worst != lo || ph.Top != hi-lo || min(ph.H[2], ph.H[3]) != 0 || max(ph.H[2], ph.H[3]) != float32(hi-lo) {
			t.Errorf("%s heat: best %v worst %v top %v H %v, want %v %v", ps.Name, ph.Best, ph.Worst, ph.Top, ph.H, hi, lo)
		}
	}
	if _, ok := pm.Heat("gbc", 1); ok {
		t.Error("a heat map of a score not computed")
	}
	if _, err := PatchesWith(context.Background(), src, tgt, PatchOptions{Stride: 2, Metrics: []string{"zeroshot"}}); err == nil {
		t.Error("zeroshot mapped per patch")
	}
}

// TestPatchOptionsOf: the run's scores that have a patch map, in
// PatchMetrics' order, and the zero-shot accuracy as unmapped.
func TestPatchOptionsOf(t *testing.T) {
	s := settings.Default()
	s.Metrics, s.SharedClasses, s.Transform, s.GBCGaussian = "zeroshot,gbc,leep", true, "softmax", "diagonal"
	o, unmapped, err := PatchOptionsOf(s, 4)
	if err != nil || !slices.Equal(o.Metrics, []string{"leep", "gbc"}) || !slices.Equal(unmapped, []string{"zeroshot"}) ||
		o.Stride != 4 || o.Transform != "softmax" || !o.GBCDiagonal || o.HScoreRcond != s.HScoreRcond {
		t.Errorf("%+v %v %v", o, unmapped, err)
	}
	s.Metrics = "leep,bogus"
	if _, _, err := PatchOptionsOf(s, 4); err == nil {
		t.Error("an unknown score accepted")
	}
}

// TestPatchMetricsSoftmax: with --transform softmax the patch's target
// pixels are transformed as the sampler transforms them and LEEP reads
// them as probabilities (metrics.Options.Probabilities), as in a run.
func TestPatchMetricsSoftmax(t *testing.T) {
	src, tgt := openFixture(t, "source"), openFixture(t, "target")
	pm, err := PatchesWith(context.Background(), src, tgt, PatchOptions{Stride: 4, Transform: "softmax", Metrics: []string{"leep", "nce"}})
	if err != nil {
		t.Fatal(err)
	}
	_, w, _ := PatchGrid(src, tgt)
	var pos []int
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			pos = append(pos, y*w+x)
		}
	}
	xt, yt, err := patchPixels(tgt, pos, "none")
	if err != nil {
		t.Fatal(err)
	}
	if err := otce.Transform("softmax", xt, tgt.Dim); err != nil {
		t.Fatal(err)
	}
	x := make([]float64, len(xt))
	for i, v := range xt {
		x[i] = float64(v)
	}
	y := make([]int32, len(yt))
	for i, v := range yt {
		y[i] = int32(v)
	}
	leep, err := metrics.LEEP(x, tgt.Dim, y, true)
	if err != nil {
		t.Fatal(err)
	}
	twice, _ := metrics.LEEP(x, tgt.Dim, y, false)
	if pm.Metrics[0].Values[0] != leep || leep == twice {
		t.Errorf("patch (0, 0): LEEP %v, want %v (the probabilities as given; softmax applied twice gives %v)", pm.Metrics[0].Values[0], leep, twice)
	}
}

// BenchmarkPatchMetrics maps OTCE alone and with the five other scores at
// d = 256 (4 images of 32×32 per domain, stride 4: 64 patches of 64
// pixels a side): the scores' two eigendecompositions per patch (n×n
// here, since a patch's 64 pixels are fewer than its 256 channels)
// against the exact solves.
func BenchmarkPatchMetrics(b *testing.B) {
	const c, h, w, imgs = 256, 32, 32, 4
	rng := uint64(1)
	next := func() float64 {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return float64(rng>>11)/(1<<53) - 0.5
	}
	domain := func(side string) *dataset.Domain {
		feats := make([]float32, imgs*c*h*w)
		labels := make([]uint8, imgs*h*w)
		for i := range labels {
			labels[i] = uint8((i/3 + i/(3*w)) % 5)
		}
		for i := range feats {
			im, p := i/(c*h*w), i%(h*w)
			feats[i] = float32(next() + 0.3*float64(labels[im*h*w+p]))
		}
		fb, _ := arrays.EncodeNPY([]int{imgs, c, h, w}, "<f4", feats)
		lb, _ := arrays.EncodeNPY([]int{imgs, h, w}, "|u1", labels)
		d, err := dataset.Open(side, []dataset.File{dataset.NewMemFile(side+"_f.npy", fb)}, []dataset.File{dataset.NewMemFile(side+"_l.npy", lb)}, dataset.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	src, tgt := domain("source"), domain("target")
	for _, bc := range []struct {
		name    string
		metrics []string
	}{{"otce", nil}, {"otce+5", PatchMetrics}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := PatchesWith(context.Background(), src, tgt, PatchOptions{Stride: 4, Transform: "none", Metrics: bc.metrics}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPatchesWorkers: the maps, the counts and the reasons do not depend
// on the number of goroutines; Progress counts every patch once.
func TestPatchesWorkers(t *testing.T) {
	src, tgt := openFixture(t, "source"), openFixture(t, "target")
	var got []*PatchMap
	for _, workers := range []int{1, 4} {
		calls, last := 0, 0
		pm, err := PatchesWith(context.Background(), src, tgt, PatchOptions{Stride: 2, Transform: "none", Metrics: PatchMetrics, Workers: workers,
			Progress: func(done, _ int) { calls++; last = done }})
		if err != nil {
			t.Fatal(err)
		}
		if calls != pm.Rows*pm.Cols || last != calls {
			t.Errorf("%d workers: %d progress calls, the last at %d, want %d", workers, calls, last, pm.Rows*pm.Cols)
		}
		got = append(got, pm)
	}
	a, b := got[0], got[1]
	same := func(x, y []float64) bool {
		return slices.EqualFunc(x, y, func(u, v float64) bool {
			return math.Float64bits(u) == math.Float64bits(v) || (math.IsNaN(u) && math.IsNaN(v))
		})
	}
	if !same(a.OTCE, b.OTCE) {
		t.Errorf("OTCE: %v with 1 worker, %v with 4", a.OTCE, b.OTCE)
	}
	for i := range a.Metrics {
		x, y := a.Metrics[i], b.Metrics[i]
		if !same(x.Values, y.Values) || x.Undefined != y.Undefined || x.Reason != y.Reason || x.Undefined == 0 {
			t.Errorf("%s: %d undefined (%q) with 1 worker, %d (%q) with 4, or the values differ", x.Name, x.Undefined, x.Reason, y.Undefined, y.Reason)
		}
	}
}
