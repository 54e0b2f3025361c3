// Package stream measures the machine's limit for the Sinkhorn inner loop:
// the time to stream a float32 kernel of n×n entries (4·n² bytes) twice, as
// one Sinkhorn iteration must (K·v, then Kᵀ·u). The loop is the same
// natively and compiled to WebAssembly (scripts/bench/stream).
package stream

// Sum reads a twice and returns the sum of the second pass (so that the
// compiler keeps both passes). Eight accumulators keep the loop bound by
// memory, not by the latency of the additions.
func Sum(a []float32) float32 {
	var tot float32
	for pass := 0; pass < 2; pass++ {
		var s0, s1, s2, s3, s4, s5, s6, s7 float32
		i := 0
		for ; i+8 <= len(a); i += 8 {
			b := a[i : i+8 : i+8]
			s0 += b[0]
			s1 += b[1]
			s2 += b[2]
			s3 += b[3]
			s4 += b[4]
			s5 += b[5]
			s6 += b[6]
			s7 += b[7]
		}
		for ; i < len(a); i++ {
			s0 += a[i]
		}
		tot = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
	}
	return tot
}

// Fill writes a deterministic pattern (touching every page).
func Fill(a []float32) {
	for i := range a {
		a[i] = float32(i&1023) * (1.0 / 1024)
	}
}
