package stats

import (
	"math"
	"testing"
)

// The expected values are SciPy's (stats.kendalltau, spearmanr, pearsonr).
func TestAgainstSciPy(t *testing.T) {
	for _, tc := range []struct {
		x, y                       []float64
		pearson, spearman, kendall float64
	}{
		{[]float64{1, 2, 2, 3}, []float64{1, 3, 2, 4}, 0.9486832980505138, 0.9486832980505139, 0.912870929175277},
		{[]float64{1, 2, 3, 4, 5}, []float64{2, 1, 4, 3, 5}, 0.8, 0.8, 0.6},
		{[]float64{-0.4, -0.9, -1.3}, []float64{70, 60, 50}, 0.9979487157886733, 1, 1},
	} {
		for name, got := range map[string][2]float64{
			"pearson": {Pearson(tc.x, tc.y), tc.pearson}, "spearman": {Spearman(tc.x, tc.y), tc.spearman}, "kendall": {Kendall(tc.x, tc.y), tc.kendall},
		} {
			if math.Abs(got[0]-got[1]) > 1e-12 {
				t.Errorf("%s(%v, %v) = %.15f, SciPy %.15f", name, tc.x, tc.y, got[0], got[1])
			}
		}
	}
	if !math.IsNaN(Kendall([]float64{1}, []float64{2})) || !math.IsNaN(Pearson([]float64{1, 1}, []float64{1, 2})) {
		t.Error("degenerate inputs should give NaN")
	}
}
