//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/otceseg/otceseg/wasm/simd"
)

// simdOn reports whether the WebAssembly SIMD128 kernels (package wasm/simd,
// bit-identical to the pure-Go ones) replaced core/ot's hot loops: they do
// when the browser supports SIMD128 and the boot script (www/worker.js)
// offers the host side.
var simdOn = simd.Install()

func init() {
	// For the benchmark harness and the end-to-end test: which kernels run.
	js.Global().Set("otceSIMD", simdOn)
}
