//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/otceseg/otceseg/core/schedule"
)

// The memory model and the scheduling are package schedule's; the page only
// lets a test override some of its decisions.

// exactOnPool is globalThis.otceExactOnPool when a test sets it (true
// forces the exact plan over the pool's blocks, false keeps it in the
// sampler), else nil: schedule.ExactOnPool decides in the worker.
func exactOnPool() *bool {
	if v := js.Global().Get("otceExactOnPool"); v.Type() == js.TypeBoolean {
		b := v.Bool()
		return &b
	}
	return nil
}

// localLimit is schedule.LocalSolveMax, or globalThis.otceLocalSolveMax
// when a test sets it (0 sends every problem to the pool).
func localLimit() int64 {
	if v := js.Global().Get("otceLocalSolveMax"); v.Type() == js.TypeNumber {
		return int64(v.Float())
	}
	return schedule.LocalSolveMax
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

// gatherMin is globalThis.otceGatherMin when a test sets it (the least
// cost, in bytes, for which the other workers give the sampler their cost
// rows as they compute them: schedule.Gather), else 0: the default.
func gatherMin() int64 {
	if v := js.Global().Get("otceGatherMin"); v.Type() == js.TypeNumber {
		return int64(v.Float())
	}
	return 0
}

// iterateHereMax is globalThis.otceIterateHereMax when a test sets it
// (schedule.IterateHere's limit: positive, the most bytes of the other
// workers' kernels for which the sampler takes their blocks and iterates
// over all of them itself, without timing the iterations first; negative:
// never), else 0: the default.
func iterateHereMax() int64 {
	if v := js.Global().Get("otceIterateHereMax"); v.Type() == js.TypeNumber {
		return int64(v.Float())
	}
	return 0
}

// readAheadMax is globalThis.otceReadAheadMax when a test sets it (the
// most bytes a worker reads ahead of a file's reads going forward,
// blobfile.SetAheadMax: negative none), else 0: the default.
func readAheadMax() int64 {
	if v := js.Global().Get("otceReadAheadMax"); v.Type() == js.TypeNumber {
		return int64(v.Float())
	}
	return 0
}

// swapCost is globalThis.otceSwapCost when a test sets it to true
// (proto.Score.SwapCost: the gathered cost's blocks swapped between the
// sampler and another worker), else false.
func swapCost() bool {
	return js.Global().Get("otceSwapCost").Truthy()
}

// overlapWanted is false when a test or a benchmark sets
// globalThis.otceOverlap to a falsy value (proto.Score.Overlap: the
// repetitions one after the other), else true: overlapped where
// schedule.PageOverlap allows it.
func overlapWanted() bool {
	v := js.Global().Get("otceOverlap")
	return v.IsUndefined() || v.Truthy()
}

// handOverMax is globalThis.otceHandOverMax when a test sets it
// (schedule.HandOver's limit), else 0: the default.
func handOverMax() int64 {
	if v := js.Global().Get("otceHandOverMax"); v.Type() == js.TypeNumber {
		return int64(v.Float())
	}
	return 0
}
