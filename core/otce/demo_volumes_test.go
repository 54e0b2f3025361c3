package otce

import (
	"context"
	"testing"
)

// TestDemoVolumesRankByQuality scores the volumetric demo with the default
// settings (every valid voxel is used) and checks the ranking follows the
// candidates' quality.
func TestDemoVolumesRankByQuality(t *testing.T) {
	s := DefaultSettings()
	var res []float64
	for _, c := range DemoVolumeCandidates() {
		r := Score(context.Background(), c, s, 0, nil)
		if r.Error != "" {
			t.Fatalf("%s: %s", c.Name, r.Error)
		}
		d := r.Diagnostics
		t.Logf("%s: OTCE %.5f ± %.5f voxels %d/%d layouts %s/%s iters %v warnings %q %.2fs", c.Name, r.OTCEMean, r.OTCEStd,
			d.SourcePixels, d.TargetPixels, d.SourceLayout, d.TargetLayout, r.Iterations[0], r.Warnings, r.Seconds)
		if d.SourceLayout != "ncdhw" || d.TargetLayout != "ncdhw" {
			t.Errorf("%s: layouts %s and %s, want ncdhw", c.Name, d.SourceLayout, d.TargetLayout)
		}
		if d.SourcePixels > s.N || d.TargetPixels > s.N || d.SourcePixels < 500 || d.TargetPixels < 500 {
			t.Errorf("%s: %d and %d voxels, want some hundreds to N", c.Name, d.SourcePixels, d.TargetPixels)
		}
		res = append(res, r.OTCEMean)
	}
	for i := 1; i < len(res); i++ {
		if res[i] >= res[i-1] {
			t.Errorf("candidate %d scores %.4f, not below candidate %d's %.4f", i, res[i], i-1, res[i-1])
		}
	}
}
