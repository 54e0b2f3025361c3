package ot

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"testing"
)

// TestScoreTraceProbe writes the per-iteration trace (stage, iteration,
// marginal error, CE) of a dumped repetition's solve to OTCE_TRACE, for
// replaying stop rules offline (skipped unless OTCE_DUMP and OTCE_TRACE are
// set). SCORETOL, TOL and MAXITER set the parameters (default: no score
// rule, Tol 1e-9, 3000 iterations: the converged reference).
func TestScoreTraceProbe(t *testing.T) {
	dir, out := os.Getenv("OTCE_DUMP"), os.Getenv("OTCE_TRACE")
	if dir == "" || out == "" {
		t.Skip("set OTCE_DUMP and OTCE_TRACE")
	}
	prm := Params{Eps: 0.1, CostNorm: NormNone, Tol: 1e-9, MaxIter: 3000, WarmStart: true}
	if v, err := strconv.ParseFloat(os.Getenv("SCORETOL"), 64); err == nil {
		prm.ScoreTol = v
	}
	if v, err := strconv.ParseFloat(os.Getenv("TOL"), 64); err == nil {
		prm.Tol = v
	}
	if v, err := strconv.Atoi(os.Getenv("MAXITER")); err == nil {
		prm.MaxIter = v
	}
	if v, err := strconv.ParseFloat(os.Getenv("WSR"), 64); err == nil {
		defer func(r float64) { WarmStartRatio = r }(WarmStartRatio)
		WarmStartRatio = v
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	defer w.Flush()
	prm.Progress = func(pr Progress) {
		fmt.Fprintf(w, "%d %d %.17g %.17g\n", pr.Stage, pr.Iteration, pr.Error, pr.CE)
	}
	p := dumpedProblem(t, dir)
	sol, err := Solve(t.Context(), NewLocalBlocks(p, 0), p, prm)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "# CE %.17g iterations %d rule %s err %.3g stages %d\n", sol.CE, sol.Iterations, sol.StopRule, sol.MarginalError, sol.Stages)
	t.Logf("CE %.17g iterations %d rule %s err %.3g stages %d", sol.CE, sol.Iterations, sol.StopRule, sol.MarginalError, sol.Stages)
}
