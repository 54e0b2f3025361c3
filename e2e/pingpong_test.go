package e2e

// TestPingPong is the message-round micro-benchmark: what one round of
// messages between two web workers costs (a request through a
// MessagePort and its answer), the unit of the page's Sinkhorn iterations
// over its pool (wasm/worker pool.go). It runs only when OTCE_PINGPONG
// names the number of timed rounds, so that `go test ./...` never runs it,
// and logs the milliseconds a round for each pair of ends: JavaScript only,
// and the Go program scripts/bench/pingpong (as the page's workers wait and
// answer, with the page's wasm_exec.js), beside the browser's nested
// setTimeout(0) in a worker and the time of a call from JavaScript
// into Go. With OTCE_PINGPONG_FILE naming a file, it also times reading it
// whole in a worker with FileReaderSync in slices of several sizes, and
// with Blob.arrayBuffer() with several slices in flight.
// OTCE_PINGPONG_OUT, when set, receives the results as JSON.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

const pingHTML = `<!doctype html><meta charset="utf-8"><title>pingpong</title>
<input type="file" id="file">
<script>
// runRead resolves to the milliseconds a worker takes to read the chosen
// file whole with FileReaderSync in slices of the given bytes (as
// wasm/internal/blobfile reads the slabs core/arrays asks for).
window.runRead = (slice, conc) => new Promise((resolve, reject) => {
  const w = new Worker("read-worker.js");
  w.onmessage = (e) => { w.terminate(); resolve(e.data); };
  w.onerror = (e) => reject(new Error(e.message));
  w.postMessage({file: document.getElementById("file").files[0], slice: slice, conc: conc});
});
// runPing starts two workers of the given kinds, joined by a MessageChannel,
// and resolves to the milliseconds of a round the ping side measured.
window.runPing = (ping, pong, cfg) => new Promise((resolve, reject) => {
  const ch = new MessageChannel();
  const a = new Worker(ping + "-worker.js"), b = new Worker(pong + "-worker.js");
  a.onmessage = (e) => { a.terminate(); b.terminate(); resolve(1e3 * e.data.seconds / e.data.rounds); };
  a.onerror = b.onerror = (e) => reject(new Error(e.message));
  a.postMessage({port: ch.port1, cfg: Object.assign({}, cfg, {role: "ping"})}, [ch.port1]);
  b.postMessage({port: ch.port2, cfg: Object.assign({}, cfg, {role: "pong"})}, [ch.port2]);
});
// runCalls resolves to the milliseconds of a call from JavaScript into a Go
// function that does nothing, in a worker of the given kind.
window.runCalls = (kind, n) => new Promise((resolve, reject) => {
  const w = new Worker(kind + "-worker.js");
  w.onmessage = (e) => { w.terminate(); resolve(1e3 * e.data.seconds / e.data.rounds); };
  w.onerror = (e) => reject(new Error(e.message));
  w.postMessage({port: null, cfg: {role: "call", rounds: n, bytes: 0, transfer: false, garbage: 0, heap: 0, timer: 0, work: 0}});
});
// runTimeouts resolves to the milliseconds of each of n nested setTimeout(0) in a worker.
window.runTimeouts = (n) => new Promise((resolve) => {
  const w = new Worker("timeout-worker.js");
  w.onmessage = (e) => { w.terminate(); resolve(e.data); };
  w.postMessage(n);
});
</script>`

const pingJSWorker = `onmessage = (e) => {
  onmessage = null;
  const port = e.data.port, cfg = e.data.cfg;
  const mk = () => cfg.bytes > 0 ? {b: new Uint8Array(cfg.bytes)} : {};
  const post = (o) => cfg.transfer && o.b ? port.postMessage(o, [o.b.buffer]) : port.postMessage(o);
  if (cfg.role === "pong") { port.onmessage = () => post(mk()); return; }
  let i = 0, t0 = 0;
  port.onmessage = () => {
    i++;
    if (i === 20) t0 = performance.now();
    if (i === 20 + cfg.rounds) { postMessage({seconds: (performance.now() - t0) / 1e3, rounds: cfg.rounds}); return; }
    post(mk());
  };
  post(mk());
};`

// pingGoWorker is the Go end's bootstrap.
const pingGoWorker = `importScripts("/wasm_exec.js");
onmessage = async (e) => {
  onmessage = null;
  self.ppPort = e.data.port; self.ppConfig = e.data.cfg;
  const go = new Go();
  const r = await WebAssembly.instantiateStreaming(fetch("pingpong.wasm"), go.importObject);
  go.run(r.instance);
  if (self.ppConfig.role !== "call") return;
  // The Go program waits now: time calls into it.
  const n = self.ppConfig.rounds, t0 = performance.now();
  for (let i = 0; i < n; i++) self.ppCall();
  postMessage({seconds: (performance.now() - t0) / 1e3, rounds: n});
};`

const readWorker = `onmessage = async (e) => {
  const f = e.data.file, slice = e.data.slice, conc = e.data.conc, r = new FileReaderSync();
  const t0 = performance.now();
  let sum = 0;
  if (conc > 0) {
    // Blob.arrayBuffer(), conc slices in flight.
    let next = 0;
    const one = async () => {
      while (next < f.size) {
        const off = next;
        next += slice;
        sum += new Uint8Array(await f.slice(off, Math.min(f.size, off + slice)).arrayBuffer())[0];
      }
    };
    await Promise.all(Array.from({length: conc}, one));
  } else {
    for (let off = 0; off < f.size; off += slice) {
      const ab = r.readAsArrayBuffer(f.slice(off, Math.min(f.size, off + slice)));
      sum += new Uint8Array(ab)[0];
    }
  }
  postMessage(performance.now() - t0 + 0 * sum);
};`

