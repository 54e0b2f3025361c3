package emd

import (
	"context"
	"errors"
	"math"
	"slices"
)

// The network simplex below follows the primal network simplex of LEMON
// (Kovács, "Minimum-cost flow algorithms: an experimental evaluation",
// Optimization Methods and Software 30, 2015), the solver behind POT's
// ot.emd, specialised to the dense uncapacitated transportation problem:
//
//   - nodes 0..n-1 are the rows (supply m/g each, g = gcd(n, m)), nodes
//     n..n+m-1 the columns (demand n/g each), node n+m an artificial root;
//   - the arcs are i → n+j with cost C_ij (never stored: the cost is read
//     from the matrix and the state of an arc is implied by the tree), plus
//     artificial arcs i → root (cost 0) and root → n+j (cost M) which form
//     the initial, strongly feasible, spanning tree;
//   - the tree is kept as parent pointers with sibling lists, the flow of
//     the arc joining a node to its parent stored at the node (flows are
//     exact integers);
//   - the big-M cost of the artificial arcs is symbolic: potentials are
//     pairs k·M + r (k integer, r float64) compared lexicographically, so
//     the potentials keep the magnitude of the costs and full precision;
//   - entering arcs are chosen by block search (blocks of √(nm) arcs), the
//     leaving arc by Cunningham's rule, which keeps the tree strongly
//     feasible and prevents cycling.
//
// The potentials of the tree are recomputed exactly from the tree
// periodically and before optimality is declared.

// netSimplex is the state of the network simplex.
type netSimplex struct {
	n, m int
	cost []float32
	root int32

	parent, firstChild, nextSib, prevSib, depth []int32
	flow                                        []int64 // flow on the arc to the parent
	pk                                          []int32 // potential = pk·M + pr
	pr                                          []float64

	tol       float64
	blockSize int
	nextArc   int
	stack     []int32
	path      []int32
}

// bigM stands for the symbolic M when a reduced cost k·M + r is folded into
// a single float64 for pricing: the M parts of two potentials differ by at
// most one, and |r| stays far below bigM, so the sign and the order of the
// folded values are those of the lexicographic comparison whenever the M
// part is not zero (and the folded value is exactly r when it is).
const bigM = 1e300

func solveNetwork(ctx context.Context, cost []float32, n, m int, absMax float64) (*Plan, error) {
	g := gcd(n, m)
	supply, demand := int64(m/g), int64(n/g)
	total := int64(n) * supply
	s := &netSimplex{n: n, m: m, cost: cost, root: int32(n + m)}
	nn := n + m + 1
	s.parent = make([]int32, nn)
	s.firstChild = make([]int32, nn)
	s.nextSib = make([]int32, nn)
	s.prevSib = make([]int32, nn)
	s.depth = make([]int32, nn)
	s.flow = make([]int64, nn)
	s.pk = make([]int32, nn)
	s.pr = make([]float64, nn)
	for u := range nn {
		s.parent[u], s.firstChild[u], s.nextSib[u], s.prevSib[u] = -1, -1, -1, -1
	}
	for u := nn - 2; u >= 0; u-- {
		s.addChild(s.root, int32(u))
		s.parent[u] = s.root
		s.depth[u] = 1
		if u < n {
			s.flow[u] = supply // u → root, potential 0
		} else {
			s.flow[u] = demand // root → u, potential M
			s.pk[u] = 1
		}
	}
	s.tol = 1e-12 * math.Max(absMax, math.SmallestNonzeroFloat64)
	s.blockSize = max(10, int(math.Sqrt(float64(n)*float64(m))))

	pivots := 0
	recompute := max(1024, n+m)
	for {
		if pivots&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		i, j, ok := s.findEntering()
		if !ok {
			// Confirm with exact potentials before declaring optimality.
			s.recomputePotentials()
			if i, j, ok = s.findEntering(); !ok {
				break
			}
		}
		if err := s.pivot(i, j); err != nil {
			return nil, err
		}
		pivots++
		if pivots%recompute == 0 {
			s.recomputePotentials()
		}
	}

	// Extract the plan: every artificial arc must be empty, and the
	// potentials then share their M part.
	p := &Plan{U: make([]float64, n), V: make([]float64, m), Iterations: pivots}
	k0 := s.pk[0]
	for u := range n + m {
		if s.pk[u] != k0 {
			return nil, errors.New("emd: network simplex ended with inconsistent potentials")
		}
		par := s.parent[u]
		if par == s.root {
			if s.flow[u] != 0 {
				return nil, errors.New("emd: network simplex ended with flow on an artificial arc")
			}
			continue
		}
		if s.flow[u] <= 0 {
			continue
		}
		i, j := int32(u), par-int32(n)
		if u >= n {
			i, j = par, int32(u-n)
		}
		p.Rows = append(p.Rows, i)
		p.Cols = append(p.Cols, j)
		p.Mass = append(p.Mass, float64(s.flow[u])/float64(total))
	}
	for i := range n {
		p.U[i] = -s.pr[i]
	}
	for j := range m {
		p.V[j] = s.pr[n+j]
	}
	sortSupport(p, m)
	return p, nil
}

