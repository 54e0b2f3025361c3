// Package metrics computes the transferability scores that users compare
// OTCE with — LogME, LEEP, NCE, H-score, GBC — and the zero-shot accuracy
// baseline, on the sampled target pixels of one repetition.
//
// Every score takes the features X (n×d, row-major, after the run's
// --transform, read as float64) and the target label value of each row, and
// returns (score, error): higher is better, like OTCE. The classes are the
// label values present in the sample, in increasing order; they need not be
// 0..C−1. A score that cannot be computed (a single class, all-zero or
// constant features, a numerically singular case, labels without a logit
// channel for the zero-shot accuracy) returns an error that says why, and
// never NaN or ±Inf.
//
// All the scores together cost O(n·d² + d³ + C²·d) arithmetic when n ≥ d:
// one Gram matrix of the centred features and two d×d symmetric
// eigendecompositions (one for LogME, shared by all its classes as in
// thuml/LogME; one for H-score's pseudo-inverse). A small sample (n < d: a
// patch of a patch map, a few dozen pixels of 256 channels) takes the n×n
// form of the same two problems instead, O(n²·d + n³ + C²·d): the nonzero
// eigenvalues of FᵀF (d×d) are those of FFᵀ (n×n), and LogME and H-score
// need only them and the projections of the class indicators on FFᵀ's
// eigenvectors (see LogME and HScore). The form depends on n and d alone,
// so the page and the CLI take the same one.
package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/otceseg/otceseg/core/detmath"
)

// Names are the scores that can be asked for, in display order. "otce" is
// the OT score itself (always computed by the scorer); "zeroshot" yields two
// numbers, ZeroShotAcc and ZeroShotMIoU.
var Names = []string{"otce", "logme", "leep", "nce", "hscore", "gbc", "zeroshot"}

// Keys of the zero-shot accuracy's two numbers.
const (
	ZeroShotAcc  = "zeroshot_acc"
	ZeroShotMIoU = "zeroshot_miou"
)

// Select parses a --metrics value: "all" (or empty) or a comma-separated
// list of Names. It returns the scores to compute besides OTCE, in the order
// of Names, and the ones asked for (or implied by "all") that do not apply:
// "zeroshot" without shared classes. An unknown name is an error.
func Select(list string, sharedClasses bool) (compute, notApplicable []string, err error) {
	want := map[string]bool{}
	if s := strings.TrimSpace(list); s == "" || s == "all" {
		for _, n := range Names {
			want[n] = true
		}
	} else {
		for _, f := range strings.Split(s, ",") {
			f = strings.ToLower(strings.TrimSpace(f))
			if f == "all" {
				for _, n := range Names {
					want[n] = true
				}
				continue
			}
			if !slices.Contains(Names, f) {
				return nil, nil, fmt.Errorf("--metrics: unknown score %q: want all or a list of %s", f, strings.Join(Names, ","))
			}
			want[f] = true
		}
	}
	for _, n := range Names {
		switch {
		case !want[n] || n == "otce":
		case n == "zeroshot" && !sharedClasses:
			notApplicable = append(notApplicable, n)
		default:
			compute = append(compute, n)
		}
	}
	return compute, notApplicable, nil
}

// Options tune Compute.
type Options struct {
	// Probabilities says the features already are probabilities (the
	// run's --transform is softmax): LEEP then uses them as θ instead of
	// applying softmax a second time.
	Probabilities bool
	// HScoreRcond is the relative cutoff of H-score's pseudo-inverse.
	HScoreRcond float64
	// GBCDiagonal selects diagonal instead of spherical class Gaussians.
	GBCDiagonal bool
}