const timeoutWorker = `onmessage = (e) => {
  const n = e.data, out = [];
  let last = performance.now();
  const step = () => {
    const now = performance.now();
    out.push(now - last);
    last = now;
    if (out.length < n) setTimeout(step, 0); else postMessage(out);
  };
  setTimeout(step, 0);
};`

// pingResult is one pair of ends at one setting.
type pingResult struct {
	Ping, Pong string
	Bytes      int
	Garbage    int
	Heap       int
	Transfer   bool
	Timer      int
	Work       int
	MsPerRound []float64 // one per trial
}

func TestPingPong(t *testing.T) {
	v := os.Getenv("OTCE_PINGPONG")
	if v == "" {
		t.Skip("the message-round micro-benchmark runs when OTCE_PINGPONG names the rounds")
	}
	rounds, err := strconv.Atoi(v)
	if err != nil || rounds < 0 {
		t.Fatalf("OTCE_PINGPONG=%q: want a number of rounds (0: only the timeouts and the file)", v)
	}
	root, chrome, tmp, www := buildSite(t)
	dir := benchProgram(t, root, tmp, "pingpong", map[string]string{
		"index.html": pingHTML, "js-worker.js": pingJSWorker, "go-worker.js": pingGoWorker,
		"timeout-worker.js": timeoutWorker, "read-worker.js": readWorker,
	})
	mux := http.NewServeMux()
	mux.Handle("/pingpong/", http.StripPrefix("/pingpong/", http.FileServer(http.Dir(dir))))
	mux.Handle("/", http.FileServer(http.Dir(www)))
	site := httptest.NewServer(mux)
	defer site.Close()
	ctx, stop := unthrottledBrowser(t, chrome, filepath.Join(tmp, "profile"))
	defer stop()
	h := &harness{t: t, ctx: ctx}
	h.do(chromedp.Navigate(site.URL + "/pingpong/"))

	reads := map[string][]float64{}
	if f := os.Getenv("OTCE_PINGPONG_FILE"); f != "" {
		h.setFiles("file", []string{f})
		for _, conc := range []int{0, 1, 2, 4} {
			for _, slice := range []int{64 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20} {
				if conc > 0 && slice != 4<<20 {
					continue
				}
				key := fmt.Sprintf("%d KiB, %d async", slice>>10, conc)
				for range 3 {
					reads[key] = append(reads[key], eval[float64](h, fmt.Sprintf("runRead(%d, %d)", slice, conc)))
				}
				t.Logf("reading %s whole in slices of %s (0: FileReaderSync), ms: %.1f", filepath.Base(f), key, reads[key])
			}
		}
	}
	var calls []float64
	timeouts := eval[[]float64](h, "runTimeouts(12)")
	t.Logf("nested setTimeout(0) in a worker, ms each: %.2f", timeouts)

	for range 3 {
		if rounds > 0 {
			calls = append(calls, eval[float64](h, fmt.Sprintf(`runCalls("go", %d)`, 20*rounds)))
		}
	}
	t.Logf("a call from JavaScript into Go, ms: %.4f", calls)

	kinds := [][2]string{{"js", "js"}, {"go", "js"}, {"js", "go"}, {"go", "go"}}
	type setting struct {
		bytes    int
		transfer bool
		garbage  int
		heap     int
		timer    int
		work     int
	}
	settings := []setting{{0, false, 0, 0, 0, 0}, {80000, false, 0, 0, 0, 0}, {80000, true, 0, 0, 0, 0}, {80000, true, 1 << 20, 0, 0, 0},
		{80000, true, 256 << 10, 200, 0, 0}, {80000, true, 0, 0, 50, 0}, {80000, true, 1 << 20, 0, 0, 500}}
	var out []pingResult
	const trials = 3
	if rounds == 0 {
		settings = nil
	}
	for _, s := range settings {
		for _, k := range kinds {
			if k[0] == "js" && k[1] == "js" && (s.garbage > 0 || s.heap > 0 || s.timer > 0 || s.work > 0) {
				continue // nothing of Go's to measure
			}
			r := pingResult{Ping: k[0], Pong: k[1], Bytes: s.bytes, Transfer: s.transfer, Garbage: s.garbage, Heap: s.heap, Timer: s.timer, Work: s.work}
			for range trials {
				cfg := fmt.Sprintf(`{rounds: %d, bytes: %d, transfer: %v, garbage: %d, heap: %d, timer: %d, work: %d}`, rounds, s.bytes, s.transfer, s.garbage, s.heap, s.timer, s.work)
				r.MsPerRound = append(r.MsPerRound, eval[float64](h, fmt.Sprintf("runPing(%q, %q, %s)", k[0], k[1], cfg)))
			}
			t.Logf("%-2s → %-2s bytes %5d transfer %-5v garbage %7d heap %3d MB timer %2d ms work %3d µs: %.3f ms a round", k[0], k[1], s.bytes, s.transfer, s.garbage, s.heap, s.timer, s.work, r.MsPerRound)
			out = append(out, r)
		}
	}
	if p := os.Getenv("OTCE_PINGPONG_OUT"); p != "" {
		b, _ := json.MarshalIndent(map[string]any{"timeouts_ms": timeouts, "calls_ms": calls, "reads_ms": reads, "rounds": rounds, "results": out}, "", "  ")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Error(err)
		}
	}
}
