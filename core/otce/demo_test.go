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
