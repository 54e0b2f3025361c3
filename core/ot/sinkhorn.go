package ot

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Cost normalisations: the cost is divided by this statistic of itself
// before ε applies.
const (
	NormNone   = "none"
	NormMax    = "max"
	NormMean   = "mean"
	NormMedian = "median"
)

// Stop rules reported in Solution.StopRule.
const (
	StopMarginal = "marginal" // the L1 marginal violation reached Tol
	StopScore    = "score"    // the score had settled (see Params.ScoreTol)
	StopMaxIter  = "max-iter" // the iteration budget ran out
)

// Params are the solver settings.
type Params struct {
	Eps      float64 // entropic regularisation ε, in units of the normalised cost
	CostNorm string  // NormNone, NormMax, NormMean or NormMedian
	Tol      float64 // stop when the L1 marginal violation is at most Tol
	MaxIter  int     // iteration budget over all ε stages
	// ScoreTol, when positive, also stops the final stage once the
	// conditional entropy has settled: its change over the last
	// ScoreWindow iterations, plus the change still to come extrapolated
	// from the marginal error's observed rate of decrease, is at most
	// ScoreTol.
	ScoreTol float64
	// Progress, when set, is called after every iteration.
	Progress func(Progress)
}

// ScoreWindow is the number of iterations between two score checks.
const ScoreWindow = 10

// Progress describes the state of a running solve.
type Progress struct {
	Stage, Stages int     // current ε stage (1-based) and their number
	Eps           float64 // ε of the stage
	Iteration     int     // iterations so far, all stages
	Error         float64 // L1 marginal violation after the last iteration
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
	StopRule      string
	CEChange      float64 // |ΔCE| over the last ScoreWindow iterations
	Omega         float64 // over-relaxation of the final stage
	Stages        int
	Rebuilds      int     // kernel rebuilds from the features after the first
	Scale         float64 // the cost was divided by this
	CostMax       float64 // raw cost statistics
	CostMean      float64
	CostMedian    float64
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
				h -= x / total * math.Log(x/pa)
			}
		}
	}
	return h
}

