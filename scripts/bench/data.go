package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/otceseg/otceseg/core/arrays"
)

// The synthetic datasets: per-image feature files (C, H, W) float32 at 1/4
// of the label resolution, and label maps (4H, 4W) uint8 paired by stem, as a
// segmentation model's features of Cityscapes-like images. Each image is a
// patchwork of regions (a Voronoi partition of random seeds), each region one
// of 19 classes drawn with Cityscapes-like skewed frequencies, or ignored
// (255); a pixel's features are its class centre plus Gaussian noise. d = 19
// mimics final-layer logits (a bump on the class's own channel), d = 256 a
// decoder's features (random centres). The target domain moves every centre
// and changes the class frequencies. Everything is a function of the seed.

const (
	classes    = 19
	imgH, imgW = 64, 128
	labelScale = 4
	images     = 4
	regions    = 48
)

type domainFiles struct {
	Features, Labels []string
}

type benchData struct {
	D              int
	Source, Target domainFiles
	Valid          [2]int
}

func makeDataset(dir string, d int, seed uint64) (*benchData, error) {
	rng := rand.New(rand.NewPCG(seed, uint64(d)))
	centres := make([][]float64, classes)
	for c := range centres {
		centres[c] = make([]float64, d)
		for k := range centres[c] {
			if d == classes {
				centres[c][k] = -2 + 1.0*rng.NormFloat64()
				if k == c {
					centres[c][k] = 8 + rng.NormFloat64()
				}
			} else {
				centres[c][k] = rng.NormFloat64()
			}
		}
	}
	noise := 1.5
	if d != classes {
		noise = 0.6
	}
	ds := &benchData{D: d}
	for dom := 0; dom < 2; dom++ {
		name := []string{"src", "tgt"}[dom]
		cen := centres
		weights := make([]float64, classes)
		for c := range weights {
			weights[c] = 1 / math.Pow(float64(c+1), 0.9)
		}
		if dom == 1 {
			// The target domain: shifted centres, other class frequencies.
			cen = make([][]float64, classes)
			for c := range cen {
				cen[c] = make([]float64, d)
				for k := range cen[c] {
					cen[c][k] = 0.9*centres[c][k] + 0.4*rng.NormFloat64() + 0.2
				}
			}
			for c := range weights {
				weights[c] = 1 / math.Pow(float64((c+7)%classes+1), 0.7)
			}
		}
		var cum []float64
		tot := 0.0
		for _, w := range weights {
			tot += w
			cum = append(cum, tot)
		}
		fdir, ldir := filepath.Join(dir, name, "features"), filepath.Join(dir, name, "labels")
		if err := os.MkdirAll(fdir, 0o755); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(ldir, 0o755); err != nil {
			return nil, err
		}
		files := &ds.Source
		if dom == 1 {
			files = &ds.Target
		}
		for img := 0; img < images; img++ {
			type seedPt struct {
				y, x float64
				cls  int
			}
			seeds := make([]seedPt, regions)
			for i := range seeds {
				s := seedPt{y: rng.Float64() * imgH, x: rng.Float64() * imgW, cls: 255}
				if rng.Float64() >= 0.08 {
					r := rng.Float64() * tot
					for c, v := range cum {
						if r <= v {
							s.cls = c
							break
						}
					}
				}
				seeds[i] = s
			}
			grid := make([]int, imgH*imgW)
			for y := 0; y < imgH; y++ {
				for x := 0; x < imgW; x++ {
					best, bd := 0, math.Inf(1)
					for i, s := range seeds {
						dy, dx := float64(y)+0.5-s.y, float64(x)+0.5-s.x
						if v := dy*dy + dx*dx; v < bd {
							best, bd = i, v
						}
					}
					grid[y*imgW+x] = seeds[best].cls
				}
			}
			feats := make([]float32, d*imgH*imgW)
			for p, cls := range grid {
				c := cls
				if c == 255 {
					c = rng.IntN(classes)
				} else {
					ds.Valid[dom]++
				}
				for k := 0; k < d; k++ {
					feats[k*imgH*imgW+p] = float32(cen[c][k] + noise*rng.NormFloat64())
				}
			}
			lh, lw := imgH*labelScale, imgW*labelScale
			labels := make([]uint8, lh*lw)
			for y := 0; y < lh; y++ {
				for x := 0; x < lw; x++ {
					labels[y*lw+x] = uint8(grid[(y/labelScale)*imgW+x/labelScale])
				}
			}
			stem := fmt.Sprintf("img%03d", img)
			fp := filepath.Join(fdir, stem+"_leftImg8bit.npy")
			lp := filepath.Join(ldir, stem+"_gtFine_labelTrainIds.npy")
			if err := writeNPY(fp, []int{d, imgH, imgW}, "<f4", feats); err != nil {
				return nil, err
			}
			if err := writeNPY(lp, []int{lh, lw}, "|u1", labels); err != nil {
				return nil, err
			}
			files.Features = append(files.Features, fp)
			files.Labels = append(files.Labels, lp)
		}
	}
	return ds, nil
}

func writeNPY(path string, shape []int, descr string, data any) error {
	b, err := arrays.EncodeNPY(shape, descr, data)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
