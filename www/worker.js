// A worker's boot: wasm_exec.js is already imported by the blob: bootstrap.
// The page sends the compiled module; the Go program (wasm/worker) then
// installs its own message handler and posts {Ready: true}.
"use strict";

self.onmessage = (e) => {
  const mod = e.data && e.data.boot;
  if (!mod) return;
  self.onmessage = null;
  // Held for the worker's whole life: the page learns of the worker's death,
  // however it comes, when its own request for this lock is granted. The
  // lock is held before the Go program starts (and says Ready).
  const held = (self.navigator && navigator.locks) ?
    new Promise((resolve) => navigator.locks.request("otce-alive-" + self.name, () => { resolve(); return new Promise(() => {}); })) :
    Promise.resolve();
  const go = new Go();
  held.then(() => WebAssembly.instantiate(mod, go.importObject))
    .then((inst) => {
      // For the benchmark harness: this worker's wasm memory (it only grows: the peak).
      self.otceWasmMemory = () => inst.exports.mem.buffer.byteLength;
      return go.run(inst);
    })
    .then(() => self.postMessage({ Fatal: "the worker's Go program stopped (out of memory?)" }))
    .catch((err) => self.postMessage({ Fatal: "the worker failed: " + (err && err.message ? err.message : String(err)) }));
};
