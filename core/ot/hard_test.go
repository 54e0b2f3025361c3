package ot

import (
	"os"
	"strconv"
	"testing"
	"time"
)

func TestHardRawProbe(t *testing.T) {
	if os.Getenv("OTCE_PROBE") == "" {
		t.Skip("set OTCE_PROBE=1")
	}
	p := clustered(3, 1000, 1000, 19, 19, 19, 4)
	t0 := time.Now()
	st, _ := strconv.ParseFloat(os.Getenv("SCORETOL"), 64)
	mi, _ := strconv.Atoi(os.Getenv("MAXITER"))
	if mi == 0 {
		mi = 20000
	}
	var last Progress
	sol := solve(t, p, 2, Params{Eps: 0.1, CostNorm: NormNone, Tol: 1e-6, MaxIter: mi, ScoreTol: st, WarmStart: os.Getenv("WARM") != "", Progress: func(pr Progress) {
		if pr.Stage != last.Stage {
			t.Logf("stage %d/%d eps %.4g at it %d err %.2e", pr.Stage, pr.Stages, pr.Eps, pr.Iteration, last.Error)
		}
		last = pr
	}})
	t.Logf("CE %.6f WD %.4f iters %d stages %d rebuilds %d warm %v exactCE %.6f err %.2e rule %s ω %.3f median %.1f  dCE %.2e  %v", sol.CE, sol.WD, sol.Iterations, sol.Stages, sol.Rebuilds, sol.WarmStarted, sol.ExactCE, sol.MarginalError, sol.StopRule, sol.Omega, sol.CostMedian, sol.CEChange, time.Since(t0))
}
