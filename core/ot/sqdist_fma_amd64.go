package ot

// sqDistPacked is sqDist's tiles (rows [0, n4), columns [0, m4), multiples
// of 4) with the dot products in AVX2 (dotPanelFMA): a panel of columns at
// a time is converted to float64 and packed channel major in groups of 4
// columns, which the kernel reads with whole-register loads while 12
// running sums (4 rows by 12 columns) stay in registers. The squared
// distances are then ‖x‖² + ‖y‖² − 2x·y, clamped at zero, as put4 writes
// them: the same bits as the tiles (the dot products are, see
// fma_amd64.go).
func sqDistPacked(out []float32, x, nx []float64, y []float32, ny []float64, n4, m4, m, d int) {
	// A panel of pw columns (a multiple of 12, pw·d·8 ≈ 256 KB) stays in
	// the L2 cache while every 4 rows pass over it.
	pw := max(12, (32768/max(d, 1))/12*12)
	pw = min(pw, m4)
	panel := make([]float64, pw*d)
	dots := make([]float64, 4*pw)
	for jp := 0; jp < m4; jp += pw {
		je := min(jp+pw, m4)
		w := je - jp
		g := w / 4
		for gi := range g {
			pg := panel[gi*4*d : (gi+1)*4*d]
			for c := range 4 {
				yj := y[(jp+4*gi+c)*d : (jp+4*gi+c+1)*d]
				for k, v := range yj {
					pg[k*4+c] = float64(v)
				}
			}
		}
		nyp := ny[jp:je]
		for i := 0; i < n4; i += 4 {
			dotPanelFMA(x[i*d:(i+4)*d], d, panel[:w*d], g, dots[:4*w])
			for r := range 4 {
				row := dots[r*w : (r+1)*w]
				o := out[(i+r)*m+jp : (i+r)*m+je]
				ni := nx[i+r]
				for c, a := range row {
					o[c] = clamp0(ni + nyp[c] - 2*a)
				}
			}
		}
	}
}
