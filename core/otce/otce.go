// Package otce computes the OTCE transferability score of candidate source
// models for a target segmentation task ("Transferability Estimation for
// Semantic Segmentation Task", Tan, Li, Huang; ICIP 2023 as "Efficient
// Prediction of Model Transferability in Semantic Segmentation Tasks").
//
// For one candidate: sample N valid pixels of the source domain and N of the
// target domain (features extracted by the candidate model), solve entropic
// optimal transport between them with a squared-Euclidean cost, read the
// joint label distribution P(y_s, y_t) off the coupling and score
// OTCE = −H(Y_t | Y_s). Repeat K times with fresh samples and average.
// Higher is better.
//
// The work is split so that the command-line tool and the browser run the
// same code: Prepare opens the files, Job.Sample draws one repetition's
// pixels, SolveSample solves it over any ot.BlockSet, and a Summary collects
// the repetitions into a report.Candidate. Score does all of it in-process.
package otce

import (
	"context"
	"errors"
	"fmt"
	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/detmath"
	"maps"
	"math"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/metrics"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/core/sample"
	"github.com/otceseg/otceseg/core/settings"
)

// Choices of the enumerated settings (package settings has the typed ones).
var (
	CostNorms  = settingNames(settings.CostNorms)
	Transforms = settingNames(settings.Transforms)
	Solvers    = settingNames(settings.Solvers)
	Layouts    = settings.Layouts
	Samplings  = settings.Samplings
	Gaussians  = settings.Gaussians
)

func settingNames[E fmt.Stringer](es []E) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.String()
	}
	return out
}

// DefaultSettings are the paper's settings: N = 10⁴ pixels per domain,
// K = 10 repetitions, ε = 0.1 on the raw squared distances
// (settings.Default).
func DefaultSettings() report.Settings { return settings.Default() }

// MinEps is the smallest ε accepted (settings.MinEps).
const MinEps = settings.MinEps

// MaxK is the largest number of repetitions accepted (settings.MaxK).
const MaxK = settings.MaxK

// CheckSettings reports the first invalid setting: settings.Check, then
// whether the metrics asked for exist (metrics.Select).
func CheckSettings(s report.Settings) error {
	if err := settings.Check(s); err != nil {
		return err
	}
	_, _, err := metrics.Select(s.Metrics, s.SharedClasses)
	return err
}

// Candidate names the files of one candidate source model.
type Candidate struct {
	Name           string
	SourceFeatures []dataset.File
	SourceLabels   []dataset.File
	TargetFeatures []dataset.File
	TargetLabels   []dataset.File
	Accuracy       *float64 // known transfer accuracy, if any
}

// Job is a candidate whose files are open.
type Job struct {
	Candidate Candidate
	Settings  report.Settings
	Source    *dataset.Domain
	Target    *dataset.Domain
}

// Prepare opens and checks a candidate's files.
func Prepare(c Candidate, s report.Settings) (*Job, error) {
	if err := CheckSettings(s); err != nil {
		return nil, err
	}
	opt := dataset.Options{Layout: s.Layout, IgnoreIndex: s.IgnoreIndex, FeatureKey: s.FeatureKey, LabelKey: s.LabelKey}
	src, err := dataset.Open("source", c.SourceFeatures, c.SourceLabels, opt)
	if err != nil {
		return nil, err
	}
	tgt, err := dataset.Open("target", c.TargetFeatures, c.TargetLabels, opt)
	if err != nil {
		return nil, err
	}
	if src.Dim != tgt.Dim {
		return nil, fmt.Errorf("%s has %d channels but %s has %d: source and target features must come from the same layer",
			src.Images[0].Features.Name, src.Dim, tgt.Images[0].Features.Name, tgt.Dim)
	}
	return &Job{Candidate: c, Settings: s, Source: src, Target: tgt}, nil
}

// Sample is one repetition's problem: the sampled pixels, their classes and
// what was noticed while drawing them.
type Sample struct {
	Rep           int
	Problem       *ot.Problem
	SourceClasses []int // label value of each source class index
	TargetClasses []int
	Warnings      []string
	// AllPixels is set when both domains had at most N valid pixels: every
	// repetition then draws the same pixels.
	AllPixels bool
	// Metrics are the other scores (core/metrics) of this repetition's
	// target pixels, after the transform, by key; MetricErrors says why a
	// score asked for could not be computed, by name. Brief keeps both.
	Metrics      map[string]float64
	MetricErrors map[string]string
}

