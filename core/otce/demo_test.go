package otce

import (
	"context"
	"testing"
)

func TestDemoRanksByQuality(t *testing.T) {
	s := DefaultSettings()
	var res []float64
	for _, c := range DemoCandidates() {
		r := Score(context.Background(), c, s, 0, nil)
		if r.Error != "" {
			t.Fatalf("%s: %s", c.Name, r.Error)
		}
		t.Logf("%s: OTCE %.5f ± %.5f iters %v rule %v err %.2e eps/med %.3g warnings %q %.2fs", c.Name, r.OTCEMean, r.OTCEStd, r.Iterations[0], r.StopRule[0], r.MarginalError[0], r.Diagnostics.EpsOverMedian, r.Warnings, r.Seconds)
		res = append(res, r.OTCEMean)
	}
	for i := 1; i < len(res); i++ {
		if res[i] >= res[i-1] {
			t.Errorf("candidate %d scores %.4f, not below candidate %d's %.4f", i, res[i], i-1, res[i-1])
		}
	}
}

// TestWorkerCountAndSeed: the same seed gives the same score whatever the
// number of goroutines; another seed gives other pixels.
func TestWorkerCountAndSeed(t *testing.T) {
	c := DemoCandidates()[1]
	s := DefaultSettings()
	s.N, s.K = 600, 2
	a := Score(context.Background(), c, s, 1, nil)
	b := Score(context.Background(), c, s, 3, nil)
	if a.Error != "" || b.Error != "" {
		t.Fatal(a.Error, b.Error)
	}
	for i := range a.CE {
		if a.CE[i] != b.CE[i] || a.WD[i] != b.WD[i] || a.Iterations[i] != b.Iterations[i] {
			t.Fatalf("repetition %d: 1 worker CE %v WD %v, 3 workers CE %v WD %v", i, a.CE[i], a.WD[i], b.CE[i], b.WD[i])
		}
	}
	if a.CE[0] == a.CE[1] {
		t.Error("two repetitions drew the same pixels")
	}
	s.Seed = 1
	c2 := Score(context.Background(), c, s, 2, nil)
	if c2.CE[0] == a.CE[0] {
		t.Error("another seed gave the same score")
	}
}
