package ot

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/otceseg/otceseg/core/emd"
)

// handoffBlocks is LocalBlocks, except that after every OpKernel (or,
// with after > 0, after the after-th OpIterate since it, mid-solve) each
// block is replaced by a block built elsewhere from a copy of its state
// (NewKernelBlock over a Target of its own), as the browser's other workers
// hand the sampler their blocks once the kernel is small. It also checks
// KernelBytes of each block's reply to OpKernel against the state's slices.
type handoffBlocks struct {
	*LocalBlocks
	p       *Problem
	after   int
	iters   int // OpIterate since the last OpKernel
	handoff int // blocks replaced so far
	sparse  int // of which in the sparse form
	bytes   []string
}

func (h *handoffBlocks) Do(op *Op) ([]*Reply, error) {
	reps, err := h.LocalBlocks.Do(op)
	if err != nil {
		return reps, err
	}
	switch op.Kind {
	case OpKernel:
		h.iters = 0
		for i, b := range h.Blocks {
			s, err := b.Kernel()
			if err != nil {
				return nil, err
			}
			rows := int64(s.Hi - s.Lo)
			have := 4*int64(len(s.Dense)+len(s.Values)+len(s.Cols)) + 2*int64(len(s.Cols16)) + 8*int64(len(s.Starts)) + 16*rows
			if s.Dense == nil && len(s.Values) != len(s.Cols)+len(s.Cols16) {
				have = -1
			}
			if s.Dense == nil && (s.Cols16 != nil) != sparseCols(h.p.M) {
				h.bytes = append(h.bytes, fmt.Sprintf("rows [%d, %d): %d 32-bit and %d 16-bit columns for %d target points", s.Lo, s.Hi, len(s.Cols), len(s.Cols16), h.p.M))
			}
			if est := KernelBytes(s.Hi-s.Lo, h.p.M, reps[i].Mass); est != have {
				h.bytes = append(h.bytes, fmt.Sprintf("rows [%d, %d): KernelBytes %d, the state holds %d", s.Lo, s.Hi, est, have))
			}
		}
		if h.after == 0 {
			return reps, h.swap()
		}
	case OpIterate:
		if h.iters++; h.iters == h.after {
			return reps, h.swap()
		}
	}
	return reps, nil
}

// swap replaces every block by one built from a copy of its state.
func (h *handoffBlocks) swap() error {
	t := NewTarget(h.p)
	for i, b := range h.Blocks {
		s, err := b.Kernel()
		if err != nil {
			return err
		}
		c := *s
		c.F, c.U = slices.Clone(s.F), slices.Clone(s.U)
		c.Dense, c.Values, c.Cols, c.Cols16, c.Starts = slices.Clone(s.Dense), slices.Clone(s.Values), slices.Clone(s.Cols), slices.Clone(s.Cols16), slices.Clone(s.Starts)
		nb, err := NewKernelBlock(h.p, t, &c)
		if err != nil {
			return err
		}
		h.Blocks[i] = nb
		h.handoff++
		if s.Dense == nil {
			h.sparse++
		}
	}
	return nil
}

func (h *handoffBlocks) ExactPlan(ctx context.Context, p *Problem) (*emd.Plan, error) {
	return ExactOverBlocks(ctx, h, p)
}

// TestKernelHandoffSameBits: a solve whose blocks are rebuilt from their
// kernel's state after every OpKernel, or after the 40th iteration since
// it (NewKernelBlock), gives the solution
// of the blocks that built the kernel, bit for bit: sparse (raw cost, warm
// started from the exact plan) and dense (cost/max) kernels; the sparse
// form's columns in 16 bits, and in 32 (narrowCols lowered).
func TestKernelHandoffSameBits(t *testing.T) {
	t.Run("16", func(t *testing.T) { testKernelHandoff(t) })
	t.Run("32", func(t *testing.T) {
		narrowCols = 0
		defer func() { narrowCols = MaxNarrowCols }()
		testKernelHandoff(t)
	})
}