// Sample draws repetition rep's pixels: a function of the seed, rep and the
// files only.
func (j *Job) Sample(rep int) (*Sample, error) {
	s := j.Settings
	smp := &Sample{Rep: rep}
	so := sample.Options{DropNonFinite: s.DropNonFinite, PerClass: s.Sampling == "per-class"}
	if s.Transform == "none" {
		so.MaxSquaredNorm = sample.SafeSquaredNorm
	}
	src, err := sample.DrawWith(j.Source, s.N, s.Seed, uint64(2*rep), so)
	if err != nil {
		return nil, err
	}
	tgt, err := sample.DrawWith(j.Target, s.N, s.Seed, uint64(2*rep+1), so)
	if err != nil {
		return nil, err
	}
	for _, side := range []struct {
		name string
		px   *sample.Pixels
		d    *dataset.Domain
	}{{"source", src, j.Source}, {"target", tgt, j.Target}} {
		if side.px.Exhausted {
			smp.Warnings = append(smp.Warnings, fmt.Sprintf("%s: only %d valid pixels, fewer than N = %d: all of them are used", side.name, side.px.N, s.N))
		}
		if side.px.Dropped > 0 {
			smp.Warnings = append(smp.Warnings, fmt.Sprintf("%s: %d sampled pixels with NaN or Inf features were skipped", side.name, side.px.Dropped))
		}
	}
	smp.AllPixels = src.Exhausted && tgt.Exhausted && src.Dropped == 0 && tgt.Dropped == 0
	if err := Transform(s.Transform.String(), src.X, src.D); err != nil {
		return nil, err
	}
	if err := Transform(s.Transform.String(), tgt.X, tgt.D); err != nil {
		return nil, err
	}
	smp.Metrics, smp.MetricErrors = targetMetrics(s, tgt)
	p, srcClasses, tgtClasses := ot.NewLabeledProblem(src.X, src.Y, tgt.X, tgt.Y, src.D)
	smp.SourceClasses, smp.TargetClasses = srcClasses, tgtClasses
	smp.Problem = p
	return smp, p.Validate()
}

// Brief returns a copy of the sample without the features (Problem.Xs and
// Problem.Xt nil): all that Summary.Add and Summary.Result read of it.
func (smp *Sample) Brief() *Sample {
	b := *smp
	p := *smp.Problem
	p.Xs, p.Xt = nil, nil
	b.Problem = &p
	return &b
}

// targetMetrics computes the scores of s.Metrics on the target pixels
// (already transformed), in float64.
func targetMetrics(s report.Settings, tgt *sample.Pixels) (map[string]float64, map[string]string) {
	names, _, err := metrics.Select(s.Metrics, s.SharedClasses)
	if err != nil || len(names) == 0 {
		return nil, nil
	}
	x := make([]float64, len(tgt.X))
	for i, v := range tgt.X {
		x[i] = float64(v)
	}
	vals, errs := metrics.Compute(names, x, tgt.D, tgt.Y, metrics.Options{
		Probabilities: s.Transform == "softmax", HScoreRcond: s.HScoreRcond, GBCDiagonal: s.GBCGaussian == "diagonal",
	})
	if len(errs) == 0 {
		errs = nil
	}
	return vals, errs
}

// Transform applies a feature transform to the rows of x (n×d) in place:
// "none", "softmax" (over the channels, for logits) or "l2" (unit-norm rows).
func Transform(name string, x []float32, d int) error {
	switch settings.Transform(name) {
	case settings.TransformNone, "":
		return nil
	case settings.TransformSoftmax:
		for i := 0; i+d <= len(x); i += d {
			row := x[i : i+d]
			mx := math.Inf(-1)
			for _, v := range row {
				mx = math.Max(mx, float64(v))
			}
			sum := 0.0
			for _, v := range row {
				sum += detmath.Exp(float64(v) - mx)
			}
			for k, v := range row {
				row[k] = float32(detmath.Exp(float64(v)-mx) / sum)
			}
		}
		return nil
	case settings.TransformL2:
		for i := 0; i+d <= len(x); i += d {
			row := x[i : i+d]
			s := 0.0
			for _, v := range row {
				s += float64(v) * float64(v)
			}
			if s == 0 {
				continue
			}
			inv := 1 / math.Sqrt(s)
			for k, v := range row {
				row[k] = float32(float64(v) * inv)
			}
		}
		return nil
	}
	return fmt.Errorf("unknown transform %q", name)
}

