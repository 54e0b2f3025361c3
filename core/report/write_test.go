package report

import (
	"math"
	"testing"
)

// TestCandidateMeans: the means over the repetitions the CLI's table and
// the page's columns show, NaN for a candidate without repetitions.
func TestCandidateMeans(t *testing.T) {
	c := Candidate{WD: []float64{0.5, 1.25, 4}, Iterations: []int{10, 21}}
	if got, want := c.MeanWD(), (0.5+1.25+4)/3; got != want {
		t.Errorf("MeanWD %v, want %v", got, want)
	}
	if got := c.MeanIterations(); got != 15.5 {
		t.Errorf("MeanIterations %v, want 15.5", got)
	}
	var failed Candidate
	if !math.IsNaN(failed.MeanWD()) || !math.IsNaN(failed.MeanIterations()) {
		t.Errorf("a candidate without repetitions: %v, %v, want NaN", failed.MeanWD(), failed.MeanIterations())
	}
}
