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

// logitFeatures draws n source and m target pixels' logits (d = 7 classes)
// the way a small segmentation network trained on one domain gives them on
// its own domain and on a shifted one (the reproduction's road scenes,
// scripts/reproduce, whose networks compute logits on a grid 4 times
// coarser than the image and upsample them bilinearly). A coarse cell of
// class c has the logits s·a·e_c + b + noise, with a confidence s, a class
// bias b shared by all cells and, near a boundary, a mix of two classes'
// logits; classes run in segments along the grid's rows and down its
// columns. A pixel is the bilinear mix of the four cells around it, with
// weights in {1/8, 3/8, 5/8, 7/8} along each axis as in an upsampling by 4,
// and the class of the nearest cell. Pixels are thus near-copies of each
// other within a segment, which is what makes such features hard for the
// auction. On the target the network is less confident, mixes more, and
// its logits drift by a per-channel offset. The costs are then like those
// of the exported logits (scripts/export_features.py, model S01 on S01 and
// T3: median squared distance 83, largest 442, a row's smallest 15).
func logitFeatures(n, m int, seed uint64) (xs, xt []float32) {
	const d = 7
	rng := rand.New(rand.NewPCG(seed, 0x6c6f67697473))
	bias := make([]float64, d)
	drift := make([]float64, d)
	for k := range bias {
		bias[k] = -1.5 + rng.NormFloat64()
		drift[k] = 3.5 * rng.NormFloat64()
	}
	cdf := func(w []float64) []float64 {
		s, acc := 0.0, 0.0
		for _, v := range w {
			s += v
		}
		out := make([]float64, len(w))
		for c, v := range w {
			acc += v / s
			out[c] = acc
		}
		return out
	}
	ps := cdf([]float64{18, 30, 16, 8, 22, 4, 2})
	pt := cdf([]float64{19, 28, 14, 8, 23, 4, 4})
	draw := func(cdf []float64, count int, target bool) []float32 {
		class := func() int {
			u, c := rng.Float64(), 0
			for c < d-1 && u > cdf[c] {
				c++
			}
			return c
		}
		// The coarse grid: 2.5 cells a pixel drawn, 32 cells a row.
		const w = 32
		h := max(2, (count*5/2+w-1)/w)
		cls := make([]int, h*w)
		cell := make([]float64, h*w*d)
		for a := range h {
			for b := range w {
				c := class()
				switch {
				case b > 0 && rng.Float64() < 0.85:
					c = cls[a*w+b-1]
				case a > 0 && rng.Float64() < 0.7:
					c = cls[(a-1)*w+b]
				}
				cls[a*w+b] = c
				s, mix, noise := 0.4+0.9*rng.Float64(), 0.2, 0.8
				if target {
					s, mix, noise = 0.15+0.7*rng.Float64(), 0.45, 1.2
				}
				lam, c2 := 1.0, c
				if rng.Float64() < mix {
					lam, c2 = 0.3+0.7*rng.Float64(), class()
				}
				v := cell[(a*w+b)*d : (a*w+b+1)*d]
				for k := range d {
					v[k] = bias[k] + noise*rng.NormFloat64()
					if k == c {
						v[k] += 7 * s * lam
					}
					if k == c2 {
						v[k] += 7 * s * (1 - lam)
					}
					if target {
						v[k] += drift[k]
					}
				}
			}
		}
		x := make([]float32, count*d)
		for i := range count {
			a, b := rng.IntN(h-1), rng.IntN(w-1)
			ty, tx := float64(2*rng.IntN(4)+1)/8, float64(2*rng.IntN(4)+1)/8
			for k := range d {
				top := (1-tx)*cell[(a*w+b)*d+k] + tx*cell[(a*w+b+1)*d+k]
				bot := (1-tx)*cell[((a+1)*w+b)*d+k] + tx*cell[((a+1)*w+b+1)*d+k]
				x[i*d+k] = float32((1-ty)*top + ty*bot)
			}
		}
		return x
	}
	return draw(ps, n, false), draw(pt, m, true)
}
