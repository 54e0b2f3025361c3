//go:build js && wasm

package main

import (
	"slices"
	"sync"
	"syscall/js"
	"testing"
	"time"
)

// TestOverlapTurns checks that the overlapped repetitions take a turn
// (the sampler's memory, the other workers) in the order of their
// tickets, whatever order they ask in.
func TestOverlapTurns(t *testing.T) {
	o := &overlap{bench: map[string]float64{}}
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for _, ticket := range []int{3, 1, 2, 0} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.take(&o.here, ticket)
			mu.Lock()
			order = append(order, ticket)
			mu.Unlock()
			o.pass(&o.here)
		}()
	}
	wg.Wait()
	if !slices.Equal(order, []int{0, 1, 2, 3}) {
		t.Errorf("the turns went to tickets %v", order)
	}
}

// TestOverlapYield checks that a CPU-bound loop that calls overlap.yield
// (the next repetition's cost, exact plan and kernel in the sampler) lets
// a goroutine woken by the event loop run meanwhile (the iterating
// repetition's driver, woken by the other workers' answers): here a chain
// of messages through a MessageChannel, each sent when the one before
// came, which moves only while the loop yields. It logs a yield's cost
// under Node, alone and with the chain's work.
func TestOverlapYield(t *testing.T) {
	o := &overlap{bench: map[string]float64{}, iterating: 1}
	const chain = 20
	got := make(chan struct{}, 1)
	ch := js.Global().Get("MessageChannel").New()
	fn := js.FuncOf(func(js.Value, []js.Value) any {
		got <- struct{}{}
		return nil
	})
	defer fn.Release()
	ch.Get("port1").Set("onmessage", fn)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range chain {
			ch.Get("port2").Call("postMessage", nil)
			<-got
		}
	}()
	spins := 0
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		// About 0.1 ms of work, then a yield if one is due.
		for t0 := time.Now(); time.Since(t0) < 100*time.Microsecond; {
		}
		o.yield()
		if spins++; spins > 1e6 {
			t.Fatalf("the chain of %d messages did not finish in %d rounds of work: %v yields", chain, spins, o.bench["overlap:yield:n"])
		}
	}
	n := o.bench["overlap:yield:n"]
	if n < 1 {
		t.Errorf("no yield while a chain of %d messages went through", chain)
	}
	t.Logf("%v yields in %d rounds of 0.1 ms of work while a chain of %d messages went through: %.3f ms each", n, spins, chain, 1e3*o.bench["overlap:yield"]/n)
	// A yield's own cost, nothing else to run.
	const bare = 1000
	t0 := time.Now()
	for range bare {
		yieldJS()
	}
	t.Logf("a yield alone: %.4f ms (%d under Node)", 1e3*time.Since(t0).Seconds()/bare, bare)
	o.iterating = 0
	before := o.bench["overlap:yield:n"]
	o.lastYield = time.Time{}
	o.yield()
	if o.bench["overlap:yield:n"] != before {
		t.Error("a yield with no repetition iterating elsewhere")
	}
}
