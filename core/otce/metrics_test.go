package otce

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/otceseg/otceseg/core/metrics"
	"github.com/otceseg/otceseg/core/ot"
)

// TestMetricsOnTargetPixels: the other scores of a candidate are those of
// each repetition's sampled target pixels after the transform, the same
// numbers in Sample.Metrics, its Brief copy (what the page's workers pass
// on) and the report.
func TestMetricsOnTargetPixels(t *testing.T) {
	c := DemoCandidates()[2]
	s := DefaultSettings()
	s.N, s.K, s.Transform = 400, 2, "l2"
	var samples []*Sample
	r := ScoreWith(context.Background(), c, s, Options{OnSample: func(smp *Sample) error {
		samples = append(samples, smp.Brief())
		p := smp.Problem
		x := make([]float64, len(p.Xt))
		for i, v := range p.Xt {
			x[i] = float64(v)
		}
		y := make([]int32, p.M)
		for i, k := range p.Yt {
			y[i] = int32(smp.TargetClasses[k])
		}
		want, err := metrics.LogME(x, p.D, y)
		if err != nil || math.Abs(smp.Metrics["logme"]-want) > 1e-9*math.Abs(want) {
			t.Errorf("rep %d: Sample.Metrics logme %v, on the solver's target pixels %v (%v)", smp.Rep, smp.Metrics["logme"], want, err)
		}
		return nil
	}})
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	for _, k := range []string{"logme", "leep", "nce", "hscore", "gbc"} {
		m, ok := r.Metrics[k]
		if !ok || len(m.Each) != s.K {
			t.Fatalf("%s missing from the report: %v (warnings %q)", k, r.Metrics, r.Warnings)
		}
		mean, std := meanStd(m.Each)
		if m.Mean != mean || m.Std != std || std == 0 {
			t.Errorf("%s: mean %v std %v of %v", k, m.Mean, m.Std, m.Each)
		}
		for rep, smp := range samples {
			if smp.Metrics[k] != m.Each[rep] {
				t.Errorf("%s rep %d: brief sample %v, report %v", k, rep, smp.Metrics[k], m.Each[rep])
			}
		}
	}
	if strings.Join(r.MetricsNotApplicable, ",") != "zeroshot" {
		t.Errorf("not applicable: %v", r.MetricsNotApplicable)
	}
	if _, ok := r.Metrics[metrics.ZeroShotAcc]; ok {
		t.Error("zero-shot accuracy without shared classes")
	}
}

// TestMetricsSettings: the list is checked, a subset computes only what it
// names, and a score that fails is left out with a warning.
func TestMetricsSettings(t *testing.T) {
	s := DefaultSettings()
	s.Metrics = "logme,leap"
	if err := CheckSettings(s); err == nil || !strings.Contains(err.Error(), `unknown score "leap"`) {
		t.Errorf("CheckSettings: %v", err)
	}
	c := DemoCandidates()[0]
	s.N, s.K, s.Metrics, s.SharedClasses = 300, 1, "nce,zeroshot", true
	r := Score(context.Background(), c, s, 0, nil)
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	_, nce := r.Metrics["nce"]
	_, acc := r.Metrics[metrics.ZeroShotAcc]
	_, miou := r.Metrics[metrics.ZeroShotMIoU]
	if !nce || !acc || !miou || len(r.Metrics) != 3 || r.MetricsNotApplicable != nil {
		t.Errorf("metrics %v (n/a %v), want nce and the zero-shot pair", r.Metrics, r.MetricsNotApplicable)
	}
}

// TestMetricFailureLeftOut: a score that fails in one repetition is left
// out of the report, with one warning per reason, and the others stay.
func TestMetricFailureLeftOut(t *testing.T) {
	s := DefaultSettings()
	sm := NewSummary(Candidate{Name: "x"}, nil, s)
	p := &ot.Problem{N: 1, M: 1, D: 1, La: 1, Lb: 1, Ys: []int32{0}, Yt: []int32{0}}
	sol := &ot.Solution{Joint: []float64{1}, Converged: true, CostMedian: 1}
	sm.Add(&Sample{Rep: 0, Problem: p, Metrics: map[string]float64{"logme": 1, "gbc": -1}}, sol)
	sm.Add(&Sample{Rep: 1, Problem: p, Metrics: map[string]float64{"logme": 2}, MetricErrors: map[string]string{"gbc": "only 1 target class"}}, sol)
	r := sm.Result()
	if _, ok := r.Metrics["gbc"]; ok || r.Metrics["logme"].Mean != 1.5 || r.Metrics["logme"].Std != math.Sqrt(0.5) {
		t.Errorf("metrics %v", r.Metrics)
	}
	n := 0
	for _, w := range r.Warnings {
		if strings.Contains(w, "not computed") {
			n++
		}
	}
	if n != 1 || r.Warnings[0] != "gbc not computed: only 1 target class" {
		t.Errorf("warnings %q", r.Warnings)
	}
}
