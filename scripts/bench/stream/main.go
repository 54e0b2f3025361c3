//go:build js && wasm

// Command stream is the browser's streaming limit for make bench: run in a
// web worker, it allocates rows×cols float32 (globalThis.streamRows,
// streamCols), fills them, times Sum (two passes) a few times and posts
// {seconds: best, bytes, memory} to the page. e2e/bench_test.go serves it.
package main

import (
	"syscall/js"
	"time"

	"github.com/otceseg/otceseg/scripts/bench/internal/stream"
)

func main() {
	g := js.Global()
	rows, cols := g.Get("streamRows").Int(), g.Get("streamCols").Int()
	a := make([]float32, rows*cols)
	stream.Fill(a)
	best := -1.0
	var sink float32
	for trial := 0; trial < 3; trial++ {
		t0 := time.Now()
		sink += stream.Sum(a)
		if s := time.Since(t0).Seconds(); best < 0 || s < best {
			best = s
		}
	}
	g.Call("postMessage", js.ValueOf(map[string]any{
		"seconds": best, "bytes": 4 * float64(len(a)), "sink": float64(sink),
	}))
}
