package metrics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture is one file of testdata, written by scripts/metrics_reference.py
// (NumPy, from the papers' formulas).
type fixture struct {
	Note     string              `json:"note"`
	N        int                 `json:"n"`
	D        int                 `json:"d"`
	X        []float64           `json:"x"`
	Labels   []int32             `json:"labels"`
	Probs    []float64           `json:"probabilities_x"`
	Expected map[string]*float64 `json:"expected"`
}

func loadFixtures(t testing.TB) map[string]fixture {
	paths, err := filepath.Glob("testdata/*.json")
	if err != nil || len(paths) < 3 {
		t.Fatalf("want ≥ 3 fixtures in testdata (run /usr/bin/python3 scripts/metrics_reference.py), got %v %v", paths, err)
	}
	out := map[string]fixture{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f fixture
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[strings.TrimSuffix(filepath.Base(p), ".json")] = f
	}
	return out
}

// TestAgainstNumPy checks every score on every fixture against the NumPy
// reference: relative error ≤ 1e-9, and an error exactly where the
// reference has none (null).
func TestAgainstNumPy(t *testing.T) {
	fx := loadFixtures(t)
	for name, f := range fx {
		if len(f.X) != f.N*f.D || len(f.Labels) != f.N {
			t.Fatalf("%s: bad shapes", name)
		}
		type result struct {
			v   float64
			err error
		}
		got := map[string]result{}
		one := func(key string, v float64, err error) { got[key] = result{v, err} }
		v, err := LogME(f.X, f.D, f.Labels)
		one("logme", v, err)
		v, err = LEEP(f.X, f.D, f.Labels, false)
		one("leep", v, err)
		v, err = NCE(f.X, f.D, f.Labels)
		one("nce", v, err)
		v, err = HScore(f.X, f.D, f.Labels, 1e-15)
		one("hscore", v, err)
		v, err = HScore(f.X, f.D, f.Labels, 1e-5)
		one("hscore_rcond_1e-5", v, err)
		v, err = GBC(f.X, f.D, f.Labels, false)
		one("gbc_spherical", v, err)
		v, err = GBC(f.X, f.D, f.Labels, true)
		one("gbc_diagonal", v, err)
		acc, miou, err := ZeroShot(f.X, f.D, f.Labels)
		one("zeroshot_acc", acc, err)
		one("zeroshot_miou", miou, err)
		if f.Probs != nil {
			v, err = LEEP(f.Probs, f.D, f.Labels, true)
			one("leep_probabilities", v, err)
		}
		for key, want := range f.Expected {
			g, ok := got[key]
			switch {
			case !ok:
				t.Errorf("%s: %s not computed by the test", name, key)
			case want == nil && g.err == nil:
				t.Errorf("%s: %s = %v, want an error (undefined in the reference)", name, key, g.v)
			case want != nil && g.err != nil:
				t.Errorf("%s: %s: %v, want %v", name, key, g.err, *want)
			case want != nil:
				if rel := math.Abs(g.v-*want) / math.Max(math.Abs(*want), 1e-300); rel > 1e-9 && !(*want == 0 && g.v == 0) {
					t.Errorf("%s: %s = %.15g, NumPy %.15g (relative error %.2g)", name, key, g.v, *want, rel)
				}
			}
		}
		if len(f.Expected) < 9 {
			t.Errorf("%s: only %d expected values", name, len(f.Expected))
		}
	}
}

// TestCompute checks that Compute gives the same numbers as the functions
// and reports the failures by name.
func TestCompute(t *testing.T) {
	f := loadFixtures(t)["embeddings_sparse_labels"]
	vals, errs := Compute([]string{"logme", "leep", "nce", "hscore", "gbc", "zeroshot"}, f.X, f.D, f.Labels, Options{HScoreRcond: 1e-15})
	for key, want := range map[string]string{"logme": "logme", "leep": "leep", "nce": "nce", "hscore": "hscore", "gbc": "gbc_spherical"} {
		w := *f.Expected[want]
		if math.Abs(vals[key]-w) > 1e-9*math.Abs(w) {
			t.Errorf("Compute %s = %v, want %v", key, vals[key], w)
		}
	}
	// The shared Gram matrix gives the very numbers of the functions.
	if l, _ := LogME(f.X, f.D, f.Labels); vals["logme"] != l {
		t.Errorf("Compute logme %v, LogME %v", vals["logme"], l)
	}
	if h, _ := HScore(f.X, f.D, f.Labels, 1e-15); vals["hscore"] != h {
		t.Errorf("Compute hscore %v, HScore %v", vals["hscore"], h)
	}
	if _, ok := errs["zeroshot"]; !ok || len(errs) != 1 {
		t.Errorf("Compute errors = %v, want only zeroshot (label 250 > 16 channels)", errs)
	}
	if !strings.Contains(errs["zeroshot"], "label 250 has no logit channel") {
		t.Errorf("zeroshot error %q", errs["zeroshot"])
	}
}

