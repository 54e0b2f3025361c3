package ot

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"sync/atomic"
	"testing"
)

// clustered makes a problem with la source and lb target classes of
// Gaussian blobs in R^d, scale controlling the spread of the centres.
func clustered(seed uint64, n, m, d, la, lb int, scale float64) *Problem {
	rng := rand.New(rand.NewPCG(seed, 7))
	centres := make([][]float64, la)
	for c := range centres {
		centres[c] = make([]float64, d)
		for k := range centres[c] {
			centres[c][k] = rng.NormFloat64() * scale
		}
	}
	p := &Problem{N: n, M: m, D: d, La: la, Lb: lb}
	p.Xs = make([]float32, n*d)
	p.Ys = make([]int32, n)
	for i := 0; i < n; i++ {
		c := rng.IntN(la)
		p.Ys[i] = int32(c)
		for k := 0; k < d; k++ {
			p.Xs[i*d+k] = float32(centres[c][k] + rng.NormFloat64())
		}
	}
	yt := make([]int, m)
	for j := range yt {
		yt[j] = rng.IntN(la)
	}
	sort.Ints(yt)
	p.Xt = make([]float32, m*d)
	p.Yt = make([]int32, m)
	for j := 0; j < m; j++ {
		c := yt[j]
		p.Yt[j] = int32(c * lb / la)
		for k := 0; k < d; k++ {
			p.Xt[j*d+k] = float32(centres[c][k] + 0.5 + rng.NormFloat64())
		}
	}
	return p
}

// referenceCE is an independent, slow log-domain Sinkhorn in float64 on the
// dense cost, run to a tight tolerance.
func referenceCE(p *Problem, eps float64, norm string) (ce, wd float64) {
	n, m, d := p.N, p.M, p.D
	c := make([]float64, n*m)
	mx, sum := 0.0, 0.0
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			s := 0.0
			for k := 0; k < d; k++ {
				x := float64(p.Xs[i*d+k]) - float64(p.Xt[j*d+k])
				s += x * x
			}
			c[i*m+j] = s
			mx = math.Max(mx, s)
			sum += s
		}
	}
	scale := 1.0
	switch norm {
	case NormMax:
		scale = mx
	case NormMean:
		scale = sum / float64(n*m)
	}
	for i := range c {
		c[i] /= scale
	}
	f := make([]float64, n)
	g := make([]float64, m)
	la, lb := math.Log(1/float64(n)), math.Log(1/float64(m))
	lse := func(xs []float64) float64 {
		mx := math.Inf(-1)
		for _, x := range xs {
			mx = math.Max(mx, x)
		}
		s := 0.0
		for _, x := range xs {
			s += math.Exp(x - mx)
		}
		return mx + math.Log(s)
	}
	tmp := make([]float64, max(n, m))
	for it := 0; it < 100000; it++ {
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				tmp[j] = (g[j] - c[i*m+j]) / eps
			}
			f[i] = eps * (la - lse(tmp[:m]))
		}
		errc := 0.0
		for j := 0; j < m; j++ {
			for i := 0; i < n; i++ {
				tmp[i] = (f[i] - c[i*m+j]) / eps
			}
			gn := eps * (lb - lse(tmp[:n]))
			errc += math.Abs(math.Exp((g[j]-gn)/eps)/float64(m) - 1/float64(m))
			g[j] = gn
		}
		if errc < 1e-11 {
			break
		}
	}
	joint := make([]float64, p.La*p.Lb)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			pi := math.Exp((f[i] + g[j] - c[i*m+j]) / eps)
			joint[int(p.Ys[i])*p.Lb+int(p.Yt[j])] += pi
			wd += pi * c[i*m+j]
		}
	}
	return ConditionalEntropy(joint, p.La, p.Lb), wd
}

func solve(t testing.TB, p *Problem, workers int, prm Params) *Solution {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	sol, err := Solve(context.Background(), NewLocalBlocks(p, workers), p, prm)
	if err != nil {
		t.Fatal(err)
	}
	return sol
}

func TestAgainstReference(t *testing.T) {
	for _, tc := range []struct {
		norm string
		eps  float64
	}{{NormMax, 0.1}, {NormMean, 0.05}, {NormMax, 0.01}} {
		p := clustered(1, 150, 130, 8, 5, 4, 2)
		ref, refWD := referenceCE(p, tc.eps, tc.norm)
		sol := solve(t, p, 2, Params{Eps: tc.eps, CostNorm: tc.norm, Tol: 1e-9, MaxIter: 20000})
		t.Logf("%s ε=%g: CE %.9f ref %.9f WD %.9f ref %.9f iters %d stages %d rebuilds %d err %.2e ω %.2f", tc.norm, tc.eps, sol.CE, ref, sol.WD, refWD, sol.Iterations, sol.Stages, sol.Rebuilds, sol.MarginalError, sol.Omega)
		if math.Abs(sol.CE-ref) > 1e-6 {
			t.Errorf("%s ε=%g: CE %.9f, reference %.9f", tc.norm, tc.eps, sol.CE, ref)
		}
		if math.Abs(sol.WD-refWD) > 1e-5*math.Abs(refWD) {
			t.Errorf("%s ε=%g: WD %.9f, reference %.9f", tc.norm, tc.eps, sol.WD, refWD)
		}
	}
}

func TestWorkerCountIndependence(t *testing.T) {
	p := clustered(2, 700, 650, 12, 6, 6, 3)
	prm := Params{Eps: 0.05, CostNorm: NormMax, Tol: 1e-7, MaxIter: 5000}
	a := solve(t, p, 1, prm)
	b := solve(t, p, 3, prm)
	if a.CE != b.CE || a.WD != b.WD || a.Iterations != b.Iterations {
		t.Fatalf("1 worker: CE %v WD %v it %d; 3 workers: CE %v WD %v it %d", a.CE, a.WD, a.Iterations, b.CE, b.WD, b.Iterations)
	}
}

