// Package maps explains an OTCE score spatially: where in the target images
// the source model's features fail to predict the target labels.
//
// # Per-pixel conditional entropy
//
// A repetition samples source pixels (x_i, a_i), i < N, and target pixels
// (z_j, b_j), j < M, and solves for a coupling π whose joint table is
// P(a, b) = Σ_ij π_ij [a_i = a][b_j = b] (π normalised to total mass 1).
// For a sampled target pixel j let
//
//	q_j(a) = M·Σ_i π_ij [a_i = a]     (its source-class mixture)
//	h_j    = −Σ_a q_j(a) log P(b_j | a).
//
// Then (1/M) Σ_j h_j = −Σ_ab P(a, b) log P(b | a) = H(Y_t | Y_s): the
// repetition's conditional entropy, exactly (OTCE = −H). h_j is how badly
// pixel j's label is predicted by the source classes it is coupled with.
//
// # Any target pixel
//
// The coupling extends to a pixel x that was not sampled through the source
// potentials F (ot.Potentials), in the normalised cost units of the solve
// (C' = C/Scale):
//
//	entropic:  q_x(a) ∝ Σ_{i: a_i = a} exp((F_i − C'(x_i, x))/ε)
//	exact:     q_x = the classes of arg-min_i C'(x_i, x) − F_i,
//	           ties split evenly.
//
// The entropic q_x is the c-transform of F: at a sampled pixel it is the
// plan's normalised column (π_ij = exp((F_i + G_j − C'_ij)/ε)), and it is
// computed log-sum-exp stabilised. The exact one is the source pixel that
// the dual potentials make cheapest, which at a sampled pixel is the one
// the plan sends to it (complementary slackness). The exact solver's duals
// are certified to a tolerance τ (ot.Potentials.Tie), so "ties" are the rows
// within 3τ of the least value: the plan's row is always among them (its
// value exceeds the least by at most 2τ), and at a sampled pixel whose
// near-ties all share the plan row's class, q_x is the plan's column
// exactly; where they do not (degenerate duals, or a column into which
// the plan splits mass), q_x spreads the mass over the tied classes. So at
// a sampled pixel of an exact plan the map takes the plan's own column
// instead (LabeledMixtures: a pixel with a sampled pixel's features and
// label; several sampled pixels alike share the mean of their columns),
// and the mean of h over the sampled pixels is the CE exactly, as with
// Sampled. h_x follows with the
// repetition's P(b|a) and x's own label b(x). A pixel whose class does not
// occur in the repetition's target sample has no P(b|a): it is undefined,
// as is one coupled to a source class a with P(a, b(x)) = 0 (possible with
// the exact plan), where h would be +∞.
//
// A dense map (ImageMap) evaluates h_x at every valid pixel of a target
// image's feature grid and averages it over the repetitions in which it is
// defined.
package maps

import (
	"errors"
	"fmt"
	"math"

	"github.com/otceseg/otceseg/core/detmath"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
)

// Rep is one repetition's coupling in the form a map needs: the source
// sample, its potentials and the joint table. It holds the sample's source
// features (N×D float32, shared, not copied) and O(N + La·M) more.
type Rep struct {
	N, M, D int
	La, Lb  int
	// SourceClasses and TargetClasses are the label values of the class
	// indices.
	SourceClasses, TargetClasses []int
	// Joint is the La×Lb joint table P(a, b).
	Joint []float64

	xs      []float32
	ns      []float64
	ys      []int32
	yt      []int32
	f       []float64
	eps     float64
	inv     float64 // 1/Scale
	exact   bool
	tie     float64   // exact: rows within this of the least C' − F tie
	columns []float64 // La×M
	// exact plans with columns: the sampled target pixels by sampleKey of
	// their features and label value, each to a group of alike ones, and
	// q_j of each group (the mean over its pixels, G×La); groupX and
	// groupY are each group's features (G×D) and label value, which a
	// pixel must have bit for bit to take the group's q (a hash match
	// alone is not trusted).
	sampled map[uint64]int32
	groupQ  []float64
	groupX  []float32
	groupY  []int
	logP    []float64 // La×Lb: log P(b|a), −Inf where P(a, b) = 0
	tclass  map[int]int
}

