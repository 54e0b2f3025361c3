package maps

import (
	"math"

	"github.com/otceseg/otceseg/core/detmath"
)

// expWeight returns e^x for x in (−flush, 0] to within 2 ulp (TestExpWeight:
// against math.Exp), the c-transform's weights. It is plain float64
// arithmetic without division, so every platform computes the same bits
// (the page's WebAssembly the CLI's), and a third of detmath.Exp's time:
// x = (k/32)·ln 2 + r with |r| ≤ ln 2/64, e^x = 2^⌊k/32⌋ · T_{k mod 32} ·
// e^r, where T_j = 2^{j/32} (a table, from detmath) and e^r − 1 is a
// polynomial of degree 6 (Taylor; its remainder r⁷/7! < 4·10⁻¹⁸).
func expWeight(x float64) float64 {
	const (
		inv   = 32 / math.Ln2
		ln2Hi = 6.93147180369123816490e-01 / 32 // 32 bits: k·ln2Hi is exact
		ln2Lo = 1.90821492927058770002e-10 / 32
	)
	k := int(x*inv - 0.5) // round to nearest (x ≤ 0)
	r := (x - float64(k)*ln2Hi) - float64(k)*ln2Lo
	p := r * (1 + r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	t := expTab[k&31]
	// k ≥ −80·32/ln 2 − 1: 2^(k>>5) ≥ 2⁻¹¹⁶, a normal number, so the
	// scaling is exact.
	return (t + t*p) * math.Float64frombits(uint64((k>>5)+1023)<<52)
}

// expTab holds 2^{j/32}, j < 32 (detmath's: the same bits everywhere).
var expTab = func() (t [32]float64) {
	for j := range t {
		t[j] = detmath.Exp(float64(j) * (math.Ln2 / 32))
	}
	return t
}()
