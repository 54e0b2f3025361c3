//go:build js && wasm

package simd

import (
	"context"
	"fmt"
	"syscall/js"
	"testing"

	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/maps"
	"github.com/otceseg/otceseg/core/maps/mapstest"
	"github.com/otceseg/otceseg/core/ot"
)

// BenchmarkImageMapSIMD is core/maps's BenchmarkImageMap (one 128×256
// feature grid against one repetition of N = 10⁴ source points, the same
// data) as the page's sampler runs it: in WebAssembly, one thread, with
// the SIMD128 kernels installed (ot.SetKernels: the cost tiles), at d = 19
// and 256 (each sub-benchmark builds its own data), with Node's CPU
// seconds an operation (cpu-s/op). Compare
// with `go test -bench ImageMap ./core/maps/` natively and under Node
// without the kernels (BENCHMARKS.md).
func BenchmarkImageMapSIMD(b *testing.B) {
	if !Install() {
		b.Skip("no SIMD128 here")
	}
	defer ot.SetKernels(ot.Kernels{})
	for _, d := range []int{19, 256} {
		for _, exact := range []bool{false, true} {
			kind := "entropic"
			if exact {
				kind = "exact"
			}
			b.Run(fmt.Sprintf("d%d-%s-n10000", d, kind), func(b *testing.B) {
				im, r := benchImage(b, d), benchRep(b, 10000, d, exact)
				cpu := cpuSeconds()
				for b.Loop() {
					if _, err := maps.ImageMap(context.Background(), im, []*maps.Rep{r}, maps.Options{Transform: "none", Workers: 1}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s/op")
			})
		}
	}
}

// cpuSeconds is Node's process.cpuUsage(), user + system, in seconds: on a
// shared machine the CPU time says more than the wall time (core/maps's
// benchmarks report the same).
func cpuSeconds() float64 {
	u := js.Global().Get("process").Call("cpuUsage")
	return (u.Get("user").Float() + u.Get("system").Float()) / 1e6
}

// benchRep is mapstest.Problem's repetition as a maps.Rep.
func benchRep(b *testing.B, n, d int, exact bool) *maps.Rep {
	p, classes, joint, pot := mapstest.Problem(n, d, exact)
	r, err := maps.NewRep(p, classes, classes, joint, pot)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// benchImage is mapstest.Image.
func benchImage(b *testing.B, d int) *dataset.Image { return mapstest.Image(b, d) }