// TestSparseRowKernelsSameBits solves a nearly unregularised problem (raw
// cost: the kernel turns sparse) with the Go kernels (the class sums of two
// rows at a time, the column sums in SSE2 on amd64) and with installed
// Kernels.SparseRowSums and ScatterSparseRows (here the kernels before
// them: one row at a time, scalar), and asks for the same bits; each with
// the sparse form's columns in 16 bits (the default at this size) and in
// 32 (narrowCols lowered, as above MaxNarrowCols target points), which
// must agree too.
func TestSparseRowKernelsSameBits(t *testing.T) {
	p := clustered(5, 600, 600, 12, 7, 7, 4)
	prm := Params{Eps: 0.1, CostNorm: NormNone, Tol: 1e-6, MaxIter: 3000, ScoreTol: 1e-4}
	var first *Solution
	for _, bits := range []int{16, 32} {
		if bits == 32 {
			narrowCols = 0
		}
		a := solve(t, p, 2, prm)
		var calls [2]atomic.Int64 // 32-bit, 16-bit
		SetKernels(Kernels{
			SparseRowSums: func(segsums, totals []float64, sv []float32, sc []int32, sp []int, v []float64, seg []int) {
				calls[0].Add(1)
				sparseRowSumsRows(segsums, totals, sv, sc, sp, v, seg)
			},
			ScatterSparseRows: scatterSparseRowsScalar[int32],
			SparseRowSums16: func(segsums, totals []float64, sv []float32, sc []uint16, sp []int, v []float64, seg []int) {
				calls[1].Add(1)
				sparseRowSumsRows(segsums, totals, sv, sc, sp, v, seg)
			},
			ScatterSparseRows16: scatterSparseRowsScalar[uint16],
		})
		b := solve(t, p, 2, prm)
		SetKernels(Kernels{})
		narrowCols = MaxNarrowCols
		if want := map[int]int{16: 1, 32: 0}[bits]; calls[want].Load() == 0 || calls[1-want].Load() != 0 {
			t.Fatalf("%d-bit columns: the chunked loop ran %d times with 32-bit columns, %d with 16: the kernel should turn sparse, in %d bits",
				bits, calls[0].Load(), calls[1].Load(), bits)
		}
		if a.CE != b.CE || a.WD != b.WD || a.Iterations != b.Iterations || a.MarginalError != b.MarginalError {
			t.Fatalf("%d-bit columns: row by row: CE %v WD %v it %d err %v; chunked: CE %v WD %v it %d err %v",
				bits, a.CE, a.WD, a.Iterations, a.MarginalError, b.CE, b.WD, b.Iterations, b.MarginalError)
		}
		for j := range a.Joint {
			if a.Joint[j] != b.Joint[j] {
				t.Fatalf("%d-bit columns: joint[%d]: %v row by row, %v chunked", bits, j, a.Joint[j], b.Joint[j])
			}
		}
		a.Seconds = nil
		if first == nil {
			first = a
		} else if !reflect.DeepEqual(a, first) {
			t.Fatalf("32-bit columns: CE %v WD %v it %d; 16-bit: CE %v WD %v it %d", a.CE, a.WD, a.Iterations, first.CE, first.WD, first.Iterations)
		}
	}
}

func TestCeilLog2(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want int
	}{{1, 0}, {2, 1}, {3, 2}, {4, 2}, {4.000000000000001, 3}, {0.5, -1}, {0.3, -1}, {0.25, -2}, {1e-300, -996}, {1e300, 997}} {
		if got := ceilLog2(c.x); got != c.want {
			t.Errorf("ceilLog2(%v) = %d, want %d", c.x, got, c.want)
		}
		if want := int(math.Ceil(math.Log2(c.x))); c.x != 4.000000000000001 && want != c.want {
			t.Errorf("test case %v: math says %d", c.x, want)
		}
	}
}

func TestFloorLog2(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want int
	}{{1, 0}, {1.037, 0}, {1.999999999999, 0}, {2, 1}, {3, 1}, {4, 2}, {0.5, -1}, {0.3, -2}, {1e-300, -997}, {1e300, 996}} {
		if got := floorLog2(c.x); got != c.want {
			t.Errorf("floorLog2(%v) = %d, want %d", c.x, got, c.want)
		}
		if want := int(math.Floor(math.Log2(c.x))); want != c.want {
			t.Errorf("test case %v: math says %d", c.x, want)
		}
	}
}

// TestRelaxSeries: relax's binomial series agrees with old·(new/old)^ω
// computed with math.Pow to 3·10⁻¹⁴ relative inside its range, and relax
// takes the logarithm and exponential outside it.
func TestRelaxSeries(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	worst := 0.0
	for i := 0; i < 200000; i++ {
		omega := 1 + 0.9*rng.Float64()
		x := (2*rng.Float64() - 1) * relaxSeries
		if i%7 == 0 {
			x = (2*rng.Float64() - 1) * 0.5 // outside the series' range too
		}
		old := math.Exp(20 * (rng.Float64() - 0.5))
		got := relax(old, old*(1+x), omega)
		want := old * math.Pow(1+x, omega)
		if d := math.Abs(got-want) / want; d > worst {
			worst = d
		}
	}
	if worst > 3e-14 {
		t.Errorf("relax: largest relative difference from math.Pow %.2g", worst)
	}
	t.Logf("relax: largest relative difference from math.Pow %.2g", worst)
	if got := relax(2, 2, 1.7); got != 2 {
		t.Errorf("relax(2, 2, ω) = %v: a converged scaling moved", got)
	}
}
