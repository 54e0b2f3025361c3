//go:build js && wasm

package main

import (
	"fmt"
	"syscall/js"

	"github.com/otceseg/otceseg/core/ot"
)

// workerBudget is the memory one worker may plan to use. A Go wasm instance
// has a 32-bit heap that ends near 4 GB, and dies for good when it runs out;
// the garbage collector and the message buffers need room beyond the live
// data, so plan for half of it.
const workerBudget = 2 << 30

// exactOnPool reports whether the exact plan of an n×m problem (--solver
// emd, or the warm start at a small ε) must run over the pool's row blocks
// (ot.ExactOverBlocks) because the dense cost does not fit in the sampler
// next to its blocks. On the pool each round of the auction is a round of
// messages, so it is much slower than the sampler alone: it is the way to
// solve what one worker cannot hold, not the default. A test forces it
// with globalThis.otceExactOnPool = true.
func exactOnPool(n, m, d, workers int) bool {
	if v := js.Global().Get("otceExactOnPool"); v.Type() == js.TypeBoolean {
		return v.Bool()
	}
	return workerBytesExact(n, m, d, workers, false) > workerBudget
}

// splitMinRows is globalThis.otceSplitMinRows when a test sets it (the
// fewest pending rows of the other workers' blocks for which the sampler
// shares a bidding round with them), else 0: the worker's default.
func splitMinRows() int {
	if v := js.Global().Get("otceSplitMinRows"); v.Type() == js.TypeNumber {
		return v.Int()
	}
	return 0
}

// workerBytesExact estimates the largest memory a worker needs to host its
// share of the blocks of an n×m problem of dimension d: its rows of the
// float32 kernel and their vectors (ot.MemoryBytes), its copy of the sampled
// features, and for the sampler the sample it keeps and, when the exact plan
// is solved there (onPool false), the cost rows of the other workers.
func workerBytesExact(n, m, d, workers int, onPool bool) int64 {
	part := ot.Partition(n)
	if workers > len(part) {
		workers = len(part)
	}
	var most int64
	for w, idx := range assign(len(part), workers) {
		rows := 0
		for _, b := range idx {
			rows += part[b][1] - part[b][0]
		}
		est := ot.MemoryBytes(rows, m, d)
		if w == 0 && !onPool {
			// For the exact plan (--solver emd, or the warm start at a
			// small ε) the sampler also builds the cost rows the other
			// workers host, with its own copy of the target features, and
			// the exact solver's arrays.
			est += 4*int64(n-rows)*int64(m) + 8*int64(m)*int64(d) + 64*int64(n+m)
		}
		if est > most {
			most = est
		}
	}
	features := 4 * int64(n+m) * int64(d)
	return most + 2*features + 64<<20 // + the Go runtime and the module
}

// largestN is the largest n ≤ limit whose blocks fit in the workers (the
// exact plan on the pool), or 0.
func largestN(d, workers, limit int) int {
	lo, hi := 0, limit
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if workerBytesExact(mid, mid, d, workers, true) <= workerBudget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// checkMemory refuses a problem that would not fit in the workers, with the
// largest N that fits.
func checkMemory(n, m, d, workers int) error {
	need := workerBytesExact(n, m, d, workers, true)
	if need <= workerBudget {
		return nil
	}
	msg := fmt.Sprintf("N = %d needs about %s per worker with %d worker(s), more than a browser worker can safely hold (%s). ",
		n, gb(need), workers, gb(workerBudget))
	if best := largestN(d, workers, n); best > 0 {
		msg += fmt.Sprintf("The largest N that fits with %d worker(s) is %d", workers, best)
	}
	if workers < 8 {
		if best := largestN(d, 8, n); best > 0 {
			msg += fmt.Sprintf("; with 8 workers, %d", best)
		}
	}
	//lint:ignore ST1005 a sentence shown to the person as it is
	return fmt.Errorf("%s.", msg)
}

func gb(b int64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%.1f GB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%d MB", b>>20)
}
