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
// ascending (len(Starts) = Hi − Lo + 1); the columns are Cols16 instead
// (Cols nil) when the problem has at most MaxNarrowCols target points.
type KernelState struct {
	Lo, Hi int
	Eps    float64   // ε of the kernel
	F, U   []float64 // the rows' potentials f_i and scalings u_i
	Dense  []float32 // the dense form, or nil
	Values []float32 // the sparse form (Dense nil)
	Cols   []int32
	Cols16 []uint16
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
		s.Values, s.Cols, s.Cols16, s.Starts = b.sv, b.sc, b.sc16, b.sp
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
		if len(s.Dense) != n*m || s.Values != nil || s.Cols != nil || s.Cols16 != nil || s.Starts != nil {
			return nil, fmt.Errorf("ot: a dense kernel state of %d entries for %d×%d rows", len(s.Dense), n, m)
		}
		b.buf = s.Dense
		return b, nil
	}
	narrow := sparseCols(m)
	cols := len(s.Cols)
	if narrow {
		cols = len(s.Cols16)
	}
	if len(s.Starts) != n+1 || s.Starts[0] != 0 || s.Starts[n] != len(s.Values) || cols != len(s.Values) ||
		(narrow && s.Cols != nil) || (!narrow && s.Cols16 != nil) {
		return nil, fmt.Errorf("ot: a sparse kernel state of rows [%d, %d) with %d row starts, %d values and %d, %d columns (32, 16 bits) for %d target points",
			lo, hi, len(s.Starts), len(s.Values), len(s.Cols), len(s.Cols16), m)
	}
	var err error
	if narrow {
		err = checkCols(s.Cols16, s.Starts, lo, m)
	} else {
		err = checkCols(s.Cols, s.Starts, lo, m)
	}
	if err != nil {
		return nil, err
	}
	b.sparse, b.sv, b.sp = true, s.Values, s.Starts
	if narrow {
		b.sc16 = s.Cols16
		if b.sc16 == nil {
			b.sc16 = []uint16{} // no entry: still the 16-bit form
		}
	} else {
		b.sc = s.Cols
	}
	return b, nil
}

// checkCols checks the sparse rows of a kernel state of rows from lo:
// starts in order and within cols, and each row's columns ascending and
// within [0, m).
func checkCols[C colIndex](cols []C, starts []int, lo, m int) error {
	for r := 0; r+1 < len(starts); r++ {
		if starts[r+1] < starts[r] || starts[r+1] > len(cols) {
			return fmt.Errorf("ot: a sparse kernel state whose row %d ends before it starts or past its entries", lo+r)
		}
		prev := -1
		for _, c := range cols[starts[r]:starts[r+1]] {
			if j := int(c); j <= prev || j >= m {
				return fmt.Errorf("ot: a sparse kernel state whose row %d has column %d out of order or range", lo+r, j)
			}
			prev = int(c)
		}
	}
	return nil
}

// KernelBytes is the memory of a block of rows×m kernel entries whose
// reply to OpKernel or OpAbsorb gave the density (its Mass: the fraction
// of non-zero entries): the sparse form's SparseEntryBytes an entry (value
// and column: 6 bytes, or 8 above MaxNarrowCols columns) and 8 a row start
// below SparseDensity, else the dense form's 4 bytes an entry; and the
// rows' potentials and scalings, 16 bytes a row.
func KernelBytes(rows, m int, density float64) int64 {
	n := int64(rows)
	entries := n * int64(m)
	if density < SparseDensity {
		nz := int64(math.Round(density * float64(entries)))
		return int64(SparseEntryBytes(m))*nz + 8*(n+1) + 16*n
	}
	return 4*entries + 16*n
}
