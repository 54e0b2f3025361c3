package ot

import (
	"context"
	"errors"
	"fmt"
	"github.com/otceseg/otceseg/core/detmath"
	"math"
	"time"

	"github.com/otceseg/otceseg/core/emd"
)

// Cost normalisations: the cost is divided by this statistic of itself
// before ε applies.
const (
	NormNone   = "none"
	NormMax    = "max"
	NormMean   = "mean"
	NormMedian = "median"
)

// StopRule says why a solve stopped (Solution.StopRule). It is a string
// type: its JSON, and the report's stop_rule, is its String().
type StopRule string

// Stop rules reported in Solution.StopRule.
const (
	StopMarginal StopRule = "marginal" // the L1 marginal violation reached Tol
	StopScore    StopRule = "score"    // the score had settled (see Params.ScoreTol)
	StopMaxIter  StopRule = "max-iter" // the iteration budget ran out
	StopExact    StopRule = "exact"    // the exact solver finished (Params.Exact)
)

// String returns the stop rule's name as the report spells it.
func (r StopRule) String() string { return string(r) }

// Params are the solver settings.
type Params struct {
	Eps      float64 // entropic regularisation ε, in units of the normalised cost
	CostNorm string  // NormNone, NormMax, NormMean or NormMedian
	Tol      float64 // stop when the L1 marginal violation is at most Tol
	MaxIter  int     // iteration budget over all ε stages
	// ScoreTol, when positive, also stops the final stage once the
	// conditional entropy has settled: its distance from its limit,
	// extrapolated from its changes over the last windows of iterations
	// as a power law whose exponent is at most 1 (scoreRest), is at most
	// ScoreTol.
	ScoreTol float64
	// Exact selects the exact solver: the plan is the optimal transport
	// plan (ε plays no part), computed over the blocks while they hold
	// the cost (ExactOverBlocks).
	Exact bool
	// WarmStart lets the Sinkhorn solver start from the exact plan's dual
	// potentials when ε/median(C') is below WarmStartBelow and the block set
	// can compute exact plans, instead of ε-scaling from a large ε.
	WarmStart bool
	// Progress, when set, is called after every iteration.
	Progress func(Progress)
	// ExactStart, when set, is called when the exact plan starts (Exact,
	// or the warm start), after the cost: a phase that runs for seconds
	// at N = 10⁴ without iterations to report.
	ExactStart func()
	// Potentials asks for the coupling's potentials and source-class
	// column sums in Solution.Potentials (for transferability maps): one
	// more pass over the kernel at the end (OpPotentials), or a pass over
	// the exact plan. The score is the same with or without.
	Potentials bool
}

// Potentials describe the reported coupling in a form that extends to
// points outside the sample (package maps).
//
// Entropic (Exact false): π_ij = exp((F_i + G_j − C_ij/Scale)/Eps), up to the
// float32 rounding of the stored kernel, with C_ij the squared Euclidean
// cost, Scale the solution's cost normaliser and Eps the target ε.
//
// Exact: F and G are the exact plan's dual potentials divided by Scale
// (F_i + G_j ≤ C_ij/Scale + Tie, with |F_i + G_j − C_ij/Scale| ≤ Tie on the
// plan's support: Tie is the certificate's tolerance emd.CertTol·max C over
// Scale), Eps is 0. Several rows i can then be within Tie of the least
// C_ij/Scale − F_i of a column j, the plan's row among them.
//
// Columns[a·M + j] is Σ_{i: Ys_i = a} π_ij / Σ π, the mass of target column j
// coming from source class a in the normalised coupling whose joint table
// is Solution.Joint: Σ_j Columns[a·M + j] [Yt_j = b] = Joint[a·Lb + b].
type Potentials struct {
	F, G    []float64 // row (N) and column (M) potentials, normalised cost units
	Eps     float64
	Scale   float64
	Exact   bool
	Tie     float64
	Columns []float64 // La×M
}

// WarmStartBelow is the ε/median(C') under which Sinkhorn starts from the
// exact plan's potentials (Params.WarmStart): there ε-scaling would need
// many stages and the coupling is close to the exact plan anyway.
const WarmStartBelow = 1e-2

// WarmStartRatio bounds the ε/median(C') at which a warm-started solve
// begins: at the target ε when its ratio is at least WarmStartRatio, else at
// the largest ε·2^k whose ratio is at most WarmStartRatio (k =
// ⌊log₂(WarmStartRatio/ratio)⌋ stages of ε-scaling before the target's).
// On the logits of a trained network (ratio 0.96·10⁻³) the rule that began
// at the smallest ε·2^k at or above it (⌈log₂⌉) added a stage at 2ε, whose
// kernel is dense: 327 iterations against 210 in one sparse stage, both
// within 2.1·10⁻⁵ of the same limit.
var WarmStartRatio = 1e-3

// ScoreWindow is the number of iterations between two score checks.
const ScoreWindow = 10

// Progress describes the state of a running solve.
type Progress struct {
	Stage, Stages int     // current ε stage (1-based) and their number
	Eps           float64 // ε of the stage
	Iteration     int     // iterations so far, all stages
	Error         float64 // L1 marginal violation after the last iteration
	CE            float64 // conditional entropy of the current coupling (final stage only, else 0)
}

