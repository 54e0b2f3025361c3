package stats

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// LinearFit is the least-squares fit y ≈ X·λ + b of accuracies y (n) on
// scores X (n×p), as the original OTCE paper fits OTCE = λ₁·W_D + λ₂·W_T + b
// on tasks with known transfer accuracy.
type LinearFit struct {
	Lambda []float64 // λ, one per score
	B      float64   // intercept
	// ResidualStd is s = √(RSS/(n − p − 1)), the residuals' standard
	// deviation with the fit's degrees of freedom.
	ResidualStd float64
	// LOO[i] is y_i's prediction by the fit on the other n − 1 points.
	LOO []float64
	// LOORMSE is √(mean (LOO_i − y_i)²).
	LOORMSE float64
	// LOOPearson is Pearson's r of LOO and y (NaN when either is constant).
	LOOPearson float64
	// T975 is the 0.975 quantile of Student's t with n − p − 1 degrees of
	// freedom: the 95 % prediction interval's factor.
	T975 float64
	ainv []float64 // (AᵀA)⁻¹, A = [X 1], (p+1)×(p+1) row-major
}

// Fit fits y ≈ X·λ + b by least squares. It needs n ≥ p + 2 points (and
// at least 3): one degree of freedom left for the residual spread, and a
// leave-one-out fit for each point. Collinear scores (a singular AᵀA) are
// an error.
func Fit(x [][]float64, y []float64) (*LinearFit, error) {
	n := len(y)
	if len(x) != n || n == 0 {
		return nil, fmt.Errorf("%d score rows for %d accuracies", len(x), n)
	}
	p := len(x[0])
	if n < 3 || n < p+2 {
		return nil, fmt.Errorf("%d candidates with a known accuracy: fitting %d scores and an intercept needs at least %d", n, p, max(3, p+2))
	}
	for _, row := range x {
		if len(row) != p {
			return nil, errors.New("score rows of different lengths")
		}
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, errors.New("a score is not finite")
			}
		}
	}
	coef, ainv, err := lstsq(x, y, nil)
	if err != nil {
		return nil, err
	}
	f := &LinearFit{Lambda: coef[:p], B: coef[p], ainv: ainv, LOO: make([]float64, n)}
	rss := 0.0
	for i := range y {
		r := y[i] - f.Predict(x[i])
		rss += r * r
	}
	dof := float64(n - p - 1)
	f.ResidualStd = math.Sqrt(rss / dof)
	f.T975 = tQuantile975(n - p - 1)
	se := 0.0
	for i := range y {
		c, _, err := lstsq(x, y, &i)
		if err != nil {
			return nil, fmt.Errorf("leaving out candidate %d: %v", i+1, err)
		}
		f.LOO[i] = dot(c[:p], x[i]) + c[p]
		se += (f.LOO[i] - y[i]) * (f.LOO[i] - y[i])
	}
	f.LOORMSE = math.Sqrt(se / float64(n))
	f.LOOPearson = Pearson(f.LOO, y)
	return f, nil
}

// Predict returns the fitted accuracy of scores x.
func (f *LinearFit) Predict(x []float64) float64 { return dot(f.Lambda, x) + f.B }

// Interval returns the 95 % prediction interval's half-width for a new
// candidate with scores x: t₀.₉₇₅ · s · √(1 + aᵀ(AᵀA)⁻¹a), a = [x 1]
// (normal residuals of constant variance).
//
// The quadratic form is summed here in a fixed order, and (AᵀA)⁻¹ is
// spdInverse's: gonum's mat.Inner and Cholesky inverse reached amd64
// assembly kernels and differed from WebAssembly's in the last bit.
func (f *LinearFit) Interval(x []float64) float64 {
	a := append(append([]float64{}, x...), 1)
	q := 0.0
	for i := range a {
		r := 0.0
		for j := range a {
			r += float64(f.ainv[i*len(a)+j] * a[j])
		}
		q += float64(a[i] * r)
	}
	return f.T975 * f.ResidualStd * math.Sqrt(1+q)
}

// lstsq solves min ‖A c − y‖ with A = [X 1], leaving out row skip when
// given, and returns c and (AᵀA)⁻¹.
func lstsq(x [][]float64, y []float64, skip *int) ([]float64, []float64, error) {
	p := len(x[0])
	var rows [][]float64
	var ys []float64
	for i, r := range x {
		if skip != nil && i == *skip {
			continue
		}
		rows = append(rows, append(append([]float64{}, r...), 1))
		ys = append(ys, y[i])
	}
	a := mat.NewDense(len(rows), p+1, nil)
	for i, r := range rows {
		a.SetRow(i, r)
	}
	var ata mat.SymDense
	ata.SymOuterK(1, a.T())
	var ch mat.Cholesky
	if !ch.Factorize(&ata) || ch.Cond() > 1e15 {
		return nil, nil, errors.New("the scores are collinear (or constant) over these candidates: the fit is not determined")
	}
	var qr mat.QR
	qr.Factorize(a)
	var c mat.Dense
	if err := qr.SolveTo(&c, false, mat.NewDense(len(ys), 1, ys)); err != nil {
		return nil, nil, err
	}
	return mat.Col(nil, 0, &c), spdInverse(rows), nil
}

