// Command emddata writes a synthetic source and target domain for the
// comparison with the authors' exact pipeline (make bench-emd,
// scripts/pot_emd_pipeline.py): one 200×200 "image" per domain of d-channel
// features in NCHW layout, (1, d, 200, 200) float32, with its (200, 200)
// uint8 label map, as src_features.npy, src_labels.npy, tgt_features.npy
// and tgt_labels.npy in the folder given.
//
// The features are the benchmark's kind (scripts/bench/data.go, which has
// no mode that only writes data): 19 Gaussian classes with different
// proportions in the two domains and a per-class shift of the target; the
// spreads make squared distances in the hundreds at d = 19 and at d = 256.
//
//	go run ./scripts/emddata -d 19 -seed 1 build/bench-emd/d19
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/otceseg/otceseg/core/arrays"
)

const (
	classes = 19
	side    = 200 // pixels per side: 40 000 a domain, more than N = 10⁴
)

func main() {
	d := flag.Int("d", 19, "feature channels")
	seed := flag.Uint64("seed", 1, "seed of the features")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: emddata [-d D] [-seed S] FOLDER")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *d < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := write(flag.Arg(0), *d, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "emddata:", err)
		os.Exit(1)
	}
}

func write(dir string, d int, seed uint64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, uint64(d)))
	sw, sc := 2.0, 3.0 // within-class and between-centre spread at d = 19
	if d > 19 {
		sw, sc = 0.6, 0.8
	}
	centres := make([]float64, classes*d)
	shifts := make([]float64, classes*d)
	for k := range centres {
		centres[k] = sc * rng.NormFloat64()
		shifts[k] = 0.3 * sw * rng.NormFloat64()
	}
	for _, dom := range []string{"src", "tgt"} {
		cdf := make([]float64, classes)
		s, acc := 0.0, 0.0
		for c := range cdf {
			cdf[c] = 0.2 + rng.Float64()
			s += cdf[c]
		}
		for c := range cdf {
			acc += cdf[c] / s
			cdf[c] = acc
		}
		px := side * side
		feat := make([]float32, d*px) // NCHW: channel-major
		lab := make([]uint8, px)
		for i := range px {
			u, c := rng.Float64(), 0
			for c < classes-1 && u > cdf[c] {
				c++
			}
			lab[i] = uint8(c)
			for k := range d {
				v := centres[c*d+k] + sw*rng.NormFloat64()
				if dom == "tgt" {
					v += shifts[c*d+k]
				}
				feat[k*px+i] = float32(v)
			}
		}
		fb, err := arrays.EncodeNPY([]int{1, d, side, side}, "<f4", feat)
		if err != nil {
			return err
		}
		lb, err := arrays.EncodeNPY([]int{side, side}, "|u1", lab)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, dom+"_features.npy"), fb, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, dom+"_labels.npy"), lb, 0o644); err != nil {
			return err
		}
	}
	return nil
}
