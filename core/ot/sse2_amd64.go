package ot

// On amd64 the dense kernel's two row passes (dot32, axpy32) run four
// entries a step in SSE2 (baseline on every amd64 CPU): the four running
// sums of dot32 are the two lanes of two registers, and each lane performs
// the scalar code's multiplication and addition, in the same order, without
// fused multiply-add, so the results are the pure-Go loops' bit for bit
// (TestSSE2SameBits). Go does not vectorise these loops itself.
const haveSSE2 = true

// dot4 returns the four running sums of dot32 over k[:len(k)&^3] (lane j%4
// gets the terms float64(k[j])·v[j]); v has at least len(k)&^3 entries.
//
//go:noescape
func dot4(k []float32, v []float64) (s0, s1, s2, s3 float64)

// axpy4 adds a·float64(k[j]) to y[j] for j < len(k)&^3; y has at least
// that many entries.
//
//go:noescape
func axpy4(y []float64, a float64, k []float32)

// dot4x2 is dot4 of two rows of one length at once: ka's four running sums
// in out[0:4], kb's in out[4:8] (ka and kb have the same length; v at
// least len(ka)&^3 entries).
//
//go:noescape
func dot4x2(ka, kb []float32, v []float64, out *[8]float64)

// axpy4x2 is axpy4(y, a, ka) then axpy4(y, b, kb), each y[j] loaded and
// stored once: y[j] = (y[j] + a·float64(ka[j])) + b·float64(kb[j]) for
// j < len(ka)&^3 (kb as long as ka).
//
//go:noescape
func axpy4x2(y []float64, a float64, ka []float32, b float64, kb []float32)

// scatter2 adds a·float64(sv[k]) to col[sc[k]] for k < len(sc)&^1, in
// order, two products a step. The columns must be ascending and within
// col (the caller checks the first and the last); sv holds len(sc)
// values at least.
//
//go:noescape
func scatter2(col []float64, a float64, sv []float32, sc []int32)

// scatter2w is scatter2 with 16-bit columns.
//
//go:noescape
func scatter2w(col []float64, a float64, sv []float32, sc []uint16)

// tile4 writes into out, row-major, the 16 dot products of the rows
// x[r·d:(r+1)·d] with the columns y[c·d:(c+1)·d] (r, c < 4), each summed in
// the order of sqDistPanelTiles's scalar loop, two lanes of a register a
// row pair of columns: its 4×4 tile in SSE2, bit for bit. x and y hold at
// least 4·d entries.
//
//go:noescape
func tile4(x, y []float64, d int, out *[16]float64)