// Solve computes the entropic OT coupling of the problem whose rows the
// blocks hold and reads the joint label table and transport cost off it.
func Solve(ctx context.Context, bs BlockSet, p *Problem, prm Params) (*Solution, error) {
	if !(prm.Eps > 0) || math.IsInf(prm.Eps, 0) {
		return nil, fmt.Errorf("ot: ε must be positive and finite, got %v", prm.Eps)
	}
	if !(prm.Tol > 0) {
		return nil, fmt.Errorf("ot: tolerance must be positive, got %v", prm.Tol)
	}
	if prm.MaxIter <= 0 {
		return nil, fmt.Errorf("ot: iteration budget must be positive, got %d", prm.MaxIter)
	}
	s := &solver{ctx: ctx, bs: bs, p: p, prm: prm, sol: &Solution{La: p.La, Lb: p.Lb}}
	if err := s.costStats(); err != nil {
		return nil, err
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
}

func (s *solver) costStats() error {
	reps, err := s.bs.Do(&Op{Kind: OpCost, Stats: true})
	if err != nil {
		return err
	}
	mx, sum := 0.0, 0.0
	hist := make([]uint64, 1<<16)
	for _, r := range reps {
		sum += r.Sum
		mx = math.Max(mx, r.Max)
		for i, h := range r.Hist {
			hist[i] += uint64(h)
		}
	}
	total := int64(s.p.N) * int64(s.p.M)
	med, err := s.median(hist, total)
	if err != nil {
		return err
	}
	s.sol.CostMax, s.sol.CostMean, s.sol.CostMedian = mx, sum/float64(total), med
	if math.IsInf(mx, 0) || math.IsNaN(sum) {
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
	rank := func(k int64) (float64, error) {
		var acc int64
		for b, h := range hist {
			if acc+int64(h) > k {
				reps, err := s.bs.Do(&Op{Kind: OpCostHistogram, Bucket: b})
				if err != nil {
					return 0, err
				}
				low := make([]uint64, 1<<16)
				for _, r := range reps {
					for i, x := range r.Hist {
						low[i] += uint64(x)
					}
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

func (s *solver) run() (*Solution, error) {
	p, prm, sol := s.p, s.prm, s.sol
	stages := 0
	if med := sol.CostMedian / s.scale; med > prm.Eps {
		stages = int(math.Ceil(math.Log2(med / prm.Eps)))
	}
	sol.Stages = stages + 1
	s.g = make([]float64, p.M)
	s.v = make([]float64, p.M)
	for j := range s.v {
		s.v[j] = 1
	}
	s.eps = prm.Eps * math.Exp2(float64(stages))
	if err := s.buildKernel(false); err != nil {
		return nil, err
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
				sol.StopRule = StopMaxIter
				break
			}
			w := 1.0
			if final {
				w = omega
			}
			reps, err := s.bs.Do(&Op{Kind: OpIterate, V: s.v, Omega: w})
			if err != nil {
				return nil, err
			}
			sol.Iterations++
			stageIt++
			for j := range colsum {
				colsum[j] = 0
			}
			for j := range joint {
				joint[j] = 0
			}
			rowErr, maxLogU, zeroRows, mass := 0.0, 0.0, 0, 0.0
			for _, r := range reps {
				zeroRows += r.Zero
				rowErr += r.RowErr
				mass += r.Mass
				maxLogU = math.Max(maxLogU, r.MaxLogU)
				for j, x := range r.ColSum {
					colsum[j] += x
				}
				for j, x := range r.Joint {
					joint[j] += x
				}
			}
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
				continue
			}
			colErr, maxLogV := 0.0, 0.0
			copy(vPrev, s.v)
			for j, c := range colsum {
				colErr += math.Abs(s.v[j]*c - b)
				vn := b / c
				if w != 1 {
					vn = math.Exp((1-w)*math.Log(s.v[j]) + w*math.Log(vn))
				}
				s.v[j] = vn
				maxLogV = math.Max(maxLogV, math.Abs(math.Log(vn)))
			}
			errNow := rowErr + colErr
			sol.MarginalError = errNow
			sol.Mass = mass
			if prm.Progress != nil {
				prm.Progress(Progress{Stage: stage, Stages: sol.Stages, Eps: s.eps, Iteration: sol.Iterations, Error: errNow})
			}
			if final {
				ce := ConditionalEntropy(joint, p.La, p.Lb)
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
			if math.Max(maxLogU, maxLogV) > absorbLog {
				if err := s.absorb(false, maxLogV); err != nil {
					return nil, err
				}
			}
		}
		if final {
			break
		}
		if err := s.absorb(true, 0); err != nil {
			return nil, err
		}
	}
	sol.Omega = omega
	sol.Converged = sol.StopRule != StopMaxIter
	if n := len(ceHist); n > ScoreWindow {
		sol.CEChange = math.Abs(ceHist[n-1] - ceHist[n-1-ScoreWindow])
	}
	// The coupling reported is π = u K vPrev: the one whose joint table the
	// last iteration returned.
	reps, err := s.bs.Do(&Op{Kind: OpFinish, V: vPrev, G: s.g})
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
	return sol, nil
}

const (
	absorbLog    = 30 // absorb the scalings when some |log u_i| or |log v_j| exceeds this
	zeroMin      = 40 // the kernel's zero entries must stay below exp(−zeroMin)
	stageMaxIter = 200
)

// stageTol is the marginal tolerance of the intermediate ε stages.
func stageTol(tol float64) float64 { return math.Max(tol, 1e-3) }

// scoreSettled reports whether the conditional entropy has settled: over
// each of the last three windows of ScoreWindow iterations the marginal
// error fell and the score moved by at most ScoreTol, the marginal error is
// below ScoreMaxError, and the change still to come, extrapolated from the
// error's rate of decrease over the three windows (a geometric tail), is
// within ScoreTol too.
func (s *solver) scoreSettled(ce, errs []float64) bool {
	tol := s.prm.ScoreTol
	n := len(ce)
	const w = ScoreWindow
	if tol <= 0 || n <= 3*w || errs[n-1] > ScoreMaxError {
		return false
	}
	for k := 0; k < 3; k++ {
		a, b := n-1-k*w, n-1-(k+1)*w
		if math.Abs(ce[a]-ce[b]) > tol || !(errs[a] < errs[b]) {
			return false
		}
	}
	theta := math.Pow(errs[n-1]/errs[n-1-3*w], 1.0/3)
	d := math.Abs(ce[n-1] - ce[n-1-w])
	return d*theta/(1-theta) <= tol
}

// ScoreMaxError is the largest L1 marginal error at which the score rule may
// stop a solve.
const ScoreMaxError = 1e-2

// relaxation picks the over-relaxation factor of the final stage from the
// observed convergence rate of the marginal error, and falls back to plain
// Sinkhorn when the error grows.
func (s *solver) relaxation(omega float64, errs []float64) float64 {
	n := len(errs)
	const w = ScoreWindow
	if n < 2*w || n%w != 0 {
		return omega
	}
	theta := math.Pow(errs[n-1]/errs[n-1-w], 1/float64(w))
	if omega > 1 {
		if theta >= 1 {
			return 1
		}
		return omega
	}
	if theta >= 1 || theta <= 0 || math.IsNaN(theta) {
		return 1
	}
	return math.Min(1.9, 2/(1+math.Sqrt(1-theta)))
}

// absorb moves the scalings into the potentials (and, with square, halves ε).
func (s *solver) absorb(square bool, maxLogV float64) error {
	reps, err := s.bs.Do(&Op{Kind: OpAbsorb, V: s.v, Square: square})
	if err != nil {
		return err
	}
	maxLogU := 0.0
	for _, r := range reps {
		maxLogU = math.Max(maxLogU, r.MaxLogU)
	}
	maxLogV = 0
	for j, vj := range s.v {
		l := math.Log(vj)
		maxLogV = math.Max(maxLogV, l)
		s.g[j] += s.eps * l
		s.v[j] = 1
	}
	s.zero -= s.eps * (maxLogU + maxLogV)
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
	if _, err := s.bs.Do(&Op{Kind: OpAbsorb, V: s.v}); err != nil {
		return err
	}
	for j, vj := range s.v {
		if vj > 0 && !math.IsInf(vj, 0) {
			s.g[j] += s.eps * math.Log(vj)
		}
		s.v[j] = 1
	}
	if _, err := s.bs.Do(&Op{Kind: OpCost}); err != nil {
		return err
	}
	return s.buildKernel(true)
}

// buildKernel turns the cost held by the blocks into the kernel at s.eps,
// first moving column potentials whose column would vanish or overflow.
func (s *solver) buildKernel(repairColumns bool) error {
	if repairColumns {
		reps, err := s.bs.Do(&Op{Kind: OpColMin, Scale: s.scale})
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
	if _, err := s.bs.Do(&Op{Kind: OpKernel, G: s.g, Eps: s.eps, Scale: s.scale}); err != nil {
		return err
	}
	s.zero = flushExp * s.eps
	return nil
}
