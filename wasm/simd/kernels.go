package simd

// kernel is one exported function of the module: its name (the
// //go:wasmimport name in simd_js.go), its signature and its body.
type kernel struct {
	name            string
	params, results []byte
	body            func() []byte
}

// kernels lists the module's functions, each declared once: function i of
// the module is kernels()[i], of type i, exported under its name. The
// kernels that call others name them by the fn constants below, which
// TestKernelIndices checks against this list.
func kernels() []kernel {
	return []kernel{
		{"sqdist", []byte{i32, i32, i32, i32, i32, i32, i32, i32, i32}, nil, sqdistBody},
		{"dot32", []byte{i32, i32, i32}, []byte{f64}, dot32Body},
		{"axpy32", []byte{i32, f64, i32, i32}, nil, axpy32Body},
		{"segdot32", []byte{i32, i32, i32, i32, i32}, []byte{f64}, segdot32Body},
		{"kernelrow", []byte{i32, i32, i32, f64, f64, f64, f64}, []byte{i32}, kernelrowBody},
		{"segdotsparse", []byte{i32, i32, i32, i32, i32, i32, i32}, []byte{f64}, func() []byte { return segdotsparseBody(cols32) }},
		{"scattersparse", []byte{i32, f64, i32, i32, i32}, nil, func() []byte { return scattersparseBody(cols32) }},
		{"absorbrow", []byte{i32, i32, i32, f64, f64, i32}, []byte{i32}, absorbrowBody},
		{"segdotsparserows", []byte{i32, i32, i32, i32, i32, i32, i32, i32, i32}, nil, func() []byte { return segdotsparserowsBody(cols32) }},
		{"scattersparserows", []byte{i32, i32, i32, i32, i32, i32}, nil, func() []byte { return scattersparserowsBody(cols32) }},
		{"scan", []byte{i32, i32, i32, i32, i32, i32, i32}, nil, scanBody},
		{"minmax32", []byte{i32, i32, i32}, []byte{i32}, minmax32Body},
		{"maxslack", []byte{i32, i32, i32, f64}, []byte{f64}, maxslackBody},
		{"hist16", []byte{i32, i32, i32, i32}, nil, hist16Body},
		{"rowtop", []byte{i32, i32, i32, f64}, []byte{f64}, rowtopBody},
		{"compactrow", []byte{i32, i32, i32, i32, i32}, []byte{i32}, func() []byte { return compactrowBody(cols32) }},
		{"rowstats", []byte{i32, i32, i32, i32}, []byte{f64}, rowstatsBody},
		{"classweights", []byte{i32, i32, i32, i32, i32, i32, f64, f64, f64, i32}, nil, classweightsBody},
		{"classties", []byte{i32, i32, i32, i32, i32, i32, f64, f64}, []byte{i32}, classtiesBody},
		// The sparse kernels with 16-bit columns (core/ot's sc16).
		{"segdotsparse16", []byte{i32, i32, i32, i32, i32, i32, i32}, []byte{f64}, func() []byte { return segdotsparseBody(cols16) }},
		{"scattersparse16", []byte{i32, f64, i32, i32, i32}, nil, func() []byte { return scattersparseBody(cols16) }},
		{"segdotsparserows16", []byte{i32, i32, i32, i32, i32, i32, i32, i32, i32}, nil, func() []byte { return segdotsparserowsBody(cols16) }},
		{"scattersparserows16", []byte{i32, i32, i32, i32, i32, i32}, nil, func() []byte { return scattersparserowsBody(cols16) }},
		{"compactrow16", []byte{i32, i32, i32, i32, i32}, []byte{i32}, func() []byte { return compactrowBody(cols16) }},
	}
}

// Function indices of the kernels that other kernels call (positions in
// kernels()).
const (
	fnDot32 = 1 // segdot32's classes
)