// SolveSample solves one repetition over the blocks.
func SolveSample(ctx context.Context, bs ot.BlockSet, smp *Sample, s report.Settings, progress func(ot.Progress)) (*ot.Solution, error) {
	return ot.Solve(ctx, bs, smp.Problem, SolveParams(s, progress))
}

// SolveParams are the solver parameters of the settings (SolveSample's);
// set Potentials on them to solve for a transferability map (package maps).
func SolveParams(s report.Settings, progress func(ot.Progress)) ot.Params {
	return ot.Params{
		Eps: s.Eps, CostNorm: s.CostNorm.String(), Tol: s.Tol, MaxIter: s.MaxIter, ScoreTol: s.ScoreTol,
		Exact: s.Solver == settings.SolverEMD, WarmStart: true, Progress: progress,
	}
}

// Summary collects the repetitions of one candidate.
type Summary struct {
	res     report.Candidate
	metrics map[string][]float64 // each repetition's value, by key
	failed  map[string]bool      // keys (or names) missing in some repetition
	seen    map[string]bool
	start   time.Time
	job     *Job
	last    *ot.Solution
	smp     *Sample
	phases  map[string]float64
}

// NewSummary starts the summary of a candidate.
func NewSummary(c Candidate, j *Job, s report.Settings) *Summary {
	sm := &Summary{seen: map[string]bool{}, start: time.Now(), job: j}
	sm.res.Name = c.Name
	sm.res.Accuracy = c.Accuracy
	sm.res.Settings = s
	sm.res.Converged = true
	sm.res.Warnings = []string{}
	if j != nil {
		for _, d := range []*dataset.Domain{j.Source, j.Target} {
			if d != nil {
				for _, w := range d.Warnings {
					sm.warn(w)
				}
			}
		}
	}
	return sm
}

func (sm *Summary) warn(w string) {
	if !sm.seen[w] {
		sm.seen[w] = true
		sm.res.Warnings = append(sm.res.Warnings, w)
	}
}

// Add records one repetition.
func (sm *Summary) Add(smp *Sample, sol *ot.Solution) {
	r := &sm.res
	r.CE = append(r.CE, sol.CE)
	r.WD = append(r.WD, sol.WD)
	r.Iterations = append(r.Iterations, sol.Iterations)
	r.MarginalError = append(r.MarginalError, sol.MarginalError)
	r.StopRule = append(r.StopRule, sol.StopRule.String())
	for _, w := range smp.Warnings {
		sm.warn(w)
	}
	sm.addMetrics(smp)
	if !sol.Converged {
		r.Converged = false
		sm.warn(fmt.Sprintf("repetition %d did not converge: L1 marginal error %.2g after %d iterations (raise --max-iter, or see --solver emd)", smp.Rep+1, sol.MarginalError, sol.Iterations))
	}
	if sm.phases == nil {
		sm.phases = map[string]float64{}
	}
	if sol != sm.last { // a reused solution took no time
		for k, v := range sol.Seconds {
			sm.phases[k] += v
		}
	}
	sm.last, sm.smp = sol, smp
}

// addMetrics records a repetition's other scores; a score that failed
// gets a warning and is left out of the result.
func (sm *Summary) addMetrics(smp *Sample) {
	if sm.metrics == nil {
		sm.metrics, sm.failed = map[string][]float64{}, map[string]bool{}
	}
	for k, v := range smp.Metrics {
		sm.metrics[k] = append(sm.metrics[k], v)
	}
	for _, name := range slices.Sorted(maps.Keys(smp.MetricErrors)) {
		sm.failed[name] = true
		sm.warn(fmt.Sprintf("%s not computed: %s", name, smp.MetricErrors[name]))
	}
}

