package ot

import "fmt"

// OpKind names an operation a Block performs on its rows.
type OpKind int

// The operations of the block protocol. The solver sends each to every block
// and reduces the replies in block order.
const (
	// OpCost computes the squared-Euclidean cost of the block's rows into
	// the block's buffer (float32) and replies with its maximum, sum and a
	// histogram of the top 16 bits of the float32 values (for the median).
	OpCost OpKind = iota + 1
	// OpCostHistogram replies with the histogram of the low 16 bits of the
	// cost values whose top 16 bits equal Op.Bucket (exact median search).
	OpCostHistogram
	// OpColMin replies with min over the block's rows of C_ij/Scale − f_i,
	// for each column j (buffer must hold the cost).
	OpColMin
	// OpKernel turns the cost in the buffer into the kernel
	// exp((f_i + g_j − C_ij/Scale)/Eps) in place, first moving each f_i so
	// that the row's largest exponent lies in a safe range; u is reset to 1.
	OpKernel
	// OpIterate runs one fused Sinkhorn pass over the block: each row's
	// scaling becomes u_i ← u_i^(1−ω)(a_i/(K v)_i)^ω, and the block replies
	// with its partial column sums Σ_i u_i K_ij, its partial joint label
	// table, its row-marginal violation and its largest |log u_i|.
	OpIterate
	// OpAbsorb moves the scalings into the kernel and the potentials:
	// K_ij ← u_i K_ij v_j, f_i += Eps·log u_i, u_i ← 1; with Square, the
	// kernel is then squared, which halves ε.
	OpAbsorb
	// OpFinish replies with the block's part of the transport cost
	// Σ u_i K_ij v_j C_ij (C recovered from the kernel and the potentials)
	// and its joint label table for the current scalings.
	OpFinish
	// OpRelease frees the block's buffers.
	OpRelease

	// The operations of the exact solver (ExactOverBlocks), on the cost the
	// blocks hold after OpCost; OpCost, OpKernel and OpRelease end an
	// exact solve.

	// OpExactStart starts an exact solve (N == M): the block sets up the
	// auction's state of its rows (an emd.RowBlock with its bid cache) and
	// replies with its smallest (Min) and largest (Max) cost, and Zero = 1
	// if a cost is NaN or infinite.
	OpExactStart
	// OpBid runs one round of the auction's bidding (emd.RowBlock.Bid) for
	// the block's rows among Rows (the pending rows, ascending) against its
	// copy of the prices, which it first replaces by Prices (when set) and
	// updates at columns PriceCols to PriceVals; Assigned is set in the
	// first round of a phase. The reply holds the bids: Rows, Cols and their
	// prices in Values.
	OpBid
	// OpSlack is a price-lowering pass of the auction (emd.RowBlock.Slack):
	// the block lowers its cache bounds by Lower and replies with the slack
	// of each of its rows (Values) under Prices for the assignment Assigned.
	OpSlack
	// OpCached replies with the bid caches of the block's rows: the cached
	// columns (Cols, K per row), their costs (Costs), the bounds (Values)
	// and the costs of the assignment Assigned (AssignedCost).
	OpCached
	// OpRows replies with the cost rows of the block among Rows, in that
	// order, M costs each (Costs); all the block's rows when Rows is nil.
	OpRows
	// OpInfeasibility replies with max U_i + V_j − C_ij over the block's
	// rows (Max), for the dual potentials U = F and V = G.
	OpInfeasibility

	// OpPotentials replies with the row potentials of the coupling
	// π_ij = u_i K_ij v_j for the column scalings V: F_i = f_i + ε·log u_i
	// for the block's rows (Values, normalised cost units), so that
	// π_ij = exp((F_i + G_j − C_ij/Scale)/ε) with G_j = g_j + ε·log v_j;
	// and its partial source-class column sums Σ_{i: class a} π_ij (ColSum,
	// La×M, class after class). Only a map of the coupling asks for it
	// (Params.Potentials), after OpFinish.
	OpPotentials
)

var opNames = map[OpKind]string{
	OpCost: "cost", OpCostHistogram: "cost-histogram", OpColMin: "column-minima", OpKernel: "kernel",
	OpIterate: "iterate", OpAbsorb: "absorb", OpFinish: "finish", OpRelease: "release",
	OpExactStart: "exact-start", OpBid: "bid", OpSlack: "slack", OpCached: "cached", OpRows: "rows",
	OpInfeasibility: "infeasibility", OpPotentials: "potentials",
}

