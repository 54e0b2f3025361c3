package ot

import (
	"errors"
	"fmt"
	"math"
)

// KernelState is a block's state once it holds the kernel (after OpKernel,
// and after every later operation): what another process needs to host
// the block from there on, so that the block built from it (NewKernelBlock)
// answers every later operation with the same bits as the block it was
// taken from. The browser's other workers hand the sampler their blocks
// this way once the kernel is small (schedule.IterateHere), so that it
// runs the Sinkhorn iterations over every block itself instead of a round
// of messages per iteration.
//
// The kernel is K_ij = exp((f_i + g_j − C_ij/Scale)/Eps), stored either
// dense, Dense[r·M + j] for row Lo + r, or sparse: row r's non-zero entries
// Values[Starts[r]:Starts[r+1]] at columns Cols[Starts[r]:Starts[r+1]],
// ascending (len(Starts) = Hi − Lo + 1).
type KernelState struct {
	Lo, Hi int
	Eps    float64   // ε of the kernel
	F, U   []float64 // the rows' potentials f_i and scalings u_i
	Dense  []float32 // the dense form, or nil
	Values []float32 // the sparse form (Dense nil)
	Cols   []int32
	Starts []int
}

// Kernel returns the block's state. Its slices are the block's own, not
// copies: read them before the block's next operation.
func (b *Block) Kernel() (*KernelState, error) {
	if b.eps == 0 || (!b.sparse && b.buf == nil) {
		return nil, errors.New("ot: the kernel's state asked when the block holds no kernel")
	}
	s := &KernelState{Lo: b.Lo, Hi: b.Hi, Eps: b.eps, F: b.f, U: b.u}
	if b.sparse {
		s.Values, s.Cols, s.Starts = b.sv, b.sc, b.sp
	} else {
		s.Dense = b.buf
	}
	return s, nil
}

// NewKernelBlock returns the block of p whose state is s (Block.Kernel of
// the block of the same rows of the same problem), sharing t as NewBlock
// does; it keeps s's slices.
func NewKernelBlock(p *Problem, t *Target, s *KernelState) (*Block, error) {
	lo, hi, m := s.Lo, s.Hi, p.M
	if lo < 0 || hi <= lo || hi > p.N {
		return nil, fmt.Errorf("ot: a kernel state of rows [%d, %d) for a problem of %d rows", lo, hi, p.N)
	}
	n := hi - lo
	if !(s.Eps > 0) || len(s.F) != n || len(s.U) != n {
		return nil, fmt.Errorf("ot: a kernel state of rows [%d, %d) with ε %v and %d, %d row vectors", lo, hi, s.Eps, len(s.F), len(s.U))
	}
	b := NewBlock(p, t, lo, hi)
	b.f, b.u, b.eps = s.F, s.U, s.Eps
	if s.Dense != nil {
		if len(s.Dense) != n*m || s.Values != nil || s.Cols != nil || s.Starts != nil {
			return nil, fmt.Errorf("ot: a dense kernel state of %d entries for %d×%d rows", len(s.Dense), n, m)
		}
		b.buf = s.Dense
		return b, nil
	}
	if len(s.Starts) != n+1 || s.Starts[0] != 0 || s.Starts[n] != len(s.Values) || len(s.Cols) != len(s.Values) {
		return nil, fmt.Errorf("ot: a sparse kernel state of rows [%d, %d) with %d row starts, %d values and %d columns", lo, hi, len(s.Starts), len(s.Values), len(s.Cols))
	}
	for r := 0; r < n; r++ {
		if s.Starts[r+1] < s.Starts[r] {
			return nil, fmt.Errorf("ot: a sparse kernel state whose row %d ends before it starts", lo+r)
		}
		prev := int32(-1)
		for _, j := range s.Cols[s.Starts[r]:s.Starts[r+1]] {
			if j <= prev || int(j) >= m {
				return nil, fmt.Errorf("ot: a sparse kernel state whose row %d has column %d out of order or range", lo+r, j)
			}
			prev = j
		}
	}
	b.sparse, b.sv, b.sc, b.sp = true, s.Values, s.Cols, s.Starts
	return b, nil
}

// KernelBytes is the memory of a block of rows×m kernel entries whose
// reply to OpKernel or OpAbsorb gave the density (its Mass: the fraction
// of non-zero entries): the sparse form's 8 bytes an entry (value and
// column) and 8 a row start below SparseDensity, else the dense form's 4
// bytes an entry; and the rows' potentials and scalings, 16 bytes a row.
func KernelBytes(rows, m int, density float64) int64 {
	n := int64(rows)
	entries := n * int64(m)
	if density < SparseDensity {
		nz := int64(math.Round(density * float64(entries)))
		return 8*nz + 8*(n+1) + 16*n
	}
	return 4*entries + 16*n
}