// metricResults summarises the other scores computed in every one of the
// k repetitions (mean, sample std, each value); the rest are left out.
func (sm *Summary) metricResults(k int) map[string]report.Metric {
	out := map[string]report.Metric{}
	for key, each := range sm.metrics {
		name := key
		if key == metrics.ZeroShotAcc || key == metrics.ZeroShotMIoU {
			name = "zeroshot"
		}
		if len(each) != k || sm.failed[name] {
			continue
		}
		mean, std := meanStd(each)
		out[key] = report.Metric{Mean: mean, Std: std, Each: slices.Clone(each)}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// meanStd returns the mean and the sample standard deviation (n − 1; 0 for
// one value) of x.
func meanStd(x []float64) (float64, float64) {
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	std := 0.0
	if len(x) > 1 {
		for _, v := range x {
			std += (v - mean) * (v - mean)
		}
		std = math.Sqrt(std / float64(len(x)-1))
	}
	return mean, std
}

// Result returns the candidate's report.
func (sm *Summary) Result() report.Candidate {
	r := sm.res
	k := len(r.CE)
	if k == 0 {
		if r.Error == "" {
			r.Error = "no repetition was computed"
		}
		return r
	}
	mean := 0.0
	for _, c := range r.CE {
		mean -= c
	}
	mean /= float64(k)
	std := 0.0
	if k > 1 {
		for _, c := range r.CE {
			std += (-c - mean) * (-c - mean)
		}
		std = math.Sqrt(std / float64(k-1))
	}
	r.OTCEMean, r.OTCEStd = mean, std
	r.Metrics = sm.metricResults(k)
	if _, na, err := metrics.Select(r.Settings.Metrics, r.Settings.SharedClasses); err == nil {
		r.MetricsNotApplicable = na
	}
	sol, smp := sm.last, sm.smp
	p := smp.Problem
	d := &r.Diagnostics
	d.SourcePixels, d.TargetPixels, d.Dim = p.N, p.M, p.D
	if sm.job != nil {
		d.SourceValid, d.TargetValid = sm.job.Source.Valid, sm.job.Target.Valid
		d.SourceLayout, d.TargetLayout = sm.job.Source.Layout, sm.job.Target.Layout
	}
	d.CostMedian, d.CostMax, d.CostMean = sol.CostMedian, sol.CostMax, sol.CostMean
	d.EpsOverMedian = sol.EpsOverMedian(r.Settings.Eps)
	d.Stages, d.Rebuilds, d.Omega, d.CEChange, d.CERest = sol.Stages, sol.Rebuilds, sol.Omega, sol.CEChange, sol.CERest
	d.Phases = sm.phases
	d.WarmStarted = sol.WarmStarted
	if sol.HasExact {
		ce, wd := sol.ExactCE, sol.ExactWD
		d.ExactCE, d.ExactWD = &ce, &wd
	}
	if math.IsInf(d.EpsOverMedian, 0) || math.IsNaN(d.EpsOverMedian) {
		// JSON holds no infinity: report 0 and say why.
		d.EpsOverMedian = 0
		sm.warn("the median cost is 0: at least half of the sampled source–target pixel pairs have identical features (constant, zeroed or duplicated features?); eps_over_median is reported as 0")
	} else if r.Settings.Solver != settings.SolverEMD && d.EpsOverMedian < 1e-3 {
		note := fmt.Sprintf("ε/median(C) = %.2g: the coupling is nearly unregularised and the entropic score is close to the exact-OT limit", d.EpsOverMedian)
		if sol.HasExact {
			note += fmt.Sprintf(" (here within %.2g of it: exact-plan CE %.6g)", math.Abs(sol.CE-sol.ExactCE), sol.ExactCE)
		}
		sm.warn(note + "; --solver emd computes that limit directly")
	}
	d.TargetEntropy = targetEntropy(p)
	if ht := d.TargetEntropy; ht > 0 && sol.CE >= 0.99*ht {
		if r.Settings.Solver == "emd" {
			// The exact plan has no ε: the features themselves pair the
			// classes no better than chance.
			sm.warn(fmt.Sprintf("the exact coupling is close to independence (H(Yt|Ys) = %.4g, H(Yt) = %.4g): these features pair the source and target classes little better than chance", sol.CE, ht))
		} else if d.EpsOverMedian > 0 { // (a zero median cost has its own warning above: no ε fits it)
			sm.warn(fmt.Sprintf("the coupling is close to independence (H(Yt|Ys) = %.4g, H(Yt) = %.4g): ε is large for this cost spread (ε/median(C) = %.3g) and the scores will barely separate candidates; %s", sol.CE, ht, d.EpsOverMedian, EpsAdvice(r.Settings, d.EpsOverMedian)))
		}
	}
	r.Warnings = sm.res.Warnings
	r.Joint = &report.Joint{SourceLabels: smp.SourceClasses, TargetLabels: smp.TargetClasses}
	for a := 0; a < p.La; a++ {
		r.Joint.Table = append(r.Joint.Table, slices.Clone(sol.Joint[a*p.Lb:(a+1)*p.Lb]))
	}
	r.Seconds = time.Since(sm.start).Seconds()
	return r
}

// EpsAdvice says which setting to try when ε is too large for the cost
// spread (ε/median(C) = epsOverMedian under the settings s), and what each
// changes. ε is in units of the normalised cost C' = C/scale, so
// ε/median(C) = ε·scale/median(C). With --cost-norm median (scale =
// median(C)) the ratio becomes ε itself, whatever the features' spread:
// the advice when that is smaller than now. Otherwise a smaller --eps,
// scaled so that ε/median(C) ≈ 0.05. And always --solver emd, which drops
// ε altogether (the exact plan, the limit ε → 0, the authors' default).
func EpsAdvice(s report.Settings, epsOverMedian float64) string {
	emd := "or --solver emd, the exact plan, which has no ε (the limit ε → 0; the authors' default solver)"
	if s.CostNorm != ot.NormMedian && s.Eps < epsOverMedian {
		return fmt.Sprintf("try --cost-norm median, which measures ε in units of the median cost (ε/median(C) becomes %g instead of %.3g: a sharper coupling that follows the features), %s", s.Eps, epsOverMedian, emd)
	}
	eps, _ := strconv.ParseFloat(fmt.Sprintf("%.1g", s.Eps*0.05/epsOverMedian), 64)
	return fmt.Sprintf("try --eps %g (ε/median(C) ≈ 0.05 instead of %.3g: a sharper coupling that follows the features; more iterations), %s", eps, epsOverMedian, emd)
}

// SetError records a failure of the candidate: its message and, when the
// error is about one file (an arrays.FileError, however wrapped), the
// file's name.
func (sm *Summary) SetError(err error) {
	sm.res.Error = err.Error()
	sm.res.ErrorFile = ""
	var fe *arrays.FileError
	if errors.As(err, &fe) {
		sm.res.ErrorFile = fe.File
	}
}

func targetEntropy(p *ot.Problem) float64 {
	counts := make([]float64, p.Lb)
	for _, y := range p.Yt {
		counts[y]++
	}
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			q := c / float64(p.M)
			h -= q * detmath.Log(q)
		}
	}
	return h
}