// NewRep builds a repetition's map model from its problem (the solver's
// order of target points), the label values of its classes, its normalised
// joint table (La×Lb) and the potentials of its solution (solved with
// ot.Params.Potentials). Dense maps read the problem's Xs and Ys and the
// potentials' F, Eps, Scale, Exact and Tie only: a worker that builds a
// Rep for maps alone may pass pot.Columns nil (and p.Xt nil), and then
// SampledMixture and Sampled are not available.
func NewRep(p *ot.Problem, sourceClasses, targetClasses []int, joint []float64, pot *ot.Potentials) (*Rep, error) {
	switch {
	case pot == nil:
		return nil, errors.New("maps: the solution carries no potentials (solve with Potentials set)")
	case len(sourceClasses) != p.La || len(targetClasses) != p.Lb || len(joint) != p.La*p.Lb:
		return nil, fmt.Errorf("maps: %d source and %d target class labels and a joint table of %d entries for %d×%d classes", len(sourceClasses), len(targetClasses), len(joint), p.La, p.Lb)
	case len(pot.F) != p.N || (pot.Columns != nil && len(pot.Columns) != p.La*p.M):
		return nil, fmt.Errorf("maps: %d row potentials and %d class column sums for %d source points, %d target points and %d source classes", len(pot.F), len(pot.Columns), p.N, p.M, p.La)
	case len(p.Xs) != p.N*p.D || len(p.Ys) != p.N || len(p.Yt) != p.M:
		return nil, errors.New("maps: the problem's source features or labels are missing")
	case !(pot.Scale > 0) || (!pot.Exact && !(pot.Eps > 0)):
		return nil, fmt.Errorf("maps: potentials with scale %v and ε %v", pot.Scale, pot.Eps)
	}
	r := &Rep{
		N: p.N, M: p.M, D: p.D, La: p.La, Lb: p.Lb,
		SourceClasses: sourceClasses, TargetClasses: targetClasses, Joint: joint,
		xs: p.Xs, ys: p.Ys, yt: p.Yt, f: pot.F, eps: pot.Eps, inv: 1 / pot.Scale, exact: pot.Exact,
		columns: pot.Columns, tclass: map[int]int{}, tie: 3 * pot.Tie,
	}
	for b, l := range targetClasses {
		r.tclass[l] = b
	}
	r.ns = make([]float64, p.N)
	for i := range r.ns {
		s := 0.0
		for _, v := range p.Xs[i*p.D : (i+1)*p.D] {
			x := float64(v)
			s += x * x
		}
		r.ns[i] = s
	}
	if pot.Exact && pot.Columns != nil && len(p.Xt) == p.M*p.D {
		r.groupSampled(p.Xt)
	}
	r.logP = make([]float64, p.La*p.Lb)
	for a := 0; a < p.La; a++ {
		row := joint[a*p.Lb : (a+1)*p.Lb]
		pa := 0.0
		for _, x := range row {
			pa += x
		}
		for b, x := range row {
			if x > 0 {
				r.logP[a*p.Lb+b] = detmath.Log(x / pa)
			} else {
				r.logP[a*p.Lb+b] = math.Inf(-1)
			}
		}
	}
	return r, nil
}

// FromSolution is NewRep for a repetition's sample and solution.
func FromSolution(smp *otce.Sample, sol *ot.Solution) (*Rep, error) {
	return NewRep(smp.Problem, smp.SourceClasses, smp.TargetClasses, sol.Joint, sol.Potentials)
}

// Status says whether a pixel's h is defined.
type Status int

