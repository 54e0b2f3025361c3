package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/otceseg/otceseg/core/report"
)

// TestRankMetricsAndFit: the demo's JSON carries every score, the
// per-score correlations, --by's order and the fit; the table and CSV
// show them.
func TestRankMetricsAndFit(t *testing.T) {
	out, errs, code := runCLI(t, "demo", "-n", "400", "-k", "2", "--quiet", "--format", "json", "--by", "hscore", "--fit", "--fit-scores", "wd,wt")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r report.Ranking
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.By != "hscore" || r.Fit == nil || r.Fit.Count != 5 || len(r.Fit.Lambda) != 2 || r.Correlation == nil || r.BestMetric == "" {
		t.Fatalf("ranking: by %q fit %+v best %q", r.By, r.Fit, r.BestMetric)
	}
	for i, c := range r.Candidates {
		for _, k := range []string{"logme", "leep", "nce", "hscore", "gbc"} {
			if m, ok := c.Metrics[k]; !ok || len(m.Each) != 2 {
				t.Errorf("%s: %s missing", c.Name, k)
			}
		}
		if i > 0 && c.Metrics["hscore"].Mean > r.Candidates[i-1].Metrics["hscore"].Mean {
			t.Errorf("not ordered by hscore at %d", i)
		}
	}
	for _, k := range []string{"otce", "logme", "leep", "nce", "hscore", "gbc"} {
		if _, ok := r.Correlations[k]; !ok {
			t.Errorf("no correlation for %s", k)
		}
	}
	if *r.Correlation != r.Correlations["otce"] {
		t.Errorf("correlation %+v vs correlations.otce %+v", *r.Correlation, r.Correlations["otce"])
	}
	table, _, code := runCLI(t, "demo", "-n", "400", "-k", "1", "--quiet", "--fit", "--fit-scores", "otce")
	for _, want := range []string{"other scores of the target pixels", "agreement of each score", "best agreement:", "fit on 5 candidates: accuracy ≈", "leave-one-out prediction", "zeroshot: not applicable"} {
		if code != 0 || !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	csv, _, _ := runCLI(t, "demo", "-n", "400", "-k", "1", "--quiet", "--format", "csv")
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if !strings.HasSuffix(lines[0], "zeroshot_miou_mean,zeroshot_miou_std") || strings.Count(lines[1], ",") != strings.Count(lines[0], ",") {
		t.Errorf("CSV:\n%s", csv)
	}
}

// TestRankFlagsRefused: bad --by, --fit-scores or --metrics end with a
// clear message and status 2 before any scoring.
func TestRankFlagsRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--by", "leap"}, `--by: unknown score "leap"`},
		{[]string{"demo", "--fit", "--fit-scores", "wd,x"}, `--fit-scores: unknown score "x"`},
		{[]string{"demo", "--metrics", "logme,bogus"}, `--metrics: unknown score "bogus"`},
		{[]string{"demo", "-n", "300", "-k", "1", "--quiet", "--fit", "--fit-scores", "wd,wt,logme,leep"}, "fitting 4 scores and an intercept needs at least 6"},
	} {
		_, errs, code := runCLI(t, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestMetricsAllPixelsAndShared: when every repetition takes all the valid
// pixels (the solve is reused), the other scores repeat exactly too; with
// --shared-classes the zero-shot accuracy is computed; with --transform
// softmax LEEP reads the features as probabilities.
func TestMetricsAllPixelsAndShared(t *testing.T) {
	files := []string{"--source-features", td("src_bundle.npz"), "--target-features", td("tgt_bundle.npz")}
	out, errs, code := runCLI(t, append([]string{"score", "-n", "100000", "-k", "3", "--format", "json", "--quiet", "--shared-classes"}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var c report.Candidate
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"logme", "leep", "nce", "hscore", "gbc", "zeroshot_acc", "zeroshot_miou"} {
		m, ok := c.Metrics[k]
		if !ok || len(m.Each) != 3 || m.Each[0] != m.Each[1] || m.Each[1] != m.Each[2] || m.Std != 0 {
			t.Errorf("%s over 3 repetitions of the same pixels: %+v (warnings %q)", k, m, c.Warnings)
		}
	}
	if c.MetricsNotApplicable != nil {
		t.Errorf("not applicable %v with --shared-classes", c.MetricsNotApplicable)
	}
	soft := func(extra ...string) float64 {
		out, errs, code := runCLI(t, append(append([]string{"score", "-n", "100000", "-k", "1", "--format", "json", "--quiet", "--metrics", "leep"}, files...), extra...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var c report.Candidate
		if err := json.Unmarshal([]byte(out), &c); err != nil {
			t.Fatal(err)
		}
		return c.Metrics["leep"].Mean
	}
	// softmax then LEEP's own softmax would flatten θ towards uniform; read
	// as probabilities, the features give (to float32 rounding) the raw
	// logits' LEEP.
	raw, sm := soft(), soft("--transform", "softmax")
	if d := raw - sm; d > 1e-5 || d < -1e-5 {
		t.Errorf("LEEP with --transform softmax %v, on the logits %v: softmax applied twice?", sm, raw)
	}
}
