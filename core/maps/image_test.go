package maps

import (
	"context"
	"math"
	"testing"

	"github.com/otceseg/otceseg/core/otce"
)

// TestDemoMapsMeanIsScore maps every target image of a demo candidate whose
// samples hold every valid pixel: each pixel's h is then its h_j, so the
// mean of the maps over all pixels is the mean CE, up to the float32 kernel
// (entropic) or the tied columns (exact: checked per pixel instead).
func TestDemoMapsMeanIsScore(t *testing.T) {
	for _, solver := range []string{"sinkhorn", "emd"} {
		t.Run(solver, func(t *testing.T) {
			c := otce.DemoCandidates()[1]
			s := otce.DefaultSettings()
			s.K, s.Solver, s.CostNorm, s.Eps = 2, solver, "max", 0.05
			j, err := otce.Prepare(c, s)
			if err != nil {
				t.Fatal(err)
			}
			reps, res := Repetitions(context.Background(), j, 2, nil)
			if res.Error != "" {
				t.Fatal(res.Error)
			}
			if res.Diagnostics.TargetPixels != int(j.Target.Valid) {
				t.Fatalf("the fixture samples %d of %d target pixels", res.Diagnostics.TargetPixels, j.Target.Valid)
			}
			var sum float64
			var n, unseen int
			var scores []ImageScore
			for k, im := range j.Target.Images {
				m, err := ImageMap(context.Background(), im, reps, Options{Transform: s.Transform, Workers: 2})
				if err != nil {
					t.Fatal(err)
				}
				if m.Valid != im.Valid || m.Defined+m.Unseen+m.NonFinite != m.Valid {
					t.Fatalf("image %d: %d valid, %d defined, %d unseen, %d non-finite (image: %d valid)", k, m.Valid, m.Defined, m.Unseen, m.NonFinite, im.Valid)
				}
				for p, v := range m.Values {
					if (m.Labels[p] < 0) != math.IsNaN(float64(v)) {
						t.Fatalf("image %d pixel %d: label %d, h %v", k, p, m.Labels[p], v)
					}
				}
				sum += m.Sum
				n += m.Defined
				unseen += m.Unseen
				scores = append(scores, m.Score("", k))
			}
			mean := sum / float64(n)
			t.Logf("mean of the maps %.9f, −OTCE %.9f, %d pixels", mean, -res.OTCEMean, n)
			tol := 1e-5
			if solver == "emd" {
				tol = 0.01
			}
			if unseen != 0 || math.Abs(mean+res.OTCEMean) > tol {
				t.Errorf("mean of the maps %.9f over %d pixels (%d unseen), −OTCE %.9f", mean, n, unseen, -res.OTCEMean)
			}
			WorstFirst(scores)
			for k := 1; k < len(scores); k++ {
				if scores[k].OTCE < scores[k-1].OTCE {
					t.Errorf("per-image table not worst first: %v", scores)
				}
			}
			// The per-class parts sum to the mean CE.
			total := 0.0
			for _, row := range Classes(reps) {
				total += row.CE
				ps := 0.0
				for _, sm := range row.Sources {
					ps += sm.P
				}
				if math.Abs(ps-1) > 1e-9 {
					t.Errorf("class %d: P(a|b) sums to %v", row.Label, ps)
				}
			}
			if math.Abs(total+res.OTCEMean) > 1e-9 {
				t.Errorf("the per-class parts sum to %.12g, −OTCE is %.12g", total, -res.OTCEMean)
			}
		})
	}
}