// Compute evaluates the named scores (a subset of Names; "otce" is
// skipped) on x (n×d, row-major) with labels, and returns each computed
// value by key (the name, or ZeroShotAcc and ZeroShotMIoU) and each
// failure's reason by name.
func Compute(names []string, x []float64, d int, labels []int32, o Options) (map[string]float64, map[string]string) {
	vals, errs := map[string]float64{}, map[string]string{}
	set := func(name string, v float64, err error) {
		if err == nil && !finite(v) {
			err = fmt.Errorf("the result is not a finite number (%v)", v)
		}
		if err != nil {
			errs[name] = err.Error()
			return
		}
		vals[name] = v
	}
	// LogME and H-score share the O(n·d²) centred Gram matrix when n ≥ d;
	// a small sample (n < d) leaves g nil, and each takes its n×n form.
	var shared struct {
		dt     *data
		mu     []float64
		mc     [][]float64
		g      []float64
		err    error
		filled bool
	}
	gram := func() (*data, []float64, [][]float64, []float64, error) {
		if !shared.filled {
			shared.filled = true
			shared.dt, shared.err = prepare(x, d, labels, 2)
			if shared.err == nil {
				shared.mu, shared.mc = shared.dt.classMeans()
				if !shared.dt.small() {
					shared.g = shared.dt.centredGram(shared.mu)
				}
			}
		}
		return shared.dt, shared.mu, shared.mc, shared.g, shared.err
	}
	for _, n := range names {
		switch n {
		case "logme":
			dt, mu, mc, g, err := gram()
			v := 0.0
			switch {
			case err != nil:
			case dt.small():
				v, err = logMESample(dt)
			default:
				v, err = logME(dt, mu, mc, slices.Clone(g))
			}
			set(n, v, err)
		case "leep":
			v, err := LEEP(x, d, labels, o.Probabilities)
			set(n, v, err)
		case "nce":
			v, err := NCE(x, d, labels)
			set(n, v, err)
		case "hscore":
			dt, mu, mc, g, err := gram()
			v := 0.0
			switch {
			case err != nil:
			case dt.small():
				v, err = hScoreSample(dt, mu, o.HScoreRcond)
			default:
				v, err = hScore(dt, mu, mc, g, o.HScoreRcond)
			}
			set(n, v, err)
		case "gbc":
			v, err := GBC(x, d, labels, o.GBCDiagonal)
			set(n, v, err)
		case "zeroshot":
			acc, miou, err := ZeroShot(x, d, labels)
			if err != nil {
				errs[n] = err.Error()
			} else {
				vals[ZeroShotAcc], vals[ZeroShotMIoU] = acc, miou
			}
		}
	}
	return vals, errs
}

// data is the validated input with dense class indices.
type data struct {
	x       []float64
	n, d    int
	y       []int   // class index of each row
	classes []int32 // label value of each class, increasing
	count   []float64
}

// prepare checks the shapes and the values and maps the label values to
// class indices; minClasses is the number of classes the score needs.
func prepare(x []float64, d int, labels []int32, minClasses int) (*data, error) {
	if d <= 0 {
		return nil, fmt.Errorf("the features have %d channels", d)
	}
	n := len(labels)
	if len(x) != n*d {
		return nil, fmt.Errorf("%d feature values for %d pixels of %d channels", len(x), n, d)
	}
	if n < 2 {
		return nil, fmt.Errorf("%d sampled pixels: at least 2 are needed", n)
	}
	for _, v := range x {
		if !finite(v) {
			return nil, errors.New("the features hold NaN or Inf")
		}
	}
	vals := slices.Clone(labels)
	slices.Sort(vals)
	vals = slices.Compact(vals)
	if len(vals) < minClasses {
		return nil, fmt.Errorf("only %d target class in the sample (label %d): the score needs at least %d", len(vals), vals[0], minClasses)
	}
	index := make(map[int32]int, len(vals))
	for i, v := range vals {
		index[v] = i
	}
	dt := &data{x: x, n: n, d: d, y: make([]int, n), classes: vals, count: make([]float64, len(vals))}
	for i, v := range labels {
		c := index[v]
		dt.y[i] = c
		dt.count[c]++
	}
	return dt, nil
}

// small reports whether LogME and H-score take their n×n (sample) form:
// n < d. It depends on the shape alone, so the page and the CLI agree.
func (dt *data) small() bool { return dt.n < dt.d }

// classMeans returns the overall mean (d) and the class means (C×d).
func (dt *data) classMeans() ([]float64, [][]float64) {
	mu := make([]float64, dt.d)
	mc := make([][]float64, len(dt.classes))
	for c := range mc {
		mc[c] = make([]float64, dt.d)
	}
	for i := 0; i < dt.n; i++ {
		row := dt.x[i*dt.d : (i+1)*dt.d]
		m := mc[dt.y[i]]
		for k, v := range row {
			m[k] += v
		}
	}
	for c, m := range mc {
		for k := range m {
			mu[k] += m[k]
			m[k] /= dt.count[c]
		}
	}
	for k := range mu {
		mu[k] /= float64(dt.n)
	}
	return mu, mc
}

