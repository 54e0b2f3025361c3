package otce

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/otceseg/otceseg/core/ot"
)

// TestDemoTraceProbe writes each demo repetition's per-iteration trace of
// the converged solve (no score rule, Tol 1e-9) to OTCE_TRACEDIR, for
// replaying stop rules offline.
func TestDemoTraceProbe(t *testing.T) {
	dir := os.Getenv("OTCE_TRACEDIR")
	if dir == "" {
		t.Skip("set OTCE_TRACEDIR")
	}
	s := DefaultSettings()
	s.N = DemoN
	eachDemoSample(t, s, func(ci int, c Candidate, rep int, smp *Sample) {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("c%d_r%d.txt", ci, rep)))
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		cs := s
		cs.ScoreTol, cs.Tol, cs.MaxIter = 0, 1e-9, 100000
		prm := SolveParams(cs, func(pr ot.Progress) {
			fmt.Fprintf(w, "%d %d %.17g %.17g\n", pr.Stage, pr.Iteration, pr.Error, pr.CE)
		})
		sol, err := ot.Solve(context.Background(), ot.NewLocalBlocks(smp.Problem, 1), smp.Problem, prm)
		if err != nil {
			t.Fatal(err)
		}
		def, err := ot.Solve(context.Background(), ot.NewLocalBlocks(smp.Problem, 1), smp.Problem, SolveParams(s, nil))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "# conv %.17g %d %s default %.17g %d %s\n", sol.CE, sol.Iterations, sol.StopRule, def.CE, def.Iterations, def.StopRule)
		w.Flush()
		f.Close()
		t.Logf("%s rep %d: conv CE %.9f (%d, %s) default %.9f (%d, %s) |Δ| %.3g", c.Name, rep, sol.CE, sol.Iterations, sol.StopRule, def.CE, def.Iterations, def.StopRule, sol.CE-def.CE)
	})
}
