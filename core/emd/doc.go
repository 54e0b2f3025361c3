// Package emd solves the exact optimal transport problem (the earth mover's
// distance) between n sources with weights 1/n and m targets with weights
// 1/m for a dense float32 cost matrix, the way POT's ot.emd does for the
// OTCE score, and returns the optimal plan in sparse form together with a
// dual certificate of its optimality.
//
// The cost matrix is row-major []float32 of length n·m and is never copied
// or modified (at n = m = 10^4 it takes 400 MB). The solvers allocate
// O(n+m) memory, plus, for the auction, 24 cached columns per row (and the
// caller's copy of them with their costs, RowCache) and a private price
// array per bidding block (8 blocks): about 8 MB at 10^4.
// Costs are read as the exact float64 values of the float32 entries, and
// all arithmetic is in float64.
//
// # Methods
//
// When n == m the problem is an assignment problem: some optimal plan is a
// permutation with mass 1/n per pair. Three methods are implemented.
//
// MethodAuction, the default for n == m, is Bertsekas' forward auction
// with ε-scaling (EpsilonSchedule: ε from (max C − min C)/32 down by
// factors of 8 to at most 10^-6·(max C − min C)). The rows are split into
// 8 fixed blocks. In a round, each block's pending rows bid Gauss–Seidel
// style against a private copy of the prices (BidRows: the row-parallel
// part, which a web worker holding a block of rows can run), and the bids
// of the blocks are then resolved column by column, highest bid first
// (Auction.Resolve: the reduce). Each row keeps a BidCache of its 24 best
// columns and a lower bound for the others; since prices never fall, most
// bids look at those 24 columns instead of the whole row. Between phases,
// prices are lowered where that makes assigned rows exactly tight, which
// settles ties (identical rows, integer costs) at once. The auction alone
// is only ε-optimal, so Auction.Finish then makes the assignment exactly
// optimal: it lowers prices again to make rows tight, frees the rows that
// are not, and reassigns them along shortest augmenting paths (Dijkstra on
// the reduced costs, as in Jonker–Volgenant), relaxing only cached columns
// until a row's bound shows that its other columns matter. The partition
// into blocks depends only on n, so the result does not depend on
// Options.Workers.
//
// The auction runs against Rows, an abstraction of the cost split into
// blocks of rows (RowBlock: the block's rows, its BidCache and its copy of
// the prices): the bidding rounds, the price-lowering passes and the
// certificate are scans that the blocks run, concurrently; the reduce
// (Resolve, the price updates) and the augmenting paths run in the caller,
// which reads a copy of the caches (RowCache) and fetches a whole row only
// when a row's cache bound demands it. Solve uses a dense in-memory Rows
// with 8 blocks; SolveRows takes any Rows, such as the row blocks of
// package ot that web workers host, so that no process needs the whole
// matrix.
//
// MethodJV is the Jonker–Volgenant algorithm: column reduction, reduction
// transfer, two passes of augmenting row reduction (capped at 16n+1000
// steps), then a shortest augmenting path over dense rows for every free
// row. Only the column reduction and the reduction transfer are parallel.
//
// MethodNetwork is the network simplex below, which also handles n == m.
//
// When n != m the problem is a transportation problem; MethodNetwork (the
// default and only method) solves it with integer supplies: with
// g = gcd(n, m) each row supplies m/g units and each column demands n/g
// units, and the masses are the flows divided by n·m/g. It is LEMON's
// primal network simplex (the algorithm of ot.emd) with block pivoting and
// Cunningham's strongly feasible trees, on the implicit dense arc set, with
// a symbolic big-M for the artificial arcs so that the potentials keep
// full precision. Its support is a spanning forest: at most n+m−1 pairs.
//
// # Optimality criterion
//
// No stopping rule of the form "ε is small enough" is trusted. Before Solve
// returns, the solution is verified in a row-parallel pass over all n·m
// pairs (Certificate): the duals must be feasible, U_i + V_j <= C_ij +
// CertTol·max|C|, and tight on the support, |U_i + V_j − C_ij| <=
// CertTol·max|C|, with CertTol = 10^-9; the plan's marginals are exact by
// construction. Since the plan has total mass 1, this proves that
// Plan.Cost exceeds the optimal cost by at most 10^-9·max|C|. The measured
// violations are 0 or a few ulps (about 10^-13 of the costs).
//
// On the POT fixtures of testdata (gen.py: ot.emd of POT 0.8.2 on
// 200×200, 300×240, 1000×1000 and 500×700 clustered float32 costs), all
// three methods match POT's cost to 10^-15 (relative), and their supports
// and masses are identical to POT's.
//
// # Performance and limits
//
// Measured with go test -bench . -benchtime=1x on the 2-core test machine
// (AMD EPYC), on clustered Gaussian features (19 classes with different
// proportions in the two domains, squared distances in the hundreds,
// generated in bench_test.go). The machine was shared with other jobs, at
// times heavily, so both the wall time (taken when the machine was
// quiet) and the CPU time of the process (user + system) are given. JV and
// the network simplex are essentially sequential: their wall time is their
// CPU time.
//
//	                     MethodAuction        MethodJV
//	    n     d        wall s     CPU s         CPU s
//	 1000    19          0.05      0.07          0.20
//	 5000    19          0.62      1.0           20.4
//	10000    19          1.5–1.9   3.0           64.3
//	 1000   256          0.08      0.11          0.19
//	 5000   256          0.70      1.2           14.3
//	10000   256          2.2–2.5   3.6–4.1       77.8
//
// The auction is the default for n == m: at n = 5000 and 10^4 it is 20 to
// 40 times faster than JV, whose shortest path searches explore a large
// part of the matrix because mass must move between clusters. On one core
// the auction takes about 1.4 times its two-core wall time.
//
// Structured n×n costs, n = 3000, CPU seconds (TestStress, EMD_STRESS=all):
//
//	case        entries                      auction     JV   network
//	uniform     U[0,1)                          0.34   0.82      3.6
//	int0-9      integers 0..9 (ties)            0.22   0.15      0.45
//	int0-1      integers 0..1                   0.24   0.22      0.31
//	sameRows    all rows identical              2.5    0.16      0.11
//	constant    all equal                       0.20   0.16      0.13
//	rank1       C_ij = a_i·b_j                  3.8    52        1.6
//	sortedDup   (⌊i/10⌋ − ⌊j/10⌋)²              0.38   0.13      0.13
//
// Logits of trained networks are harder than the clustered data: on the
// logits (d = 7) of a small network of scripts/reproduce on its own domain
// and a shifted one, exported at N = 10⁴ (BenchmarkDumped in package ot),
// the auction takes 109 415 rounds and 301 777 full-row scans, against
// 28 480 rounds on the clustered d = 19 data. The scans were 70 % of that
// benchmark's CPU profile, and not for reading the rows: a scan's time
// went to the values it accepts into its heap (235 a scan of 10⁴ columns),
// each a mispredicted branch and a chain of dependent loads in the sift;
// a row never read before, with nothing accepted, scans as fast as a
// cached one. On amd64 with AVX2 the scans filter eight columns a step and
// sift without branches on the values (scan_amd64.go), the same heap slot
// for slot: the whole benchmark's CPU time fell from 6.4 to 4.6 s, and to
// 4.3 s with the scans under private prices, the cost range and the
// certificate in AVX2 too; the plan unchanged. logitFeatures imitates such logits (bilinear mixes of a coarse
// grid, a drifted target): 59 404 rounds and 3.1 CPU s against 1.3 s for
// the clustered data (BenchmarkLogits, two runs each on a loaded machine,
// before the AVX2 scans).
//
// Many identical rows remain the auction's weak spot (sameRows): they
// compete for the same columns from every block, so the first phase needs
// several rounds of full-row scans. JV is unusable on some inputs (rank1,
// clustered data); the network simplex is robust but slow on unstructured
// costs and grows faster than n·m.
//
// The network simplex for n != m (m = 0.9n), clustered data:
//
//	   n      m     d   CPU s    pivots
//	1000    900    19    0.33     33366
//	2000   1800    19    1.56     87273
//	3000   2700    19    3.68    164300
//	1000    900   256    0.32     32475
//	2000   1800   256    1.39     82302
//	3000   2700   256    3.68    153586
//
// It is meant for n and m up to about 3000 (seconds); 10^4 × 9000 would
// take minutes. The OTCE score samples the same number of pixels in both
// domains, so it only needs n == m.
package emd