// centredGram returns Σ_i (x_i − μ)(x_i − μ)ᵀ (d×d, both triangles). The
// rows are taken four at a time, g_ab += (r0a·r0b + r1a·r1b) + (r2a·r2b +
// r3a·r3b) (a quarter of the passes over g), then one at a time: a fixed
// order of plain float64 operations, the same bits natively and in
// WebAssembly.
func (dt *data) centredGram(mu []float64) []float64 {
	d := dt.d
	g := make([]float64, d*d)
	rows := make([]float64, 4*d)
	centre := func(dst []float64, i int) {
		for k, v := range dt.x[i*d : (i+1)*d] {
			dst[k] = v - mu[k]
		}
	}
	i := 0
	for ; i+4 <= dt.n; i += 4 {
		r0, r1, r2, r3 := rows[:d], rows[d:2*d], rows[2*d:3*d], rows[3*d:]
		centre(r0, i)
		centre(r1, i+1)
		centre(r2, i+2)
		centre(r3, i+3)
		for a := 0; a < d; a++ {
			a0, a1, a2, a3 := r0[a], r1[a], r2[a], r3[a]
			ga := g[a*d+a : a*d+d]
			b0, b1, b2, b3 := r0[a:], r1[a:len(r0)], r2[a:len(r0)], r3[a:len(r0)]
			b1, b2, b3 = b1[:len(b0)], b2[:len(b0)], b3[:len(b0)]
			for b := range ga {
				ga[b] += (a0*b0[b] + a1*b1[b]) + (a2*b2[b] + a3*b3[b])
			}
		}
	}
	row := rows[:d]
	for ; i < dt.n; i++ {
		centre(row, i)
		for a, xa := range row {
			ga := g[a*d+a : a*d+d]
			for b, xb := range row[a:] {
				ga[b] += xa * xb
			}
		}
	}
	for a := 0; a < d; a++ {
		for b := 0; b < a; b++ {
			g[a*d+b] = g[b*d+a]
		}
	}
	return g
}

// LogMERankCutoff is the relative cutoff below which an eigenvalue of XᵀX
// counts as zero in LogME: λ_i ≤ LogMERankCutoff·λ_max. Eigenvalues of a
// rank-deficient XᵀX computed in float64 are of order 1e-16·λ_max, and their
// eigenvectors are arbitrary; this cutoff keeps the score a function of the
// data, not of rounding.
const LogMERankCutoff = 1e-12

// LogME returns the logarithm of maximum evidence (You et al., "LogME:
// Practical Assessment of Pre-trained Models for Transfer Learning", ICML
// 2021) with the fixed-point update of You et al. 2021 ("Ranking and Tuning
// Pre-trained Models", arXiv 2110.10545), as thuml/LogME's _fit_fixed_point.
//
// For each class c the one-hot column y (n) is regressed on the features F
// (n×d) with prior w ~ N(0, α⁻¹I) and noise N(0, β⁻¹). With σ_i the
// eigenvalues of FᵀF = V diag(σ) Vᵀ and x_i = v_iᵀFᵀy/√σ_i (= u_iᵀy for
// the left singular vectors u_i; x_i = 0 where σ_i is below the rank
// cutoff), starting from α = β = 1, each of at most 11 updates computes, with
// t = α/β,
//
//	γ = Σ σ_i/(σ_i + t),  m² = Σ σ_i x_i²/(t + σ_i)²,
//	r² = Σ x_i²/(1 + σ_i/t)² + (‖y‖² − Σ x_i²),
//	α ← γ/(m² + 1e-5),  β ← (n − γ)/(r² + 1e-5),
//
// and stops when |α/β − t|/t ≤ 1e-3. The class's evidence is then
//
//	L = d/2·log α + n/2·log β − ½ Σ_{i=1..d} log(α + βσ_i) − β/2·r² − α/2·m² − n/2·log 2π,
//
// with the last update's α, β and the r², m² that produced them (as
// thuml/LogME), and LogME = mean over the classes of L/n.
//
// Where this follows thuml/LogME: the 1e-5 in the denominators, the α = β = 1
// start, the 11-update budget and the 1e-3 stop rule, the order of the final
// evidence's terms. Where it deviates: the log-determinant sums over all d
// eigenvalues of FᵀF (those below the cutoff as 0, so each adds log α), the
// exact log|αI + βFᵀF| of the paper; thuml/LogME sums over the min(n, d)
// singular values only, which differs when d > n (or F is rank-deficient).
// The rank cutoff is relative (LogMERankCutoff) where thuml's truncated SVD
// uses an absolute 1e-10 on the singular values.
//
// Exp and log are core/detmath's, the eigendecomposition symEigen: the
// same bits natively and in WebAssembly.
//
// Cost: one d×d Gram matrix (O(n·d²)) and one eigendecomposition (O(d³))
// shared by all the classes, then O(d) per update and class. A small
// sample, n < d, takes the n×n form instead (logMESample): FFᵀ = U diag(σ)
// Uᵀ has the nonzero eigenvalues of FᵀF, x_i = u_iᵀy is the sum of u_i
// over the class's rows, and the d − n eigenvalues of FᵀF that FFᵀ lacks
// are zero (each adds log α to the log-determinant, as above): the same
// score in exact arithmetic for O(n²·d + n³).
func LogME(x []float64, d int, labels []int32) (float64, error) {
	dt, err := prepare(x, d, labels, 2)
	if err != nil {
		return 0, err
	}
	if dt.small() {
		return logMESample(dt)
	}
	mu, mc := dt.classMeans()
	return logME(dt, mu, mc, dt.centredGram(mu))
}

