//go:build js && wasm

package simd

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/otceseg/otceseg/core/emd"
	"github.com/otceseg/otceseg/core/ot"
)

// BenchmarkDumpedExact is core/ot's BenchmarkDumped/raw-emd as the page's
// sampler runs it: the exact plan of a repetition dumped by the CLI
// (otce score --dump-sample DIR; OTCE_DUMP names DIR/candidate/rep0,
// skipped without it) over the 16 row blocks of the dense cost, on one
// WebAssembly thread with the SIMD128 kernels installed (as the page's
// worker has them), through ot.ExactOverBlocks as the page's sampler calls
// it. It reports the exact plan's seconds (exact-s), Node's CPU seconds of
// it (cpu-s), the bidding rounds and plan-sha, the first 8 hex digits of
// the SHA-256 of the plan's columns and duals (U, V): the same plan bit
// for bit gives the same digits (natively, TestDumpedplanHash in core/ot
// prints the CLI's). For example:
//
//	GOOS=js GOARCH=wasm go test -c -o simd.test.wasm ./wasm/simd
//	OTCE_DUMP=build/dump/candidate/rep0 wasm/simd/testdata/go_js_wasm_exec simd.test.wasm -test.run '^$' -test.bench DumpedExact -test.benchtime 1x
func BenchmarkDumpedExact(b *testing.B) {
	dir := os.Getenv("OTCE_DUMP")
	if dir == "" {
		b.Skip("OTCE_DUMP is not set")
	}
	if os.Getenv("OTCE_NO_KERNELS") == "" && !Install() {
		b.Skip("no SIMD128 here")
	}
	defer ot.SetKernels(ot.Kernels{})
	defer emd.SetKernels(emd.Kernels{})
	p := dumpedProblem(b, dir)
	// Grow the wasm memory before the clock runs, as the page's sampler
	// has it from the repetitions before (memory.grow was up to a second
	// of a first solve's profile here).
	ballast := make([]byte, 256<<20)
	runtime.KeepAlive(ballast)
	ballast = nil
	runtime.GC()
	var plan *emd.Plan
	var sec, cpu float64
	for range b.N {
		lb := ot.NewLocalBlocks(p, 1)
		if _, err := lb.Do(&ot.Op{Kind: ot.OpCost}); err != nil {
			b.Fatal(err)
		}
		c0, t0 := cpuSeconds(), time.Now()
		var err error
		if plan, err = ot.ExactOverBlocks(context.Background(), lb, p); err != nil {
			b.Fatal(err)
		}
		sec += time.Since(t0).Seconds()
		cpu += cpuSeconds() - c0
	}
	b.ReportMetric(sec/float64(b.N), "exact-s")
	b.ReportMetric(cpu/float64(b.N), "cpu-s")
	b.ReportMetric(float64(plan.Iterations), "rounds")
	h := planHash(plan)
	b.ReportMetric(float64(binary.BigEndian.Uint32(h[:4])), "plan-sha")
	b.Logf("plan sha256 %x, cost %v, rounds %d", h, plan.Cost, plan.Iterations)
}

// planHash is the SHA-256 of an n×n exact plan's columns and duals (their
// bits, little-endian).
func planHash(plan *emd.Plan) [32]byte {
	h := sha256.New()
	for _, j := range plan.Cols {
		binary.Write(h, binary.LittleEndian, j)
	}
	for _, s := range [][]float64{plan.U, plan.V} {
		for _, x := range s {
			binary.Write(h, binary.LittleEndian, math.Float64bits(x))
		}
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}