// The statuses of a pixel's h.
const (
	Defined     Status = iota
	UnseenClass        // the pixel's class does not occur in the repetition's target sample
	ZeroProb           // coupled to a source class a with P(a, b) = 0: h would be +∞
)

// Entropy returns h = −Σ_a q(a) log P(b|a) for a pixel of label value label
// with source-class mixture q (length La).
func (r *Rep) Entropy(q []float64, label int) (float64, Status) {
	b, ok := r.tclass[label]
	if !ok {
		return math.NaN(), UnseenClass
	}
	h := 0.0
	for a, qa := range q[:r.La] {
		if qa > 0 {
			lp := r.logP[a*r.Lb+b]
			if math.IsInf(lp, -1) {
				return math.NaN(), ZeroProb
			}
			h -= qa * lp
		}
	}
	return h, Defined
}

// SampledMixture writes q_j(a) = M·Σ_i π_ij [a_i = a] of sampled target
// point j (the solver's order) into q (length La). The Rep must have the
// potentials' Columns.
func (r *Rep) SampledMixture(j int, q []float64) {
	for a := range r.La {
		q[a] = float64(r.M) * r.columns[a*r.M+j]
	}
}

// Sampled returns h_j of every sampled target point, in the solver's order;
// their mean is the repetition's H(Y_t|Y_s). It returns nil when the Rep
// was built without the potentials' Columns.
func (r *Rep) Sampled() []float64 {
	if r.columns == nil {
		return nil
	}
	h := make([]float64, r.M)
	q := make([]float64, r.La)
	for j := range h {
		r.SampledMixture(j, q)
		h[j], _ = r.Entropy(q, r.TargetClasses[r.yt[j]])
	}
	return h
}

// groupSampled fills r.sampled and r.groupQ from the sampled target
// pixels' features xt (the solver's order) and their plan columns.
func (r *Rep) groupSampled(xt []float32) {
	r.sampled = make(map[uint64]int32, r.M)
	var count []int
	q := make([]float64, r.La)
	for j := range r.M {
		xj, yj := xt[j*r.D:(j+1)*r.D], r.TargetClasses[r.yt[j]]
		key := sampleKey(xj, nil, yj)
		g, ok := r.sampled[key]
		if ok && !r.isGroup(g, xj, nil, yj) {
			// Another pixel with the same hash: this one keeps no
			// group (its map value is the arg-min's, as unsampled
			// pixels').
			continue
		}
		if !ok {
			g = int32(len(count))
			r.sampled[key] = g
			count = append(count, 0)
			r.groupQ = append(r.groupQ, make([]float64, r.La)...)
			r.groupX = append(r.groupX, xj...)
			r.groupY = append(r.groupY, yj)
		}
		count[g]++
		r.SampledMixture(j, q)
		for a, v := range q {
			r.groupQ[int(g)*r.La+a] += v
		}
	}
	for g, c := range count {
		for a := range r.La {
			r.groupQ[g*r.La+a] /= float64(c)
		}
	}
}

// isGroup says whether a pixel with the features x32 (or x, the float64
// values of float32 features, when x32 is nil) and label value label is
// group g's, bit for bit.
func (r *Rep) isGroup(g int32, x32 []float32, x []float64, label int) bool {
	if r.groupY[g] != label {
		return false
	}
	gx := r.groupX[int(g)*r.D : (int(g)+1)*r.D]
	for i, v := range gx {
		w := float32(0)
		if x32 != nil {
			w = x32[i]
		} else {
			w = float32(x[i])
		}
		if math.Float32bits(v) != math.Float32bits(w) {
			return false
		}
	}
	return true
}