// logME is LogME given the means and the centred Gram matrix, which it
// overwrites.
func logME(dt *data, mu []float64, mc [][]float64, g []float64) (float64, error) {
	d := dt.d
	// FᵀF = Σ (x−μ)(x−μ)ᵀ + n μμᵀ: the uncentred Gram, from the centred
	// one without cancellation.
	nf := float64(dt.n)
	for a := 0; a < d; a++ {
		for b := 0; b < d; b++ {
			g[a*d+b] += nf * mu[a] * mu[b]
		}
	}
	sigma, w, err := symEigen(g, d)
	if err != nil {
		return 0, fmt.Errorf("LogME: %v", err)
	}
	smax := sigma[d-1]
	if !(smax > 0) {
		return 0, errors.New("the features are all zero")
	}
	for i := range sigma {
		if sigma[i] <= LogMERankCutoff*smax {
			sigma[i] = 0
		}
	}
	total := 0.0
	b := make([]float64, d)
	x2 := make([]float64, d)
	for c := range dt.classes {
		// Fᵀy = n_c·μ_c: the sum of the class's rows.
		for k := range b {
			b[k] = dt.count[c] * mc[c][k]
		}
		sx2 := 0.0
		for i := 0; i < d; i++ {
			x2[i] = 0
			if sigma[i] > 0 {
				p := 0.0
				for k, vk := range w[i*d : (i+1)*d] {
					p += vk * b[k]
				}
				x2[i] = p * p / sigma[i]
				sx2 += x2[i]
			}
		}
		ev, err := dt.logMEEvidence(c, sigma, x2, sx2)
		if err != nil {
			return 0, err
		}
		total += ev / nf
	}
	return total / float64(len(dt.classes)), nil
}

// logMESample is LogME in the n×n form, for n < d: the eigenvalues σ_i
// and eigenvectors u_i of FFᵀ (n×n, the rows' dot products), those below
// the rank cutoff set to 0 as in logME, x_i = u_iᵀy (the sum of u_i's
// entries over the class's rows; 0 where σ_i is 0), and the d − n
// eigenvalues of FᵀF beyond FFᵀ's as zeros before them (ascending, the
// d×d form's layout), so that logMEEvidence sums over all d.
func logMESample(dt *data) (float64, error) {
	n, d := dt.n, dt.d
	sig, w, err := symEigen(dt.sampleGram(nil), n)
	if err != nil {
		return 0, fmt.Errorf("LogME: %v", err)
	}
	smax := sig[n-1]
	if !(smax > 0) {
		return 0, errors.New("the features are all zero")
	}
	sigma := make([]float64, d)
	for i, s := range sig {
		if s > LogMERankCutoff*smax {
			sigma[d-n+i] = s
		}
	}
	ux := dt.classSums(w)
	total := 0.0
	nf := float64(n)
	x2 := make([]float64, d)
	for c := range dt.classes {
		sx2 := 0.0
		for i := 0; i < n; i++ {
			x2[d-n+i] = 0
			if sigma[d-n+i] > 0 {
				p := ux[i*len(dt.classes)+c]
				x2[d-n+i] = p * p
				sx2 += p * p
			}
		}
		ev, err := dt.logMEEvidence(c, sigma, x2, sx2)
		if err != nil {
			return 0, err
		}
		total += ev / nf
	}
	return total / float64(len(dt.classes)), nil
}

