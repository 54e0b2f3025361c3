// Package ot solves the entropic optimal transport problem between two
// sampled point clouds with uniform weights, for a squared-Euclidean cost,
// and reads the joint label table and the transport cost off the coupling
// without ever materialising the coupling.
//
// The solver is written once, against a set of row blocks (BlockSet): each
// Block owns a contiguous range of source rows, holds their part of the cost
// or kernel matrix in float32, and answers a small set of operations (Op).
// The solver keeps the column side (potentials g, scalings v) and performs
// the reduce between half-iterations. In a native program the blocks run on
// goroutines (LocalBlocks); in the browser each web worker hosts some blocks
// and the operations travel as messages. The partition of rows into blocks
// depends only on the number of rows (Partition), and partial sums are
// reduced in block order, so the result is bit-for-bit the same whatever the
// number of goroutines or workers.
//
// The exact solver (Params.Exact, and the warm start of Sinkhorn at a small
// ε) runs over the same blocks while they hold the cost: ExactOverBlocks
// drives the auction of package emd, whose bidding rounds and
// price-lowering passes run in the blocks (OpBid, OpSlack) and whose reduce
// and augmenting paths run in the caller, so the browser's workers share
// that work and its memory too.
//
// Stabilisation follows Schmitzer's scheme: the kernel stores
// K_ij = exp((f_i + g_j − C_ij)/ε) for dual potentials f, g; the iteration
// updates scalings u, v of the coupling π_ij = u_i K_ij v_j, and when the
// scalings grow large they are absorbed into the potentials. ε is reached by
// ε-scaling: the solve starts at a large ε and halves it stage by stage; a
// halving squares the stored kernel in place (K² = exp((f+g−C)/(ε/2))), so
// the cost is recomputed from the features only when the kernel's record of
// negligible entries could have become wrong. Each iteration is one pass over
// the kernel: for every row the row scaling is updated from the row's dot
// product with v, and the row is immediately added into the column sums while
// it is still in cache.
package ot
