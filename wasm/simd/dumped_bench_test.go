//go:build js && wasm

package simd

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/otceseg/otceseg/core/emd"
	"github.com/otceseg/otceseg/core/maps"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/ot/dumptest"
)

// dumpedProblem is the problem of a dumped repetition (dumptest.Read), as
// core/ot's benchmarks build it.
func dumpedProblem(tb testing.TB, dir string) *ot.Problem {
	r := dumptest.Read(tb, dir)
	return &ot.Problem{N: r.N, M: r.N, D: r.D, Xs: r.Xs, Ys: r.Ys, Xt: r.Xt, Yt: r.Yt, La: r.La, Lb: r.Lb}
}

// errTimed stops the solve once iterTimer has timed its iteration.
var errTimed = errors.New("timed")

// iterTimer is LocalBlocks that, at the at-th iteration whose blocks all
// hold a sparse kernel (the trained logits' only stage), times, rounds
// times interleaved, one OpIterate over all the blocks on this one thread
// as the page's workers run it (Block.Do, then ReduceIterate over the
// replies), and its kernels alone on the same rows (SparseRowSums and
// ScatterSparseRows, or their 16-bit forms, a chunk of 64 rows a call as
// the blocks call them), installed and in Go; then it stops the solve.
type iterTimer struct {
	*ot.LocalBlocks
	p          *ot.Problem
	at, rounds int
	seen       int
	ms         map[string]float64 // medians
	entries    int
}

func (s *iterTimer) Do(op *ot.Op) ([]*ot.Reply, error) {
	if op.Kind != ot.OpIterate {
		return s.LocalBlocks.Do(op)
	}
	var states []*ot.KernelState
	for _, b := range s.Blocks {
		k, err := b.Kernel()
		if err != nil || k.Dense != nil {
			return s.LocalBlocks.Do(op)
		}
		states = append(states, k)
	}
	if s.seen++; s.seen < s.at {
		return s.LocalBlocks.Do(op)
	}
	for _, k := range states {
		s.entries += len(k.Values)
	}
	seg := make([]int, s.p.Lb+1)
	for _, y := range s.p.Yt {
		seg[y+1]++
	}
	for c := 1; c <= s.p.Lb; c++ {
		seg[c] += seg[c-1]
	}
	const chunk = 64
	lb := len(seg) - 1
	sums, totals := make([]float64, chunk*lb), make([]float64, chunk)
	a, col := make([]float64, chunk), make([]float64, s.p.M)
	for r := range a {
		a[r] = 1 / float64(s.p.N)
	}
	ref := ot.GoKernels()
	// kernels runs k's SparseRowSums and, with scatter, then its
	// ScatterSparseRows (or their 16-bit forms) on every chunk of every
	// block, as the blocks do (the scatter reads the chunk from the cache
	// after the class sums), and returns the CPU milliseconds taken.
	kernels := func(k ot.Kernels, scatter bool) float64 {
		clear(col)
		t0 := cpuNanos()
		for _, st := range states {
			for r0 := 0; r0 < len(st.Starts)-1; r0 += chunk {
				r1 := min(r0+chunk, len(st.Starts)-1)
				sp := st.Starts[r0 : r1+1]
				if st.Cols16 != nil {
					k.SparseRowSums16(sums[:(r1-r0)*lb], totals[:r1-r0], st.Values, st.Cols16, sp, op.V, seg)
				} else {
					k.SparseRowSums(sums[:(r1-r0)*lb], totals[:r1-r0], st.Values, st.Cols, sp, op.V, seg)
				}
				switch {
				case !scatter:
				case st.Cols16 != nil:
					k.ScatterSparseRows16(col, a[:r1-r0], st.Values, st.Cols16, sp)
				default:
					k.ScatterSparseRows(col, a[:r1-r0], st.Values, st.Cols, sp)
				}
			}
		}
		return (cpuNanos() - t0) / 1e6
	}
	times := make(map[string][]float64)
	var reps []*ot.Reply
	for range s.rounds {
		t0 := cpuNanos()
		reps = reps[:0]
		for _, b := range s.Blocks {
			r, err := b.Do(op)
			if err != nil {
				return nil, err
			}
			reps = append(reps, r)
		}
		t1 := cpuNanos()
		if _, err := ot.ReduceIterate(reps); err != nil {
			return nil, err
		}
		times["blocks"] = append(times["blocks"], (t1-t0)/1e6)
		times["reduce"] = append(times["reduce"], (cpuNanos()-t1)/1e6)
		for _, k := range []struct {
			name string
			k    ot.Kernels
		}{{"", Kernels()}, {"go-", ref}} {
			times[k.name+"rowsums"] = append(times[k.name+"rowsums"], kernels(k.k, false))
			times[k.name+"kernels"] = append(times[k.name+"kernels"], kernels(k.k, true))
		}
	}
	s.ms = map[string]float64{}
	for name, t := range times {
		slices.Sort(t)
		s.ms[name] = t[len(t)/2]
	}
	return nil, errTimed
}

