package maps

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/otceseg/otceseg/core/ot"
)

// problem returns a random problem: n source and m target points in R^d
// drawn around class centres, la source and lb target classes.
func problem(seed uint64, n, m, d, la, lb int) (*ot.Problem, []int, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	centre := make([]float64, (la+lb)*d)
	for k := range centre {
		centre[k] = rng.NormFloat64()
	}
	p := &ot.Problem{N: n, M: m, D: d, La: la, Lb: lb, Xs: make([]float32, n*d), Xt: make([]float32, m*d), Ys: make([]int32, n), Yt: make([]int32, m)}
	for i := 0; i < n; i++ {
		a := i % la
		p.Ys[i] = int32(a)
		for k := 0; k < d; k++ {
			p.Xs[i*d+k] = float32(centre[a*d+k] + 0.8*rng.NormFloat64())
		}
	}
	for j := 0; j < m; j++ {
		b := j * lb / m // ordered by class
		p.Yt[j] = int32(b)
		for k := 0; k < d; k++ {
			// Target class b sits near source class b mod la.
			p.Xt[j*d+k] = float32(centre[(b%la)*d+k] + 0.9*rng.NormFloat64())
		}
	}
	sc, tc := make([]int, la), make([]int, lb)
	for a := range sc {
		sc[a] = 10 + a
	}
	for b := range tc {
		tc[b] = 20 + 2*b
	}
	return p, sc, tc
}

func solve(t *testing.T, p *ot.Problem, prm ot.Params) *ot.Solution {
	t.Helper()
	prm.Potentials = true
	if prm.Tol == 0 {
		prm.Tol, prm.MaxIter = 1e-9, 100000
	}
	sol, err := ot.Solve(context.Background(), ot.NewLocalBlocks(p, 2), p, prm)
	if err != nil {
		t.Fatal(err)
	}
	return sol
}

// cases are the solves the tests map; slow ones are left out with -short.
var cases = []struct {
	name string
	n, m int
	prm  ot.Params
	slow bool
}{
	{"entropic-max", 150, 150, ot.Params{Eps: 0.05, CostNorm: ot.NormMax}, false},
	{"entropic-none-nm", 130, 170, ot.Params{Eps: 0.5, CostNorm: ot.NormNone}, false},
	{"entropic-median-small", 200, 200, ot.Params{Eps: 0.005, CostNorm: ot.NormMedian, WarmStart: true}, true},
	{"exact-auction", 150, 150, ot.Params{Exact: true, CostNorm: ot.NormMean}, false},
	{"exact-simplex", 120, 90, ot.Params{Exact: true}, false},
}

// TestMeanEqualsCE checks the decomposition: the mean of h_j over the sampled
// target points is the repetition's H(Y_t|Y_s), for entropic and exact plans.
func TestMeanEqualsCE(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.slow && testing.Short() {
				t.Skip("slow solve (-short)")
			}
			p, sc, tc := problem(3, c.n, c.m, 5, 4, 5)
			sol := solve(t, p, c.prm)
			r, err := NewRep(p, sc, tc, sol.Joint, sol.Potentials)
			if err != nil {
				t.Fatal(err)
			}
			h := r.Sampled()
			mean := 0.0
			for _, x := range h {
				if math.IsNaN(x) {
					t.Fatal("undefined h at a sampled point")
				}
				mean += x
			}
			mean /= float64(len(h))
			if d := math.Abs(mean - sol.CE); d > 1e-9 {
				t.Errorf("mean h = %.12g, CE = %.12g (|Δ| = %.2g)", mean, sol.CE, d)
			}
			if sol.CE < 0.05 {
				t.Errorf("CE %.3g: the fixture is too easy to test anything", sol.CE)
			}
		})
	}
}

// TestScoreUnchanged checks that asking for the potentials leaves every
// score bit for bit as it was.
func TestScoreUnchanged(t *testing.T) {
	for _, c := range cases {
		if c.slow && testing.Short() {
			continue
		}
		p, _, _ := problem(5, c.n, c.m, 4, 3, 4)
		prm := c.prm
		prm.Tol, prm.MaxIter = 1e-7, 100000
		a, err := ot.Solve(context.Background(), ot.NewLocalBlocks(p, 1), p, prm)
		if err != nil {
			t.Fatal(err)
		}
		b := solve(t, p, prm)
		if a.CE != b.CE || a.WD != b.WD || a.Iterations != b.Iterations || !slices.Equal(a.Joint, b.Joint) {
			t.Errorf("%s: CE %v → %v, WD %v → %v, iterations %d → %d", c.name, a.CE, b.CE, a.WD, b.WD, a.Iterations, b.Iterations)
		}
		if a.Potentials != nil || b.Potentials == nil {
			t.Errorf("%s: potentials %v without asking, %v when asked", c.name, a.Potentials != nil, b.Potentials != nil)
		}
	}
}

