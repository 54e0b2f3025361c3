package ot

import (
	"os"
	"strconv"
	"testing"
)

func TestTraceProbe(t *testing.T) {
	if os.Getenv("OTCE_PROBE") == "" {
		t.Skip()
	}
	p := clustered(3, 1000, 1000, 19, 19, 19, 4)
	if r, err := strconv.ParseFloat(os.Getenv("WSR"), 64); err == nil {
		WarmStartRatio = r
	}
	st, _ := strconv.ParseFloat(os.Getenv("SCORETOL"), 64)
	ce := 0.0
	_ = ce
	bs := NewLocalBlocks(p, 2)
	it := 0
	sol, err := Solve(t.Context(), bs, p, Params{Eps: 0.1, CostNorm: NormNone, Tol: 1e-9, MaxIter: 20000, ScoreTol: st, WarmStart: os.Getenv("WARM") != "", Progress: func(pr Progress) {
		it++
		if pr.CE != 0 && (it%200 == 0 || it < 2000 && it%20 == 0) {
			t.Logf("it %d stage %d err %.3e CE %.7f", pr.Iteration, pr.Stage, pr.Error, pr.CE)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("CE %.6f rule %s ω %.3f rebuilds %d", sol.CE, sol.StopRule, sol.Omega, sol.Rebuilds)
}