// Solution is the result of a solve.
type Solution struct {
	La, Lb        int
	Joint         []float64 // La×Lb joint label table, summing to 1
	CE            float64   // H(Y_t | Y_s) of Joint, natural log
	WD            float64   // transport cost Σ π_ij C_ij in normalised cost units
	Mass          float64   // total mass of the coupling before normalisation
	Iterations    int
	MarginalError float64 // L1 violation of both marginals by the coupling
	Converged     bool
	StopRule      StopRule
	CEChange      float64 // |ΔCE| over the last ScoreWindow iterations
	CERest        float64 // the score rule's last estimate of the distance from the score to its limit (scoreRest)
	Omega         float64 // over-relaxation of the final stage
	Stages        int
	Rebuilds      int     // kernel rebuilds from the features after the first
	Scale         float64 // the cost was divided by this
	Exact         bool    // the coupling is the exact plan (Params.Exact)
	WarmStarted   bool    // Sinkhorn started from the exact plan's potentials
	HasExact      bool    // ExactCE and ExactWD are set
	ExactCE       float64 // CE and WD of the exact plan, when it was computed
	ExactWD       float64
	// Seconds spent per block operation (by OpKind.String) and in the
	// exact solver ("exact"): where the time goes.
	Seconds    map[string]float64
	CostMax    float64 // raw cost statistics
	CostMean   float64
	CostMedian float64
	// Potentials is set when Params.Potentials asked for it.
	Potentials *Potentials
}

// ConditionalEntropy returns H(Y_t|Y_s) = −Σ P(a,b) log(P(a,b)/P(a)) of the
// joint table (la×lb, normalised by its sum first).
func ConditionalEntropy(joint []float64, la, lb int) float64 {
	total := 0.0
	for _, x := range joint {
		total += x
	}
	if !(total > 0) {
		return math.NaN()
	}
	h := 0.0
	for a := 0; a < la; a++ {
		row := joint[a*lb : (a+1)*lb]
		pa := 0.0
		for _, x := range row {
			pa += x
		}
		for _, x := range row {
			if x > 0 {
				h -= x / total * detmath.Log(x/pa)
			}
		}
	}
	return h
}

// Solve computes the entropic OT coupling of the problem whose rows the
// blocks hold and reads the joint label table and transport cost off it.
func Solve(ctx context.Context, bs BlockSet, p *Problem, prm Params) (*Solution, error) {
	if (!(prm.Eps > 0) || math.IsInf(prm.Eps, 0)) && !prm.Exact {
		return nil, fmt.Errorf("ot: ε must be positive and finite, got %v", prm.Eps)
	}
	if !(prm.Tol > 0) {
		return nil, fmt.Errorf("ot: tolerance must be positive, got %v", prm.Tol)
	}
	if prm.MaxIter <= 0 {
		return nil, fmt.Errorf("ot: iteration budget must be positive, got %d", prm.MaxIter)
	}
	s := &solver{ctx: ctx, bs: bs, p: p, prm: prm, sol: &Solution{La: p.La, Lb: p.Lb, Seconds: map[string]float64{}}}
	if err := s.costStats(); err != nil {
		return nil, err
	}
	ex, canExact := bs.(Exact)
	if prm.Exact {
		if !canExact {
			return nil, errors.New("ot: these blocks cannot compute the exact plan")
		}
		return s.exact(ex)
	}
	if prm.WarmStart && canExact && epsRatio(s) < WarmStartBelow {
		if err := s.warmStart(ex); err != nil {
			return nil, err
		}
	}
	return s.run()
}

type solver struct {
	ctx context.Context
	bs  BlockSet
	p   *Problem
	prm Params
	sol *Solution

	g, v  []float64
	eps   float64
	scale float64
	zero  float64 // every zero kernel entry has reduced cost ≥ zero (normalised units)
	// bounded: the last kernel build dropped entries and no absorb came
	// since, so run holds what they carry under DropTol (dropBound).
	bounded bool

	warmStages int  // ε stages left after a warm start
	relaxOff   bool // over-relaxation made things worse: plain iterations only
	relaxGrew  int  // windows in a row over which the error grew, over-relaxed
}

// do sends op to the blocks and accounts its time.
func (s *solver) do(op *Op) ([]*Reply, error) {
	t0 := time.Now()
	reps, err := s.bs.Do(op)
	s.sol.Seconds[op.Kind.String()] += time.Since(t0).Seconds()
	return reps, err
}

func (s *solver) costStats() error {
	reps, err := s.do(&Op{Kind: OpCost, Stats: true})
	if err != nil {
		return err
	}
	mx, sum, at := -1.0, 0.0, 0
	hist := make([]uint64, 1<<16)
	for _, r := range reps {
		sum += r.Sum
		if r.Max > mx {
			mx, at = r.Max, r.MaxAt
		}
		for i, h := range r.Hist {
			hist[i] += uint64(h)
		}
	}
	total := int64(s.p.N) * int64(s.p.M)
	med, err := s.median(hist, total)
	if err != nil {
		return err
	}
	// The largest cost, recomputed in float64 from the features (the stored
	// costs are float32), so that cost-norm max divides by the exact value.
	mx = PlanCost(s.p, []int32{int32(at / s.p.M)}, []int32{int32(at % s.p.M)}, []float64{1})
	s.sol.CostMax, s.sol.CostMean, s.sol.CostMedian = mx, sum/float64(total), med
	if mx > math.MaxFloat32 || math.IsInf(sum, 0) || math.IsNaN(sum) {
		return errors.New("ot: the cost overflows float32 (features too large)")
	}
	switch s.prm.CostNorm {
	case NormNone, "":
		s.scale = 1
	case NormMax:
		s.scale = mx
	case NormMean:
		s.scale = s.sol.CostMean
	case NormMedian:
		s.scale = med
	default:
		return fmt.Errorf("ot: unknown cost normalisation %q (none, max, mean, median)", s.prm.CostNorm)
	}
	if !(s.scale > 0) {
		return fmt.Errorf("ot: cannot normalise the cost by its %s, which is 0 (all points coincide)", s.prm.CostNorm)
	}
	s.sol.Scale = s.scale
	return nil
}

