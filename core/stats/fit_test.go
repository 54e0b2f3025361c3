package stats

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestFitAgainstNumPy checks the fit against testdata/fit.json, written by
// scripts/metrics_reference.py with np.linalg.lstsq, explicit
// leave-one-out refits and a Student-t quantile from numerical
// integration of the density.
func TestFitAgainstNumPy(t *testing.T) {
	b, err := os.ReadFile("testdata/fit.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		X        [][]float64 `json:"x"`
		Y        []float64   `json:"y"`
		XNew     [][]float64 `json:"x_new"`
		Expected struct {
			Lambda      []float64 `json:"lambda"`
			B           float64   `json:"b"`
			ResidualStd float64   `json:"residual_std"`
			T975        float64   `json:"t975"`
			LOOPred     []float64 `json:"loo_pred"`
			LOORMSE     float64   `json:"loo_rmse"`
			LOOPearson  float64   `json:"loo_pearson"`
			Pred        []float64 `json:"pred"`
			HalfWidth   []float64 `json:"half_width"`
		} `json:"expected"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	f, err := Fit(fx.X, fx.Y)
	if err != nil {
		t.Fatal(err)
	}
	e := fx.Expected
	check := func(what string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol*math.Abs(want) {
			t.Errorf("%s = %.15g, NumPy %.15g", what, got, want)
		}
	}
	for i := range e.Lambda {
		check("λ", f.Lambda[i], e.Lambda[i], 1e-9)
	}
	check("b", f.B, e.B, 1e-9)
	check("residual std", f.ResidualStd, e.ResidualStd, 1e-9)
	check("t₀.₉₇₅", f.T975, e.T975, 1e-9)
	for i := range e.LOOPred {
		check("LOO", f.LOO[i], e.LOOPred[i], 1e-9)
	}
	check("LOO RMSE", f.LOORMSE, e.LOORMSE, 1e-9)
	check("LOO Pearson", f.LOOPearson, e.LOOPearson, 1e-9)
	for i, x := range fx.XNew {
		check("prediction", f.Predict(x), e.Pred[i], 1e-9)
		check("interval", f.Interval(x), e.HalfWidth[i], 1e-9)
	}
}

func TestFitRefuses(t *testing.T) {
	if _, err := Fit([][]float64{{1}, {2}}, []float64{1, 2}); err == nil || !strings.Contains(err.Error(), "needs at least 3") {
		t.Errorf("2 points: %v", err)
	}
	if _, err := Fit([][]float64{{1, 2}, {2, 1}, {3, 3}}, []float64{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "needs at least 4") {
		t.Errorf("3 points, 2 scores: %v", err)
	}
	if _, err := Fit([][]float64{{1, 2}, {2, 4}, {3, 6}, {4, 8}}, []float64{1, 2, 3, 5}); err == nil || !strings.Contains(err.Error(), "collinear") {
		t.Errorf("collinear scores: %v", err)
	}
	if _, err := Fit([][]float64{{1}, {1}, {1}}, []float64{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "collinear") {
		t.Errorf("constant score: %v", err)
	}
}

// TestTQuantile975 checks the closed-form quantile against gonum's distuv
// (regularised incomplete beta) and textbook values (t₀.₉₇₅ with 1, 2, 5,
// 10 and 30 degrees of freedom: 12.7062, 4.3027, 2.5706, 2.2281, 2.0423).
func TestTQuantile975(t *testing.T) {
	for nu := 1; nu <= 300; nu++ {
		got := tQuantile975(nu)
		want := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(nu)}.Quantile(0.975)
		if d := math.Abs(got-want) / want; d > 1e-12 {
			t.Errorf("ν = %d: %.17g, distuv %.17g (relative %.3g)", nu, got, want, d)
		}
	}
	for nu, want := range map[int]float64{1: 12.7062, 2: 4.3027, 5: 2.5706, 10: 2.2281, 30: 2.0423} {
		if got := tQuantile975(nu); math.Abs(got-want) > 5e-5 {
			t.Errorf("ν = %d: %.6f, tables %.4f", nu, got, want)
		}
	}
}

// TestLine checks the scatter plot's line: through two points exactly, the
// same line as Fit on one score (whose fit testdata/fit.json checks
// against NumPy's lstsq), and none for a constant score or one point.
func TestLine(t *testing.T) {
	if a, b, ok := Line([]float64{1, 3}, []float64{2, 6}); !ok || a != 0 || b != 2 {
		t.Errorf("through (1, 2) and (3, 6): a = %v, b = %v, ok %v; want 0, 2", a, b, ok)
	}
	x := []float64{-1.27, -0.98, -0.55, -0.61, -0.37}
	y := []float64{44.1, 51.3, 66.0, 60.2, 74.2}
	rows := make([][]float64, len(x))
	for i, v := range x {
		rows[i] = []float64{v}
	}
	f, err := Fit(rows, y)
	if err != nil {
		t.Fatal(err)
	}
	a, b, ok := Line(x, y)
	if !ok || math.Abs(b-f.Lambda[0]) > 1e-9*math.Abs(b) || math.Abs(a-f.B) > 1e-9*math.Abs(a) {
		t.Errorf("Line: a = %v, b = %v; Fit: b = %v, λ = %v", a, b, f.B, f.Lambda[0])
	}
	for _, c := range [][2][]float64{{{0.5, 0.5, 0.5}, {1, 2, 3}}, {{1}, {2}}, {nil, nil}, {{1, 2}, {1}}} {
		if _, _, ok := Line(c[0], c[1]); ok {
			t.Errorf("Line(%v, %v) found a line", c[0], c[1])
		}
	}
}