// sampleGram returns the n×n matrix of the rows' dot products,
// (x_i − μ)·(x_j − μ) (both triangles), with μ = 0 when mu is nil: FFᵀ,
// or the centred features' F_cF_cᵀ. Each entry is one dot product in
// channel order, a fixed order of plain float64 operations.
func (dt *data) sampleGram(mu []float64) []float64 {
	n, d := dt.n, dt.d
	rows := dt.x
	if mu != nil {
		rows = make([]float64, n*d)
		for i := 0; i < n; i++ {
			for k, v := range dt.x[i*d : (i+1)*d] {
				rows[i*d+k] = v - mu[k]
			}
		}
	}
	k := make([]float64, n*n)
	for i := 0; i < n; i++ {
		ri := rows[i*d : (i+1)*d]
		for j := 0; j <= i; j++ {
			rj := rows[j*d : (j+1)*d]
			rj = rj[:len(ri)]
			s := 0.0
			for a, v := range ri {
				s += v * rj[a]
			}
			k[i*n+j], k[j*n+i] = s, s
		}
	}
	return k
}

// classSums returns u_iᵀy_c for each eigenvector u_i (row i of w, n×n) and
// class c, at [i·C + c]: the sum of u_i's entries over the class's rows.
func (dt *data) classSums(w []float64) []float64 {
	n, C := dt.n, len(dt.classes)
	out := make([]float64, n*C)
	for i := 0; i < n; i++ {
		o := out[i*C : (i+1)*C]
		for j, v := range w[i*n : (i+1)*n] {
			o[dt.y[j]] += v
		}
	}
	return out
}

// logMEEvidence returns class c's evidence L (LogME's doc comment) by the
// fixed point, given all d eigenvalues σ of FᵀF (ascending, 0 below the
// rank cutoff), the x_i² (0 where σ_i is 0) and their sum sx2.
func (dt *data) logMEEvidence(c int, sigma, x2 []float64, sx2 float64) (float64, error) {
	d, nf := dt.d, float64(dt.n)
	resX2 := dt.count[c] - sx2 // ‖y‖² = n_c for a one-hot column
	alpha, beta := 1.0, 1.0
	var m2, res2 float64
	for range 11 {
		t := alpha / beta
		gamma := 0.0
		m2, res2 = 0, resX2
		for i, s := range sigma {
			gamma += s / (s + t)
			m2 += s * x2[i] / ((t + s) * (t + s))
			q := 1 + s/t
			res2 += x2[i] / (q * q)
		}
		alpha = gamma / (m2 + 1e-5)
		beta = (nf - gamma) / (res2 + 1e-5)
		if math.Abs(alpha/beta-t)/t <= 1e-3 {
			break
		}
	}
	logdet := 0.0
	for _, s := range sigma {
		logdet += detmath.Log(alpha + beta*s)
	}
	ev := float64(d)/2*detmath.Log(alpha) + nf/2*detmath.Log(beta) - 0.5*logdet - beta/2*res2 - alpha/2*m2 - nf/2*detmath.Log(2*math.Pi)
	if !finite(ev) {
		return 0, fmt.Errorf("the evidence of class %d is not finite (α = %g, β = %g)", dt.classes[c], alpha, beta)
	}
	return ev, nil
}

// softmaxRow writes softmax(row) into out (max-shifted).
func softmaxRow(row, out []float64) {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = math.Max(mx, v)
	}
	s := 0.0
	for k, v := range row {
		out[k] = detmath.Exp(v - mx)
		s += out[k]
	}
	for k := range out {
		out[k] /= s
	}
}