// median finds the exact median of the float32 costs (the mean of the two
// middle values when their count is even, as NumPy) from the histogram of
// their top 16 bits and a second histogram of the low bits.
func (s *solver) median(hist []uint64, total int64) (float64, error) {
	// The two middle values nearly always share their top 16 bits: one
	// pass over the cost for both then.
	lowBucket := -1
	var low []uint64
	rank := func(k int64) (float64, error) {
		var acc int64
		for b, h := range hist {
			if acc+int64(h) > k {
				if b != lowBucket {
					reps, err := s.do(&Op{Kind: OpCostHistogram, Bucket: b})
					if err != nil {
						return 0, err
					}
					low = make([]uint64, 1<<16)
					for _, r := range reps {
						for i, x := range r.Hist {
							low[i] += uint64(x)
						}
					}
					lowBucket = b
				}
				for l, x := range low {
					if acc+int64(x) > k {
						return float64(math.Float32frombits(uint32(b)<<16 | uint32(l))), nil
					}
					acc += int64(x)
				}
				break
			}
			acc += int64(h)
		}
		return 0, errors.New("ot: cost histogram inconsistent")
	}
	hi, err := rank(total / 2)
	if err != nil || total%2 == 1 {
		return hi, err
	}
	lo, err := rank(total/2 - 1)
	return (lo + hi) / 2, err
}

// EpsOverMedian is the ratio that decides how sharp the coupling is.
func (sol *Solution) EpsOverMedian(eps float64) float64 {
	if sol.CostMedian == 0 {
		return math.Inf(1)
	}
	return eps * sol.Scale / sol.CostMedian
}

func epsRatio(s *solver) float64 {
	med := s.sol.CostMedian / s.scale
	if med == 0 {
		return math.Inf(1)
	}
	return s.prm.Eps / med
}

// exactPlan solves the exact problem and records its score.
func (s *solver) exactPlan(ex Exact) (*emd.Plan, []float64, error) {
	if s.prm.ExactStart != nil {
		s.prm.ExactStart()
	}
	t0 := time.Now()
	plan, err := ex.ExactPlan(s.ctx, s.p)
	s.sol.Seconds["exact"] += time.Since(t0).Seconds()
	if err != nil {
		return nil, nil, err
	}
	p := s.p
	joint := make([]float64, p.La*p.Lb)
	for k := range plan.Rows {
		joint[int(p.Ys[plan.Rows[k]])*p.Lb+int(p.Yt[plan.Cols[k]])] += plan.Mass[k]
	}
	s.sol.HasExact = true
	s.sol.ExactCE = ConditionalEntropy(joint, p.La, p.Lb)
	s.sol.ExactWD = PlanCost(p, plan.Rows, plan.Cols, plan.Mass) / s.scale
	return plan, joint, nil
}

// PlanCost returns Σ_k mass_k ‖x_{rows_k} − y_{cols_k}‖², in float64 from
// the features (not from the float32 cost).
func PlanCost(p *Problem, rows, cols []int32, mass []float64) float64 {
	d := p.D
	total := 0.0
	for k := range rows {
		xs, xt := p.Xs[int(rows[k])*d:], p.Xt[int(cols[k])*d:]
		c := 0.0
		for i := 0; i < d; i++ {
			t := float64(xs[i]) - float64(xt[i])
			c += t * t
		}
		total += mass[k] * c
	}
	return total
}

// exact returns the exact plan's score.
func (s *solver) exact(ex Exact) (*Solution, error) {
	plan, joint, err := s.exactPlan(ex)
	if err != nil {
		return nil, err
	}
	sol := s.sol
	sol.Exact, sol.StopRule, sol.Converged = true, StopExact, true
	sol.Joint, sol.CE, sol.WD, sol.Mass = joint, sol.ExactCE, sol.ExactWD, 1
	sol.Iterations = plan.Iterations
	if s.prm.Potentials {
		sol.Potentials = exactPotentials(s.p, plan, s.scale)
		sol.Potentials.Tie = emd.CertTol * sol.CostMax / s.scale
	}
	if _, err := s.do(&Op{Kind: OpRelease}); err != nil {
		return nil, err
	}
	return sol, nil
}

