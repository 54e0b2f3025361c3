package ot

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// TestNarrowColumnsBoundary: at M = 65535 and 65536 target points a sparse
// block keeps its columns in 16 bits (column 65535, the widest a uint16
// holds, among them at 65536), at 65537 in 32 bits; KernelBytes counts 6
// and 8 bytes an entry accordingly; each block's iterations and finish agree
// bit for bit with the same kernel's 32-bit form run by oneRowKernels, as
// do those of its kernel's state handed to another block (NewKernelBlock),
// which rejects the state with its columns in the other width.
func TestNarrowColumnsBoundary(t *testing.T) {
	for _, m := range []int{MaxNarrowCols - 1, MaxNarrowCols, MaxNarrowCols + 1} {
		t.Run(fmt.Sprint(m), func(t *testing.T) {
			p := clustered(9, 8, m, 3, 2, 3, 4)
			// The last target point on the first source point: its
			// column holds the first row's largest entry.
			copy(p.Xt[(m-1)*p.D:m*p.D], p.Xs[:p.D])
			blk, _ := logitKernelBlock(t, p, 8, 0.1)
			narrow := m <= MaxNarrowCols
			narrowCols = 0 // the reference: the same kernel, 32-bit columns
			ref, _ := logitKernelBlock(t, p, 8, 0.1)
			narrowCols = MaxNarrowCols
			if !blk.sparse || !ref.sparse || ref.sc16 != nil {
				t.Fatalf("sparse %v, reference sparse %v with %d 16-bit columns", blk.sparse, ref.sparse, len(ref.sc16))
			}
			if narrow {
				if blk.sc != nil || len(blk.sc16) != len(ref.sc) {
					t.Fatalf("%d 32-bit and %d 16-bit columns, want %d 16-bit", len(blk.sc), len(blk.sc16), len(ref.sc))
				}
				for k, j := range ref.sc {
					if int(blk.sc16[k]) != int(j) {
						t.Fatalf("entry %d: column %d, want %d", k, blk.sc16[k], j)
					}
				}
			} else if blk.sc16 != nil || !slices.Equal(blk.sc, ref.sc) {
				t.Fatalf("%d 16-bit columns, 32-bit ones equal to the reference's: %v", len(blk.sc16), slices.Equal(blk.sc, ref.sc))
			}
			if !slices.Contains(ref.sc, int32(m-1)) {
				t.Fatalf("the last column %d holds no stored entry", m-1)
			}
			per := 8
			if narrow {
				per = 6
			}
			if got, want := KernelBytes(8, m, blk.density()), int64(per*len(blk.sv)+8*9+16*8); got != want {
				t.Errorf("KernelBytes %d, want %d", got, want)
			}
			s, err := blk.Kernel()
			if err != nil {
				t.Fatal(err)
			}
			c := *s
			c.Values, c.Cols, c.Cols16, c.Starts = slices.Clone(s.Values), slices.Clone(s.Cols), slices.Clone(s.Cols16), slices.Clone(s.Starts)
			lent, err := NewKernelBlock(p, NewTarget(p), &c)
			if err != nil {
				t.Fatal(err)
			}
			// The other width is rejected.
			w := c
			if narrow {
				w.Cols, w.Cols16 = make([]int32, len(c.Cols16)), nil
			} else {
				w.Cols, w.Cols16 = nil, make([]uint16, len(c.Cols))
			}
			if _, err := NewKernelBlock(p, NewTarget(p), &w); err == nil {
				t.Errorf("a kernel state with columns of the other width accepted")
			}
			v := make([]float64, m)
			for j := range v {
				v[j] = 0.5 + float64(j%7)/8
			}
			v[m-1] = 3
			for it := range 3 {
				op := &Op{Kind: OpIterate, V: v, Omega: 1}
				r := doAll(t, op, blk, lent)
				got, again := r[0], r[1]
				SetKernels(oneRowKernels)
				want := doAll(t, op, ref)[0]
				SetKernels(Kernels{})
				sameReply(t, fmt.Sprintf("iteration %d", it), got, want)
				sameReply(t, fmt.Sprintf("iteration %d, handed off", it), again, want)
			}
			g := make([]float64, m)
			op := &Op{Kind: OpFinish, V: v, G: g}
			r := doAll(t, op, blk, ref)
			got, want := r[0], r[1]
			sameReply(t, "finish", got, want)
			if math.Float64bits(got.Sum) != math.Float64bits(want.Sum) {
				t.Errorf("finish: cost %v, want %v", got.Sum, want.Sum)
			}
		})
	}
}

// TestNarrowColumnsEmptyBlock: a sparse block with 16-bit columns whose
// every entry an absorb flushed (scalings of 1e-300) holds no entry and
// stays in the 16-bit form; its kernel's state, handed to another block,
// gives the same iteration (every row zero), as it does with 32-bit
// columns.
func TestNarrowColumnsEmptyBlock(t *testing.T) {
	t.Run("16", func(t *testing.T) { testEmptyBlock(t, true) })
	t.Run("32", func(t *testing.T) {
		narrowCols = 0
		defer func() { narrowCols = MaxNarrowCols }()
		testEmptyBlock(t, false)
	})
}

func testEmptyBlock(t *testing.T, narrow bool) {
	p := clustered(9, 8, 300, 3, 2, 3, 4)
	blk, _ := logitKernelBlock(t, p, 8, 0.1)
	if !blk.sparse || (blk.sc16 != nil) != narrow {
		t.Fatalf("16-bit %v: sparse %v, %d 16-bit columns", narrow, blk.sparse, len(blk.sc16))
	}
	tiny := make([]float64, p.M)
	for j := range tiny {
		tiny[j] = 1e-300
	}
	if _, err := blk.Do(&Op{Kind: OpAbsorb, V: tiny}); err != nil {
		t.Fatal(err)
	}
	if len(blk.sv) != 0 || blk.sp[len(blk.sp)-1] != 0 || (blk.sc16 != nil) != narrow || (blk.sc != nil) == narrow {
		t.Fatalf("16-bit %v: %d entries left, 16-bit columns %v, 32-bit %v", narrow, len(blk.sv), blk.sc16 != nil, blk.sc != nil)
	}
	s, err := blk.Kernel()
	if err != nil {
		t.Fatal(err)
	}
	c := *s
	c.Cols, c.Cols16 = nil, nil // as lentBlock may get them: empty
	lent, err := NewKernelBlock(p, NewTarget(p), &c)
	if err != nil {
		t.Fatalf("16-bit %v: %v", narrow, err)
	}
	v := make([]float64, p.M)
	for j := range v {
		v[j] = 1
	}
	r := doAll(t, &Op{Kind: OpIterate, V: v, Omega: 1}, blk, lent)
	got, again := r[0], r[1]
	if got.Zero != 8 {
		t.Errorf("16-bit %v: %d zero rows, want 8", narrow, got.Zero)
	}
	sameReply(t, "handed off", again, got)
}

// doAll runs op on each block in turn and returns their replies, failing
// the test on an error.
func doAll(t *testing.T, op *Op, blocks ...*Block) []*Reply {
	t.Helper()
	reps := make([]*Reply, len(blocks))
	for i, b := range blocks {
		r, err := b.Do(op)
		if err != nil {
			t.Fatal(err)
		}
		reps[i] = r
	}
	return reps
}
