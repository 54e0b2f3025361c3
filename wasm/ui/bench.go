//go:build js && wasm

package main

import (
	"sync"
	"syscall/js"
	"time"

	"github.com/otceseg/otceseg/core/report"
)

// The benchmark hook: where a run's time went, for the benchmark harness
// (make bench, e2e/bench_test.go), published as globalThis.otceTimings =
// {phases: {name: seconds}, iterations, repetitions}. Phases: "sample",
// "blocks" (each worker builds its kernel rows), "solve" (the whole solve),
// and "op:<kind>" (the solver's own per-operation seconds, ot.Solution.Seconds,
// messages to the workers included); on the pool also "busy:<kind>" and
// "here:<kind>" (the busiest worker's and the sampler's own seconds),
// "msg:post" and "msg:decode", "give" (cost rows moved to the sampler for
// the exact plan) and "shared:<kind>" (how many of the exact plan's
// operations the sampler shared with the other workers, ot.SplitBlocks),
// "host" (cost rows given back for the kernel), "take" (the other
// workers' kernels moved to the sampler for the iterations) with
// "take:MB", "take:pool-ms" and "take:here-ms" (their size, and an
// iteration's time over the pool and its work, schedule.IterateHere),
// "iterate:pool" (the iterations over the pool, before any take);
// "yield" and "yield:n" (the sampler's returns to the event loop between
// its own blocks while the others give theirs, and their seconds),
// "pipeline:taken" and "pipeline:given" (the cost's blocks the sampler
// computed for the other workers, and they for it), "read",
// "read:MB" and "read:calls" (the sampler's reads of the files).
// It costs nothing when nobody reads it.
var bench struct {
	mu          sync.Mutex // candidates may run side by side
	phases      map[string]float64
	iterations  int
	repetitions int
}

func benchReset() {
	bench.mu.Lock()
	defer bench.mu.Unlock()
	bench.phases = map[string]float64{}
	bench.iterations, bench.repetitions = 0, 0
	benchPublish()
}

func benchAdd(phase string, since time.Time) {
	bench.mu.Lock()
	defer bench.mu.Unlock()
	if bench.phases == nil {
		bench.phases = map[string]float64{}
	}
	bench.phases[phase] += time.Since(since).Seconds()
	benchPublish()
}

// benchSeconds adds sec to a phase.
func benchSeconds(phase string, sec float64) {
	bench.mu.Lock()
	defer bench.mu.Unlock()
	if bench.phases == nil {
		bench.phases = map[string]float64{}
	}
	bench.phases[phase] += sec
	benchPublish()
}

// benchReport adds a candidate's report scored in a worker (proto.Score):
// the solver's per-operation seconds, summed over its repetitions
// (diagnostics.phase_seconds), its iterations and repetitions.
func benchReport(r *report.Candidate) {
	bench.mu.Lock()
	defer bench.mu.Unlock()
	if bench.phases == nil {
		bench.phases = map[string]float64{}
	}
	for k, v := range r.Diagnostics.Phases {
		bench.phases["op:"+k] += v
	}
	for _, it := range r.Iterations {
		bench.iterations += it
	}
	bench.repetitions += len(r.Iterations)
	benchPublish()
}

func benchPublish() {
	ph := map[string]any{}
	for k, v := range bench.phases {
		ph[k] = v
	}
	js.Global().Set("otceTimings", js.ValueOf(map[string]any{
		"phases": ph, "iterations": bench.iterations, "repetitions": bench.repetitions,
	}))
}
