package ot

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Problem is one transport problem: N source points and M target points in
// R^D with uniform weights 1/N and 1/M, each point with a class index.
//
// The target points must be ordered by class (Yt non-decreasing): the joint
// label table then comes from contiguous column segments of each kernel row,
// at no cost beyond the row's dot product.
type Problem struct {
	N, M, D int
	Xs      []float32 // source features, row-major N×D
	Xt      []float32 // target features, row-major M×D
	Ys      []int32   // source class indices in [0, La)
	Yt      []int32   // target class indices in [0, Lb), non-decreasing
	La, Lb  int       // number of source and target classes
}

// Validate checks the shapes, the label ranges and the target order, and
// that every feature is finite.
func (p *Problem) Validate() error {
	switch {
	case p.N <= 0 || p.M <= 0:
		return fmt.Errorf("ot: empty problem (%d source, %d target points)", p.N, p.M)
	case p.D <= 0:
		return errors.New("ot: features have no channels")
	case len(p.Xs) != p.N*p.D || len(p.Xt) != p.M*p.D:
		return fmt.Errorf("ot: feature arrays hold %d and %d values, want %d×%d and %d×%d", len(p.Xs), len(p.Xt), p.N, p.D, p.M, p.D)
	case len(p.Ys) != p.N || len(p.Yt) != p.M:
		return fmt.Errorf("ot: %d source and %d target labels for %d and %d points", len(p.Ys), len(p.Yt), p.N, p.M)
	case p.La <= 0 || p.Lb <= 0:
		return errors.New("ot: no classes")
	}
	for _, y := range p.Ys {
		if y < 0 || int(y) >= p.La {
			return fmt.Errorf("ot: source class %d outside [0, %d)", y, p.La)
		}
	}
	for j, y := range p.Yt {
		if y < 0 || int(y) >= p.Lb {
			return fmt.Errorf("ot: target class %d outside [0, %d)", y, p.Lb)
		}
		if j > 0 && y < p.Yt[j-1] {
			return errors.New("ot: target points are not ordered by class")
		}
	}
	for _, x := range p.Xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return errors.New("ot: source features hold NaN or Inf")
		}
	}
	for _, x := range p.Xt {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return errors.New("ot: target features hold NaN or Inf")
		}
	}
	return nil
}

// segments returns the column ranges of each target class: class c holds
// columns [seg[c], seg[c+1]).
func (p *Problem) segments() []int {
	seg := make([]int, p.Lb+1)
	for _, y := range p.Yt {
		seg[y+1]++
	}
	for c := 1; c <= p.Lb; c++ {
		seg[c] += seg[c-1]
	}
	return seg
}

// MaxBlocks is the largest number of row blocks Partition makes.
const MaxBlocks = 16

// Partition splits n rows into the fixed blocks every BlockSet uses: at most
// MaxBlocks blocks of at least 64 rows (fewer for small n), sizes differing
// by at most one. The partition depends on n only, never on the number of
// goroutines or workers, which is what makes results independent of them.
func Partition(n int) [][2]int {
	nb := (n + 63) / 64
	if nb > MaxBlocks {
		nb = MaxBlocks
	}
	if nb < 1 {
		nb = 1
	}
	out := make([][2]int, nb)
	lo := 0
	for b := range out {
		hi := lo + n/nb
		if b < n%nb {
			hi++
		}
		out[b] = [2]int{lo, hi}
		lo = hi
	}
	return out
}

// MemoryBytes estimates the memory one solve needs for n source and m target
// points of dimension d: the float32 kernel plus features and vectors.
func MemoryBytes(n, m, d int) int64 {
	return 4*int64(n)*int64(m) + 8*int64(n+m)*int64(d) + 8*int64(MaxBlocks+4)*int64(m) + 32*int64(n)
}

// NewLabeledProblem builds the problem of d-dimensional source points xs
// with label values ys and target points xt with label values yt (any
// integers, e.g. a dataset's): the label values become dense class indices
// in increasing order of value (returned as the class → value tables), and
// the target points are put in class order, stably, as Problem requires
// (their order does not change the transport problem). xs is used as it
// is; xt is copied.
func NewLabeledProblem(xs []float32, ys []int32, xt []float32, yt []int32, d int) (p *Problem, sourceLabels, targetLabels []int) {
	p = &Problem{N: len(ys), M: len(yt), D: d, Xs: xs}
	sourceLabels, p.Ys = denseClasses(ys)
	targetLabels, cls := denseClasses(yt)
	p.La, p.Lb = len(sourceLabels), len(targetLabels)
	order := make([]int, len(yt))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(cls[a]) - int(cls[b]) })
	p.Xt, p.Yt = make([]float32, len(xt)), make([]int32, len(yt))
	for k, o := range order {
		copy(p.Xt[k*d:(k+1)*d], xt[o*d:(o+1)*d])
		p.Yt[k] = cls[o]
	}
	return p, sourceLabels, targetLabels
}

// denseClasses maps label values to class indices in increasing order of
// value, returning the class → value table and each point's class.
func denseClasses(y []int32) ([]int, []int32) {
	vals := make([]int, len(y))
	for i, v := range y {
		vals[i] = int(v)
	}
	slices.Sort(vals)
	vals = slices.Compact(vals)
	out := make([]int32, len(y))
	for i, v := range y {
		k, _ := slices.BinarySearch(vals, int(v))
		out[i] = int32(k)
	}
	return slices.Clip(vals), out
}
