package ot

import "golang.org/x/sys/cpu"

// The squared distances' dot products in AVX2 with fused multiply-add, where
// the CPU has them. Each dot product is still one running sum over the
// channels in order k = 0, 1, …, d−1, starting at zero, as sqd's and the
// tiles' scalar loops: only the lanes hold other entries. A fused
// multiply-add rounds x·y + s once where the scalar code rounds x·y, then
// the sum; here x and y are float32 values (the features), so x·y (48
// significant bits at most) is exact in float64 and both round the same
// exact x·y + s: the same bits (TestSqDistFMASameBits), on every platform
// that performs the scalar code's operations (the page's WebAssembly
// included).

// haveFMA says whether the CPU and the OS support AVX2 and FMA (the OS
// saves the YMM registers): golang.org/x/sys/cpu's CPUID and XGETBV tests.
var haveFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// AVX2FMA reports whether the CPU and the OS support AVX2 and FMA (core/ot's
// cost kernel; core/maps's weights kernel needs AVX2).
func AVX2FMA() bool { return haveFMA }

// dotPanelFMA writes the dot products of the 4 rows x[r·d:(r+1)·d] with
// the 4·groups columns of a packed panel into out (row r at
// out[r·4·groups:]). The panel holds the columns in groups of 4, channel
// major: column 4g + c's channel k at yp[(g·d + k)·4 + c]. x and yp hold
// float32 values (see above); each sum runs over k in order from zero.
//
//go:noescape
func dotPanelFMA(x []float64, d int, yp []float64, groups int, out []float64)