func testKernelHandoff(t *testing.T) {
	p := clustered(5, 600, 600, 12, 7, 7, 4)
	for _, c := range []struct {
		prm    Params
		sparse bool // the kernel's form
	}{
		{Params{Eps: 0.1, CostNorm: NormNone, Tol: 1e-6, MaxIter: 3000, ScoreTol: 1e-4, WarmStart: true}, true},
		// ε-scaling: dense at the first ε, sparse after a few stages.
		{Params{Eps: 0.1, CostNorm: NormNone, Tol: 1e-6, MaxIter: 3000, ScoreTol: 1e-4}, false},
		{Params{Eps: 0.05, CostNorm: NormMax, Tol: 1e-7, MaxIter: 3000}, false},
	} {
		prm := c.prm
		want, err := Solve(context.Background(), NewLocalBlocks(p, 2), p, prm)
		if err != nil {
			t.Fatal(err)
		}
		for _, after := range []int{0, 40} {
			h := &handoffBlocks{LocalBlocks: NewLocalBlocks(p, 2), p: p, after: after}
			got, err := Solve(context.Background(), h, p, prm)
			if err != nil {
				t.Fatal(err)
			}
			// At the kernel, sparse: every kernel handed off; dense: the
			// first ones at least (ε-scaling may build a later kernel at a
			// smaller ε, sparse). Mid-solve: some.
			if h.handoff == 0 || (after == 0 && (h.sparse == h.handoff) != c.sparse) {
				t.Fatalf("%s warm %v after %d: %d blocks handed off, %d of them sparse; want %s", prm.CostNorm, prm.WarmStart, after, h.handoff, h.sparse, map[bool]string{true: "all sparse", false: "some dense"}[c.sparse])
			}
			if len(h.bytes) > 0 {
				t.Errorf("%s warm %v: %v", prm.CostNorm, prm.WarmStart, h.bytes)
			}
			w := *want
			w.Seconds, got.Seconds = nil, nil
			if !reflect.DeepEqual(got, &w) {
				t.Errorf("%s warm %v after %d: handed-off blocks solved to CE %v WD %v in %d iterations, the blocks that built the kernel to %v %v in %d",
					prm.CostNorm, prm.WarmStart, after, got.CE, got.WD, got.Iterations, want.CE, want.WD, want.Iterations)
			}
			t.Logf("%s warm %v after %d: CE %v, %d iterations, %d blocks handed off, rebuilds %d, warm %v", prm.CostNorm, prm.WarmStart, after, got.CE, got.Iterations, h.handoff, got.Rebuilds, got.WarmStarted)
		}
	}
}

// TestNewKernelBlockRejects: states that do not fit the problem are errors.
func TestNewKernelBlockRejects(t *testing.T) {
	p := clustered(5, 100, 100, 4, 3, 3, 2)
	tg := NewTarget(p)
	b := NewBlock(p, tg, 0, 50)
	if _, err := b.Kernel(); err == nil {
		t.Error("a block without a kernel gave its state")
	}
	if _, err := b.Do(&Op{Kind: OpCost}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Do(&Op{Kind: OpKernel, G: make([]float64, p.M), Eps: 0.01, Scale: 1}); err != nil {
		t.Fatal(err)
	}
	s, err := b.Kernel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewKernelBlock(p, tg, s); err != nil {
		t.Fatalf("its own state: %v", err)
	}
	if s.Dense != nil || s.Cols16 == nil {
		t.Fatal("the kernel is not in the sparse form of 16-bit columns")
	}
	bad := []func(c *KernelState){
		func(c *KernelState) { c.Hi = p.N + 1 },
		func(c *KernelState) { c.Eps = 0 },
		func(c *KernelState) { c.F = c.F[1:] },
		func(c *KernelState) {
			if c.Dense != nil {
				c.Dense = c.Dense[1:]
			} else {
				c.Starts = c.Starts[1:]
			}
		},
		func(c *KernelState) {
			if c.Dense != nil {
				c.Values = []float32{1}
			} else {
				c.Cols16 = slices.Clone(c.Cols16)
				c.Cols16[0] = uint16(p.M)
			}
		},
		// 32-bit columns where the problem's are 16-bit.
		func(c *KernelState) {
			if c.Dense != nil {
				c.Values = []float32{1}
			} else {
				c.Cols = make([]int32, len(c.Cols16))
				c.Cols16 = nil
			}
		},
		// A row's end past the entries (the last row's start before it).
		func(c *KernelState) {
			if c.Dense != nil {
				c.Values = []float32{1}
			} else {
				c.Starts = slices.Clone(c.Starts)
				c.Starts[1] = len(c.Values) + 1
			}
		},
		// Columns out of order.
		func(c *KernelState) {
			if c.Dense != nil {
				c.Values = []float32{1}
			} else {
				c.Cols16 = slices.Clone(c.Cols16)
				for r := 0; r+1 < len(c.Starts); r++ {
					if k := c.Starts[r]; c.Starts[r+1]-k >= 2 {
						c.Cols16[k], c.Cols16[k+1] = c.Cols16[k+1], c.Cols16[k]
						return
					}
				}
			}
		},
	}
	for i, f := range bad {
		c := *s
		f(&c)
		if _, err := NewKernelBlock(p, tg, &c); err == nil {
			t.Errorf("bad state %d accepted", i)
		}
	}
}