// Progress reports the state of Score.
type Progress struct {
	Candidate string
	Rep, K    int // current repetition (0-based) and total
	// Phase is what runs: PhaseReading, PhaseSampling, PhaseSolving (the
	// cost matrix, and the kernel of a Sinkhorn solve without a warm
	// start), PhaseExact (the exact plan: --solver emd, or Sinkhorn's warm
	// start; after PhaseSolving), PhaseIterations (ot.Progress is set) or
	// PhaseDone (repetition Rep is finished; ot.Progress's Iteration is the
	// number of iterations of its solve, 0 when it reused the last
	// solution).
	Phase string
	ot.Progress
}

// The phases of Progress.
const (
	PhaseReading    = "reading"
	PhaseSampling   = "sampling"
	PhaseSolving    = "cost"
	PhaseExact      = "exact plan"
	PhaseIterations = "iterations"
	PhaseDone       = "repetition done"
)

// Score computes one candidate's score in this process, with the blocks on
// the given number of goroutines (0: all cores). A failure is reported in
// the result's Error field.
func Score(ctx context.Context, c Candidate, s report.Settings, workers int, progress func(Progress)) report.Candidate {
	return ScoreWith(ctx, c, s, Options{Workers: workers, Progress: progress})
}

// Options are the knobs of ScoreWith.
type Options struct {
	Workers  int            // goroutines solving the blocks (0: all cores)
	Progress func(Progress) // called at each phase and after every iteration, when set
	// OnSample, when set, sees each repetition's sample before it is
	// solved (e.g. to write it out for a reference solver).
	OnSample func(*Sample) error
	// Check, when set, sees the prepared job before any sampling (e.g. to
	// refuse a run that cannot fit in memory: the browser's memory check,
	// on the problem's size rather than N).
	Check func(*Job) error
	// Blocks, when set, makes the block set a repetition's sample is solved
	// over and the function that frees it after the solve: the browser's
	// factory puts the blocks in its web workers. Nil: ot.NewLocalBlocks on
	// Workers goroutines, freed with ot.OpRelease. The blocks change where
	// the work runs, never the score (ot.Partition fixes the arithmetic).
	Blocks func(*Sample) (ot.BlockSet, func(), error)
	// Potentials asks the solver for the coupling's potentials
	// (ot.Solution.Potentials), which a transferability map needs (package
	// maps); the scores are the same bits either way.
	Potentials bool
	// OnSolution, when set, sees each repetition's sample and solution
	// (the reused one too, when every repetition draws all pixels) before
	// its blocks are freed; an error fails the candidate.
	OnSolution func(*Sample, *ot.Solution) error
	// Team and Rep, when Team > 1 and Rep is set, run the repetitions side
	// by side on a team (team.go): the browser's small problems, each
	// repetition solved by one web worker alone. Member m draws and solves
	// repetitions m, m+Team, … in order through Rep(ctx, j, m, rep), j the
	// job opened here (member 0 here: j.SolveRep; the others in workers of
	// their own, each with the files opened there), and the loop adds them
	// to the report in repetition order: the report is the same bit for
	// bit as from the loop one at a time. Rep returns the sample (its
	// features may be left out: Sample.Brief) and its solution, nil when
	// rep > 0 and the sample draws every pixel (the loop reuses the last
	// solution, as SolveRep leaves it). Blocks, OnSample, OnSolution and
	// Potentials are for the loop one at a time only.
	Team int
	Rep  func(ctx context.Context, j *Job, member, rep int) (*Sample, *ot.Solution, error)
	// Overlap is the most bytes of cost and kernels that two repetitions
	// in flight may hold at once in this process (overlap.go: repetition
	// k+1 is drawn, and computes its cost and exact plan, while k
	// iterates); 0 means schedule.OverlapBytes of the problem's size, a
	// negative value one repetition at a time. The loop one at a time runs
	// anyway with Blocks, OnSolution or Potentials, with Workers = 1 (or
	// one core) and for K = 1. The report is the same bit for bit either
	// way.
	Overlap int64
	// BlocksOverlap, with Blocks, when set and true of the prepared job,
	// runs two repetitions in flight as Overlap does (overlap.go), each
	// over the block set Blocks makes for it: Blocks is then called in
	// repetition order, before the repetition before it is done, and its
	// block sets share the memory between them themselves (no gate); each
	// one's free function is called after its solve. The browser's
	// sampler: repetition k+1's cost and exact plan while the other
	// workers iterate k (schedule.PageOverlap). Not with OnSolution or
	// Potentials, nor for K = 1. The report is the same bit for bit.
	BlocksOverlap func(*Job) bool
}

