package maps

// Kernels are the dense maps' kernels that a platform may replace (the
// page's SIMD128 module, wasm/simd): each must compute exactly what its
// pure-Go version (GoKernels) does, bit for bit.
type Kernels struct {
	// ClassWeights adds the c-transform's weights of one pixel into q by
	// class, in source order: for each i < len(c), with
	// e_i = (f_i − float64(c_i)·inv − top)·ie,
	//
	//	q[ys_i] += expWeight(e_i)   if e_i > −flush,
	//
	// (classWeightsGo). ys, f have at least len(c) entries, q at least
	// max ys + 1.
	ClassWeights func(q []float64, ys []int32, c []float32, f []float64, inv, top, ie float64)
	// ClassTies counts the exact map's ties into q by class and returns
	// their number: q[ys_i]++ for each i < len(c) with
	// float64(c_i)·inv − f_i ≤ lim (classTiesGo).
	ClassTies func(q []float64, ys []int32, c []float32, f []float64, inv, lim float64) int
}

// kern is the installed kernels (SetKernels); a nil member is the
// platform's default (AVX2 natively where the CPU has it, else Go).
var kern Kernels

// SetKernels installs k for every later map; call it once at start, before
// any map (it is not synchronised).
func SetKernels(k Kernels) { kern = k }

// GoKernels returns the pure-Go kernels, the reference that installed
// kernels are tested against.
func GoKernels() Kernels { return Kernels{ClassWeights: classWeightsGo, ClassTies: classTiesGo} }

// classWeights is Kernels.ClassWeights with the installed kernel, the
// AVX2 one, or the Go one.
func classWeights(q []float64, ys []int32, c []float32, f []float64, inv, top, ie float64) {
	switch {
	case kern.ClassWeights != nil:
		kern.ClassWeights(q, ys, c, f, inv, top, ie)
	case haveAVX2:
		classWeightsAVX2(q, ys, c, f, inv, top, ie)
	default:
		classWeightsGo(q, ys, c, f, inv, top, ie)
	}
}

// classWeightsGo is Kernels.ClassWeights in Go: the definition.
func classWeightsGo(q []float64, ys []int32, c []float32, f []float64, inv, top, ie float64) {
	f, ys = f[:len(c)], ys[:len(c)]
	for i, ci := range c {
		if e := (f[i] - float64(ci)*inv - top) * ie; e > -flush {
			q[ys[i]] += expWeight(e)
		}
	}
}

// classTies is Kernels.ClassTies with the installed kernel or the Go one.
func classTies(q []float64, ys []int32, c []float32, f []float64, inv, lim float64) int {
	if kern.ClassTies != nil {
		return kern.ClassTies(q, ys, c, f, inv, lim)
	}
	return classTiesGo(q, ys, c, f, inv, lim)
}

// classTiesGo is Kernels.ClassTies in Go: the definition.
func classTiesGo(q []float64, ys []int32, c []float32, f []float64, inv, lim float64) int {
	f, ys = f[:len(c)], ys[:len(c)]
	ties := 0
	for i, ci := range c {
		if v := float64(ci)*inv - f[i]; v <= lim {
			q[ys[i]]++
			ties++
		}
	}
	return ties
}
