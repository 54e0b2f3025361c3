// Package emd solves the exact optimal transport problem (the earth mover's
// distance) between n sources with weights 1/n and m targets with weights
// 1/m for a dense float32 cost matrix, the way POT's ot.emd does for the
// OTCE score, and returns the optimal plan in sparse form together with a
// dual certificate of its optimality.
//
// The cost matrix is row-major []float32 of length n·m and is never copied
// (at n = m = 10^4 it takes 400 MB); the solvers allocate O(n+m) memory,
// plus 24 column indices per row for the auction's candidate caches.
// Costs are read as the exact float64 values of the float32 entries.
//
// # Methods
//
// When n == m the problem is an assignment problem: some optimal plan is a
// permutation with mass 1/n per pair. Three methods are implemented:
//
//   - MethodAuction (the default for n == m): Bertsekas' forward auction
//     with ε-scaling. A round is Jacobi style: every pending row computes
//     its bid against the same prices (BidRows, row-parallel; a web worker
//     holding a block of rows can run it) and the bids are then resolved
//     column by column (Auction.Resolve, a reduce). Each row keeps a
//     BidCache of its 24 best columns and a lower bound for the others;
//     since prices never fall, most bids look at those 24 columns instead
//     of the whole row. ε runs from (max C − min C)/32 down by factors of
//     8 to at most 10^-6·(max C − min C) (EpsilonSchedule). The auction
//     alone is only ε-optimal, so Auction.Finish then makes it exact: rows
//     whose column does not attain their minimum reduced cost exactly are
//     freed and reassigned along shortest augmenting paths (Dijkstra on
//     reduced costs, as in Jonker–Volgenant), using the caches to avoid
//     scanning whole rows.
//   - MethodJV: the Jonker–Volgenant algorithm (column reduction, reduction
//     transfer, two passes of augmenting row reduction, then shortest
//     augmenting paths over dense rows). Only the column reduction and the
//     reduction transfer are parallel.
//   - MethodNetwork: the network simplex below, which also handles n == m.
//
// When n != m the weights are not equal and the problem is a transportation
// problem; MethodNetwork (the default and only method) solves it with
// integer supplies: with g = gcd(n, m) each row supplies m/g units and each
// column demands n/g units, and the masses are the flows divided by n·m/g.
// It is LEMON's primal network simplex (the algorithm of ot.emd) with block
// pivoting and Cunningham's strongly feasible trees, on an implicit dense
// arc set, with a symbolic big-M for the artificial arcs so that the
// potentials keep full precision. Its support is a spanning forest: at most
// n+m−1 pairs.
//
// # Optimality criterion
//
// Every solution is verified before Solve returns it: the plan's marginals
// are right by construction, its support is tight (U_i + V_j = C_ij up to
// rounding) and the duals are feasible, U_i + V_j <= C_ij + CertTol·max|C|
// for all n·m pairs (a row-parallel pass over the matrix, see
// Certificate). Since the plan has total mass 1, this proves that
// Plan.Cost exceeds the optimal cost by at most CertTol·max|C| = 10^-9·
// max|C|; in practice the measured violations are 0 or a few ulps. No
// stopping rule of the form "ε small enough" is trusted on its own.
//
// On POT's reference fixtures (testdata/gen.py) the costs agree with
// ot.emd to within 10^-15 (relative) and the supports are identical.
//
// # Performance and limits
//
// Measured with go test -bench . -benchtime=1x on the 2-core test machine
// (AMD EPYC, GOMAXPROCS=2), on clustered Gaussian features (19 classes with
// different proportions in the two domains, costs in the hundreds). The
// machine was shared with other heavy jobs during the runs, so the CPU
// time of the process (user+system, summed over both cores) is the more
// reliable figure; wall times on an idle machine are about the CPU time
// divided by 1.5 to 2 for the auction, and equal to it for JV and the
// network simplex, which are sequential.
//
//	                       CPU seconds per solve
//	n = m    d     MethodJV   MethodAuction
//	 1000   19        0.20         0.06
//	 5000   19        20.4         0.81
//	10000   19        64.3         1.58
//	 1000  256        0.19         0.07
//	 5000  256        14.3         0.73
//	10000  256         TBD          TBD
//
//	network simplex, n != m (m = 0.9n)
//	n      d    CPU s   pivots
//	1000   19    0.33    33366
//	2000   19    1.56    87273
//	3000   19    3.68   164300
//	1000  256    0.32    32475
//	2000  256    1.39    82302
//	3000  256    3.68   153586
//
// The auction is the default for n == m: it is 25 to 40 times faster than
// JV at n = 5000 and 10^4, whose shortest path searches explore a large
// part of the matrix when mass must move between clusters. The network
// simplex grows roughly like (nm)^1.2: use it for n, m up to about 3000
// (seconds); at 10^4 × 9000 it would take minutes. The OTCE score samples
// the same number of pixels in both domains, so it only needs n == m.
package emd