// sampleKey is the 64-bit FNV-1a hash of a pixel's features (the float32
// bits of x32, or of x's float64 values of float32 features when x32 is
// nil) and its label value. A pixel of an exact plan's map whose key is a
// sampled pixel's, and whose features and label are that pixel's bit for
// bit (Rep.isGroup), takes that pixel's column.
func sampleKey(x32 []float32, x []float64, label int) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	word := func(w uint32) {
		for range 4 {
			h = (h ^ uint64(w&0xff)) * prime
			w >>= 8
		}
	}
	for _, v := range x32 {
		word(math.Float32bits(v))
	}
	for _, v := range x {
		word(math.Float32bits(float32(v)))
	}
	word(uint32(label))
	word(uint32(uint64(label) >> 32))
	return h
}

// Work is the scratch space of Mixtures for up to Rows points at a time.
type Work struct {
	cost []float32
	nx   []float64
}

// Mixtures writes the source-class mixtures q_x of n points into q (n×La):
// x holds their features (n×D, the float64 values of float32 features,
// transformed as the sample was). w may be nil or reused between calls.
func (r *Rep) Mixtures(x []float64, n int, q []float64, w *Work) *Work {
	return r.LabeledMixtures(x, nil, n, q, w)
}

// LabeledMixtures is Mixtures for points with label values labels (length
// n, or nil): for an exact plan, a point with a sampled target pixel's
// features and label value gets that pixel's column q_j (the mean of the
// columns of the sampled pixels alike) instead of the arg-min's classes,
// which at a column into which the plan splits mass spread it evenly over
// the tied classes instead of the plan's weights.
func (r *Rep) LabeledMixtures(x []float64, labels []int32, n int, q []float64, w *Work) *Work {
	if w == nil {
		w = &Work{}
	}
	if cap(w.cost) < n*r.N {
		w.cost = make([]float32, n*r.N)
	}
	if cap(w.nx) < n {
		w.nx = make([]float64, n)
	}
	cost, nx := w.cost[:n*r.N], w.nx[:n]
	d := r.D
	for k := range nx {
		s := 0.0
		for _, v := range x[k*d : (k+1)*d] {
			s += v * v
		}
		nx[k] = s
	}
	ot.CostRows(cost, x, nx, r.xs, r.ns, n, r.N, d)
	for k := 0; k < n; k++ {
		qk := q[k*r.La : (k+1)*r.La]
		if r.sampled != nil && labels != nil {
			xk, yk := x[k*d:(k+1)*d], int(labels[k])
			if g, ok := r.sampled[sampleKey(nil, xk, yk)]; ok && r.isGroup(g, nil, xk, yk) {
				copy(qk, r.groupQ[int(g)*r.La:(int(g)+1)*r.La])
				continue
			}
		}
		r.mixture(cost[k*r.N:(k+1)*r.N], qk)
	}
	return w
}

// flush is the exponent below which a source point's weight (relative to
// the largest) is dropped: exp(−flush) ≈ 2·10⁻³⁵.
const flush = 80

// mixture is q_x for one point from its costs to the source points.
func (r *Rep) mixture(c []float32, q []float64) {
	clear(q)
	if r.exact {
		// arg-min_i C'_i − F_i, ties (within r.tie) split evenly: the
		// least value is −max_i F_i − C'_i (ot.RowTop: the page's SIMD
		// kernel), and C'_i − F_i = −(F_i − C'_i) exactly.
		lim := r.tie - ot.RowTop(c, r.f, r.inv)
		ties := classTies(q, r.ys, c, r.f, r.inv, lim)
		for a := range q {
			q[a] /= float64(ties)
		}
		return
	}
	// top = max_i F_i − C'_i (the largest weight's exponent, times ε);
	// the weights exp((F_i − C'_i − top)/ε), those above exp(−flush), are
	// summed by class in source order (classWeights: AVX2 natively, the
	// SIMD128 module in the page) and their total over the classes.
	top := ot.RowTop(c, r.f, r.inv)
	classWeights(q, r.ys, c, r.f, r.inv, top, 1/r.eps)
	total := 0.0
	for _, w := range q {
		total += w
	}
	for a := range q {
		q[a] /= total
	}
}