// ScoreWith is Score with options: the one loop over a candidate's
// repetitions, run by the CLI (goroutine blocks), by the browser's sampler
// worker (blocks in the web workers, Options.Blocks) and by the
// transferability maps (Options.Potentials, Options.OnSolution) alike.
func ScoreWith(ctx context.Context, c Candidate, s report.Settings, opt Options) report.Candidate {
	if opt.Progress != nil {
		opt.Progress(Progress{Candidate: c.Name, Rep: 0, K: s.K, Phase: PhaseReading})
	}
	j, err := Prepare(c, s)
	if err != nil {
		sm := NewSummary(c, j, s)
		sm.SetError(err)
		return sm.Result()
	}
	return j.ScoreWith(ctx, opt)
}

// ScoreWith is the package's ScoreWith for a job whose files are open.
func (j *Job) ScoreWith(ctx context.Context, opt Options) report.Candidate {
	c, s := j.Candidate, j.Settings
	phase := func(rep int, ph string) {
		if opt.Progress != nil {
			opt.Progress(Progress{Candidate: c.Name, Rep: rep, K: s.K, Phase: ph})
		}
	}
	sm := NewSummary(c, j, s)
	if opt.Check != nil {
		if err := opt.Check(j); err != nil {
			sm.SetError(err)
			return sm.Result()
		}
	}
	if opt.Team > 1 && opt.Rep != nil {
		return j.sideBySide(ctx, opt, sm)
	}
	if budget, ok := j.overlapOn(opt); ok {
		return j.overlapped(ctx, opt, sm, newOverlapGate(budget))
	}
	for rep := 0; rep < s.K; rep++ {
		phase(rep, PhaseSampling)
		smp, err := j.Sample(rep)
		if err == nil && opt.OnSample != nil {
			err = opt.OnSample(smp)
		}
		if err != nil {
			sm.SetError(err)
			return sm.Result()
		}
		if rep > 0 && smp.AllPixels && sm.last != nil {
			// Same pixels, same problem: the solve would repeat itself.
			if opt.OnSolution != nil {
				if err := opt.OnSolution(smp, sm.last); err != nil {
					sm.SetError(err)
					return sm.Result()
				}
			}
			sm.Add(smp, sm.last)
			phase(rep, PhaseDone)
			continue
		}
		phase(rep, PhaseSolving)
		var bs ot.BlockSet
		var free func()
		if opt.Blocks != nil {
			bs, free, err = opt.Blocks(smp)
		} else {
			lb := ot.NewLocalBlocks(smp.Problem, opt.Workers)
			bs, free = lb, func() { lb.Do(&ot.Op{Kind: ot.OpRelease}) }
		}
		if err != nil {
			sm.SetError(err)
			return sm.Result()
		}
		prm := SolveParams(s, func(pr ot.Progress) {
			if opt.Progress != nil {
				opt.Progress(Progress{Candidate: c.Name, Rep: rep, K: s.K, Phase: PhaseIterations, Progress: pr})
			}
		})
		prm.ExactStart = func() { phase(rep, PhaseExact) }
		prm.Potentials = opt.Potentials
		sol, err := ot.Solve(ctx, bs, smp.Problem, prm)
		if err == nil && opt.OnSolution != nil {
			err = opt.OnSolution(smp, sol)
		}
		if err != nil {
			free()
			if errors.Is(err, context.Canceled) {
				sm.SetError(errors.New("cancelled"))
			} else {
				sm.SetError(err)
			}
			return sm.Result()
		}
		sm.Add(smp, sol)
		done(opt.Progress, c.Name, rep, s.K, sol.Iterations)
		// Free this repetition's kernel before the next one builds its own:
		// without a collection here the heap would grow to two kernels
		// (measured: 871 MB instead of about 450 MB at N = 10⁴, K = 2).
		// Collected only, the freed pages stayed resident and the next
		// dense cost could come on top of them (668–770 MB at K = 10 on
		// the trained logits, above target 3's 633 MB): give them back,
		// as the overlapped loop's gate does (overlap.go).
		free()
		debug.FreeOSMemory()
	}
	return sm.Result()
}

// NPYFiles encodes the sample as .npy files: xs (N×D float32), ys (N int32
// label values), xt (M×D), yt (M) — the target points in the solver's order
// (by class) — so that another solver can score exactly the same pixels.
func (smp *Sample) NPYFiles() (map[string][]byte, error) {
	p := smp.Problem
	label := func(y []int32, classes []int) []int32 {
		out := make([]int32, len(y))
		for i, c := range y {
			out[i] = int32(classes[c])
		}
		return out
	}
	out := map[string][]byte{}
	for name, v := range map[string]struct {
		shape []int
		descr string
		data  any
	}{
		"xs.npy": {[]int{p.N, p.D}, "<f4", p.Xs},
		"ys.npy": {[]int{p.N}, "<i4", label(p.Ys, smp.SourceClasses)},
		"xt.npy": {[]int{p.M, p.D}, "<f4", p.Xt},
		"yt.npy": {[]int{p.M}, "<i4", label(p.Yt, smp.TargetClasses)},
	} {
		b, err := arrays.EncodeNPY(v.shape, v.descr, v.data)
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}