// warmStart builds the kernel at the target ε from the exact plan's dual
// potentials, which leaves a single ε stage.
func (s *solver) warmStart(ex Exact) error {
	plan, _, err := s.exactPlan(ex)
	if err != nil {
		return err
	}
	f := make([]float64, len(plan.U))
	for i, u := range plan.U {
		f[i] = u / s.scale
	}
	s.g = make([]float64, len(plan.V))
	for j, v := range plan.V {
		s.g[j] = v / s.scale
	}
	s.warmStages = 0
	if r := epsRatio(s); r < WarmStartRatio {
		s.warmStages = floorLog2(WarmStartRatio / r)
	}
	s.eps = s.prm.Eps * math.Ldexp(1, s.warmStages)
	s.sol.WarmStarted = true
	reps, err := s.do(&Op{Kind: OpKernel, F: f, G: s.g, Eps: s.eps, Scale: s.scale})
	if err != nil {
		return err
	}
	s.built(reps)
	return nil
}

func (s *solver) run() (*Solution, error) {
	p, prm, sol := s.p, s.prm, s.sol
	stages := s.warmStages
	if !sol.WarmStarted {
		if med := sol.CostMedian / s.scale; med > prm.Eps {
			stages = ceilLog2(med / prm.Eps)
		}
		s.g = make([]float64, p.M)
		s.eps = prm.Eps * math.Ldexp(1, stages)
		if err := s.buildKernel(false); err != nil {
			return nil, err
		}
	}
	sol.Stages = stages + 1
	s.v = make([]float64, p.M)
	for j := range s.v {
		s.v[j] = 1
	}
	b := 1 / float64(p.M)
	colsum := make([]float64, p.M)
	joint := make([]float64, p.La*p.Lb)
	vPrev := make([]float64, p.M)
	var ceHist, errHist []float64
	omega := 1.0
	for stage := 1; ; stage++ {
		final := stage == sol.Stages
		stageIt := 0
		ceHist, errHist = ceHist[:0], errHist[:0]
		for {
			if err := s.ctx.Err(); err != nil {
				return nil, err
			}
			if sol.Iterations >= prm.MaxIter {
				if !final {
					// Budget gone before the target ε: a score at a larger ε
					// would be silently wrong.
					return nil, fmt.Errorf("ot: iteration budget (%d) ran out at ε = %.3g before reaching ε = %.3g; raise --max-iter", prm.MaxIter, s.eps, prm.Eps)
				}
				if stageIt == 0 {
					// Gone with the stage before: no iteration at the
					// target ε, whose kernel (the last one's squared) is
					// no coupling yet.
					return nil, fmt.Errorf("ot: iteration budget (%d) ran out before an iteration at ε = %.3g; raise --max-iter", prm.MaxIter, s.eps)
				}
				sol.StopRule = StopMaxIter
				break
			}
			w := 1.0
			if final {
				w = omega
			}
			reps, err := s.do(&Op{Kind: OpIterate, V: s.v, Omega: w})
			if err != nil {
				return nil, err
			}
			sol.Iterations++
			stageIt++
			sum, err := ReduceIterate(reps)
			if err != nil {
				return nil, err
			}
			if len(sum.ColSum) != len(colsum) || len(sum.Joint) != len(joint) {
				return nil, fmt.Errorf("ot: iteration replies hold %d columns and %d joint entries, want %d and %d", len(sum.ColSum), len(sum.Joint), len(colsum), len(joint))
			}
			copy(colsum, sum.ColSum)
			copy(joint, sum.Joint)
			rowErr, maxLogU, zeroRows, mass := sum.RowErr, max(0, sum.MaxLogU), sum.Zero, sum.Mass
			zeroCols := 0
			for _, c := range colsum {
				if !(c > 0) {
					zeroCols++
				}
			}
			if zeroRows > 0 || zeroCols > 0 {
				if err := s.rebuild(); err != nil {
					return nil, err
				}
				copy(vPrev, s.v) // the kernel holds the scalings now
				continue
			}
			colErr := 0.0
			vMin, vMax := 1.0, 1.0 // the largest |log v_j| is at one of them
			copy(vPrev, s.v)
			for j, c := range colsum {
				colErr += math.Abs(s.v[j]*c - b)
				vn := b / c
				if w != 1 {
					vn = relax(s.v[j], vn, w)
				}
				s.v[j] = vn
				// Explicit comparisons: min and max call the runtime in
				// WebAssembly (vn is not NaN: c > 0).
				if vn < vMin {
					vMin = vn
				}
				if vn > vMax {
					vMax = vn
				}
			}
			lmin, lmax := detmath.Log(vMin), detmath.Log(vMax) // ≤ 0 and ≥ 0
			maxLogV := max(-lmin, lmax)
			errNow := rowErr + colErr
			sol.MarginalError = errNow
			sol.Mass = mass
			ce := 0.0
			if final {
				ce = ConditionalEntropy(joint, p.La, p.Lb)
			}
			if prm.Progress != nil {
				prm.Progress(Progress{Stage: stage, Stages: sol.Stages, Eps: s.eps, Iteration: sol.Iterations, Error: errNow, CE: ce})
			}
			if final {
				ceHist = append(ceHist, ce)
				errHist = append(errHist, errNow)
				if errNow <= prm.Tol {
					sol.StopRule = StopMarginal
					break
				}
				if s.scoreSettled(ceHist, errHist) {
					sol.StopRule = StopScore
					break
				}
				omega = s.relaxation(omega, errHist)
			} else if errNow <= stageTol(prm.Tol) || stageIt >= stageMaxIter {
				break
			}
			if final && dropGuard && s.bounded && !s.dropBound(lmin, lmax) {
				takenIn(vPrev, s.v)
				if err := s.rebuild(); err != nil {
					return nil, err
				}
				continue
			}
			if math.Max(maxLogU, maxLogV) > absorbLog {
				takenIn(vPrev, s.v)
				if err := s.absorb(false); err != nil {
					return nil, err
				}
			}
		}
		if final {
			break
		}
		if err := s.absorb(true); err != nil {
			return nil, err
		}
		copy(vPrev, s.v)
	}
	sol.Omega = omega
	sol.Converged = sol.StopRule != StopMaxIter
	if n := len(ceHist); n > ScoreWindow {
		sol.CEChange = math.Abs(ceHist[n-1] - ceHist[n-1-ScoreWindow])
	}
	// The coupling reported is π = u K vPrev: the one whose joint table the
	// last iteration returned (takenIn: also where the budget ran out right
	// after an absorb or a rebuild within the final stage took u and v into
	// the kernel).
	reps, err := s.do(&Op{Kind: OpFinish, V: vPrev, G: s.g})
	if err != nil {
		return nil, err
	}
	wd, mass := 0.0, 0.0
	for j := range joint {
		joint[j] = 0
	}
	for _, r := range reps {
		wd += r.Sum
		mass += r.Mass
		for j, x := range r.Joint {
			joint[j] += x
		}
	}
	for j := range joint {
		joint[j] /= mass
	}
	sol.Joint = joint
	sol.WD = wd / mass
	sol.Mass = mass
	sol.CE = ConditionalEntropy(joint, p.La, p.Lb)
	if math.IsNaN(sol.CE) || math.IsInf(sol.CE, 0) || math.IsNaN(sol.WD) || math.IsInf(sol.WD, 0) {
		return nil, errors.New("ot: the solve produced a non-finite score")
	}
	if prm.Potentials {
		if err := s.potentials(vPrev, mass); err != nil {
			return nil, err
		}
	}
	return sol, nil
}

