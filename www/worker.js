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
  // The SIMD kernels (package wasm/simd): the Go program imports them as
  // "otcesimd" functions, trampolines into the SIMD module's instance, which
  // the Go program creates at start through otceSIMDLoad(bytes), on its own
  // memory. Until then, or without SIMD128 support (WebAssembly.validate
  // rejects the bytes), the Go program keeps its pure-Go kernels and never
  // calls them.
  const unloaded = () => { throw new Error("otcesimd: the SIMD module is not loaded"); };
  let simd = { sqdist: unloaded, dot32: unloaded, axpy32: unloaded, segdot32: unloaded, kernelrow: unloaded, segdotsparse: unloaded, scattersparse: unloaded, absorbrow: unloaded, segdotsparserows: unloaded, scattersparserows: unloaded, scan: unloaded, minmax32: unloaded, maxslack: unloaded, hist16: unloaded, rowtop: unloaded, compactrow: unloaded, rowstats: unloaded, classweights: unloaded, classties: unloaded, segdotsparse16: unloaded, scattersparse16: unloaded, segdotsparserows16: unloaded, scattersparserows16: unloaded, compactrow16: unloaded };
  const importObject = Object.assign({}, go.importObject, { otcesimd: {
    sqdist: (o, x, nx, y, ny, n, m, d, s) => simd.sqdist(o, x, nx, y, ny, n, m, d, s),
    dot32: (k, v, n) => simd.dot32(k, v, n),
    axpy32: (y, a, k, n) => simd.axpy32(y, a, k, n),
    segdot32: (s, r, v, g, lb) => simd.segdot32(s, r, v, g, lb),
    kernelrow: (r, g, n, fi, inv, eps, fl) => simd.kernelrow(r, g, n, fi, inv, eps, fl),
    segdotsparse: (s, sv, sc, v, g, nnz, lb) => simd.segdotsparse(s, sv, sc, v, g, nnz, lb),
    scattersparse: (c, a, sv, sc, nnz) => simd.scattersparse(c, a, sv, sc, nnz),
    absorbrow: (r, v, n, ui, lo, sq) => simd.absorbrow(r, v, n, ui, lo, sq),
    segdotsparserows: (s, t, sv, sc, sp, v, g, n, lb) => simd.segdotsparserows(s, t, sv, sc, sp, v, g, n, lb),
    scattersparserows: (c, a, sv, sc, sp, n) => simd.scattersparserows(c, a, sv, sc, sp, n),
    scan: (v, i, s, r, p, n, f) => simd.scan(v, i, s, r, p, n, f),
    minmax32: (x, n, o) => simd.minmax32(x, n, o),
    maxslack: (r, v, n, ui) => simd.maxslack(r, v, n, ui),
    hist16: (x, n, b, h) => simd.hist16(x, n, b, h),
    rowtop: (r, g, n, inv) => simd.rowtop(r, g, n, inv),
    compactrow: (sv, sc, r, n, room) => simd.compactrow(sv, sc, r, n, room),
    rowstats: (r, n, h, o) => simd.rowstats(r, n, h, o),
    classweights: (q, y, c, f, n, nq, inv, top, ie, t) => simd.classweights(q, y, c, f, n, nq, inv, top, ie, t),
    classties: (q, y, c, f, n, nq, inv, lim) => simd.classties(q, y, c, f, n, nq, inv, lim),
    segdotsparse16: (s, sv, sc, v, g, nnz, lb) => simd.segdotsparse16(s, sv, sc, v, g, nnz, lb),
    scattersparse16: (c, a, sv, sc, nnz) => simd.scattersparse16(c, a, sv, sc, nnz),
    segdotsparserows16: (s, t, sv, sc, sp, v, g, n, lb) => simd.segdotsparserows16(s, t, sv, sc, sp, v, g, n, lb),
    scattersparserows16: (c, a, sv, sc, sp, n) => simd.scattersparserows16(c, a, sv, sc, sp, n),
    compactrow16: (sv, sc, r, n, room) => simd.compactrow16(sv, sc, r, n, room),
  } });
  held.then(() => WebAssembly.instantiate(mod, importObject))
    .then((inst) => {
      // For the benchmark harness: this worker's wasm memory (it only grows: the peak).
      self.otceWasmMemory = () => inst.exports.mem.buffer.byteLength;
      self.otceSIMDLoad = (bytes) => {
        try {
          if (!WebAssembly.validate(bytes)) return false;
          simd = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: inst.exports.mem } }).exports;
          return true;
        } catch (err) {
          return false;
        }
      };
      return go.run(inst);
    })
    .then(() => self.postMessage({ Fatal: "the worker's Go program stopped (out of memory?)" }))
    .catch((err) => self.postMessage({ Fatal: "the worker failed: " + (err && err.message ? err.message : String(err)) }));
};
