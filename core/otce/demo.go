package otce

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/dataset"
)

// DemoQualities are the built-in demo's candidates, from best to worst: the
// higher the quality, the better the candidate's features separate the
// target classes.
var DemoQualities = []struct {
	Name     string
	Quality  float64
	Accuracy float64
}{
	{"segformer-b2-synthetic", 0.95, 74.2},
	{"deeplabv3-r101-synthetic", 0.75, 69.8},
	{"pspnet-r50-synthetic", 0.55, 61.5},
	{"fcn-r50-synthetic", 0.35, 52.9},
	{"lraspp-mobilenet-synthetic", 0.15, 44.1},
}

// DemoN is the demo's own number of pixels sampled per domain and
// repetition (-n), where the paper's is N = 10⁴: the demo has 1350 valid
// pixels per domain (some 1500 voxels in the volumetric one), so at
// N = 10⁴ every repetition used all of them and the K repetitions were
// identical (std 0). At DemoN = 300 each repetition samples a different
// 22 % of them (OTCE's std over the ten repetitions 0.03–0.07, the ranking
// still that of the known accuracies), and the demo runs in seconds: the
// work, Σ iterations·N² over its 50 solves, is 1.4·10⁹ against 3.5·10⁹ at
// N = 500 and 5.2·10⁹ at N = 700 (15 570, 13 920 and 10 690 iterations:
// sampled subsets take more Sinkhorn iterations than N alone says; 19 050
// at N = 300 since the score rule allows for a slowing rate, 1.7·10⁹).
// `otce demo` uses it unless -n is given; the page's
// Load demo puts it in the settings.
const DemoN = 300

// Demo dataset geometry: label maps at 64×64, features at 1/4 resolution.
const (
	demoImages  = 6
	demoLabelHW = 64
	demoFeatHW  = 16
	demoDim     = 16
	demoSrcCls  = 8
	demoTgtCls  = 6
)

// DemoCandidates returns the built-in demo dataset: several candidates of
// known quality with their (synthetic) transfer accuracies, as in-memory
// .npy and label files, generated deterministically. The target label maps
// are shared by all candidates.
func DemoCandidates() []Candidate {
	rng := rand.New(rand.NewPCG(2023, 10))
	tgtLabels := make([]dataset.File, demoImages)
	tgtMaps := make([][]uint8, demoImages)
	for i := range tgtLabels {
		tgtMaps[i] = demoLabelMap(rng, demoTgtCls)
		tgtLabels[i] = dataset.NewMemFile(fmt.Sprintf("target/img%02d_labels.npy", i), npyBytes([]int{demoLabelHW, demoLabelHW}, "|u1", tgtMaps[i]))
	}
	var out []Candidate
	for ci, q := range DemoQualities {
		crng := rand.New(rand.NewPCG(2023, uint64(100+ci)))
		centres := make([][]float64, demoSrcCls)
		for c := range centres {
			centres[c] = make([]float64, demoDim)
			for k := range centres[c] {
				centres[c][k] = 1.5 * crng.NormFloat64()
			}
		}
		common := make([]float64, demoDim)
		// Target class t looks like source class t+1 to a perfect model.
		feature := func(rng *rand.Rand, src bool, cls int, dst []float32) {
			mix := 1.0
			if !src {
				mix = q.Quality
				cls = cls + 1
			}
			for k := range dst {
				v := mix*centres[cls][k] + (1-mix)*common[k] + 0.6*rng.NormFloat64()
				if !src {
					v += 0.3 // a domain shift
				}
				dst[k] = float32(v)
			}
		}
		name := strings.SplitN(q.Name, "-", 2)[0]
		c := Candidate{Name: q.Name, TargetLabels: tgtLabels}
		acc := q.Accuracy
		c.Accuracy = &acc
		for i := 0; i < demoImages; i++ {
			srcMap := demoLabelMap(crng, demoSrcCls)
			c.SourceLabels = append(c.SourceLabels, dataset.NewMemFile(fmt.Sprintf("%s/source/img%02d_labels.npy", name, i), npyBytes([]int{demoLabelHW, demoLabelHW}, "|u1", srcMap)))
			c.SourceFeatures = append(c.SourceFeatures, demoFeatures(crng, fmt.Sprintf("%s/source/img%02d_features.npy", name, i), srcMap, true, feature))
			c.TargetFeatures = append(c.TargetFeatures, demoFeatures(crng, fmt.Sprintf("%s/target/img%02d_features.npy", name, i), tgtMaps[i], false, feature))
		}
		out = append(out, c)
	}
	return out
}

// demoLabelMap draws a label map of blobs: each pixel takes the class of its
// nearest seed point; a border of pixels is left unlabelled (255).
func demoLabelMap(rng *rand.Rand, classes int) []uint8 {
	const seeds = 10
	type seed struct {
		y, x float64
		c    uint8
	}
	ss := make([]seed, seeds)
	for i := range ss {
		ss[i] = seed{rng.Float64() * demoLabelHW, rng.Float64() * demoLabelHW, uint8(rng.IntN(classes))}
	}
	m := make([]uint8, demoLabelHW*demoLabelHW)
	for y := 0; y < demoLabelHW; y++ {
		for x := 0; x < demoLabelHW; x++ {
			best, bd := 0, math.Inf(1)
			for i, s := range ss {
				if d := (s.y-float64(y))*(s.y-float64(y)) + (s.x-float64(x))*(s.x-float64(x)); d < bd {
					best, bd = i, d
				}
			}
			m[y*demoLabelHW+x] = ss[best].c
			if y < 4 || x < 4 {
				m[y*demoLabelHW+x] = 255
			}
		}
	}
	return m
}

// demoFeatures makes a (C, H, W) feature file for a label map at 1/4 scale.
func demoFeatures(rng *rand.Rand, name string, labels []uint8, src bool, feature func(*rand.Rand, bool, int, []float32)) dataset.File {
	const s = demoLabelHW / demoFeatHW
	vals := make([]float32, demoDim*demoFeatHW*demoFeatHW)
	px := make([]float32, demoDim)
	for h := 0; h < demoFeatHW; h++ {
		for w := 0; w < demoFeatHW; w++ {
			l := labels[(h*s)*demoLabelHW+w*s]
			cls := int(l)
			if l == 255 {
				cls = 0
			}
			feature(rng, src, cls, px)
			for k, v := range px {
				vals[k*demoFeatHW*demoFeatHW+h*demoFeatHW+w] = v
			}
		}
	}
	return dataset.NewMemFile(name, npyBytes([]int{demoDim, demoFeatHW, demoFeatHW}, "<f4", vals))
}

// npyBytes encodes data (a slice of numbers) as a .npy file.
func npyBytes(shape []int, descr string, data any) []byte {
	b, err := arrays.EncodeNPY(shape, descr, data)
	if err != nil {
		panic(err) // the demo's own slices always encode
	}
	return b
}