// potentials fills Solution.Potentials for the coupling u K v (OpPotentials):
// the row potentials from the blocks, the column potentials
// G_j = g_j + ε log v_j here, and the class column sums over the mass.
func (s *solver) potentials(v []float64, mass float64) error {
	p := s.p
	reps, err := s.do(&Op{Kind: OpPotentials, V: v})
	if err != nil {
		return err
	}
	pt := &Potentials{F: make([]float64, 0, p.N), G: make([]float64, p.M), Eps: s.eps, Scale: s.scale, Columns: make([]float64, p.La*p.M)}
	for _, r := range reps {
		if len(r.ColSum) != len(pt.Columns) {
			return fmt.Errorf("ot: a block replied with %d class column sums, want %d", len(r.ColSum), len(pt.Columns))
		}
		pt.F = append(pt.F, r.Values...)
		for k, x := range r.ColSum {
			pt.Columns[k] += x
		}
	}
	if len(pt.F) != p.N {
		return fmt.Errorf("ot: the blocks replied with %d row potentials, want %d", len(pt.F), p.N)
	}
	for k := range pt.Columns {
		pt.Columns[k] /= mass
	}
	for j, vj := range v {
		pt.G[j] = s.g[j] + s.eps*detmath.Log(vj)
	}
	s.sol.Potentials = pt
	return nil
}

// exactPotentials returns the exact plan's duals (over scale) and its class
// column sums.
func exactPotentials(p *Problem, plan *emd.Plan, scale float64) *Potentials {
	pt := &Potentials{F: make([]float64, len(plan.U)), G: make([]float64, len(plan.V)), Scale: scale, Exact: true, Columns: make([]float64, p.La*p.M)}
	for i, u := range plan.U {
		pt.F[i] = u / scale
	}
	for j, v := range plan.V {
		pt.G[j] = v / scale
	}
	for k := range plan.Rows {
		pt.Columns[int(p.Ys[plan.Rows[k]])*p.M+int(plan.Cols[k])] += plan.Mass[k]
	}
	return pt
}

const (
	absorbLog    = 30 // absorb the scalings when some |log u_i| or |log v_j| exceeds this
	zeroMin      = 40 // the kernel's zero entries must stay below exp(−zeroMin)
	stageMaxIter = 200
)

// relax returns the over-relaxed scaling old^(1−ω)·new^ω, as old·r^ω with
// r = new/old. Near convergence r is close to 1 for nearly every row and
// column, and there r^ω = (1+x)^ω is summed as its binomial series,
// Σ_k C(ω,k) x^k to k = 7, in Horner's form (C(ω,k+1) = C(ω,k)·(ω−k)/(k+1));
// for |x| ≤ 1/32 and 1 < ω < 2 the first term left out, |C(ω,8)|·x⁸, is
// below 3·10⁻¹⁴ of the result. Elsewhere one logarithm and one exponential
// (detmath's). The fast path only multiplies and adds, the same in
// WebAssembly as natively; detmath.Log and detmath.Exp for every row and
// column of every over-relaxed iteration were some 30 % of the CPU time of
// the demo's solves (N = 300, a sparse kernel).
func relax(old, new, omega float64) float64 {
	r := new / old
	x := r - 1
	if !(x >= -relaxSeries && x <= relaxSeries) {
		return old * detmath.Exp(omega*detmath.Log(r))
	}
	w := omega
	y := 1 + (w-6)*(1.0/7)*x
	y = 1 + (w-5)*(1.0/6)*x*y
	y = 1 + (w-4)*(1.0/5)*x*y
	y = 1 + (w-3)*(1.0/4)*x*y
	y = 1 + (w-2)*(1.0/3)*x*y
	y = 1 + (w-1)*(1.0/2)*x*y
	y = 1 + w*x*y
	return old * y
}

