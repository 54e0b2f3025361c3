package ot

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// potFixture is a reference computed by scripts/pot_reference.py with POT.
type potFixture struct {
	Name       string      `json:"name"`
	Method     string      `json:"method"`
	Eps        float64     `json:"eps"`
	CostNorm   string      `json:"cost_norm"`
	N, M, D    int         `json:"-"`
	Xs, Xt     [][]float64 `json:"-"`
	XsRaw      [][]float64 `json:"xs"`
	XtRaw      [][]float64 `json:"xt"`
	Ys         []int       `json:"ys"`
	Yt         []int       `json:"yt"`
	CE         float64     `json:"ce"`
	WD         float64     `json:"wd"`
	EmdCE      *float64    `json:"emd_ce"`
	SinkhornCE *float64    `json:"sinkhorn_ce"`
	Marginal   float64     `json:"marginal_error"`
	CostMedian float64     `json:"cost_raw_median"`
	CostMax    float64     `json:"cost_raw_max"`
}

func loadFixture(t testing.TB, name string) *potFixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture %s: %v (regenerate with /usr/bin/python3 scripts/pot_reference.py)", name, err)
	}
	var f potFixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// problem builds the OT problem of a fixture (NewLabeledProblem: dense
// classes, target points in class order, which does not change the
// transport problem).
func (f *potFixture) problem() *Problem {
	flat := func(rows [][]float64) []float32 {
		var out []float32
		for _, row := range rows {
			for _, x := range row {
				out = append(out, float32(x))
			}
		}
		return out
	}
	labels := func(y []int) []int32 {
		out := make([]int32, len(y))
		for i, v := range y {
			out[i] = int32(v)
		}
		return out
	}
	p, _, _ := NewLabeledProblem(flat(f.XsRaw), labels(f.Ys), flat(f.XtRaw), labels(f.Yt), len(f.XsRaw[0]))
	return p
}

// TestAgainstPOT checks the entropic score against POT's sinkhorn_log run
// to a tight threshold, on unequal source and target sizes.
func TestAgainstPOT(t *testing.T) {
	for _, name := range []string{"max_eps0.1.json", "mean_eps0.05.json", "median_eps0.05.json"} {
		f := loadFixture(t, name)
		p := f.problem()
		sol := solve(t, p, 2, Params{Eps: f.Eps, CostNorm: f.CostNorm, Tol: 1e-9, MaxIter: 20000})
		t.Logf("%s: CE %.10f POT %.10f |Δ| %.2e; WD %.10f POT %.10f; %d iterations, error %.1e", name, sol.CE, f.CE, math.Abs(sol.CE-f.CE), sol.WD, f.WD, sol.Iterations, sol.MarginalError)
		if !sol.Converged || sol.StopRule != StopMarginal {
			t.Errorf("%s: not converged (%s)", name, sol.StopRule)
		}
		if d := math.Abs(sol.CE - f.CE); d > 1e-4 {
			t.Errorf("%s: CE %.8f, POT %.8f (|Δ| = %.2e > 1e-4)", name, sol.CE, f.CE, d)
		}
		if d := math.Abs(sol.WD - f.WD); d > 1e-5*math.Abs(f.WD) {
			t.Errorf("%s: WD %.8f, POT %.8f", name, sol.WD, f.WD)
		}
		if f.CostNorm == NormMedian && math.Abs(sol.CostMedian-f.CostMedian) > 1e-5*f.CostMedian {
			t.Errorf("%s: median cost %.8f, NumPy %.8f", name, sol.CostMedian, f.CostMedian)
		}
	}
}

// TestSmallEpsApproachesEMD: as ε → 0 the entropic score approaches the
// exact plan's.
func TestSmallEpsApproachesEMD(t *testing.T) {
	f := loadFixture(t, "emd_max_n300.json")
	p := f.problem()
	sol := solve(t, p, 2, Params{Eps: 1e-3, CostNorm: NormMax, Tol: 1e-8, MaxIter: 50000})
	t.Logf("ε=1e-3: CE %.6f, POT emd CE %.6f, POT sinkhorn_log CE %.6f; %d iterations", sol.CE, f.CE, *f.SinkhornCE, sol.Iterations)
	if d := math.Abs(sol.CE - f.CE); d > 1e-2 {
		t.Errorf("CE %.6f, exact plan's %.6f: |Δ| = %.3g > 1e-2", sol.CE, f.CE, d)
	}
	if f.SinkhornCE != nil {
		if d := math.Abs(sol.CE - *f.SinkhornCE); d > 1e-4 {
			t.Errorf("CE %.6f, POT sinkhorn_log at ε=1e-3 %.6f: |Δ| = %.3g", sol.CE, *f.SinkhornCE, d)
		}
	}
}

