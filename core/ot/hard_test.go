package ot

import (
	"testing"
	"time"
)

func TestHardRawProbe(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	p := clustered(3, 1000, 1000, 19, 19, 19, 4)
	t0 := time.Now()
	var last Progress
	sol := solve(t, p, 2, Params{Eps: 0.1, CostNorm: NormNone, Tol: 1e-6, MaxIter: 20000, ScoreTol: 1e-6, Progress: func(pr Progress) {
		if pr.Stage != last.Stage {
			t.Logf("stage %d/%d eps %.4g at it %d err %.2e", pr.Stage, pr.Stages, pr.Eps, pr.Iteration, last.Error)
		}
		if pr.Iteration%500 == 0 {
			t.Logf("   it %d err %.3e", pr.Iteration, pr.Error)
		}
		last = pr
	}})
	t.Logf("CE %.6f WD %.4f iters %d stages %d rebuilds %d err %.2e rule %s ω %.3f median %.1f  dCE %.2e  %v", sol.CE, sol.WD, sol.Iterations, sol.Stages, sol.Rebuilds, sol.MarginalError, sol.StopRule, sol.Omega, sol.CostMedian, sol.CEChange, time.Since(t0))
}
