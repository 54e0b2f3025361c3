package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// testSaved is a small run of two settings with every part present: the
// CLI, the profile, POT, POT's converged reference, the browser and the
// streaming limits.
func testSaved() *saved {
	res := func(ce float64) map[string]any {
		return map[string]any{"ce": []any{ce, ce + 0.01}, "iterations": []any{100.0, 120.0}, "marginal_error": []any{1e-7, 2e-7},
			"stop_rule": []any{"marginal", "score"}, "diagnostics": map[string]any{"phase_seconds": map[string]any{"iterate": 1.5, "cost": 0.5}}}
	}
	br := func(name string, ce float64) *benchResult {
		return &benchResult{Name: name, PageSeconds: 4, RunSeconds: 3.5, WarmSeconds: 1.2, WorkerMemory: []float64{300e6, 200e6},
			Timings: map[string]any{"phases": map[string]any{"op:iterate": 2.0, "sample": 0.4, "shared:bid": 12.0, "busy:iterate": 1.1}},
			Result:  map[string]any{"candidates": []any{res(ce)}}}
	}
	pot := func(rep int, capped bool) potRun {
		return potRun{Rep: rep, MaxRSS: 500e6, Out: map[string]any{"pot": "0.9.5", "numpy": "1.26", "seconds": 9.0, "ce": 0.4, "iterations": 800.0,
			"marginal_error": 1e-5, "capped": capped, "method": "sinkhorn_log", "exact_ce": 0.41}}
	}
	rows := []*row{
		{S: setting{Name: "d19-none-n2000", D: 19, N: 2000, K: 2, CostNorm: "none", Eps: 0.1},
			CLI:  cliRun{Seconds: 3, MaxRSS: 120e6, Result: res(0.4)},
			Prof: profRun{Iterations: 100, Seconds: map[string]float64{"iterate": 1, "cost": 0.2}, Total: 1.3, StopRule: "marginal"},
			POT:  []potRun{pot(0, true)}, Converged: &potRun{Out: map[string]any{"ce": 0.4001, "moving": 1e-6, "iterations": 5000.0, "seconds": 60.0}},
			Browser: br("d19-none-n2000", 0.4)},
		{S: setting{Name: "d256-max-n10000", D: 256, N: 10000, K: 2, CostNorm: "max", Eps: 0.1},
			CLI:  cliRun{Seconds: 30, MaxRSS: 900e6, Result: res(0.5)},
			Prof: profRun{Iterations: 50, Seconds: map[string]float64{"iterate": 10, "cost": 3}, Total: 14, Top: "flat  flat%\n 1s 10% ot.iterate"},
			POT:  []potRun{pot(0, false), pot(1, false)}, Browser: br("d256-max-n10000", 0.5)},
	}
	b := &browserOut{Chromium: "Chromium 140", Results: []benchResult{*rows[0].Browser, *rows[1].Browser}}
	b.Stream = append(b.Stream, struct {
		N       int     `json:"n"`
		Workers int     `json:"workers"`
		Seconds float64 `json:"seconds"`
	}{10000, 1, 0.2}, struct {
		N       int     `json:"n"`
		Workers int     `json:"workers"`
		Seconds float64 `json:"seconds"`
	}{10000, 2, 0.1})
	return &saved{Rows: rows, Browser: b, NativeStream: []streamRes{{N: 2000, Seconds1: 0.01, SecondsAll: 0.006}, {N: 10000, Seconds1: 0.2, SecondsAll: 0.09}},
		Seconds: 1234, LoadStart: "1.0 2.0 3.0", LoadEnd: "4.0 5.0 6.0", Written: time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)}
}

// TestWriteReportGolden compares the report of testSaved with
// testdata/report.golden.md (OTCE_WRITE_GOLDEN=1 rewrites it), the
// machine-dependent lines (checkout, CPU, Go and POT versions) left out.
func TestWriteReportGolden(t *testing.T) {
	got := stable(writeReport(testSaved()))
	const path = "testdata/report.golden.md"
	if os.Getenv("OTCE_WRITE_GOLDEN") != "" {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the report differs from %s:\n%s", path, got)
	}
}

func stable(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "Checkout:") || strings.HasPrefix(l, "- CPU:") || strings.HasPrefix(l, "- go version") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