// TestExactAgainstPOT: the exact solver's CE and W_D equal POT's ot.emd
// (W_D within 1e-9, CE within 1e-6), square and unequal sizes.
func TestExactAgainstPOT(t *testing.T) {
	for _, name := range []string{"emd_n200_d8.json", "emd_n300_m240.json", "emd_n1000_d19.json", "emd_max_n300.json"} {
		f := loadFixture(t, name)
		p := f.problem()
		for _, workers := range []int{1, 2} {
			sol := solve(t, p, workers, Params{Exact: true, CostNorm: f.CostNorm, Tol: 1e-6, MaxIter: 1})
			t.Logf("%s: CE %.12f POT %.12f; WD %.12f POT %.12f", name, sol.CE, f.CE, sol.WD, f.WD)
			if d := math.Abs(sol.CE - f.CE); d > 1e-6 {
				t.Errorf("%s: CE %.10f, POT %.10f (|Δ| %.2e)", name, sol.CE, f.CE, d)
			}
			if d := math.Abs(sol.WD - f.WD); d > 1e-9*math.Max(1, math.Abs(f.WD)) {
				t.Errorf("%s: WD %.12f, POT %.12f (|Δ| %.2e)", name, sol.WD, f.WD, d)
			}
			if sol.StopRule != StopExact || !sol.Converged {
				t.Errorf("%s: stop rule %s", name, sol.StopRule)
			}
		}
	}
}

// TestRawCostAgainstPOT is the authors' setting on logit-like features:
// raw squared distances (median ≈ 540), ε = 0.1, d = 19, N = 1000, where
// POT's plain sinkhorn underflows and its sinkhorn_log needs tens of
// thousands of iterations. The score must be finite, converged, and within
// 1e-3 of POT's sinkhorn_log (18 000 iterations; its score still moved by
// about 2e-6 per 1000 iterations then).
func TestRawCostAgainstPOT(t *testing.T) {
	f := loadFixture(t, "raw_d19_n1000.json")
	p := f.problem()
	sol := solve(t, p, 2, Params{Eps: 0.1, CostNorm: NormNone, Tol: 1e-6, MaxIter: 10000, ScoreTol: 1e-4, WarmStart: true})
	t.Logf("CE %.6f POT %.6f (|Δ| %.1e), exact-plan CE %.6f POT emd %.6f; %d iterations, stop rule %s, marginal error %.1e, ε/median %.2g",
		sol.CE, f.CE, math.Abs(sol.CE-f.CE), sol.ExactCE, *f.EmdCE, sol.Iterations, sol.StopRule, sol.MarginalError, sol.EpsOverMedian(0.1))
	if !sol.Converged {
		t.Errorf("not converged: %s after %d iterations, marginal error %.2g", sol.StopRule, sol.Iterations, sol.MarginalError)
	}
	if d := math.Abs(sol.CE - f.CE); d > 1e-3 {
		t.Errorf("CE %.6f, POT %.6f: |Δ| = %.2g > 1e-3", sol.CE, f.CE, d)
	}
	if d := math.Abs(sol.ExactCE - *f.EmdCE); d > 1e-6 {
		t.Errorf("exact-plan CE %.8f, POT emd %.8f", sol.ExactCE, *f.EmdCE)
	}
	// Without the warm start, ε-scaling alone must agree too.
	cold := solve(t, p, 2, Params{Eps: 0.1, CostNorm: NormNone, Tol: 1e-6, MaxIter: 20000, ScoreTol: 1e-4})
	t.Logf("ε-scaling only: CE %.6f, %d iterations, %s, marginal error %.1e", cold.CE, cold.Iterations, cold.StopRule, cold.MarginalError)
	if d := math.Abs(cold.CE - f.CE); d > 1e-3 {
		t.Errorf("ε-scaling only: CE %.6f, POT %.6f: |Δ| = %.2g > 1e-3", cold.CE, f.CE, d)
	}
}
