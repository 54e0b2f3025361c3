package metrics

import (
	"errors"
	"math"
)

// symEigen returns the eigenvalues, ascending, and the eigenvectors (row i
// of w, d×d row-major, is the unit eigenvector of λ_i) of the symmetric
// d×d matrix a (row-major; only read).
//
// It is the Householder tridiagonalisation and implicit QL iteration of
// EISPACK's tred2/tql2 (as in JAMA's EigenvalueDecomposition), written here
// with nothing but +, −, ×, ÷ and √ in a fixed order, so that it returns the
// same bits natively and in WebAssembly: LAPACK routines through gonum
// reach assembly kernels on amd64 (dot products with other summation
// orders, math.Hypot) that the WebAssembly build does not have, and the
// page's scores would differ from the CLI's in the last digits.
func symEigen(a []float64, n int) ([]float64, []float64, error) {
	w := make([]float64, n*n)
	copy(w, a) // a is symmetric: its own transpose
	d := make([]float64, n)
	e := make([]float64, n)
	tred2(w, d, e, n)
	if err := tql2(w, d, e, n); err != nil {
		return nil, nil, err
	}
	return d, w, nil
}

// tred2 reduces the symmetric v to tridiagonal form (d the diagonal, e the
// subdiagonal in e[1:]) and leaves the orthogonal transformation V in v,
// transposed (v[c*n+r] = V[r][c]: EISPACK's column walks become row walks).
func tred2(v, d, e []float64, n int) {
	for j := 0; j < n; j++ {
		d[j] = v[j*n+n-1]
	}
	for i := n - 1; i > 0; i-- {
		scale, h := 0.0, 0.0
		for k := 0; k < i; k++ {
			scale += math.Abs(d[k])
		}
		if scale == 0 {
			e[i] = d[i-1]
			for j := 0; j < i; j++ {
				d[j] = v[j*n+i-1]
				v[j*n+i] = 0
				v[i*n+j] = 0
			}
		} else {
			for k := 0; k < i; k++ {
				d[k] /= scale
				h += d[k] * d[k]
			}
			f := d[i-1]
			g := math.Sqrt(h)
			if f > 0 {
				g = -g
			}
			e[i] = scale * g
			h -= f * g
			d[i-1] = f - g
			for j := 0; j < i; j++ {
				e[j] = 0
			}
			for j := 0; j < i; j++ {
				f = d[j]
				v[i*n+j] = f
				g = e[j] + v[j*n+j]*f
				for k := j + 1; k <= i-1; k++ {
					g += v[j*n+k] * d[k]
					e[k] += v[j*n+k] * f
				}
				e[j] = g
			}
			f = 0
			for j := 0; j < i; j++ {
				e[j] /= h
				f += e[j] * d[j]
			}
			hh := f / (h + h)
			for j := 0; j < i; j++ {
				e[j] -= hh * d[j]
			}
			for j := 0; j < i; j++ {
				f = d[j]
				g = e[j]
				for k := j; k <= i-1; k++ {
					v[j*n+k] -= f*e[k] + g*d[k]
				}
				d[j] = v[j*n+i-1]
				v[j*n+i] = 0
			}
		}
		d[i] = h
	}
	for i := 0; i < n-1; i++ {
		v[i*n+n-1] = v[i*n+i]
		v[i*n+i] = 1
		h := d[i+1]
		if h != 0 {
			for k := 0; k <= i; k++ {
				d[k] = v[(i+1)*n+k] / h
			}
			for j := 0; j <= i; j++ {
				g := 0.0
				for k := 0; k <= i; k++ {
					g += v[(i+1)*n+k] * v[j*n+k]
				}
				for k := 0; k <= i; k++ {
					v[j*n+k] -= g * d[k]
				}
			}
		}
		for k := 0; k <= i; k++ {
			v[(i+1)*n+k] = 0
		}
	}
	for j := 0; j < n; j++ {
		d[j] = v[j*n+n-1]
		v[j*n+n-1] = 0
	}
	v[(n-1)*n+n-1] = 1
	e[0] = 0
}

// tql2 diagonalises the tridiagonal (d, e) by implicit QL, rotating the
// rows of w (the transposed transformation), and sorts ascending.
func tql2(w, d, e []float64, n int) error {
	for i := 1; i < n; i++ {
		e[i-1] = e[i]
	}
	e[n-1] = 0
	f, tst1 := 0.0, 0.0
	for l := 0; l < n; l++ {
		tst1 = math.Max(tst1, math.Abs(d[l])+math.Abs(e[l]))
		m := l
		for m < n-1 && math.Abs(e[m]) > epsilon*tst1 {
			m++
		}
		if m > l {
			for iter := 0; ; iter++ {
				if iter > 30*n+30 {
					return errors.New("the symmetric eigendecomposition did not converge")
				}
				g := d[l]
				p := (d[l+1] - g) / (2 * e[l])
				r := hypot(p, 1)
				if p < 0 {
					r = -r
				}
				d[l] = e[l] / (p + r)
				d[l+1] = e[l] * (p + r)
				dl1 := d[l+1]
				h := g - d[l]
				for i := l + 2; i < n; i++ {
					d[i] -= h
				}
				f += h
				p = d[m]
				c, c2, c3 := 1.0, 1.0, 1.0
				el1 := e[l+1]
				s, s2 := 0.0, 0.0
				for i := m - 1; i >= l; i-- {
					c3 = c2
					c2 = c
					s2 = s
					g = c * e[i]
					h = c * p
					r = hypot(p, e[i])
					e[i+1] = s * r
					s = e[i] / r
					c = p / r
					p = c*d[i] - s*g
					d[i+1] = h + s*(c*g+s*d[i])
					wi, wi1 := w[i*n:(i+1)*n], w[(i+1)*n:(i+2)*n]
					for k := range wi {
						h = wi1[k]
						wi1[k] = s*wi[k] + c*h
						wi[k] = c*wi[k] - s*h
					}
				}
				p = -s * s2 * c3 * el1 * e[l] / dl1
				e[l] = s * p
				d[l] = c * p
				if !(math.Abs(e[l]) > epsilon*tst1) {
					break
				}
			}
		}
		d[l] += f
		e[l] = 0
	}
	for i := 0; i < n-1; i++ {
		k, p := i, d[i]
		for j := i + 1; j < n; j++ {
			if d[j] < p {
				k, p = j, d[j]
			}
		}
		if k != i {
			d[k] = d[i]
			d[i] = p
			wi, wk := w[i*n:(i+1)*n], w[k*n:(k+1)*n]
			for j := range wi {
				wi[j], wk[j] = wk[j], wi[j]
			}
		}
	}
	return nil
}

// hypot is √(a² + b²) without overflow, from +, ×, ÷ and √ only (math.Hypot
// is assembly on amd64).
func hypot(a, b float64) float64 {
	a, b = math.Abs(a), math.Abs(b)
	if a < b {
		a, b = b, a
	}
	if a == 0 {
		return 0
	}
	r := b / a
	return a * math.Sqrt(1+r*r)
}
