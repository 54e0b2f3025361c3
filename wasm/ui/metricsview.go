//go:build js && wasm

package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
)

// The other scores of issue 14 (core/metrics) as the page shows them: their
// columns in the results table, the score the charts show, the table of
// each score's agreement with the known accuracies and the fitted accuracy
// predictor. Every number here is the core's (otce.RankBy's correlations,
// otce.FitAccuracy's fit): this file only lays them out, as HTML text that
// the page and the HTML report share.

// scoreNames are the display names of the score keys (otce.ScoreKeys).
var scoreNames = map[string]string{
	"otce": "OTCE", "logme": "LogME", "leep": "LEEP", "nce": "NCE", "hscore": "H-score", "gbc": "GBC",
	"zeroshot_acc": "zero-shot accuracy", "zeroshot_miou": "zero-shot mIoU", "wd": "W_D", "wt": "W_T (CE)",
}

// scoreName is key's display name (the key itself when it has none).
func scoreName(key string) string {
	if n, ok := scoreNames[key]; ok {
		return n
	}
	return key
}

// scoreStat is a candidate's mean and standard deviation over the
// repetitions of the score key (otce or a key of Candidate.Metrics); ok is
// false when the candidate failed or has no such score.
func scoreStat(c report.Candidate, key string) (mean, std float64, ok bool) {
	if c.Error != "" {
		return 0, 0, false
	}
	if key == "otce" {
		return c.OTCEMean, c.OTCEStd, len(c.CE) > 0
	}
	m, ok := c.Metrics[key]
	return m.Mean, m.Std, ok
}

// metricKeys are the keys of report.MetricKeys that at least one candidate
// of r has, in display order.
func metricKeys(r report.Ranking) []string {
	var keys []string
	for _, k := range report.MetricKeys {
		for _, c := range r.Candidates {
			if _, ok := c.Metrics[k]; ok && c.Error == "" {
				keys = append(keys, k)
				break
			}
		}
	}
	return keys
}

// chartKeys are the scores the charts can show: otce, then metricKeys.
func chartKeys(r report.Ranking) []string { return append([]string{"otce"}, metricKeys(r)...) }

// notApplicable are the scores asked for that do not apply to the run
// (zeroshot without the shared-classes setting), over every candidate.
func notApplicable(r report.Ranking) []string {
	var na []string
	for _, c := range r.Candidates {
		for _, n := range c.MetricsNotApplicable {
			if !slices.Contains(na, n) {
				na = append(na, n)
			}
		}
	}
	return na
}

// notApplicableText says which scores do not apply and why ("" when all
// do), in the command-line tool's words.
func notApplicableText(r report.Ranking) string {
	na := notApplicable(r)
	if len(na) == 0 {
		return ""
	}
	return strings.Join(na, ", ") + ": not applicable (only for logits over the target's own classes: tick “Shared classes” (--shared-classes) in the settings)."
}

// correlationOf is key's correlation with the accuracies in r, when r has
// one.
func correlationOf(r report.Ranking, key string) *report.Correlation {
	if c, ok := r.Correlations[key]; ok {
		return &c
	}
	if key == "otce" {
		return r.Correlation
	}
	return nil
}