// BenchmarkDumpedIteration times one Sinkhorn iteration of the page on a
// repetition dumped by the CLI (otce score … --dump-sample DIR; OTCE_DUMP
// names DIR/candidate/rep0, skipped without it), at the authors' setting
// (raw cost, ε = 0.1, warm-started from the exact plan, as core/ot's
// BenchmarkDumped), with the SIMD kernels installed as the page installs
// them: at the 50th iteration of the sparse stage, one OpIterate over all
// the blocks on this one thread (blocks-ms: Block.Do, the page's
// per-block work; reduce-ms: ReduceIterate, the sampler's sum of the 16
// replies), and its sparse kernels alone, a chunk of rows at a time as
// the blocks call them (kernels-ms: the class sums then the scatter;
// rowsums-ms: the class sums only; go-…: core/ot's Go kernels compiled to
// WebAssembly, for reference), each the median of 15 interleaved rounds,
// in the process's CPU time (Node's process.cpuUsage: a shared machine's
// load disturbs it less than the wall time). kernels-ms less rowsums-ms is
// the scatter (from the cache, after the class sums); blocks-ms less
// kernels-ms the Go code of the rows (their scalings, the joint
// table). For example, on logits of trained networks (the second round's
// export, d = 7, N = 10⁴):
//
//	otce score --source-features S01_src.npz --target-features S01_tgt.npz --n 10000 --k 1 --seed 1 --metrics otce --dump-sample DIR
//	GOOS=js GOARCH=wasm go test -c -o simd.test.wasm ./wasm/simd
//	OTCE_DUMP=DIR/candidate/rep0 wasm/simd/testdata/go_js_wasm_exec simd.test.wasm -test.run '^$' -test.bench DumpedIteration -test.benchtime 1x
func BenchmarkDumpedIteration(b *testing.B) {
	dir := os.Getenv("OTCE_DUMP")
	if dir == "" {
		b.Skip("OTCE_DUMP is not set")
	}
	p := dumpedProblem(b, dir)
	if !Install() {
		b.Fatal("the SIMD module did not load (run with wasm/simd/testdata/go_js_wasm_exec)")
	}
	defer func() {
		ot.SetKernels(ot.Kernels{})
		emd.SetKernels(emd.Kernels{})
		maps.SetKernels(maps.Kernels{})
	}()
	prm := ot.Params{Eps: 0.1, CostNorm: ot.NormNone, Tol: 1e-6, MaxIter: 10000, ScoreTol: 1e-4, WarmStart: true}
	var t *iterTimer
	for range b.N {
		t = &iterTimer{LocalBlocks: ot.NewLocalBlocks(p, 1), p: p, at: 50, rounds: 15}
		if _, err := ot.Solve(context.Background(), t, p, prm); !errors.Is(err, errTimed) {
			b.Fatalf("the solve ended before its 50th sparse iteration: %v", err)
		}
	}
	for name, ms := range t.ms {
		b.ReportMetric(ms, name+"-ms")
	}
	b.ReportMetric(float64(t.entries), "entries")
}
