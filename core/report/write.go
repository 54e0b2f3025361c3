package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
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

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"rank", "name", "otce_mean", "otce_std", "wd_mean", "iterations_max", "marginal_error_max", "converged", "accuracy", "eps_over_median", "warnings", "error"}

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
			row[4] = num(mean(c.WD))
			row[5] = strconv.Itoa(maxInt(c.Iterations))
			row[6] = num(maxF(c.MarginalError))
			row[7] = strconv.FormatBool(c.Converged)
			row[9] = num(c.Diagnostics.EpsOverMedian)
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
		fmt.Fprintf(tw, "%d\t%s\t%.4f ± %.4f\t%.4g\t%d\t%v\t%s\n", i+1, c.Name, c.OTCEMean, c.OTCEStd, mean(c.WD), maxInt(c.Iterations), c.Converged, acc)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Correlation != nil {
		fmt.Fprintf(w, "\ncorrelation with accuracy (%d candidates): Pearson r = %.3f, Spearman ρ = %.3f, Kendall τ = %.3f\n",
			r.Correlation.Count, r.Correlation.Pearson, r.Correlation.Spearman, r.Correlation.Kendall)
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

func num(v float64) string { return strconv.FormatFloat(v, 'g', 10, 64) }

func mean(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
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
