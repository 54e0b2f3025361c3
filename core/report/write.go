package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes v (a Candidate or a Ranking) as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// MetricKeys are the keys of Candidate.Metrics, in display order.
var MetricKeys = []string{"logme", "leep", "nce", "hscore", "gbc", "zeroshot_acc", "zeroshot_miou"}

// CSVHeader is the header row of WriteCSV: the OTCE columns, then the mean
// and std of each of MetricKeys (empty when not computed).
var CSVHeader = append([]string{"rank", "name", "otce_mean", "otce_std", "wd_mean", "iterations_max", "marginal_error_max", "converged", "accuracy", "eps_over_median", "warnings", "error"}, metricColumns()...)

func metricColumns() []string {
	var out []string
	for _, k := range MetricKeys {
		out = append(out, k+"_mean", k+"_std")
	}
	return out
}

// WriteCSV writes one row per candidate.
func WriteCSV(w io.Writer, cands []Candidate) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for i, c := range cands {
		acc := ""
		if c.Accuracy != nil {
			acc = num(*c.Accuracy)
		}
		row := []string{strconv.Itoa(i + 1), c.Name, "", "", "", "", "", "", acc, "", strings.Join(c.Warnings, "; "), c.Error}
		if c.Error == "" {
			row[2], row[3] = num(c.OTCEMean), num(c.OTCEStd)
			row[4] = num(c.MeanWD())
			row[5] = strconv.Itoa(maxInt(c.Iterations))
			row[6] = num(maxF(c.MarginalError))
			row[7] = strconv.FormatBool(c.Converged)
			row[9] = num(c.Diagnostics.EpsOverMedian)
		}
		for _, k := range MetricKeys {
			if m, ok := c.Metrics[k]; ok && c.Error == "" {
				row = append(row, num(m.Mean), num(m.Std))
			} else {
				row = append(row, "", "")
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteCSVCorrelation writes, after WriteCSV's rows, the correlation with
// the accuracies as one trailing comment row (nothing when c is nil):
//
//	# correlation with accuracy: count=5 pearson=0.97 spearman=1 kendall=1
//
// CSV readers skip it with their comment option (Go's csv.Reader.Comment,
// pandas' comment="#"); a spreadsheet shows it as a last line.
func WriteCSVCorrelation(w io.Writer, c *Correlation) error {
	if c == nil {
		return nil
	}
	_, err := fmt.Fprintf(w, "# correlation with accuracy: count=%d pearson=%s spearman=%s kendall=%s\n", c.Count, num(c.Pearson), num(c.Spearman), num(c.Kendall))
	return err
}

// WriteTable writes a human-readable table of the candidates and, when
// given, their correlation with the accuracies.
func WriteTable(w io.Writer, r Ranking) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\tcandidate\tOTCE (mean ± std)\tW_D\titerations\tconverged\taccuracy")
	for i, c := range r.Candidates {
		acc := "-"
		if c.Accuracy != nil {
			acc = num(*c.Accuracy)
		}
		if c.Error != "" {
			fmt.Fprintf(tw, "%d\t%s\terror: %s\t\t\t\t%s\n", i+1, c.Name, c.Error, acc)
			continue
		}
		fmt.Fprintf(tw, "%d\t%s\t%.4f ± %.4f\t%.4g\t%d\t%v\t%s\n", i+1, c.Name, c.OTCEMean, c.OTCEStd, c.MeanWD(), maxInt(c.Iterations), c.Converged, acc)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.By != "" {
		fmt.Fprintf(w, "(ordered by %s)\n", r.By)
	}
	if err := writeMetrics(w, r); err != nil {
		return err
	}
	if r.Correlation != nil {
		fmt.Fprintf(w, "\ncorrelation with accuracy (%d candidates): Pearson r = %.3f, Spearman ρ = %.3f, Kendall τ = %.3f\n",
			r.Correlation.Count, r.Correlation.Pearson, r.Correlation.Spearman, r.Correlation.Kendall)
	}
	if err := writeCorrelations(w, r); err != nil {
		return err
	}
	if r.Fit != nil {
		writeFit(w, r.Fit)
	}
	s := r.Settings
	fmt.Fprintf(w, "\nsettings: N = %d, K = %d, ε = %g, cost-norm %s, transform %s, solver %s, seed %d\n", s.N, s.K, s.Eps, s.CostNorm, s.Transform, s.Solver, s.Seed)
	for _, c := range r.Candidates {
		if c.Error == "" && s.Solver != "emd" { // the exact plan has no ε
			fmt.Fprintf(w, "%s: ε/median(C) = %.3g\n", c.Name, c.Diagnostics.EpsOverMedian)
		}
		for _, wn := range c.Warnings {
			fmt.Fprintf(w, "warning: %s: %s\n", c.Name, wn)
		}
	}
	return nil
}

// writeMetrics writes the table of the other scores, when any was
// computed, and the ones that do not apply.
func writeMetrics(w io.Writer, r Ranking) error {
	var keys []string
	var na []string
	for _, k := range MetricKeys {
		for _, c := range r.Candidates {
			if _, ok := c.Metrics[k]; ok {
				keys = append(keys, k)
				break
			}
		}
	}
	for _, c := range r.Candidates {
		for _, n := range c.MetricsNotApplicable {
			if !slices.Contains(na, n) {
				na = append(na, n)
			}
		}
	}
	if len(keys) > 0 {
		fmt.Fprintln(w, "\nother scores of the target pixels (mean ± std over the repetitions; higher is better):")
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "rank\tcandidate\t%s\n", strings.Join(keys, "\t"))
		for i, c := range r.Candidates {
			if c.Error != "" {
				continue // listed with its error above
			}
			cells := []string{strconv.Itoa(i + 1), c.Name}
			for _, k := range keys {
				if m, ok := c.Metrics[k]; ok && c.Error == "" {
					cells = append(cells, fmt.Sprintf("%.4g ± %.2g", m.Mean, m.Std))
				} else {
					cells = append(cells, "-")
				}
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, n := range na {
		fmt.Fprintf(w, "%s: not applicable (only for logits over the target's own classes: --shared-classes)\n", n)
	}
	return nil
}

// writeCorrelations writes every score's correlation with the accuracies
// and names the best.
func writeCorrelations(w io.Writer, r Ranking) error {
	if len(r.Correlations) < 2 {
		return nil
	}
	fmt.Fprintln(w, "\nagreement of each score with the known accuracies:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "score\tPearson r\tSpearman ρ\tKendall τ\tcandidates")
	for _, k := range append([]string{"otce"}, MetricKeys...) {
		if c, ok := r.Correlations[k]; ok {
			fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%d\n", k, c.Pearson, c.Spearman, c.Kendall, c.Count)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if b, ok := r.Correlations[r.BestMetric]; ok {
		fmt.Fprintf(w, "best agreement: %s (Spearman ρ = %.3f, Pearson r = %.3f over %d candidates)\n", r.BestMetric, b.Spearman, b.Pearson, b.Count)
	}
	return nil
}

// FitEquation writes the fitted predictor as "λ₁·score₁ + … + b", each
// score named by name (the key itself when name is nil), coefficients to
// four significant digits: the CLI's table and the page show the same.
func FitEquation(f *Fit, name func(string) string) string {
	eq := ""
	term := func(v float64, what string) {
		switch {
		case eq == "":
			eq = fmt.Sprintf("%.4g%s", v, what)
		case v < 0:
			eq += fmt.Sprintf(" − %.4g%s", -v, what)
		default:
			eq += fmt.Sprintf(" + %.4g%s", v, what)
		}
	}
	for i, k := range f.Scores {
		if name != nil {
			k = name(k)
		}
		term(f.Lambda[i], "·"+k)
	}
	term(f.B, "")
	return eq
}

// writeFit writes the fitted predictor and its predictions.
func writeFit(w io.Writer, f *Fit) {
	eq := FitEquation(f, nil)
	fmt.Fprintf(w, "\nfit on %d candidates: accuracy ≈ %s\n", f.Count, eq)
	loo := "-"
	if f.LOOPearson != nil {
		loo = fmt.Sprintf("%.3f", *f.LOOPearson)
	}
	fmt.Fprintf(w, "residual std %.4g; leave-one-out RMSE %.4g, Pearson r %s\n", f.ResidualStd, f.LOORMSE, loo)
	for _, p := range f.Predictions {
		switch {
		case p.Error != "":
			fmt.Fprintf(w, "  %s: no prediction: %s\n", p.Name, p.Error)
		case p.LOO != nil:
			fmt.Fprintf(w, "  %s: accuracy %s, leave-one-out prediction %.4g\n", p.Name, num(*p.Accuracy), *p.LOO)
		case p.Predicted != nil:
			fmt.Fprintf(w, "  %s: predicted accuracy %.4g (95 %% prediction interval %.4g – %.4g)\n", p.Name, *p.Predicted, *p.Low, *p.High)
		}
	}
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }

// MeanWD is the mean of the candidate's W_D over its repetitions, in
// their order (NaN without a repetition: a failed candidate).
func (c Candidate) MeanWD() float64 {
	if len(c.WD) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, v := range c.WD {
		s += v
	}
	return s / float64(len(c.WD))
}

// MeanIterations is the mean number of solver iterations over the
// candidate's repetitions (NaN without a repetition).
func (c Candidate) MeanIterations() float64 {
	if len(c.Iterations) == 0 {
		return math.NaN()
	}
	s := 0
	for _, v := range c.Iterations {
		s += v
	}
	return float64(s) / float64(len(c.Iterations))
}

func maxF(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	return m
}

func maxInt(x []int) int {
	m := 0
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	return m
}