// spdInverse returns (AᵀA)⁻¹ (row-major) for the rows of A, AᵀA positive
// definite, in a fixed order of operations (each product rounded before it
// is added): AᵀA, its Cholesky factor L (AᵀA = L·Lᵀ), L⁻¹ by forward
// substitution, and (AᵀA)⁻¹ = L⁻ᵀ·L⁻¹.
func spdInverse(rows [][]float64) []float64 {
	n := len(rows[0])
	m := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			s := 0.0
			for _, r := range rows {
				s += float64(r[i] * r[j])
			}
			m[i*n+j], m[j*n+i] = s, s
		}
	}
	l := make([]float64, n*n)
	for j := 0; j < n; j++ {
		s := m[j*n+j]
		for k := 0; k < j; k++ {
			s -= float64(l[j*n+k] * l[j*n+k])
		}
		d := math.Sqrt(s)
		l[j*n+j] = d
		for i := j + 1; i < n; i++ {
			s := m[i*n+j]
			for k := 0; k < j; k++ {
				s -= float64(l[i*n+k] * l[j*n+k])
			}
			l[i*n+j] = s / d
		}
	}
	li := make([]float64, n*n) // L⁻¹, lower triangular
	for j := 0; j < n; j++ {
		li[j*n+j] = 1 / l[j*n+j]
		for i := j + 1; i < n; i++ {
			s := 0.0
			for k := j; k < i; k++ {
				s += float64(l[i*n+k] * li[k*n+j])
			}
			li[i*n+j] = -s / l[i*n+i]
		}
	}
	inv := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			s := 0.0
			for k := i; k < n; k++ {
				s += float64(li[k*n+i] * li[k*n+j])
			}
			inv[i*n+j], inv[j*n+i] = s, s
		}
	}
	return inv
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// tQuantile975 is the 0.975 quantile of Student's t with ν ≥ 1 (integer)
// degrees of freedom: the t with P(|T| ≤ t) = 0.95. With θ = atan(t/√ν),
// P(|T| ≤ t) has the closed forms of Abramowitz & Stegun 26.7.3–4:
//
//	ν odd:  (2/π)·(θ + sin θ·(cos θ + ⅔cos³θ + … + (2·4···(ν−3))/(1·3···(ν−2))·cos^(ν−2)θ))  (θ alone for ν = 1)
//	ν even: sin θ·(1 + ½cos²θ + (1·3)/(2·4)cos⁴θ + … + (1·3···(ν−3))/(2·4···(ν−2))·cos^(ν−2)θ)
//
// increasing in θ ∈ [0, π/2); θ is found by bisection to adjacent floats
// and t = √ν·tan θ. It uses Go's portable sin, cos and tan and a fixed
// order of operations, so that it gives the same bits natively and in
// WebAssembly (gonum's distuv quantile went through amd64 assembly exp and
// log and differed in the last bit: the page's prediction intervals were
// not the CLI's).
func tQuantile975(nu int) float64 {
	cdf := func(th float64) float64 {
		c, sn := math.Cos(th), math.Sin(th)
		c2 := float64(c * c)
		if nu%2 == 1 {
			sum, term := 0.0, c
			for k := 3; k <= nu; k += 2 {
				sum += term
				term = float64(term*c2) * float64(k-1) / float64(k)
			}
			return 2 / math.Pi * (th + float64(sn*sum))
		}
		sum, term := 0.0, 1.0
		for k := 2; k <= nu; k += 2 {
			sum += term
			term = float64(term*c2) * float64(k-1) / float64(k)
		}
		return float64(sn * sum)
	}
	lo, hi := 0.0, math.Pi/2
	for {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			break
		}
		if cdf(mid) < 0.95 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Sqrt(float64(nu)) * math.Tan(hi)
}

// Line returns the least-squares line y ≈ a + b·x through the points
// (x_i, y_i), as the page's scatter plot of a score against the accuracy
// draws it (the paper's Figures 3–5):
//
//	b = Σ (x_i − x̄)(y_i − ȳ) / Σ (x_i − x̄)²,  a = ȳ − b·x̄
//
// in plain Go, in a fixed order. ok is false when there is no such line:
// fewer than two points, or every x_i the same. (Fit with one score gives
// the same line, and its spread, from three points on.)
func Line(x, y []float64) (a, b float64, ok bool) {
	n := len(x)
	if n < 2 || len(y) != n {
		return 0, 0, false
	}
	mx, my := 0.0, 0.0
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(n)
	my /= float64(n)
	sxx, sxy := 0.0, 0.0
	for i := range x {
		dx := x[i] - mx
		sxx += float64(dx * dx)
		sxy += float64(dx * (y[i] - my))
	}
	if !(sxx > 0) {
		return 0, 0, false
	}
	b = sxy / sxx
	return my - b*mx, b, true
}
