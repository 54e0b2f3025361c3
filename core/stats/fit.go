package stats

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
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
	ainv *mat.SymDense // (AᵀA)⁻¹, A = [X 1]
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
	f.T975 = distuv.StudentsT{Mu: 0, Sigma: 1, Nu: dof}.Quantile(0.975)
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
func (f *LinearFit) Interval(x []float64) float64 {
	a := mat.NewVecDense(len(x)+1, append(append([]float64{}, x...), 1))
	return f.T975 * f.ResidualStd * math.Sqrt(1+mat.Inner(a, f.ainv, a))
}

// lstsq solves min ‖A c − y‖ with A = [X 1], leaving out row skip when
// given, and returns c and (AᵀA)⁻¹.
func lstsq(x [][]float64, y []float64, skip *int) ([]float64, *mat.SymDense, error) {
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
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return nil, nil, err
	}
	return mat.Col(nil, 0, &c), &inv, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
