// Go's wasm_exec_node.js with the host side of wasm/simd, as www/worker.js
// has it: the "otcesimd" imports are trampolines into the SIMD instance that
// globalThis.otceSIMDLoad(bytes) creates on the Go module's memory.
// Usage: node exec.js GOROOT/lib/wasm test.wasm [arguments]
"use strict";

const wasmDir = process.argv[2];
process.argv.splice(2, 1);

globalThis.require = require;
globalThis.fs = require("fs");
globalThis.path = require("path");
globalThis.TextEncoder = require("util").TextEncoder;
globalThis.TextDecoder = require("util").TextDecoder;
globalThis.performance ??= require("performance");
globalThis.crypto ??= require("crypto");

require(path.join(wasmDir, "wasm_exec.js"));

const go = new Go();
go.argv = process.argv.slice(2);
go.env = Object.assign({ TMPDIR: require("os").tmpdir() }, process.env);
go.exit = process.exit;

// The same lines as in www/worker.js.
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

WebAssembly.instantiate(fs.readFileSync(process.argv[2]), importObject).then((result) => {
  const mem = result.instance.exports.mem;
  globalThis.otceSIMDLoad = (bytes) => {
    if (process.env.OTCE_NO_SIMD || !WebAssembly.validate(bytes)) return false;
    simd = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } }).exports;
    return true;
  };
  process.on("exit", (code) => { // Node.js exits if no event handler is pending
    if (code === 0 && !go.exited) {
      // deadlock, make Go print error and stack traces
      go._pendingEvent = { id: 0 };
      go._resume();
    }
  });
  return go.run(result.instance);
}).catch((err) => {
  console.error(err);
  process.exit(1);
});
