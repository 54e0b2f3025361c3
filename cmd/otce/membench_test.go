package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/otceseg/otceseg/core/arrays"
)

// TestMemoryBenchmarks measures the peak resident memory (and, for the
// record only, the time) of `otce score` on the inputs of issue 18, class
// 4: (C = 2048, N = 10⁴) features, against the sample and the solver's
// buffers, and folders of 2500 and 10⁴ tiny image pairs, which must cost
// memory linear in the number of images. Not run by default
// (OTCE_MEMBENCH=1; several minutes); BENCHMARKS.md reports its output.
func TestMemoryBenchmarks(t *testing.T) {
	if os.Getenv("OTCE_MEMBENCH") == "" {
		t.Skip("OTCE_MEMBENCH=1 runs the memory benchmarks")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	write := func(p string, shape []int, descr string, data any) {
		b, err := arrays.EncodeNPY(shape, descr, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Folders of tiny pairs: (4, 8, 8) features, 8×8 labels.
	folder := func(n int) (string, string) {
		f, l := filepath.Join(dir, fmt.Sprint("f", n)), filepath.Join(dir, fmt.Sprint("l", n))
		os.MkdirAll(f, 0o755)
		os.MkdirAll(l, 0o755)
		for i := range n {
			x := make([]float32, 4*64)
			for k := range x {
				x[k] = float32(rng.NormFloat64())
			}
			y := make([]uint8, 64)
			for k := range y {
				y[k] = uint8(rng.IntN(5))
			}
			write(filepath.Join(f, fmt.Sprintf("im%05d_feat.npy", i)), []int{4, 8, 8}, "<f4", x)
			write(filepath.Join(l, fmt.Sprintf("im%05d_labels.npy", i)), []int{8, 8}, "|u1", y)
		}
		return f, l
	}
	for _, n := range []int{2500, 10000} {
		f, l := folder(n)
		t0 := time.Now()
		_, _, rss := runMeasured(t, "score", "--quiet", "--format", "json", "-n", "1000", "-k", "1",
			"--source-features", f, "--source-labels", l, "--target-features", f, "--target-labels", l)
		t.Logf("folder of %d pairs (4, 8, 8): peak RSS %.0f MB, %.1f s", n, float64(rss)/1e6, time.Since(t0).Seconds())
	}
	// C = 2048, N = 10⁴: (2048, 100, 100) float32 per domain.
	const c, hw = 2048, 100
	var args []string
	for _, side := range []string{"source", "target"} {
		x := make([]float32, c*hw*hw)
		for k := range x {
			x[k] = float32(rng.NormFloat64())
		}
		y := make([]uint8, hw*hw)
		for k := range y {
			y[k] = uint8(rng.IntN(19))
		}
		fp, lp := filepath.Join(dir, side+"_f.npy"), filepath.Join(dir, side+"_l.npy")
		write(fp, []int{c, hw, hw}, "<f4", x)
		write(lp, []int{hw, hw}, "|u1", y)
		args = append(args, "--"+side+"-features", fp, "--"+side+"-labels", lp)
	}
	t0 := time.Now()
	_, _, rss := runMeasured(t, append([]string{"score", "--quiet", "--format", "json", "-n", "10000", "-k", "1"}, args...)...)
	n := int64(10000)
	sample := 2 * 4 * n * c
	kernel := 4 * n * n
	t.Logf("C = %d, N = %d: peak RSS %.0f MB, %.1f s; samples 2·4·N·C = %.0f MB, kernel 4·N² = %.0f MB; RSS ÷ (samples + kernel) = %.2f",
		c, n, float64(rss)/1e6, time.Since(t0).Seconds(), float64(sample)/1e6, float64(kernel)/1e6, float64(rss)/float64(sample+kernel))
}