// relaxSeries bounds |new/old − 1| for relax's series.
const relaxSeries = 1.0 / 32

// stageTol is the marginal tolerance of the intermediate ε stages.
func stageTol(tol float64) float64 { return math.Max(tol, 1e-3) }

// scoreSettled reports whether the conditional entropy has settled: the
// distance still to come from the score to its limit, as scoreRest
// estimates it, is at most ScoreTol.
func (s *solver) scoreSettled(ce, errs []float64) bool {
	tol := s.prm.ScoreTol
	if tol <= 0 {
		return false
	}
	rest, ok := scoreRest(ce, errs)
	if !ok {
		return false
	}
	s.sol.CERest = rest
	return rest <= tol
}

// scoreRest estimates |CE(k) − CE(∞)|, the distance of the final stage's
// score after its k-th iteration from the score's limit, from the scores
// ce and marginal errors errs of its iterations 1…k (ok false: no estimate
// yet, or one that cannot be trusted).
//
// With w = max(ScoreWindow, k/8), take the scores at the iterations
// x_a = k−2w, x_b = k−w and x_c = k of the stage, Δ1 = CE(x_b) − CE(x_a)
// and Δ2 = CE(x_c) − CE(x_b), and pass a power law
// CE(x) = CE(∞) + A·x^(−p) through the three points:
//
//	Δ2/Δ1 = ρ(p) = u(1−v)/(1−u),  u = (x_a/x_b)^p,  v = (x_b/x_c)^p,
//	rest  = CE(x_c) − CE(∞) = |Δ2|·v/(1−v).
//
// ρ falls from ρ0 = ln(x_c/x_b)/ln(x_b/x_a) as p → 0 to 0 as p → ∞, and
// the rest falls with p. The exponent is capped at scoreTailExponent = 1,
// the harmonic tail: p = min(p̂, 1), p̂ the exponent that fits ρ = Δ2/Δ1,
// and at p = 1 the rest is |Δ2|·x_b/w. So the rest is exact for a power
// law of exponent at most 1, and it bounds the true distance whenever the
// score approached its limit at least at the harmonic rate over the last
// window and from one side: if x_c·|CE(x_c) − CE(∞)| ≤ x_b·|CE(x_b) − CE(∞)|
// then |Δ2| = |CE(x_b) − CE(∞)| − |CE(x_c) − CE(∞)| ≥ |CE(x_c) − CE(∞)|·w/x_b,
// i.e. |Δ2|·x_b/w ≥ |CE(x_c) − CE(∞)|, and the rest is at least |Δ2|·x_b/w.
// That holds for any approach whose local exponent
// −d ln|CE − CE(∞)|/d ln x is at least 1 there: faster power laws,
// geometric approaches past x = 1/ln(1/rate), and mixtures of such terms
// of one sign; a steeper fit is not trusted beyond the window because the
// rate slows as the solve goes on. On the demo's slowest repetitions the
// local exponent falls from about 2.5 at x = 60 to 1.3 at x = 600; the
// geometric extrapolation the rule used before, Aitken's |Δ2|·ρ/(1−ρ)
// (exact only for a constant rate per iteration, the limit p̂ → ∞), was
// 1.5 times short there even with |Δ2| added (4 of the demo's 50
// repetitions stopped 1.06–1.33·10⁻⁴ from the limit at ScoreTol 10⁻⁴),
// and alone 1.2–3.3 times short on trained networks' logits; a power law
// with the fitted p̂, uncapped, was still up to 1.4 times short. If ρ ≥ ρ0 the score moves slower than any power
// law and there is no estimate. The estimate is made every ScoreWindow
// iterations, once the marginal error is at most ScoreMaxError and has
// fallen over both windows, and when the score moves monotonically over
// them (ρ ≥ 0). It can fall short when the score turns back later (its
// approach is not monotone) or slows below the harmonic rate: measured
// against solves run to 10⁵ iterations, it held at ScoreTol = 3·10⁻⁴,
// 10⁻⁴ and 3·10⁻⁵ on all 50 of the demo's repetitions, and at 10⁻⁵ on 41
// of them (the other 9 turn back).
//
// The exponent is found by bisection on ρ(p) with detmath's Exp and Log, a
// fixed number of steps: the same bits natively and in WebAssembly, so the
// page stops at the same iteration as the CLI.
func scoreRest(ce, errs []float64) (rest float64, ok bool) {
	k := len(ce)
	w := max(ScoreWindow, k/8)
	if k <= 2*w || k%ScoreWindow != 0 || errs[k-1] > ScoreMaxError {
		return 0, false
	}
	a, b, c := k-1-2*w, k-1-w, k-1
	if !(errs[c] < errs[b] && errs[b] < errs[a]) {
		return 0, false
	}
	d1, d2 := ce[b]-ce[a], ce[c]-ce[b]
	if d2 == 0 {
		return 0, true
	}
	rho := d2 / d1
	if !(rho >= 0) {
		return 0, false
	}
	return powerRest(math.Abs(d2), rho, float64(a+1), float64(b+1), float64(c+1))
}

