package otce

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/otceseg/otceseg/core/metrics"
	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/core/stats"
)

// Rank orders candidates by OTCE, best first (failed candidates last, in
// their given order), and, when at least three scored candidates have a
// known accuracy, adds Pearson's r, Spearman's ρ and Kendall's τ between
// OTCE and accuracy, and those of every other score. Each candidate's Rank
// is its 1-based place.
func Rank(cands []report.Candidate, s report.Settings) report.Ranking {
	r, _ := RankBy(cands, s, "otce")
	return r
}

// ScoreKeys are the keys a ranking or a fit can use, in display order:
// otce, the other scores of core/metrics, and the OT's parts wd (W_D, the
// mean OT cost) and wt (W_T = H(Y_t|Y_s), the conditional entropy CE;
// OTCE = −W_T).
var ScoreKeys = append(append([]string{"otce"}, report.MetricKeys...), "wd", "wt")

// ScoreKey resolves a user's score name: a ScoreKey, or "zeroshot" (the
// zero-shot mIoU) or "ce" (= wt).
func ScoreKey(name string) (string, error) {
	k := strings.ToLower(strings.TrimSpace(name))
	switch k {
	case "zeroshot":
		k = metrics.ZeroShotMIoU
	case "ce":
		k = "wt"
	}
	if !slices.Contains(ScoreKeys, k) {
		return "", fmt.Errorf("unknown score %q: want one of %s (or zeroshot, ce)", name, strings.Join(ScoreKeys, ", "))
	}
	return k, nil
}

// ScoreOf returns a candidate's mean score by key, when it has one.
func ScoreOf(c report.Candidate, key string) (float64, bool) {
	if c.Error != "" {
		return 0, false
	}
	switch key {
	case "otce":
		return c.OTCEMean, len(c.CE) > 0
	case "wd", "wt":
		x := c.WD
		if key == "wt" {
			x = c.CE
		}
		if len(x) == 0 {
			return 0, false
		}
		m, _ := meanStd(x)
		return m, true
	}
	m, ok := c.Metrics[key]
	return m.Mean, ok
}

// RankBy is Rank ordered by the score by (a name ScoreKey accepts): the
// candidates with that score first, best (highest) first, then the scored
// ones without it, then the failed ones, each in their given order.
func RankBy(cands []report.Candidate, s report.Settings, by string) (report.Ranking, error) {
	key, err := ScoreKey(by)
	if err != nil {
		return report.Ranking{}, fmt.Errorf("--by: %v", err)
	}
	out := make([]report.Candidate, len(cands))
	copy(out, cands)
	group := func(c report.Candidate) int {
		if c.Error != "" {
			return 2
		}
		if _, ok := ScoreOf(c, key); !ok {
			return 1
		}
		return 0
	}
	sort.SliceStable(out, func(a, b int) bool {
		ga, gb := group(out[a]), group(out[b])
		if ga != gb || ga != 0 {
			return ga < gb
		}
		va, _ := ScoreOf(out[a], key)
		vb, _ := ScoreOf(out[b], key)
		return va > vb
	})
	for i := range out {
		out[i].Rank = i + 1 // as the table's and the CSV's rank column
	}
	r := report.Ranking{Candidates: out, Settings: s}
	if key != "otce" {
		r.By = key
	}
	for _, k := range ScoreKeys {
		if k == "wd" || k == "wt" {
			continue
		}
		if c := correlation(out, k); c != nil {
			if r.Correlations == nil {
				r.Correlations = map[string]report.Correlation{}
			}
			r.Correlations[k] = *c
			if k == "otce" {
				r.Correlation = c
			}
		}
	}
	best := ""
	for _, k := range ScoreKeys {
		c, ok := r.Correlations[k]
		if !ok {
			continue
		}
		if b, have := r.Correlations[best]; best == "" || !have || c.Spearman > b.Spearman || (c.Spearman == b.Spearman && c.Pearson > b.Pearson) {
			best = k
		}
	}
	if len(r.Correlations) > 1 {
		r.BestMetric = best
	}
	return r, nil
}

