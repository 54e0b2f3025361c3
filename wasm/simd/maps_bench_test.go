//go:build js && wasm

package simd

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall/js"
	"testing"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/maps"
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

// benchRep and benchImage are core/maps's bench_test.go helpers of the
// same names (the same seeds, hence the same data).
func benchRep(b *testing.B, n, d int, exact bool) *maps.Rep {
	rng := rand.New(rand.NewPCG(1, uint64(d)))
	p := &ot.Problem{N: n, M: 19, D: d, La: 19, Lb: 19, Xs: make([]float32, n*d), Ys: make([]int32, n), Yt: make([]int32, 19)}
	for i := range p.Xs {
		p.Xs[i] = float32(rng.NormFloat64())
	}
	for i := range p.Ys {
		p.Ys[i] = int32(i % 19)
	}
	classes := make([]int, 19)
	joint := make([]float64, 19*19)
	for k := range classes {
		classes[k] = k
		p.Yt[k] = int32(k)
	}
	for k := range joint {
		joint[k] = (1 + rng.Float64()) / 19 / 19 / 1.5
	}
	pot := &ot.Potentials{F: make([]float64, n), Eps: 0.1, Scale: float64(2 * d), Exact: exact, Columns: make([]float64, 19*19)}
	r, err := maps.NewRep(p, classes, classes, joint, pot)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func benchImage(b *testing.B, d int) *dataset.Image {
	const h, w = 128, 256
	rng := rand.New(rand.NewPCG(2, uint64(d)))
	x := make([]float32, d*h*w)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	lab := make([]uint8, h*w)
	for i := range lab {
		lab[i] = uint8(i % 19)
	}
	fb, err := arrays.EncodeNPY([]int{d, h, w}, "<f4", x)
	if err != nil {
		b.Fatal(err)
	}
	lb, err := arrays.EncodeNPY([]int{h, w}, "|u1", lab)
	if err != nil {
		b.Fatal(err)
	}
	dom, err := dataset.Open("target", []dataset.File{dataset.NewMemFile("t_features.npy", fb)}, []dataset.File{dataset.NewMemFile("t_labels.npy", lb)}, dataset.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	return dom.Images[0]
}