// scoreTailExponent caps the exponent of the power law by which scoreRest
// extrapolates the score (1: a harmonic tail).
const scoreTailExponent = 1.0

// powerRest returns the rest |Δ2|·v/(1−v) of the power law through the
// scores at xa < xb < xc whose changes have the ratio rho = Δ2/Δ1 ≥ 0, its
// exponent capped at scoreTailExponent (scoreRest); ok is false when rho
// is at least ρ0, i.e. slower than any power law.
func powerRest(d2, rho, xa, xb, xc float64) (float64, bool) {
	la, lc := detmath.Log(xa/xb), detmath.Log(xb/xc) // both negative
	ratio := func(p float64) (r, v float64) {
		u := detmath.Exp(p * la)
		v = detmath.Exp(p * lc)
		return u * (1 - v) / (1 - u), v
	}
	p := scoreTailExponent
	if r, _ := ratio(p); rho > r {
		if rho >= lc/la {
			return math.Inf(1), false
		}
		// ρ(p) falls with p: keep ρ(lo) > rho ≥ ρ(hi). The rest is
		// taken at lo, the side of the larger rest.
		lo, hi := 0.0, p
		for range 52 {
			m := (lo + hi) / 2
			if r, _ := ratio(m); r > rho {
				lo = m
			} else {
				hi = m
			}
		}
		if lo == 0 {
			return math.Inf(1), false
		}
		p = lo
	}
	_, v := ratio(p)
	return d2 * v / (1 - v), true
}

// ScoreMaxError is the largest L1 marginal error at which the score rule may
// stop a solve.
const ScoreMaxError = 1e-3

// relaxation picks the over-relaxation factor of the final stage from the
// observed convergence rate of the marginal error (ω = 2/(1+√(1−θ)), at
// most 1.9), once, after two windows of plain iterations over which the
// error fell (the first iterations after a warm start are erratic: a rate
// read off them is no rate). If the error then grows over two windows in a
// row, it falls back to plain Sinkhorn for good. (One window of growth is
// the over-relaxation's start: measured on the demo, the error rises for a
// window after ω is set, then falls some four times as fast per iteration
// as without; falling back there left the demo's hard repetitions at plain
// Sinkhorn's pace, 5000 iterations where 1100 suffice.)
func (s *solver) relaxation(omega float64, errs []float64) float64 {
	n := len(errs)
	const w = ScoreWindow
	if s.relaxOff || n < 2*w+1 || n%w != 0 {
		return omega
	}
	// θ = (e_n / e_{n−w})^{1/w} with detmath's log and exp: math.Pow runs
	// math.Log and math.Exp, which are assembly on amd64 and portable Go in
	// WebAssembly, and a last-bit difference in ω changes the iterations
	// that follow (the page then differed from the CLI by an ulp of CE).
	theta := detmath.Exp(detmath.Log(errs[n-1]/errs[n-1-w]) / float64(w))
	if omega > 1 {
		if theta < 1 {
			s.relaxGrew = 0
			return omega
		}
		s.relaxGrew++
		if s.relaxGrew >= 2 {
			s.relaxOff = true
			return 1
		}
		return omega
	}
	if !(theta < 1) || theta <= 0 || !(errs[n-1-w] < errs[n-1-2*w]) {
		return 1
	}
	return math.Min(1.9, 2/(1+math.Sqrt(1-theta)))
}

// absorb moves the scalings into the potentials (and, with square, halves ε).
// The largest log-scalings it subtracts from the zero level are the ones it
// absorbs: max log u from the blocks' replies and max log v from s.v itself.
func (s *solver) absorb(square bool) error {
	reps, err := s.do(&Op{Kind: OpAbsorb, V: s.v, Square: square})
	if err != nil {
		return err
	}
	maxLogU := 0.0
	for _, r := range reps {
		maxLogU = math.Max(maxLogU, r.MaxLogU)
	}
	maxLogV := 0.0
	for j, vj := range s.v {
		l := detmath.Log(vj)
		maxLogV = math.Max(maxLogV, l)
		s.g[j] += s.eps * l
		s.v[j] = 1
	}
	s.zero -= s.eps * (maxLogU + maxLogV)
	s.bounded = false
	if square {
		s.eps /= 2
	}
	s.zero = math.Min(s.zero, flushExp*s.eps)
	if s.zero < zeroMin*s.eps {
		return s.rebuild()
	}
	return nil
}

// rebuild recomputes the cost from the features and the kernel from it.
func (s *solver) rebuild() error {
	s.sol.Rebuilds++
	if _, err := s.do(&Op{Kind: OpAbsorb, V: s.v}); err != nil {
		return err
	}
	for j, vj := range s.v {
		if vj > 0 && !math.IsInf(vj, 0) {
			s.g[j] += s.eps * detmath.Log(vj)
		}
		s.v[j] = 1
	}
	if _, err := s.do(&Op{Kind: OpCost}); err != nil {
		return err
	}
	return s.buildKernel(true)
}