// sortSupport sorts the support of p by row, then column.
func sortSupport(p *Plan, m int) {
	idx := make([]int, len(p.Mass))
	for k := range idx {
		idx[k] = k
	}
	key := func(k int) int { return int(p.Rows[k])*m + int(p.Cols[k]) }
	slices.SortFunc(idx, func(a, b int) int { return key(a) - key(b) })
	rows, cols, mass := slices.Clone(p.Rows), slices.Clone(p.Cols), slices.Clone(p.Mass)
	for t, k := range idx {
		p.Rows[t], p.Cols[t], p.Mass[t] = rows[k], cols[k], mass[k]
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func (s *netSimplex) addChild(p, u int32) {
	f := s.firstChild[p]
	s.nextSib[u], s.prevSib[u] = f, -1
	if f >= 0 {
		s.prevSib[f] = u
	}
	s.firstChild[p] = u
}

func (s *netSimplex) removeChild(p, u int32) {
	if q := s.prevSib[u]; q >= 0 {
		s.nextSib[q] = s.nextSib[u]
	} else {
		s.firstChild[p] = s.nextSib[u]
	}
	if q := s.nextSib[u]; q >= 0 {
		s.prevSib[q] = s.prevSib[u]
	}
}

// isTreeArc reports whether the arc i → n+j is in the tree.
func (s *netSimplex) isTreeArc(i, j int) bool {
	c := int32(s.n + j)
	return s.parent[i] == c || s.parent[c] == int32(i)
}

// findEntering searches the arcs by blocks, starting where the previous
// search stopped, and returns the arc with the most negative reduced cost
// C_ij + π_i − π_{n+j} in the first block that has one below −tol.
func (s *netSimplex) findEntering() (int, int, bool) {
	n, m := s.n, s.m
	total := n * m
	colK, colR := s.pk[n:n+m], s.pr[n:n+m]
	best := -s.tol
	bi, bj := -1, -1
	i, j := s.nextArc/m, s.nextArc%m
	cnt := s.blockSize
	for scanned := 0; scanned < total; {
		end := min(m, j+cnt)
		row := s.cost[i*m : (i+1)*m]
		rk, rr := s.pk[i], s.pr[i]
		for jj := j; jj < end; jj++ {
			rc := float64(row[jj]) + rr - colR[jj]
			if dk := rk - colK[jj]; dk != 0 {
				rc += float64(dk) * bigM
			}
			if rc < best && !s.isTreeArc(i, jj) {
				best, bi, bj = rc, i, jj
			}
		}
		scanned += end - j
		cnt -= end - j
		j = end
		if j == m {
			j = 0
			if i++; i == n {
				i = 0
			}
		}
		if cnt == 0 {
			if bi >= 0 {
				break
			}
			cnt = s.blockSize
		}
	}
	s.nextArc = i*m + j
	return bi, bj, bi >= 0
}

// errUnbounded reports a cycle without a blocking arc, which a
// transportation problem cannot have; it would mean a corrupted tree.
var errUnbounded = errors.New("emd: network simplex found an unbounded cycle")

// pivot brings the arc i → n+j into the tree.
func (s *netSimplex) pivot(i, j int) error {
	n := int32(s.n)
	parent, flow := s.parent, s.flow
	first, second := int32(i), n+int32(j)

	// Join node: the apex of the cycle.
	u, v := first, second
	for s.depth[u] > s.depth[v] {
		u = parent[u]
	}
	for s.depth[v] > s.depth[u] {
		v = parent[v]
	}
	for u != v {
		u, v = parent[u], parent[v]
	}
	join := u

	// Leaving arc (Cunningham's rule). The cycle runs join → … → first →
	// second → … → join. An arc to the parent is a row's arc (row → parent)
	// or a column's arc (parent → column); on the first path the cycle
	// runs downwards, so rows' arcs decrease, on the second path upwards,
	// so columns' arcs decrease.
	delta := int64(math.MaxInt64)
	uOut, result := int32(-1), 0
	for u := first; u != join; u = parent[u] {
		if u < n && flow[u] < delta {
			delta, uOut, result = flow[u], u, 1
		}
	}
	for u := second; u != join; u = parent[u] {
		if u >= n && flow[u] <= delta {
			delta, uOut, result = flow[u], u, 2
		}
	}
	if result == 0 {
		return errUnbounded
	}
	if delta > 0 {
		for u := first; u != join; u = parent[u] {
			if u < n {
				flow[u] -= delta
			} else {
				flow[u] += delta
			}
		}
		for u := second; u != join; u = parent[u] {
			if u < n {
				flow[u] += delta
			} else {
				flow[u] -= delta
			}
		}
	}

	uIn, vIn := first, second
	if result == 2 {
		uIn, vIn = second, first
	}
	// Shift of the potentials of the subtree that moves: the entering
	// arc becomes tight.
	sk := s.pk[first] - s.pk[second]
	sr := float64(s.cost[i*s.m+j]) + s.pr[first] - s.pr[second]
	if uIn == first {
		sk, sr = -sk, -sr
	}

	// Re-hang the path uIn … uOut below vIn, reversing its arcs.
	path := s.path[:0]
	for w := uIn; ; w = parent[w] {
		path = append(path, w)
		if w == uOut {
			break
		}
	}
	for _, w := range path {
		s.removeChild(parent[w], w)
	}
	for t := len(path) - 1; t >= 1; t-- {
		flow[path[t]] = flow[path[t-1]]
	}
	flow[path[0]] = delta
	parent[path[0]] = vIn
	s.addChild(vIn, path[0])
	for t := 1; t < len(path); t++ {
		parent[path[t]] = path[t-1]
		s.addChild(path[t-1], path[t])
	}
	s.path = path

	// Update depths and potentials in the moved subtree.
	s.depth[uIn] = s.depth[vIn] + 1
	stack := append(s.stack[:0], uIn)
	for len(stack) > 0 {
		w := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		s.pk[w] += sk
		s.pr[w] += sr
		d := s.depth[w] + 1
		for c := s.firstChild[w]; c >= 0; c = s.nextSib[c] {
			s.depth[c] = d
			stack = append(stack, c)
		}
	}
	s.stack = stack
	return nil
}

// recomputePotentials recomputes depths and potentials from the tree,
// making every tree arc exactly tight up to one rounding per arc.
func (s *netSimplex) recomputePotentials() {
	n := int32(s.n)
	s.pk[s.root], s.pr[s.root], s.depth[s.root] = 0, 0, 0
	stack := append(s.stack[:0], s.root)
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for u := s.firstChild[p]; u >= 0; u = s.nextSib[u] {
			s.depth[u] = s.depth[p] + 1
			switch {
			case p == s.root && u < n: // u → root, cost 0
				s.pk[u], s.pr[u] = 0, 0
			case p == s.root: // root → u, cost M
				s.pk[u], s.pr[u] = 1, 0
			case u < n: // u → p: π_u = π_p − C
				s.pk[u] = s.pk[p]
				s.pr[u] = s.pr[p] - float64(s.cost[int(u)*s.m+int(p-n)])
			default: // p → u: π_u = π_p + C
				s.pk[u] = s.pk[p]
				s.pr[u] = s.pr[p] + float64(s.cost[int(p)*s.m+int(u-n)])
			}
			stack = append(stack, u)
		}
	}
	s.stack = stack
}