// correlation is key's correlation with the accuracies over the candidates
// that have both, when there are at least three and it is finite.
func correlation(cands []report.Candidate, key string) *report.Correlation {
	var x, y []float64
	for _, c := range cands {
		if v, ok := ScoreOf(c, key); ok && c.Accuracy != nil {
			x = append(x, v)
			y = append(y, *c.Accuracy)
		}
	}
	if len(x) < 3 {
		return nil
	}
	c := report.Correlation{Pearson: stats.Pearson(x, y), Spearman: stats.Spearman(x, y), Kendall: stats.Kendall(x, y), Count: len(x)}
	if !finite(c.Pearson) || !finite(c.Spearman) || !finite(c.Kendall) {
		return nil
	}
	return &c
}

// DefaultFitScores are the original OTCE paper's regressors: W_D and W_T.
const DefaultFitScores = "wd,wt"

// FitAccuracy fits accuracy ≈ λ·scores + b (stats.Fit) on the candidates
// of r with a known accuracy and every score of the comma-separated list,
// and predicts the accuracy of the others, with a 95 % prediction
// interval. It refuses below 3 such candidates or p + 2 of them.
func FitAccuracy(r report.Ranking, scoreList string) (*report.Fit, error) {
	var keys []string
	for _, f := range strings.Split(scoreList, ",") {
		k, err := ScoreKey(f)
		if err != nil {
			return nil, fmt.Errorf("--fit-scores: %v", err)
		}
		if slices.Contains(keys, k) {
			return nil, fmt.Errorf("--fit-scores: %s given twice", k)
		}
		keys = append(keys, k)
	}
	row := func(c report.Candidate) ([]float64, string) {
		x := make([]float64, len(keys))
		for i, k := range keys {
			v, ok := ScoreOf(c, k)
			if !ok {
				if c.Error != "" {
					return nil, "the candidate failed"
				}
				return nil, fmt.Sprintf("no %s score", k)
			}
			x[i] = v
		}
		return x, ""
	}
	var xs [][]float64
	var ys []float64
	var fitted []report.Candidate
	for _, c := range r.Candidates {
		if c.Accuracy == nil {
			continue
		}
		if x, _ := row(c); x != nil {
			xs, ys, fitted = append(xs, x), append(ys, *c.Accuracy), append(fitted, c)
		}
	}
	if len(xs) < 3 || len(xs) < len(keys)+2 {
		return nil, fmt.Errorf("--fit: %d candidates have a known accuracy and every score of %s: fitting %d scores and an intercept needs at least %d", len(xs), strings.Join(keys, ","), len(keys), max(3, len(keys)+2))
	}
	lf, err := stats.Fit(xs, ys)
	if err != nil {
		return nil, fmt.Errorf("--fit: %v", err)
	}
	f := &report.Fit{Scores: keys, Lambda: lf.Lambda, B: lf.B, Count: len(xs), ResidualStd: lf.ResidualStd, LOORMSE: lf.LOORMSE}
	if finite(lf.LOOPearson) {
		v := lf.LOOPearson
		f.LOOPearson = &v
	}
	for i, c := range fitted {
		acc, loo := *c.Accuracy, lf.LOO[i]
		f.Predictions = append(f.Predictions, report.Prediction{Name: c.Name, Accuracy: &acc, LOO: &loo})
	}
	for _, c := range r.Candidates {
		if c.Accuracy != nil && slices.ContainsFunc(fitted, func(o report.Candidate) bool { return o.Name == c.Name }) {
			continue
		}
		p := report.Prediction{Name: c.Name, Accuracy: c.Accuracy}
		if x, why := row(c); x == nil {
			p.Error = why
		} else {
			v, h := lf.Predict(x), lf.Interval(x)
			lo, hi := v-h, v+h
			p.Predicted, p.Low, p.High = &v, &lo, &hi
		}
		f.Predictions = append(f.Predictions, p)
	}
	return f, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