// LEEP returns the Log Expected Empirical Prediction (Nguyen et al., "LEEP:
// A New Measure to Evaluate Transferability of Learned Representations",
// ICML 2020). θ_i = softmax(x_i) is the source model's distribution over its
// d "source classes" z for pixel i; with the empirical joint
// P(y, z) = (1/n) Σ_{i: y_i = y} θ_i(z), P(z) = Σ_y P(y, z) and
// P(y|z) = P(y, z)/P(z),
//
//	LEEP = (1/n) Σ_i log Σ_z P(y_i|z) θ_i(z).
//
// It is meaningful when the features are the source model's logits (or
// probabilities); on embeddings softmax makes a distribution of arbitrary
// channels. When probabilities is set (the run's --transform is softmax)
// the rows already are θ and are used as given: softmax is not applied
// twice. Source classes z with P(z) = 0 (every θ_i(z) = 0) add nothing.
func LEEP(x []float64, d int, labels []int32, probabilities bool) (float64, error) {
	dt, err := prepare(x, d, labels, 2)
	if err != nil {
		return 0, err
	}
	C := len(dt.classes)
	theta := make([]float64, dt.n*d)
	for i := 0; i < dt.n; i++ {
		row := x[i*d : (i+1)*d]
		if probabilities {
			for _, v := range row {
				if v < 0 {
					return 0, errors.New("the features should be probabilities (--transform softmax) but hold a negative value")
				}
			}
			copy(theta[i*d:(i+1)*d], row)
		} else {
			softmaxRow(row, theta[i*d:(i+1)*d])
		}
	}
	joint := make([]float64, C*d)
	pz := make([]float64, d)
	for i := 0; i < dt.n; i++ {
		j := joint[dt.y[i]*d : (dt.y[i]+1)*d]
		for z, t := range theta[i*d : (i+1)*d] {
			j[z] += t
			pz[z] += t
		}
	}
	// P(y|z) = joint/pz (the 1/n cancels).
	for y := 0; y < C; y++ {
		for z := 0; z < d; z++ {
			if pz[z] > 0 {
				joint[y*d+z] /= pz[z]
			}
		}
	}
	sum := 0.0
	for i := 0; i < dt.n; i++ {
		p := joint[dt.y[i]*d : (dt.y[i]+1)*d]
		e := 0.0
		for z, t := range theta[i*d : (i+1)*d] {
			e += p[z] * t
		}
		if !(e > 0) {
			return 0, fmt.Errorf("pixel %d has expected empirical prediction %g for its label", i, e)
		}
		sum += detmath.Log(e)
	}
	return sum / float64(dt.n), nil
}

// argmax returns the index of the first largest value.
func argmax(row []float64) int {
	best := 0
	for k, v := range row {
		if v > row[best] {
			best = k
		}
	}
	return best
}

// NCE returns the Negative Conditional Entropy (Tran et al.,
// "Transferability and Hardness of Supervised Classification Tasks", ICCV
// 2019) with the source label z_i = argmax_k x_ik (the first on ties) and
// the empirical joint P(y, z) = #{i: y_i = y, z_i = z}/n:
//
//	NCE = −H(Y|Z) = Σ_{y,z} P(y, z) log(P(y, z)/P(z)).
//
// Meaningful on logits or probabilities (the argmax is the source model's
// prediction); on embeddings the argmax channel is arbitrary.
func NCE(x []float64, d int, labels []int32) (float64, error) {
	dt, err := prepare(x, d, labels, 2)
	if err != nil {
		return 0, err
	}
	C := len(dt.classes)
	joint := make([]float64, C*d)
	pz := make([]float64, d)
	for i := 0; i < dt.n; i++ {
		z := argmax(x[i*d : (i+1)*d])
		joint[dt.y[i]*d+z]++
		pz[z]++
	}
	nf := float64(dt.n)
	s := 0.0
	for y := 0; y < C; y++ {
		for z := 0; z < d; z++ {
			if c := joint[y*d+z]; c > 0 {
				s += c / nf * detmath.Log(c/pz[z])
			}
		}
	}
	return s, nil
}

