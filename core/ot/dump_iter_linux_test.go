//go:build linux

package ot

import (
	"context"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/otceseg/otceseg/core/emd"
)

// threadCPU is the calling thread's CPU time (user + system): unlike the
// wall time, it leaves out the time other processes hold the core.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil { // RUSAGE_THREAD
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// stageTimer is LocalBlocks that, at the first iteration of the first
// dense and the first sparse stage, times one OpIterate over all the
// blocks on one thread with oneRowKernels and with the present kernels,
// interleaved (rounds times each), before the solve goes on; at the
// sparse stage also the present kernels on copies of the blocks whose
// columns are 32-bit (wide: as above MaxNarrowCols target points).
type stageTimer struct {
	*LocalBlocks
	tb            testing.TB
	rounds        int
	dense, sparse []time.Duration // medians: one-row, now (and now on 32-bit columns)
	entries       int             // the sparse kernel's entries at the first sparse iteration
}

func (s *stageTimer) ExactPlan(ctx context.Context, p *Problem) (*emd.Plan, error) {
	return ExactOverBlocks(ctx, s.LocalBlocks, p)
}

func (s *stageTimer) Do(op *Op) ([]*Reply, error) {
	if op.Kind == OpIterate {
		sparse := true
		for _, b := range s.Blocks {
			sparse = sparse && b.sparse
		}
		if sparse && s.sparse == nil {
			for _, b := range s.Blocks {
				s.entries += len(b.sv)
			}
			s.sparse = s.time(op)
		} else if !sparse && s.dense == nil {
			s.dense = s.time(op)
		}
	}
	return s.LocalBlocks.Do(op)
}

func (s *stageTimer) time(op *Op) []time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer SetKernels(Kernels{})
	sets := [][]*Block{s.Blocks, s.Blocks}
	if s.Blocks[0].sc16 != nil {
		sets = append(sets, wide(s.Blocks))
	}
	runs := make([][]time.Duration, len(sets))
	for range s.rounds {
		for i, blocks := range sets {
			SetKernels(Kernels{})
			if i == 0 {
				SetKernels(oneRowKernels)
			}
			t0 := threadCPU()
			for _, b := range blocks {
				if _, err := b.Do(op); err != nil {
					s.tb.Fatal(err)
				}
			}
			runs[i] = append(runs[i], threadCPU()-t0)
		}
	}
	med := make([]time.Duration, len(runs))
	for i := range runs {
		slices.Sort(runs[i])
		med[i] = runs[i][len(runs[i])/2]
	}
	return med
}

// wide returns copies of sparse blocks with 16-bit columns whose columns
// are 32-bit (sc instead of sc16), the same values and row starts, and
// row scalings of their own.
func wide(blocks []*Block) []*Block {
	out := make([]*Block, len(blocks))
	for i, b := range blocks {
		c := *b
		c.sc = make([]int32, len(b.sc16))
		for k, j := range b.sc16 {
			c.sc[k] = int32(j)
		}
		c.sc16 = nil
		c.u, c.f = slices.Clone(b.u), slices.Clone(b.f)
		c.colSum, c.joint, c.sums = nil, nil, nil
		out[i] = &c
	}
	return out
}

// BenchmarkDumpedIteration solves a repetition dumped by the CLI (as
// BenchmarkDumped, raw-sinkhorn; OTCE_DUMP names its folder, skipped
// without it) and reports the thread CPU milliseconds of one iteration
// over all the blocks on one thread, at the first iteration of the first
// dense and of the first sparse stage, with the kernels one row at a time
// (oneRowKernels: before the pairs) and now, and at the sparse stage now
// with 32-bit columns (sparse-now32-ms: the form before 16-bit columns),
// each the median of 15 interleaved runs:
//
//	OTCE_DUMP=build/dump/candidate/rep0 go test -run '^$' -bench DumpedIteration -benchtime 1x ./core/ot
func BenchmarkDumpedIteration(b *testing.B) {
	p := dumpedFromEnv(b)
	prm := rawSinkhorn
	var st *stageTimer
	var sol *Solution
	for range b.N {
		st = &stageTimer{LocalBlocks: NewLocalBlocks(p, 0), tb: b, rounds: 15}
		var err error
		if sol, err = Solve(context.Background(), st, p, prm); err != nil {
			b.Fatal(err)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	if st.dense != nil {
		b.ReportMetric(ms(st.dense[0]), "dense-one-row-ms")
		b.ReportMetric(ms(st.dense[1]), "dense-now-ms")
	}
	if st.sparse != nil {
		b.ReportMetric(ms(st.sparse[0]), "sparse-one-row-ms")
		b.ReportMetric(ms(st.sparse[1]), "sparse-now-ms")
		if len(st.sparse) > 2 {
			b.ReportMetric(ms(st.sparse[2]), "sparse-now32-ms")
		}
		b.ReportMetric(float64(st.entries), "sparse-entries")
	}
	b.ReportMetric(float64(sol.Iterations), "iterations")
	b.ReportMetric(sol.CE, "CE")
}