// TestMixtureAtSampled checks q_x from the potentials against the plan's
// normalised column at the sampled target points: against the coupling
// exp((F_i + G_j − C'_ij)/ε) of the potentials evaluated directly (no
// log-sum-exp, float64, with the blocks' float32 cost), to 1e-9, and
// against the solver's own coupling (its float32 kernel, so 1e-5: the
// kernel's rounding) . For the exact plan: the plan's column, to 1e-9,
// wherever the duals single out the plan row's class.
func TestMixtureAtSampled(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.slow && testing.Short() {
				t.Skip("slow solve (-short)")
			}
			p, sc, tc := problem(7, c.n, c.m, 6, 4, 3)
			sol := solve(t, p, c.prm)
			pot := sol.Potentials
			r, err := NewRep(p, sc, tc, sol.Joint, pot)
			if err != nil {
				t.Fatal(err)
			}
			x := make([]float64, len(p.Xt))
			for k, v := range p.Xt {
				x[k] = float64(v)
			}
			q := make([]float64, p.M*p.La)
			r.Mixtures(x, p.M, q, nil)
			if pot.Exact {
				// With their labels the sampled points take their plan
				// columns, tied or not.
				labels := make([]int32, p.M)
				for j, b := range p.Yt {
					labels[j] = int32(tc[b])
				}
				ql := make([]float64, p.M*p.La)
				r.LabeledMixtures(x, labels, p.M, ql, nil)
				qj := make([]float64, p.La)
				for j := 0; j < p.M; j++ {
					r.SampledMixture(j, qj)
					for a := range qj {
						if d := math.Abs(ql[j*p.La+a] - qj[a]); d > 1e-15 {
							t.Fatalf("column %d: labelled q_x %v, plan column %v", j, ql[j*p.La:(j+1)*p.La], qj)
						}
					}
				}
				// Another label: the arg-min's classes.
				labels[0] = int32(tc[(p.Yt[0]+1)%int32(p.Lb)])
				r.LabeledMixtures(x[:p.D], labels[:1], 1, ql[:p.La], nil)
				if !slices.Equal(ql[:p.La], q[:p.La]) {
					t.Errorf("a point with a sampled point's features and another label: %v, the arg-min's %v", ql[:p.La], q[:p.La])
				}
				// A hash that points at a group whose features differ (a
				// collision, forged here) is not trusted: the arg-min's.
				// j is a tied column, whose plan column is not the
				// arg-min's.
				for j := 0; j < p.M; j++ {
					r.SampledMixture(j, qj)
					if slices.Equal(qj, q[j*p.La:(j+1)*p.La]) {
						continue
					}
					y := slices.Clone(x[j*p.D : (j+1)*p.D])
					y[0] = float64(math.Nextafter32(float32(y[0]), 2))
					lj := []int32{int32(tc[p.Yt[j]])}
					r.sampled[sampleKey(nil, y, int(lj[0]))] = r.sampled[sampleKey(nil, x[j*p.D:(j+1)*p.D], int(lj[0]))]
					want := make([]float64, p.La)
					r.Mixtures(y, 1, want, nil)
					r.LabeledMixtures(y, lj, 1, ql[:p.La], nil)
					if !slices.Equal(ql[:p.La], want) {
						t.Errorf("a forged hash collision with column %d: %v, the arg-min's %v", j, ql[:p.La], want)
					}
					break
				}
			}
			col := make([]float64, p.La)
			direct := make([]float64, p.La)
			worstDirect, worstSolver, spread := 0.0, 0.0, 0
			for j := 0; j < p.M; j++ {
				r.SampledMixture(j, col)
				s := 0.0
				for _, v := range col {
					s += v
				}
				clear(direct)
				if !pot.Exact {
					total := 0.0
					for i := 0; i < p.N; i++ {
						// The blocks' float32 cost, the formula written out.
						var ni, nj, dot float64
						for k := 0; k < p.D; k++ {
							xs, xt := float64(p.Xs[i*p.D+k]), float64(p.Xt[j*p.D+k])
							ni += xs * xs
							nj += xt * xt
							dot += xs * xt
						}
						cij := float64(float32(max(0, ni+nj-2*dot)))
						w := math.Exp((pot.F[i] + pot.G[j] - cij/pot.Scale) / pot.Eps)
						direct[p.Ys[i]] += w
						total += w
					}
					for a := range direct {
						direct[a] /= total
					}
				}
				if pot.Exact {
					plan := slices.IndexFunc(col, func(v float64) bool { return v > 0 })
					if q[j*p.La+plan] == 0 {
						t.Fatalf("column %d: q_x %v misses the plan's class %d", j, q[j*p.La:(j+1)*p.La], plan)
					}
					if q[j*p.La+plan] != 1 {
						spread++
						continue // degenerate duals: mass spread over tied classes
					}
				}
				for a := 0; a < p.La; a++ {
					qa := q[j*p.La+a]
					worstSolver = math.Max(worstSolver, math.Abs(qa-col[a]/s))
					if !pot.Exact {
						worstDirect = math.Max(worstDirect, math.Abs(qa-direct[a]))
					}
				}
			}
			t.Logf("largest |q_x − column|: direct %.2g, solver's coupling %.2g; exact columns with tied classes %d of %d", worstDirect, worstSolver, spread, p.M)
			// Dual degeneracy is common in assignment problems, and a column
			// of a transport plan with N ≠ M may take mass from several rows:
			// a bound that still fails if ties were taken far too widely.
			if spread > p.M/3 {
				t.Errorf("%d of %d exact columns have tied classes", spread, p.M)
			}
			if worstDirect > 1e-9 {
				t.Errorf("q_x differs from the potentials' coupling by %.2g", worstDirect)
			}
			tol := 1e-9
			if !pot.Exact {
				tol = 1e-5 // float32 kernel entries
			}
			if worstSolver > tol {
				t.Errorf("q_x differs from the solver's plan column by %.2g", worstSolver)
			}
		})
	}
}