// HScore returns the H-score (Bao et al., "An Information-Theoretic
// Approach to Transferability in Task Transfer Learning", ICIP 2019):
//
//	H = tr(pinv(Cov f) · Cov g),
//
// where f are the features, g_i = E[f | y_i] replaces each pixel's features
// by its class mean, the covariances are unbiased (divided by n − 1), and
// pinv drops the eigenvalues of Cov f at or below rcond·λ_max (NumPy's
// pinv rule). With Cov f = V diag(λ) Vᵀ this is
//
//	H = Σ_{λ_i > rcond·λ_max} (1/λ_i) · (1/(n−1)) Σ_c n_c (v_iᵀ(μ_c − μ))².
//
// google-research stable_transfer's h_score multiplies pinv(Cov f) and
// Cov g element-wise instead (the trace of the element-wise product: only
// the diagonals meet); the authors' OTCE-segmentation scripts apply softmax
// to the logits first and use rcond 1e-5 (--transform softmax
// --hscore-rcond 1e-5).
//
// Eigenvalues at or below max(n, d)·ε·λ_max (ε = 2⁻⁵², NumPy's
// matrix_rank tolerance) are dropped whatever rcond: they are the rounding
// of a singular covariance (d > n, collinear channels, softmax rows that sum
// to 1), whose inverse would measure rounding, not the data. The score is
// then that of the pseudo-inverse of the exactly singular covariance.
//
// A small sample, n < d, takes the n×n form (hScoreSample): with F_c the
// centred features (n×d) and F_cF_cᵀ = U diag(λ) Uᵀ, whose nonzero
// eigenvalues are those of F_cᵀF_c, v_i = F_cᵀu_i/√λ_i and
// n_c(μ_c − μ) = F_cᵀy_c (y_c the class's indicator column), so
// n_c (v_iᵀ(μ_c − μ))² = λ_i (u_iᵀy_c)²/n_c and
//
//	H = Σ_{λ_i > cut} Σ_c (u_iᵀy_c)²/n_c,
//
// with the same cut (rcond and max(n, d)·ε of λ_max): the same score in
// exact arithmetic for O(n²·d + n³) instead of O(n·d² + d³).
func HScore(x []float64, d int, labels []int32, rcond float64) (float64, error) {
	dt, err := prepare(x, d, labels, 2)
	if err != nil {
		return 0, err
	}
	mu, mc := dt.classMeans()
	if dt.small() {
		return hScoreSample(dt, mu, rcond)
	}
	return hScore(dt, mu, mc, dt.centredGram(mu), rcond)
}

// hScore is HScore given the means and the centred Gram matrix.
func hScore(dt *data, mu []float64, mc [][]float64, g []float64, rcond float64) (float64, error) {
	d := dt.d
	lam, w, err := symEigen(g, d)
	if err != nil {
		return 0, fmt.Errorf("the H-score's eigendecomposition: %v", err)
	}
	lmax := lam[d-1]
	if !(lmax > 0) {
		return 0, errors.New("the features are constant: their covariance is zero")
	}
	nm1 := float64(dt.n - 1)
	cut := math.Max(rcond, float64(max(dt.n, d))*epsilon) * lmax
	h := 0.0
	for i := 0; i < d; i++ {
		if !(lam[i] > cut) {
			continue
		}
		q := 0.0
		for c := range dt.classes {
			p := 0.0
			for k, vk := range w[i*d : (i+1)*d] {
				p += vk * (mc[c][k] - mu[k])
			}
			q += dt.count[c] * p * p
		}
		// lam are the eigenvalues of the Gram (n−1)·Cov f.
		h += (q / nm1) / (lam[i] / nm1)
	}
	return h, nil
}

// hScoreSample is HScore in the n×n form, for n < d, given the mean μ:
// the eigenvalues λ_i and eigenvectors u_i of the centred features'
// F_cF_cᵀ (n×n), and Σ_{λ_i > cut} Σ_c (u_iᵀy_c)²/n_c.
func hScoreSample(dt *data, mu []float64, rcond float64) (float64, error) {
	n := dt.n
	lam, w, err := symEigen(dt.sampleGram(mu), n)
	if err != nil {
		return 0, fmt.Errorf("the H-score's eigendecomposition: %v", err)
	}
	lmax := lam[n-1]
	if !(lmax > 0) {
		return 0, errors.New("the features are constant: their covariance is zero")
	}
	cut := math.Max(rcond, float64(max(n, dt.d))*epsilon) * lmax
	uy := dt.classSums(w)
	C := len(dt.classes)
	h := 0.0
	for i := 0; i < n; i++ {
		if !(lam[i] > cut) {
			continue
		}
		for c, p := range uy[i*C : (i+1)*C] {
			h += p * p / dt.count[c]
		}
	}
	return h, nil
}

// GBCVarianceFloor is the floor of GBC's per-dimension class variances, as
// stable_transfer (np.maximum(variance, 1e-4)).
const GBCVarianceFloor = 1e-4

