package ot

// RowTop returns max_j g_j − float64(row_j)·inv (−Inf for an empty row;
// g has at least len(row) entries), with the installed kernel where there
// is one (the page's SIMD128): the same value on every platform, and the
// same as a plain loop's but for the sign of a zero maximum. core/maps's
// c-transforms take their largest exponent with it.
func RowTop(row []float32, g []float64, inv float64) float64 { return rowTop(row, g, inv) }
