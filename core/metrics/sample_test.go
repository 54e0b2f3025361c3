package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestSampleForm checks that the n×n form of LogME and H-score, which
// LogME, HScore and Compute take when n < d, gives the d×d form's values
// to 1e-10 (relative) on random samples with n < d: clustered features,
// also far from the origin, features of rank r < n (in an r-dimensional
// subspace of the d channels: both forms drop the same rounding-level
// eigenvalues), of rank 24 < n with a spectrum decaying by 4 a component
// (H-score's rcond 1e-5 then drops some: a score below classes − 1),
// softmax probabilities (rows summing to 1: a singular covariance), one
// pixel fewer than channels, and 2 pixels. The public
// functions must take the n×n form exactly when n < d.
func TestSampleForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 14))
	type sample struct {
		name   string
		n, d   int
		x      []float64
		labels []int32
	}
	gen := func(name string, n, d, classes, rank int, decay, offset float64, soft bool) sample {
		centres := make([]float64, classes*d)
		for i := range centres {
			centres[i] = offset + rng.NormFloat64()
		}
		basis := make([]float64, rank*d)
		for i := range basis {
			basis[i] = rng.NormFloat64()
		}
		s := sample{name: name, n: n, d: d, x: make([]float64, n*d), labels: make([]int32, n)}
		for i := 0; i < n; i++ {
			c := i % classes // every class present
			s.labels[i] = int32(3 * c)
			row := s.x[i*d : (i+1)*d]
			if rank > 0 {
				for r, scale := 0, 1.0; r < rank; r, scale = r+1, scale*decay {
					a := scale * (rng.NormFloat64() + float64(c))
					for k := range row {
						row[k] += a * basis[r*d+k]
					}
				}
			} else {
				for k := range row {
					row[k] = centres[c*d+k] + rng.NormFloat64()
				}
			}
			if soft {
				softmaxRow(slices.Clone(row), row)
			}
			for k, v := range row {
				row[k] = float64(float32(v)) // as the sampler's float32 features
			}
		}
		return s
	}
	cases := []sample{
		gen("clustered", 30, 256, 4, 0, 1, 0, false),
		gen("offset", 64, 256, 5, 0, 1, 20, false),
		gen("rank12", 40, 256, 3, 12, 1, 0, false),
		gen("decaying", 60, 256, 4, 14, 0.5, 0, false),
		gen("softmax", 50, 64, 4, 0, 1, 0, true),
		gen("n=d-1", 100, 101, 6, 0, 1, 1, false),
		gen("two", 2, 19, 2, 0, 1, 0, false),
		gen("small", 7, 8, 2, 0, 1, 0, false),
	}
	for _, s := range cases {
		t.Run(fmt.Sprintf("%s/n=%d/d=%d", s.name, s.n, s.d), func(t *testing.T) {
			dt, err := prepare(s.x, s.d, s.labels, 2)
			if err != nil {
				t.Fatal(err)
			}
			if !dt.small() {
				t.Fatalf("n = %d, d = %d: not the small form", s.n, s.d)
			}
			mu, mc := dt.classMeans()
			check := func(what string, full, sample, public float64, errs ...error) {
				t.Helper()
				for _, err := range errs {
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
				}
				if rel := math.Abs(sample-full) / math.Abs(full); !(rel <= 1e-10) {
					t.Errorf("%s: n×n %.17g, d×d %.17g (relative difference %.2g)", what, sample, full, rel)
				} else {
					t.Logf("%s: n×n %.17g, d×d %.17g (relative difference %.2g)", what, sample, full, rel)
				}
				if public != sample {
					t.Errorf("%s: the public function gives %.17g, not the n×n form's %.17g", what, public, sample)
				}
			}
			full, err1 := logME(dt, mu, mc, dt.centredGram(mu))
			small, err2 := logMESample(dt)
			public, err3 := LogME(s.x, s.d, s.labels)
			check("LogME", full, small, public, err1, err2, err3)
			for _, rcond := range []float64{1e-15, 1e-5} {
				full, err1 := hScore(dt, mu, mc, dt.centredGram(mu), rcond)
				small, err2 := hScoreSample(dt, mu, rcond)
				public, err3 := HScore(s.x, s.d, s.labels, rcond)
				check(fmt.Sprintf("H-score rcond %g", rcond), full, small, public, err1, err2, err3)
			}
			vals, errs := Compute([]string{"logme", "hscore"}, s.x, s.d, s.labels, Options{HScoreRcond: 1e-15})
			l, _ := logMESample(dt)
			h, _ := hScoreSample(dt, mu, 1e-15)
			if len(errs) > 0 || vals["logme"] != l || vals["hscore"] != h {
				t.Errorf("Compute: %v %v, want the n×n form's logme %v, hscore %v", vals, errs, l, h)
			}
		})
	}
}

// TestSampleFormFailures: the n×n form refuses what the d×d form refuses,
// with the same reasons (all-zero features for LogME, constant ones for
// H-score), and scores collinear features as the one channel they span.
func TestSampleFormFailures(t *testing.T) {
	y := []int32{0, 1, 0}
	zero := make([]float64, 3*5)
	if _, err := LogME(zero, 5, y); err == nil || !strings.Contains(err.Error(), "all zero") {
		t.Errorf("LogME on zero features, n < d: %v", err)
	}
	constant := []float64{1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5}
	if _, err := HScore(constant, 5, y, 1e-15); err == nil || !strings.Contains(err.Error(), "constant") {
		t.Errorf("H-score on constant features, n < d: %v", err)
	}
	// Three pixels of 4 collinear channels (t, 2t, −t, 3t): the H-score of
	// the one channel t = 1, 2, 4 with classes 0, 1, 0: Cov f = 7/3,
	// Cov g = (2·(5/2 − 7/3)² + (2 − 7/3)²)/2 = 1/12, H = 1/28.
	col := []float64{1, 2, -1, 3, 2, 4, -2, 6, 4, 8, -4, 12}
	h, err := HScore(col, 4, y, 1e-15)
	if err != nil || math.Abs(h-1.0/28) > 1e-12 {
		t.Errorf("H-score on collinear features, n < d = %v (%v); want 1/28", h, err)
	}
}