// correlationsHTML is the table "score × Pearson / Spearman / Kendall" of
// r.Correlations (otce.RankBy's, the numbers `otce rank` prints) and the
// line naming the score that agreed best; "" when fewer than two scores
// have a correlation. Each cell carries its value to the bit in data-value.
func correlationsHTML(r report.Ranking) string {
	if len(r.Correlations) < 2 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<table class="results" id="correlations"><caption>Agreement of each score with the known accuracies</caption>`)
	b.WriteString(`<thead><tr><th scope="col">Score</th><th scope="col">Pearson r</th><th scope="col">Spearman ρ</th><th scope="col">Kendall τ</th><th scope="col">Candidates</th></tr></thead><tbody>`)
	for _, k := range otce.ScoreKeys {
		c, ok := r.Correlations[k]
		if !ok {
			continue
		}
		cls := ""
		if k == r.BestMetric {
			cls = ` class="best"`
		}
		fmt.Fprintf(&b, `<tr data-key="%s"%s><th scope="row">%s</th>`, esc(k), cls, esc(scoreName(k)))
		for _, v := range []float64{c.Pearson, c.Spearman, c.Kendall} {
			fmt.Fprintf(&b, `<td data-value="%.17g">%.3f</td>`, v, v)
		}
		fmt.Fprintf(&b, `<td>%d</td></tr>`, c.Count)
	}
	b.WriteString(`</tbody></table>`)
	if c, ok := r.Correlations[r.BestMetric]; ok {
		fmt.Fprintf(&b, `<p id="best-metric" data-key="%s">Best agreement: %s (Spearman ρ = %.3f, Pearson r = %.3f over %d candidates).</p>`,
			esc(r.BestMetric), esc(scoreName(r.BestMetric)), c.Spearman, c.Pearson, c.Count)
	}
	return b.String()
}

// fitHTML lays out otce.FitAccuracy's predictor: the equation, its
// leave-one-out error and correlation, and each candidate's leave-one-out
// or predicted accuracy with its 95 % prediction interval.
func fitHTML(f *report.Fit) string {
	var b strings.Builder
	eq := report.FitEquation(f, scoreName)
	fmt.Fprintf(&b, `<p id="fit-equation">Fitted on %d candidates: accuracy ≈ %s.</p>`, f.Count, esc(eq))
	b.WriteString(`<table class="results" id="fit-coefficients"><thead><tr><th scope="col">Term</th><th scope="col">Value</th></tr></thead><tbody>`)
	for i, k := range f.Scores {
		fmt.Fprintf(&b, `<tr data-key="lambda-%s"><th scope="row">λ (%s)</th><td data-value="%.17g">%.4g</td></tr>`, esc(k), esc(scoreName(k)), f.Lambda[i], f.Lambda[i])
	}
	fmt.Fprintf(&b, `<tr data-key="b"><th scope="row">b</th><td data-value="%.17g">%.4g</td></tr>`, f.B, f.B)
	fmt.Fprintf(&b, `<tr data-key="residual_std"><th scope="row">Residual std</th><td data-value="%.17g">%.4g</td></tr>`, f.ResidualStd, f.ResidualStd)
	fmt.Fprintf(&b, `<tr data-key="loo_rmse"><th scope="row">Leave-one-out RMSE</th><td data-value="%.17g">%.4g</td></tr>`, f.LOORMSE, f.LOORMSE)
	if f.LOOPearson != nil {
		fmt.Fprintf(&b, `<tr data-key="loo_pearson"><th scope="row">Leave-one-out Pearson r</th><td data-value="%.17g">%.3f</td></tr>`, *f.LOOPearson, *f.LOOPearson)
	} else {
		b.WriteString(`<tr data-key="loo_pearson"><th scope="row">Leave-one-out Pearson r</th><td>– (constant)</td></tr>`)
	}
	b.WriteString(`</tbody></table>`)
	b.WriteString(`<table class="results" id="fit-predictions"><thead><tr><th scope="col">Candidate</th><th scope="col">Accuracy</th><th scope="col">Leave-one-out prediction</th><th scope="col">Predicted (95 % interval)</th></tr></thead><tbody>`)
	for _, p := range f.Predictions {
		acc, loo, pred := "–", "–", "–"
		if p.Accuracy != nil {
			acc = fmt.Sprintf("%g", *p.Accuracy)
		}
		if p.LOO != nil {
			loo = fmt.Sprintf("%.4g", *p.LOO)
		}
		switch {
		case p.Error != "":
			pred = "no prediction: " + p.Error
		case p.Predicted != nil:
			pred = fmt.Sprintf("%.4g (%.4g – %.4g)", *p.Predicted, *p.Low, *p.High)
		}
		fmt.Fprintf(&b, `<tr data-name="%s"><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>`, esc(p.Name), esc(p.Name), acc, loo, esc(pred))
	}
	b.WriteString(`</tbody></table>`)
	return b.String()
}

// metricsTableHTML is the other scores' mean ± std per candidate, in r's
// order, for the HTML report ("" when none was computed).
func metricsTableHTML(r report.Ranking) string {
	keys := metricKeys(r)
	if len(keys) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<table><thead><tr><th scope="col">Rank</th><th scope="col">Candidate</th>`)
	for _, k := range keys {
		fmt.Fprintf(&b, `<th scope="col">%s (mean ± std)</th>`, esc(scoreName(k)))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for i, c := range r.Candidates {
		if c.Error != "" {
			continue
		}
		fmt.Fprintf(&b, `<tr data-name="%s"><td>%d</td><td>%s</td>`, esc(c.Name), i+1, esc(c.Name))
		for _, k := range keys {
			if m, s, ok := scoreStat(c, k); ok {
				fmt.Fprintf(&b, `<td data-key="%s" data-value="%.17g">%.4g ± %.2g</td>`, esc(k), m, m, s)
			} else {
				fmt.Fprintf(&b, `<td data-key="%s">–</td>`, esc(k))
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody></table>\n")
	return b.String()
}