// TestRepFromParts builds a Rep as a worker would, from the sample's source
// side, F and the joint table only: the same mixtures.
func TestRepFromParts(t *testing.T) {
	p, sc, tc := problem(11, 120, 120, 4, 3, 4)
	sol := solve(t, p, ot.Params{Eps: 0.05, CostNorm: ot.NormMax})
	full, err := NewRep(p, sc, tc, sol.Joint, sol.Potentials)
	if err != nil {
		t.Fatal(err)
	}
	lean := *p
	lean.Xt = nil
	pot := &ot.Potentials{F: sol.Potentials.F, Eps: sol.Potentials.Eps, Scale: sol.Potentials.Scale}
	part, err := NewRep(&lean, sc, tc, sol.Joint, pot)
	if err != nil {
		t.Fatal(err)
	}
	if part.Sampled() != nil {
		t.Error("Sampled without the columns")
	}
	x := make([]float64, len(p.Xt))
	for k, v := range p.Xt {
		x[k] = float64(v)
	}
	a, b := make([]float64, p.M*p.La), make([]float64, p.M*p.La)
	full.Mixtures(x, p.M, a, nil)
	part.Mixtures(x, p.M, b, nil)
	if !slices.Equal(a, b) {
		t.Error("a Rep from parts gives other mixtures")
	}
}

// TestExpWeight: expWeight is e^x to within 2 ulp of math.Exp on
// (−flush, 0], at the ends of its reduction's steps and at random points.
func TestExpWeight(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	xs := []float64{0, math.Copysign(0, -1), -1e-300, -1e-17, -1e-9, -0.5, -1, -math.Ln2, -math.Ln2 / 128, -math.Ln2 / 64, -79.999999, math.Nextafter(-flush, 0)}
	for j := range 7400 {
		xs = append(xs, -float64(j)*math.Ln2/128, math.Nextafter(-float64(j)*math.Ln2/128, 0))
	}
	for range 500000 {
		xs = append(xs, -flush*rng.Float64(), -rng.Float64())
	}
	worst := 0.0
	for _, x := range xs {
		got, want := expWeight(x), math.Exp(x)
		ulp := math.Nextafter(want, math.Inf(1)) - want
		if d := math.Abs(got-want) / ulp; d > worst {
			worst = d
		}
		if math.Abs(got-want) > 2*ulp {
			t.Fatalf("expWeight(%v) = %v, math.Exp %v", x, got, want)
		}
	}
	t.Logf("largest error %.2f ulp", worst)
}