// GBC returns the Gaussian Bhattacharyya Coefficient (Pándy et al.,
// "Transferability Estimation using Bhattacharyya Class Separability",
// CVPR 2022). Each class c is a Gaussian with mean μ_c and variances
// s_ck = max(population variance of feature k in c, 1e-4); spherical (the
// default) replaces them by their mean s_c over k, i.e. Σ_c = s_c·I_d. The
// Bhattacharyya distance of two diagonal Gaussians, with s̄ = (s_c + s_c')/2,
//
//	D_B = (1/8) Σ_k (μ_ck − μ_c'k)²/s̄_k + (1/2) Σ_k log(s̄_k/√(s_ck·s_c'k)),
//
// and GBC = −Σ_{c ≠ c'} exp(−D_B(c, c')), over ordered pairs (each pair
// twice), as stable_transfer. Deviation from stable_transfer: for spherical
// Gaussians its log term is the scalar log(s̄/√(s_c·s_c')), once, while the
// Bhattacharyya distance of N(μ, s·I_d) — the paper's formula with
// Σ = s·I_d — counts it d times, as here; the diagonal case is the same in
// both.
func GBC(x []float64, d int, labels []int32, diagonal bool) (float64, error) {
	dt, err := prepare(x, d, labels, 2)
	if err != nil {
		return 0, err
	}
	_, mc := dt.classMeans()
	C := len(dt.classes)
	vr := make([][]float64, C)
	for c := range vr {
		vr[c] = make([]float64, d)
	}
	for i := 0; i < dt.n; i++ {
		m, s := mc[dt.y[i]], vr[dt.y[i]]
		for k, v := range x[i*d : (i+1)*d] {
			s[k] += (v - m[k]) * (v - m[k])
		}
	}
	for c := range vr {
		mean := 0.0
		for k := range vr[c] {
			vr[c][k] = math.Max(vr[c][k]/dt.count[c], GBCVarianceFloor)
			mean += vr[c][k]
		}
		if !diagonal {
			mean /= float64(d)
			for k := range vr[c] {
				vr[c][k] = mean
			}
		}
	}
	score := 0.0
	for a := 0; a < C; a++ {
		for b := 0; b < C; b++ {
			if a == b {
				continue
			}
			db := 0.0
			for k := 0; k < d; k++ {
				s := (vr[a][k] + vr[b][k]) / 2
				dm := mc[a][k] - mc[b][k]
				db += dm*dm/(8*s) + 0.5*(detmath.Log(s)-0.5*detmath.Log(vr[a][k])-0.5*detmath.Log(vr[b][k]))
			}
			score -= detmath.Exp(-db)
		}
	}
	return score, nil
}

// ZeroShot returns the pixel accuracy and the mIoU of the features' argmax
// (the first on ties) against the labels, reading channel c as label value
// c: meaningful only when the features are the source model's logits over
// the target's own classes (--shared-classes). The IoU of class c is
// |pred = c ∧ label = c| / |pred = c ∨ label = c|, and the mIoU averages
// it over the classes present in the labels or the predictions (as
// mmsegmentation's nanmean over the classes with a non-empty union). A
// label value outside 0..d−1 has no logit channel: an error.
func ZeroShot(x []float64, d int, labels []int32) (acc, miou float64, err error) {
	dt, err := prepare(x, d, labels, 1)
	if err != nil {
		return 0, 0, err
	}
	if lo, hi := dt.classes[0], dt.classes[len(dt.classes)-1]; lo < 0 || int(hi) >= d {
		bad := lo
		if lo >= 0 {
			bad = hi
		}
		return 0, 0, fmt.Errorf("label %d has no logit channel (the features have %d channels, read as labels 0..%d): the classes are not shared", bad, d, d-1)
	}
	inter := make([]float64, d)
	pred := make([]float64, d)
	gt := make([]float64, d)
	hit := 0.0
	for i := 0; i < dt.n; i++ {
		z := argmax(x[i*d : (i+1)*d])
		y := int(labels[i])
		pred[z]++
		gt[y]++
		if z == y {
			inter[z]++
			hit++
		}
	}
	sum, k := 0.0, 0
	for c := 0; c < d; c++ {
		if u := pred[c] + gt[c] - inter[c]; u > 0 {
			sum += inter[c] / u
			k++
		}
	}
	return hit / float64(dt.n), sum / float64(k), nil
}

// epsilon is the float64 machine epsilon, 2⁻⁵².
const epsilon = 0x1p-52

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