// buildKernel turns the cost held by the blocks into the kernel at s.eps,
// first moving column potentials whose column would vanish or overflow.
func (s *solver) buildKernel(repairColumns bool) error {
	if repairColumns {
		reps, err := s.do(&Op{Kind: OpColMin, Scale: s.scale})
		if err != nil {
			return err
		}
		for j := range s.g {
			cm := math.Inf(1)
			for _, r := range reps {
				cm = math.Min(cm, r.ColSum[j])
			}
			if top := (s.g[j] - cm) / s.eps; top > rowHigh || top < -rowLow {
				s.g[j] = cm
			}
		}
	}
	reps, err := s.do(&Op{Kind: OpKernel, G: s.g, Eps: s.eps, Scale: s.scale})
	if err != nil {
		return err
	}
	s.built(reps)
	return nil
}

// built records a kernel build (the blocks' OpKernel replies): its zero
// entries have reduced cost at least kernelFlush·ε, and if it dropped any,
// run bounds them (dropBound) until the next absorb or build.
func (s *solver) built(reps []*Reply) {
	s.zero = kernelFlush * s.eps
	s.bounded = false
	for _, r := range reps {
		if r.Mass < 1 {
			s.bounded = true
		}
	}
}

// dropGuard switches run's check of dropBound on (tests switch it off to
// see the bound fail without it).
var dropGuard = true

// DropTol bounds the share of every row's and every column's mass that the
// entries dropped by a kernel build (kernelFlush) carry, at the scalings of
// every iteration that follows the build until the next absorb
// (dropBound): far below the float32 rounding of the stored entries
// (6·10⁻⁸ each), so the coupling, its marginals and its joint table are
// those of the untruncated kernel at the same scalings to this relative
// precision.
const DropTol = 1e-12

// dropBound reports whether the entries dropped by the last kernel build
// carry at most DropTol of every row's and column's mass under column
// scalings whose logarithms lie in [lmin, lmax].
//
// At the build, every dropped entry of row i is K_ij ≤ e^−T·K_it, K_it the
// row's largest and T = kernelFlush. Under scalings u, v the coupling is
// π_ij = u_i K_ij v_j, so a dropped π_ij ≤ e^−T·(v_j/v_t)·π_it ≤
// e^−T·(max v/min v)·π_it, whatever u is. Row i drops at most M entries:
// their sum is at most M·e^−T·(max v/min v) times the row's kept sum
// (which holds π_it). Column j drops at most one entry a row, each at most
// e^−T·(max v/min v) times its row's kept sum: together at most
// e^−T·(max v/min v) times the kept mass, i.e. M·e^−T·(max v/min v)·mass
// of the column's marginal 1/M (the kept mass is 1 to within the marginal
// error). So both are at most DropTol while
//
//	ln M + ln(max v/min v) − T ≤ ln DropTol,
//
// which run checks in the final ε stage after every iteration with the new
// v (the next iteration's; v and 1 span [lmin, lmax], which only widens
// the ratio) and, where it fails, rebuilds the kernel (the scalings go into
// the potentials, v = 1; the check then holds as ln M − T ≤ ln DropTol for
// any M below e^32). At M = 10⁴ and T = 60 that leaves ln(max v/min v) ≤
// 23.2; on trained networks' logits warm-started from the exact plan it
// reached 17 (BENCHMARKS.md, "Kernel truncation"); on 9 of the demo's 50
// repetitions (N = 300: 26.7 allowed) it passed that, up to 40, and the
// kernel was rebuilt once in each (scores within 7e-11 of those without). The shares themselves are far
// smaller (TestKernelFlushBound: at most 1e-20 on its problems): the bound
// gives every dropped entry the worst ratio of column scalings.
//
// An absorb ends the bound (its threshold, flushExp, is absolute, and the
// rows' largest entries after it are not known here), and so does every
// stage before the final one, which ends in one: from there to the next
// build the kernel's zeros are held by s.zero and zeroMin alone, as before
// this bound. So it covers the kernel built at the final ε: a warm start
// at the target ε (ε/median(C) in [1e-3, 1e-2), and the trained logits'
// single stage), or a rebuild.
func (s *solver) dropBound(lmin, lmax float64) bool {
	return detmath.Log(float64(s.p.M))+(lmax-lmin)-kernelFlush <= detmath.Log(DropTol)
}

// takenIn rescales vPrev, the column scalings of the last iteration's
// coupling u K vPrev, for an absorb or rebuild that takes u and the new
// scalings v into the kernel (K' = u K v up to its flushed entries, then
// u = v = 1): that coupling is K' (vPrev/v), which finish then reports if
// the iteration budget runs out before the next iteration (with vPrev
// itself, the new v would count twice). A v_j that the rebuild leaves out
// of g_j (zero or infinite) keeps vPrev_j.
func takenIn(vPrev, v []float64) {
	for j, vj := range v {
		if vj > 0 && !math.IsInf(vj, 0) {
			vPrev[j] /= vj
		}
	}
}

// floorLog2 returns ⌊log₂ x⌋ for a positive finite x, exactly (ceilLog2).
func floorLog2(x float64) int {
	_, e := math.Frexp(x) // x = frac·2^e, frac in [½, 1)
	return e - 1
}

// ceilLog2 returns ⌈log₂ x⌉ for a positive finite x, exactly and on every
// platform alike (from x's binary exponent: math.Log2 goes through
// math.Log, whose last bits differ between amd64 and WebAssembly).
func ceilLog2(x float64) int {
	frac, e := math.Frexp(x) // x = frac·2^e, frac in [½, 1)
	if frac == 0.5 {
		return e - 1
	}
	return e
}
