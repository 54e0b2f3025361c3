//go:build js && wasm

package main

import (
	"runtime/debug"
	"runtime/metrics"
)

// A WebAssembly memory never shrinks, so what the heap reaches once, the
// worker keeps until the page drops it. The collector lets the heap grow by
// GOGC percent of the live heap before it collects: on a large problem's
// heap, the cost rows of N = 10⁴ (up to 400 MB in the sampler), 10 % is
// 40 MB of garbage that grows the memory for nothing. tightenGC lowers the
// percentage on a large heap so that the growth stays about gcSlack, and
// gives it back on a small one.
//
// (Letting the garbage of the iterations fill the heap's free pages
// instead, which the memory has already, took 980 collections down to 57
// in the sampler at d = 19, N = 10⁴, but the objects that then outlived a
// repetition in the middle of those pages cost the other worker 47 MB more
// memory for the next repetition's cost rows, which need their pages in
// one piece. Blocks reuse their iteration buffers instead: 260
// collections.)

// gcPercent is the collector's target (GOGC) on a small heap. The live heap
// is mostly pointer-free rows, cheap to mark, so collecting early is cheap,
// as in the CLI (cmd/otce gcPercent).
const gcPercent = 10

// gcSlack is the most garbage, in bytes, a large heap gathers between
// collections: a few messages of an iteration at N = 10⁴.
const gcSlack = 8 << 20

var (
	gcLive = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	gcSet  = -1 // the percentage last set
)

// tightenGC sets the collector's percentage for the live heap the last
// collection found (gcPercentFor). A call costs a read of the runtime's
// heap statistics (microseconds); call it after the operations that
// allocate or drop rows, and often enough that the percentage follows the
// heap.
func tightenGC() {
	metrics.Read(gcLive)
	pct := gcPercent
	if gcLive[0].Value.Kind() == metrics.KindUint64 {
		pct = gcPercentFor(gcLive[0].Value.Uint64())
	}
	if pct != gcSet {
		debug.SetGCPercent(pct)
		gcSet = pct
	}
}

// gcPercentFor is the percentage for a live heap of the given bytes: the
// heap grows by min(gcPercent % of it, gcSlack) before the next
// collection, and the percentage is at least 1.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return gcPercent
	}
	return int(max(1, min(gcPercent, 100*gcSlack/live)))
}
