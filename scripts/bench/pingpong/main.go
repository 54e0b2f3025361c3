//go:build js && wasm

// Command pingpong is one end of the message-round micro-benchmark
// (e2e TestPingPong): run in a web worker, it exchanges rounds of messages
// with another worker through a MessagePort the way the page's sampler and
// its other worker do (wasm/worker: the sampler posts a request and waits
// on a channel its port's handler fills; the other worker's handler queues
// the request for its main goroutine, which answers on the port).
//
// The worker's bootstrap sets globalThis.ppPort (the port) and
// globalThis.ppConfig: role ("ping" or "pong"), rounds, bytes (a
// Uint8Array of that many bytes copied out of the Go memory with each
// message and back in on arrival, as wire does), garbage (bytes allocated
// and dropped each round, so that the collector runs as it does in an
// iteration), heap (megabytes of live pointer-free rows, with the
// collector's percentage set as wasm/worker's gc.go does on such a heap),
// transfer (the Uint8Array's buffer is transferred, as wire
// does, instead of copied by postMessage), timer (a goroutine sleeping in a loop of that many
// milliseconds, 0 none: a pending Go timer) and work (microseconds of busy
// work per round on each side). The ping side posts {seconds, rounds} to
// the page when it is done: the wall time of the rounds. Role "call" only
// sets globalThis.ppCall, a Go function that does nothing, for the
// bootstrap to time calls into Go.
package main

import (
	"runtime/debug"
	"sync"
	"syscall/js"
	"time"
)

var (
	sink []byte
	heap []float32
)

func main() {
	g := js.Global()
	cfg := g.Get("ppConfig")
	port := g.Get("ppPort")
	role := cfg.Get("role").String()
	rounds := cfg.Get("rounds").Int()
	size := cfg.Get("bytes").Int()
	garbage := cfg.Get("garbage").Int()
	transfer := cfg.Get("transfer").Truthy()
	if mb := cfg.Get("heap").Int(); mb > 0 {
		// A live heap of pointer-free rows, as a worker's kernel, and the
		// collector's percentage the worker sets on it (gc.go: about 8
		// MB of garbage between collections).
		heap = make([]float32, mb<<18)
		for i := range heap {
			heap[i] = float32(i)
		}
		debug.SetGCPercent(max(1, 800/mb))
	}
	work := time.Duration(cfg.Get("work").Int()) * time.Microsecond
	if ms := cfg.Get("timer").Int(); ms > 0 {
		go func() {
			for {
				time.Sleep(time.Duration(ms) * time.Millisecond)
			}
		}()
	}
	buf := make([]byte, size)
	u8 := g.Get("Uint8Array")
	// take reads a message as the worker would; reply makes the next.
	take := func(data js.Value) {
		if size > 0 {
			js.CopyBytesToGo(buf, data.Get("b"))
		}
	}
	post := func(o js.Value) {
		if transfer && size > 0 {
			port.Call("postMessage", o, []any{o.Get("b").Get("buffer")})
			return
		}
		port.Call("postMessage", o)
	}
	reply := func() js.Value {
		if garbage > 0 {
			sink = make([]byte, garbage)
		}
		for t0 := time.Now(); time.Since(t0) < work; {
		}
		o := g.Get("Object").New()
		if size > 0 {
			b := u8.New(size)
			js.CopyBytesToJS(b, buf)
			o.Set("b", b)
		}
		return o
	}
	if role == "call" {
		// The cost of one call from JavaScript into Go and back (the
		// bootstrap times its calls of ppCall), as a message's handler is.
		var n int
		g.Set("ppCall", js.FuncOf(func(_ js.Value, args []js.Value) any {
			n++
			return nil
		}))
		select {}
	}
	if role == "pong" {
		// As wasm/worker's main: the handler queues, the main goroutine answers.
		var (
			mu    sync.Mutex
			queue []js.Value
			wake  = make(chan struct{}, 1)
		)
		port.Set("onmessage", js.FuncOf(func(_ js.Value, args []js.Value) any {
			mu.Lock()
			queue = append(queue, args[0].Get("data"))
			mu.Unlock()
			select {
			case wake <- struct{}{}:
			default:
			}
			return nil
		}))
		for {
			<-wake
			for {
				mu.Lock()
				if len(queue) == 0 {
					mu.Unlock()
					break
				}
				m := queue[0]
				queue = queue[1:]
				mu.Unlock()
				take(m)
				post(reply())
			}
		}
	}
	// As wasm/worker's peer: the handler fills a channel the caller waits on.
	replies := make(chan js.Value, 1)
	port.Set("onmessage", js.FuncOf(func(_ js.Value, args []js.Value) any {
		replies <- args[0].Get("data")
		return nil
	}))
	// Warm-up rounds, untimed.
	for range 20 {
		post(reply())
		take(<-replies)
	}
	t0 := time.Now()
	for range rounds {
		post(reply())
		take(<-replies)
	}
	sec := time.Since(t0).Seconds()
	g.Call("postMessage", js.ValueOf(map[string]any{"seconds": sec, "rounds": rounds, "kept": len(sink) + len(heap)}))
	select {}
}
