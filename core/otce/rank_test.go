package otce

import (
	"math"
	"strings"
	"testing"

	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/core/stats"
)

func rankCands() []report.Candidate {
	acc := func(v float64) *float64 { return &v }
	mk := func(name string, otce, logme, wd float64, a *float64) report.Candidate {
		return report.Candidate{Name: name, OTCEMean: otce, CE: []float64{-otce}, WD: []float64{wd, wd + 2}, Accuracy: a,
			Metrics: map[string]report.Metric{"logme": {Mean: logme, Each: []float64{logme}}}}
	}
	return []report.Candidate{
		mk("a", -0.5, 0.1, 10, acc(60)),
		mk("b", -0.4, 0.3, 12, acc(70)),
		mk("c", -0.9, 0.2, 8, acc(65)),
		mk("d", -0.2, 0.05, 9, acc(50)),
		mk("e", -0.3, 0.4, 11, nil),
		{Name: "f", Error: "broken", Accuracy: acc(40)},
	}
}

// TestRankByMetric: every score gets its correlations, the best one is
// named, and --by orders by it.
func TestRankByMetric(t *testing.T) {
	cands := rankCands()
	r, err := RankBy(cands, DefaultSettings(), "logme")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range r.Candidates {
		names = append(names, c.Name)
	}
	if strings.Join(names, "") != "ebcadf" || r.By != "logme" {
		t.Errorf("by logme: %v (by %q)", names, r.By)
	}
	x, y := []float64{0.1, 0.3, 0.2, 0.05}, []float64{60, 70, 65, 50}
	lc := r.Correlations["logme"]
	if lc.Count != 4 || lc.Pearson != stats.Pearson(x, y) || lc.Spearman != 1 || lc.Kendall != 1 {
		t.Errorf("logme correlation %+v", lc)
	}
	oc := r.Correlations["otce"]
	if r.Correlation == nil || *r.Correlation != oc || oc.Spearman != stats.Spearman([]float64{-0.5, -0.4, -0.9, -0.2}, y) {
		t.Errorf("otce correlation %+v / %+v", oc, r.Correlation)
	}
	if r.BestMetric != "logme" {
		t.Errorf("best %q", r.BestMetric)
	}
	if _, err := RankBy(cands, DefaultSettings(), "leap"); err == nil || !strings.Contains(err.Error(), `--by: unknown score "leap"`) {
		t.Errorf("unknown --by: %v", err)
	}
	if r := Rank(cands, DefaultSettings()); r.Candidates[0].Name != "d" || r.By != "" {
		t.Errorf("Rank by OTCE: first %s", r.Candidates[0].Name)
	}
}

// TestFitAccuracy: the fit is stats.Fit on the candidates with an
// accuracy; the others get a prediction and interval, the failed one a
// reason; too few candidates are refused.
func TestFitAccuracy(t *testing.T) {
	r := Rank(rankCands(), DefaultSettings())
	f, err := FitAccuracy(r, "logme")
	if err != nil {
		t.Fatal(err)
	}
	lf, _ := stats.Fit([][]float64{{0.05}, {0.1}, {0.2}, {0.3}}, []float64{50, 60, 65, 70})
	if f.Count != 4 || math.Abs(f.Lambda[0]-lf.Lambda[0]) > 1e-9 || math.Abs(f.B-lf.B) > 1e-9 {
		t.Errorf("fit %+v, stats.Fit %+v", f, lf)
	}
	preds := map[string]report.Prediction{}
	for _, p := range f.Predictions {
		preds[p.Name] = p
	}
	e := preds["e"]
	if e.Predicted == nil || math.Abs(*e.Predicted-lf.Predict([]float64{0.4})) > 1e-9 || math.Abs((*e.High-*e.Predicted)-(*e.Predicted-*e.Low)) > 1e-9 || math.Abs(*e.High-*e.Predicted-lf.Interval([]float64{0.4})) > 1e-9 || !(*e.High > *e.Predicted) {
		t.Errorf("prediction for e: %+v", e)
	}
	if preds["a"].LOO == nil || preds["f"].Error != "the candidate failed" || len(preds) != 6 {
		t.Errorf("predictions %+v", preds)
	}
	if _, err := FitAccuracy(r, "wd,wt,logme"); err == nil || !strings.Contains(err.Error(), "needs at least 5") {
		t.Errorf("3 scores on 4 candidates: %v", err)
	}
	if f, err := FitAccuracy(r, DefaultFitScores); err != nil || strings.Join(f.Scores, ",") != "wd,wt" {
		t.Errorf("default scores: %v %v", f, err)
	}
	few := Rank(rankCands()[:2], DefaultSettings())
	if _, err := FitAccuracy(few, "otce"); err == nil || !strings.Contains(err.Error(), "2 candidates have a known accuracy") {
		t.Errorf("2 candidates: %v", err)
	}
}