// TestFailures checks the cases that must be refused with a reason, never
// NaN.
func TestFailures(t *testing.T) {
	oneClass := []int32{4, 4, 4, 4}
	x := []float64{1, 2, 3, 4, 5, 6, 7, 9}
	all := func(x []float64, d int, y []int32) map[string]error {
		out := map[string]error{}
		_, out["logme"] = LogME(x, d, y)
		_, out["leep"] = LEEP(x, d, y, false)
		_, out["nce"] = NCE(x, d, y)
		_, out["hscore"] = HScore(x, d, y, 1e-15)
		_, out["gbc"] = GBC(x, d, y, false)
		return out
	}
	for name, err := range all(x, 2, oneClass) {
		if err == nil || !strings.Contains(err.Error(), "only 1 target class") {
			t.Errorf("%s on one class: %v", name, err)
		}
	}
	if _, _, err := ZeroShot(x, 2, []int32{0, 1, 1, 2}); err == nil || !strings.Contains(err.Error(), "label 2 has no logit channel") {
		t.Errorf("zeroshot with label ≥ d: %v", err)
	}
	if _, _, err := ZeroShot(x, 2, []int32{0, -1, 1, 1}); err == nil || !strings.Contains(err.Error(), "label -1") {
		t.Errorf("zeroshot with a negative label: %v", err)
	}
	y := []int32{0, 1, 0, 1}
	zero := make([]float64, 8)
	if _, err := LogME(zero, 2, y); err == nil || !strings.Contains(err.Error(), "all zero") {
		t.Errorf("LogME on zero features: %v", err)
	}
	constant := []float64{1, 2, 1, 2, 1, 2, 1, 2}
	if _, err := HScore(constant, 2, y, 1e-15); err == nil || !strings.Contains(err.Error(), "constant") {
		t.Errorf("H-score on constant features: %v", err)
	}
	// GBC on constant features: every class the same Gaussian (variance
	// floored), D_B = 0, GBC = −C(C−1).
	if v, err := GBC(constant, 2, y, false); err != nil || v != -2 {
		t.Errorf("GBC on constant features = %v, %v; want −2", v, err)
	}
	// Collinear features: the covariance is singular; its rounding-level
	// eigenvalue is dropped even at rcond 1e-15, so the score is that of
	// the one independent channel: Cov f = 5/3, Cov g = 1/3, H = 0.2.
	col := []float64{1, 3, 2, 6, 3, 9, 4, 12}
	h, err := HScore(col, 2, y, 1e-15)
	h1, err1 := HScore([]float64{1, 2, 3, 4}, 1, y, 1e-15)
	if err != nil || err1 != nil || math.Abs(h-0.2) > 1e-12 || math.Abs(h1-0.2) > 1e-12 {
		t.Errorf("H-score on collinear features = %v (%v), on the one channel %v (%v); want 0.2", h, err, h1, err1)
	}
	for _, bad := range []struct {
		x []float64
		d int
		y []int32
	}{{x, 3, y}, {x, 0, y}, {[]float64{1, math.NaN(), 3, 4, 5, 6, 7, 8}, 2, y}, {x[:2], 2, y[:1]}} {
		for name, err := range all(bad.x, bad.d, bad.y) {
			if err == nil {
				t.Errorf("%s accepted bad input d=%d len(x)=%d len(y)=%d", name, bad.d, len(bad.x), len(bad.y))
			}
		}
	}
	if _, err := LEEP([]float64{0.5, 0.5, -0.1, 1.1, 0.2, 0.8, 0.3, 0.7}, 2, y, true); err == nil {
		t.Error("LEEP accepted negative probabilities")
	}
}

// TestSelect checks the --metrics parser.
func TestSelect(t *testing.T) {
	c, na, err := Select("all", false)
	if err != nil || strings.Join(c, ",") != "logme,leep,nce,hscore,gbc" || strings.Join(na, ",") != "zeroshot" {
		t.Errorf("all without shared classes: %v %v %v", c, na, err)
	}
	c, na, err = Select(" GBC, logme ,otce,zeroshot", true)
	if err != nil || strings.Join(c, ",") != "logme,gbc,zeroshot" || na != nil {
		t.Errorf("list: %v %v %v", c, na, err)
	}
	if _, _, err := Select("logme,leap", false); err == nil || !strings.Contains(err.Error(), `unknown score "leap"`) {
		t.Errorf("unknown name: %v", err)
	}
}
