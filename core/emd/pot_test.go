package emd

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// potFixture is a reference solution of POT's ot.emd written by
// testdata/gen.py.
type potFixture struct {
	Name        string
	N, M, D     int
	Xs, Xt      []float64 // float32 values
	ProbeIndex  []int     `json:"probe_index"`
	ProbeCost   []float64 `json:"probe_cost"`
	PotCost     float64   `json:"pot_cost"`
	PotVersion  string    `json:"pot_version"`
	Support     [][2]int32
	SupportMass []float64 `json:"support_mass"`
}

func loadPOT(t *testing.T) []potFixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "pot_*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no POT fixtures (%v); run /usr/bin/python3 testdata/gen.py", err)
	}
	var fs []potFixture
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f potFixture
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		fs = append(fs, f)
	}
	return fs
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for k, v := range x {
		y[k] = float32(v)
	}
	return y
}

func TestPOT(t *testing.T) {
	ctx := context.Background()
	for _, f := range loadPOT(t) {
		cost := sqDistCost(to32(f.Xs), to32(f.Xt), f.N, f.M, f.D)
		for k, idx := range f.ProbeIndex {
			if float64(cost[idx]) != f.ProbeCost[k] {
				t.Fatalf("%s: cost[%d] = %v, python computed %v", f.Name, idx, cost[idx], f.ProbeCost[k])
			}
		}
		methods := []string{MethodNetwork}
		if f.N == f.M {
			methods = allMethods
		}
		for _, method := range methods {
			p, err := Solve(ctx, cost, f.N, f.M, Options{Method: method})
			if err != nil {
				t.Fatalf("%s %s: %v", f.Name, method, err)
			}
			inf, sl := checkPlan(t, cost, f.N, f.M, p)
			rel := math.Abs(p.Cost-f.PotCost) / f.PotCost
			t.Logf("%s %-7s cost %.15f POT %s %.15f (rel. diff %.1e), support %d/%d, infeasibility %.1e, slackness %.1e, %d iterations",
				f.Name, method, p.Cost, f.PotVersion, f.PotCost, rel, len(p.Mass), len(f.Support), inf, sl, p.Iterations)
			if rel > 1e-9 {
				t.Errorf("%s %s: cost %.15f, POT %.15f", f.Name, method, p.Cost, f.PotCost)
			}
			same := len(p.Mass) == len(f.Support)
			for k := 0; same && k < len(p.Mass); k++ {
				same = p.Rows[k] == f.Support[k][0] && p.Cols[k] == f.Support[k][1] &&
					math.Abs(p.Mass[k]-f.SupportMass[k]) <= 1e-12
			}
			if same {
				continue
			}
			// A different support is only acceptable for a tie: POT's plan
			// must then be optimal too, which our duals certify if they are
			// tight on its support.
			worst := 0.0
			for _, s := range f.Support {
				i, j := int(s[0]), int(s[1])
				worst = math.Max(worst, math.Abs(p.U[i]+p.V[j]-float64(cost[i*f.M+j])))
			}
			t.Logf("%s %s: support differs from POT's; POT's support has slackness %.1e under our duals", f.Name, method, worst)
			if rel > 1e-12 || worst > 1e-9*f.PotCost {
				t.Errorf("%s %s: support differs from POT's without a tie", f.Name, method)
			}
		}
	}
}