// String returns the operation's name.
func (k OpKind) String() string {
	if n, ok := opNames[k]; ok {
		return n
	}
	return fmt.Sprintf("op%d", int(k))
}

// Op is one operation sent to every block. Only the fields its Kind uses are
// read. Vectors indexed by column (V, G) are the solver's full vectors.
type Op struct {
	Kind   OpKind
	Eps    float64   // current ε, in normalised cost units
	Scale  float64   // the cost normaliser: C' = C / Scale
	Omega  float64   // over-relaxation factor of OpIterate (1 = plain Sinkhorn)
	V      []float64 // column scalings (OpIterate, OpAbsorb, OpFinish, OpPotentials)
	G      []float64 // column potentials (OpKernel, OpFinish, OpInfeasibility)
	F      []float64 // OpKernel: when set, the row potentials (full length N) to start from; OpInfeasibility: the row potentials
	Bucket int       // OpCostHistogram: the top 16 bits selected
	Square bool      // OpAbsorb: square the kernel afterwards (ε halves)
	Stats  bool      // OpCost: also return the histogram

	// The exact solver's operations (Eps is the auction's ε in OpBid).
	Rows      []int32   // OpBid: the pending rows, ascending; OpRows: the rows asked for
	Assigned  []int32   // OpBid, OpSlack, OpCached: the assignment row → column, -1 for none (length N)
	Prices    []float64 // OpBid, OpSlack: all the column prices
	PriceCols []int32   // OpBid: columns whose prices changed …
	PriceVals []float64 // … and their new prices
	Lower     float64   // OpSlack: lower the cache bounds by this first
	// CacheCols and CacheBound, when set (OpBid, OpSlack), are the bid
	// caches of Rows (K columns a row, then a bound a row; see
	// emd.RowBlock.CacheRows), which a block loads for its rows of Rows
	// before the operation; its reply then carries them after it. This
	// lets another copy of a block's rows (SplitBlocks) run the auction's
	// operations as the block would. OpSlack with a cache needs all of a
	// block's rows in Rows.
	CacheCols  []int32
	CacheBound []float64
}

// Reply is one block's answer. Fields not produced by the operation are nil
// or zero. OpIterate's ColSum and Joint are the block's own buffers, which
// its next OpIterate overwrites: consume them (ReduceIterate,
// CombineIterate, or a copy) before. So is OpBid's whole reply with its
// Rows, Cols and Values (one Reply a block, reused by its next OpBid with
// bids; a round without bids replies with one shared empty Reply, which
// nobody may modify): read the bids before the block's next operation.
type Reply struct {
	ColSum  []float64 // OpIterate: Σ_i u_i K_ij; OpColMin: column minima; OpPotentials: La×M class column sums
	Joint   []float64 // La×Lb partial joint label table (OpIterate, OpFinish)
	Hist    []uint32  // OpCost (with Stats), OpCostHistogram
	Max     float64   // OpCost: largest cost
	MaxAt   int       // OpCost: flat index i·M + j of the largest cost
	Sum     float64   // OpCost: sum of costs; OpFinish: partial transport cost
	RowErr  float64   // OpIterate: Σ_i |u_i (K v)_i − a_i|
	MaxLogU float64   // OpIterate: max_i |log u_i|; OpAbsorb: max_i log u_i before absorbing
	Zero    int       // OpIterate: rows whose kernel row sum vanished; OpKernel: rows whose potential was moved; OpExactStart: 1 for a NaN or infinite cost
	Mass    float64   // OpIterate, OpFinish: Σ_ij π_ij over the block
	// Span is, for OpIterate, the number of blocks this reply sums when a
	// block set combined them (CombineIterate; 0: this block alone).
	Span int

	// The exact solver's replies (Max also answers OpExactStart and
	// OpInfeasibility).
	Min          float64   // OpExactStart: smallest cost
	Rows, Cols   []int32   // OpBid: the bids' rows and columns; OpCached: the cached columns
	Values       []float64 // OpBid: the bids' prices; OpSlack: the slacks; OpCached: the cache bounds; OpPotentials: the row potentials
	Costs        []float32 // OpCached: the costs of the cached columns; OpRows: the rows
	AssignedCost []float32 // OpCached: C_{i,x_i} for each row (0 if unassigned)
	// CacheCols and CacheBound: the bid caches of the block's rows of
	// Op.Rows after OpBid or OpSlack, when the Op carried them.
	CacheCols  []int32
	CacheBound []float64
}
