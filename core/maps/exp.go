package maps

import (
	"math"

	"github.com/otceseg/otceseg/core/detmath"
)

// expWeight returns e^x for x in (−flush, 0] to within 2 ulp (TestExpWeight:
// against math.Exp), the c-transform's weights. It is plain float64
// arithmetic without division, so every platform computes the same bits
// (the page's WebAssembly the CLI's): x = (k/64)·ln 2 + r with |r| ≤
// ln 2/128, e^x = 2^⌊k/64⌋ · T_{k mod 64} · e^r, where T_j = 2^{j/64} (a
// table, from detmath) and e^r − 1 is a polynomial of degree 5 (Taylor;
// its remainder r⁶/6! < 4·10⁻¹⁷).
//
// It is kept out of line: inlined into the c-transform's loop it made
// the page's map a third slower (Go's WebAssembly), for 9 % natively.
//
//go:noinline
func expWeight(x float64) float64 {
	k := int(x*expInv - 0.5) // round to nearest (x ≤ 0)
	r := (x - float64(k)*expLn2Hi) - float64(k)*expLn2Lo
	p := r * (1 + r*(expC2+r*(expC3+r*(expC4+r*expC5))))
	t := expTab[k&63]
	// k ≥ −80·64/ln 2 − 1: 2^(k>>6) ≥ 2⁻¹¹⁶, a normal number, so the
	// scaling is exact.
	return (t + t*p) * math.Float64frombits(uint64((k>>6)+1023)<<52)
}

// expWeight's constants (the AVX2 kernel and the page's SIMD128 module use
// the same float64 values).
const (
	expInv   = 64 / math.Ln2
	expLn2Hi = 6.93147180369123816490e-01 / 64 // 32 bits: k·ln2Hi is exact
	expLn2Lo = 1.90821492927058770002e-10 / 64
	expC2    = 1.0 / 2
	expC3    = 1.0 / 6
	expC4    = 1.0 / 24
	expC5    = 1.0 / 120
)

// expTab holds 2^{j/64}, j < 64 (detmath's: the same bits everywhere).
var expTab = func() (t [64]float64) {
	for j := range t {
		t[j] = detmath.Exp(float64(j) * (math.Ln2 / 64))
	}
	return t
}()
