package emd

import (
	"math"
	"math/rand/v2"
	"sync"
)

// clusteredFeatures draws n source and m target feature vectors in R^d from
// 19 Gaussian classes, with different class proportions in the two domains
// and a small per-class shift of the target, roughly like the pixel
// features of a segmentation network: squared distances are in the
// hundreds. The result depends only on the arguments.
func clusteredFeatures(n, m, d int, seed uint64) (xs, xt []float32) {
	const classes = 19
	rng := rand.New(rand.NewPCG(seed, 0x6f7463657365677))
	sw, sc := 2.0, 3.0 // within-class and between-centre spread, d = 19
	if d > 19 {
		sw, sc = 0.6, 0.8
	}
	centres := make([]float64, classes*d)
	shifts := make([]float64, classes*d)
	for k := range centres {
		centres[k] = sc * rng.NormFloat64()
		shifts[k] = 0.3 * sw * rng.NormFloat64()
	}
	weights := func() []float64 {
		w := make([]float64, classes)
		s := 0.0
		for c := range w {
			w[c] = 0.2 + rng.Float64()
			s += w[c]
		}
		acc := 0.0
		for c := range w {
			acc += w[c] / s
			w[c] = acc
		}
		return w
	}
	draw := func(cdf []float64, count int, shift bool) []float32 {
		x := make([]float32, count*d)
		for i := range count {
			u := rng.Float64()
			c := 0
			for c < classes-1 && u > cdf[c] {
				c++
			}
			for k := range d {
				val := centres[c*d+k] + sw*rng.NormFloat64()
				if shift {
					val += shifts[c*d+k]
				}
				x[i*d+k] = float32(val)
			}
		}
		return x
	}
	ps, pt := weights(), weights()
	xs = draw(ps, n, false)
	xt = draw(pt, m, true)
	return xs, xt
}

// sqDistCost returns the n×m cost C_ij = float32(Σ_k (xs_ik − xt_jk)²), the
// differences and squares taken in float64 and summed in index order (the
// same operations as testdata/gen.py).
func sqDistCost(xs, xt []float32, n, m, d int) []float32 {
	cost := make([]float32, n*m)
	workers := 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := n * w / workers; i < n*(w+1)/workers; i++ {
				x := xs[i*d : (i+1)*d]
				for j := range m {
					y := xt[j*d : (j+1)*d]
					s := 0.0
					for k := range d {
						diff := float64(x[k]) - float64(y[k])
						s += float64(diff * diff) // no fused multiply-add
					}
					cost[i*m+j] = float32(s)
				}
			}
		}()
	}
	wg.Wait()
	return cost
}

// uniformCost returns an n×m cost with independent entries uniform in
// [0, scale), or integers in [0, scale) when integer is set (many ties).
func uniformCost(n, m int, scale float64, integer bool, rng *rand.Rand) []float32 {
	c := make([]float32, n*m)
	for k := range c {
		v := rng.Float64() * scale
		if integer {
			v = math.Floor(v)
		}
		c[k] = float32(v)
	}
	return c
}
