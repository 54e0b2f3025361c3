package maps

import (
	"context"
	"math"
	"testing"

	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/settings"
)

// TestDemoMapsMeanIsScore maps every target image of a demo candidate whose
// samples hold every valid pixel: each pixel's h is then its h_j, so the
// mean of the maps over all pixels is the mean CE, up to the float32 kernel
// (entropic) or exactly (exact: the plan's own columns).
func TestDemoMapsMeanIsScore(t *testing.T) {
	for _, solver := range []string{"sinkhorn", "emd"} {
		t.Run(solver, func(t *testing.T) {
			c := otce.DemoCandidates()[1]
			s := otce.DefaultSettings()
			s.K, s.Solver, s.CostNorm, s.Eps = 2, settings.Solver(solver), "max", 0.05
			if solver == "sinkhorn" {
				s.Transform = "l2" // the maps must transform the pixels as the sampler does
			}
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
			var n, undefined int
			var scores []ImageScore
			for k, im := range j.Target.Images {
				m, err := ImageMap(context.Background(), im, reps, Options{Transform: s.Transform.String(), Workers: 2})
				if err != nil {
					t.Fatal(err)
				}
				if m.Valid != im.Valid || m.Defined+m.Undefined+m.NonFinite != m.Valid {
					t.Fatalf("image %d: %d valid, %d defined, %d unseen, %d non-finite (image: %d valid)", k, m.Valid, m.Defined, m.Undefined, m.NonFinite, im.Valid)
				}
				for p, v := range m.Values {
					if (m.Labels[p] < 0) != math.IsNaN(float64(v)) {
						t.Fatalf("image %d pixel %d: label %d, h %v", k, p, m.Labels[p], v)
					}
				}
				sum += m.Sum
				n += m.Defined
				undefined += m.Undefined
				scores = append(scores, m.Score("", k))
			}
			mean := sum / float64(n)
			t.Logf("mean of the maps %.9f, −OTCE %.9f (|Δ| = %.2g), %d pixels", mean, -res.OTCEMean, math.Abs(mean+res.OTCEMean), n)
			// Entropic: the c-transform at a sampled pixel is its column up
			// to the solver's float32 kernel; exact: the plan's own column.
			tol := 1e-5
			if solver == "emd" {
				tol = 1e-9
			}
			if undefined != 0 || math.Abs(mean+res.OTCEMean) > tol {
				t.Errorf("mean of the maps %.9f over %d pixels (%d undefined), −OTCE %.9f", mean, n, undefined, -res.OTCEMean)
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

// TestUnseenClassMarked: pixels whose class is in no repetition's target
// sample are NaN and counted, not +Inf.
func TestUnseenClassMarked(t *testing.T) {
	s := otce.DefaultSettings()
	s.K = 1
	j, err := otce.Prepare(otce.DemoCandidates()[0], s)
	if err != nil {
		t.Fatal(err)
	}
	reps, res := Repetitions(context.Background(), j, 1, nil)
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	// The repetition as if its target sample had missed class 3.
	r := *reps[0]
	r.tclass = map[int]int{}
	for l, b := range reps[0].tclass {
		if l != 3 {
			r.tclass[l] = b
		}
	}
	im := j.Target.Images[0]
	m, err := ImageMap(context.Background(), im, []*Rep{&r}, Options{Transform: s.Transform.String()})
	if err != nil {
		t.Fatal(err)
	}
	class3 := 0
	for p, l := range m.Labels {
		if l == 3 {
			class3++
			if !math.IsNaN(float64(m.Values[p])) {
				t.Fatalf("pixel %d of the missing class has h = %v", p, m.Values[p])
			}
		} else if l >= 0 && math.IsInf(float64(m.Values[p]), 0) {
			t.Fatalf("pixel %d: h = %v", p, m.Values[p])
		}
	}
	if class3 == 0 || m.Unseen != class3 || m.Undefined < class3 || m.Score("", 0).Unseen != class3 {
		t.Errorf("%d pixels of class 3; unseen %d, undefined %d", class3, m.Unseen, m.Undefined)
	}
}

// TestImageMapWorkers: the map does not depend on the number of goroutines.
func TestImageMapWorkers(t *testing.T) {
	s := otce.DefaultSettings()
	s.K, s.N = 2, 600
	j, err := otce.Prepare(otce.DemoCandidates()[2], s)
	if err != nil {
		t.Fatal(err)
	}
	reps, res := Repetitions(context.Background(), j, 1, nil)
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	im := j.Target.Images[3]
	a, err := ImageMap(context.Background(), im, reps, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ImageMap(context.Background(), im, reps, Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	for p := range a.Values {
		if math.Float32bits(a.Values[p]) != math.Float32bits(b.Values[p]) {
			t.Fatalf("pixel %d: %v with 1 goroutine, %v with 3", p, a.Values[p], b.Values[p])
		}
	}
	if a.Sum != b.Sum || a.Defined != b.Defined || a.Partial != b.Partial {
		t.Errorf("sums %v and %v", a.Sum, b.Sum)
	}
}

// TestClassesDeterministic: the per-class table is the same to the bit
// every time (the shares' total was once summed in a map's random order,
// and the page's table then differed from the CLI's maps.json in the last
// bit of a share), and its shares sum to 1.
func TestClassesDeterministic(t *testing.T) {
	c := otce.DemoCandidates()[0]
	s := otce.DefaultSettings()
	s.K, s.N = 2, 300
	j, err := otce.Prepare(c, s)
	if err != nil {
		t.Fatal(err)
	}
	reps, res := Repetitions(context.Background(), j, 1, nil)
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	first := Classes(reps)
	if len(first) < 3 {
		t.Fatalf("%d classes: the test needs several", len(first))
	}
	sum := 0.0
	for _, r := range first {
		sum += r.Share
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("the shares sum to %.17g", sum)
	}
	for range 50 {
		again := Classes(reps)
		for i, r := range again {
			if math.Float64bits(r.Share) != math.Float64bits(first[i].Share) || r.Label != first[i].Label {
				t.Fatalf("row %d: share %.17g of class %d, first %.17g of class %d", i, r.Share, r.Label, first[i].Share, first[i].Label)
			}
		}
	}
}

// TestThumbnail: every s-th row and column of the middle slice, s the least
// step that fits the size.
func TestThumbnail(t *testing.T) {
	m := &Map{D: 3, H: 20, W: 10, Defined: 7, Sum: 1.5}
	m.Values = make([]float32, 3*20*10)
	m.Labels = make([]int32, 3*20*10)
	for p := range m.Values {
		m.Values[p], m.Labels[p] = float32(p), int32(p%7)
	}
	th := m.Thumbnail(8) // step 3: 7×4
	if th.D != 1 || th.H != 7 || th.W != 4 || th.Defined != 7 || th.Sum != 1.5 {
		t.Fatalf("thumbnail %d×%d×%d, %d defined, sum %v", th.D, th.H, th.W, th.Defined, th.Sum)
	}
	for y := 0; y < 7; y++ {
		for x := 0; x < 4; x++ {
			p := (1*20+3*y)*10 + 3*x
			if th.Values[y*4+x] != float32(p) || th.Labels[y*4+x] != int32(p%7) {
				t.Fatalf("(%d, %d): %v, want the map's pixel %d", y, x, th.Values[y*4+x], p)
			}
		}
	}
	if same := m.Thumbnail(64); same.H != 20 || same.W != 10 || same.Values[0] != float32(200) {
		t.Errorf("a thumbnail larger than the map: %d×%d from %v", same.H, same.W, same.Values[0])
	}
}
