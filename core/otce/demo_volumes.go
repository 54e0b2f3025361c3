package otce

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/dataset"
)

// DemoVolumeQualities are the built-in volumetric demo's candidates, from
// best to worst, with their (synthetic) Dice scores after fine-tuning.
var DemoVolumeQualities = []struct {
	Name     string
	Quality  float64
	Accuracy float64
}{
	{"swinunetr-synthetic", 0.95, 86.1},
	{"nnunet-3d-synthetic", 0.75, 82.4},
	{"unet3d-monai-synthetic", 0.6, 77.9},
	{"segresnet-synthetic", 0.3, 70.3},
	{"vnet-synthetic", 0.15, 61.8},
}

// Volumetric demo geometry: label volumes (X, Y, Z) = 40×40×32, features at
// 1/4 resolution (10×10×8, 16 channels), four volumes per domain; voxels
// outside the body are unlabelled (255), which leaves some 1500 valid voxels
// per domain: all of them are used at the default N.
const (
	demoVolumes   = 4
	demoVolScale  = 4
	demoVolSrcCls = 7 // background tissue and six organs
	demoVolTgtCls = 5 // background tissue and four organs
)

var demoVolLabel = [3]int{40, 40, 32}

// DemoVolumeCandidates returns the built-in volumetric demo: candidates of
// known quality as in-memory files, generated deterministically. Labels are
// gzipped NIfTI volumes, (X, Y, Z) as nibabel reads them, of organ-like
// ellipsoids inside a body; features are (C, X/4, Y/4, Z/4) .npy files, the
// layout of a MONAI or nnU-Net feature map of a nibabel-loaded volume. The
// target label volumes are shared by all candidates.
func DemoVolumeCandidates() []Candidate {
	rng := rand.New(rand.NewPCG(2024, 8))
	tgtLabels := make([]dataset.File, demoVolumes)
	tgtVols := make([][]uint8, demoVolumes)
	for i := range tgtLabels {
		tgtVols[i] = demoLabelVolume(rng, demoVolTgtCls)
		tgtLabels[i] = niftiFile(fmt.Sprintf("target/case%02d_labels.nii.gz", i), tgtVols[i])
	}
	var out []Candidate
	for ci, q := range DemoVolumeQualities {
		crng := rand.New(rand.NewPCG(2024, uint64(100+ci)))
		centres := make([][]float64, demoVolSrcCls)
		for c := range centres {
			centres[c] = make([]float64, demoDim)
			for k := range centres[c] {
				centres[c][k] = 1.5 * crng.NormFloat64()
			}
		}
		// Target class t looks like source class t+1 to a perfect model;
		// a poor one blurs the classes together.
		feature := func(rng *rand.Rand, src bool, cls int, dst []float32) {
			mix := 1.0
			if !src {
				mix = q.Quality
				cls++
			}
			for k := range dst {
				v := mix*centres[cls][k] + 0.6*rng.NormFloat64()
				if !src {
					v += 0.3 // a domain shift: another scanner
				}
				dst[k] = float32(v)
			}
		}
		name := strings.SplitN(q.Name, "-", 2)[0]
		acc := q.Accuracy
		c := Candidate{Name: q.Name, TargetLabels: tgtLabels, Accuracy: &acc}
		for i := range demoVolumes {
			srcVol := demoLabelVolume(crng, demoVolSrcCls)
			c.SourceLabels = append(c.SourceLabels, niftiFile(fmt.Sprintf("%s/source/case%02d_labels.nii.gz", name, i), srcVol))
			c.SourceFeatures = append(c.SourceFeatures, demoVolumeFeatures(crng, fmt.Sprintf("%s/source/case%02d_features.npy", name, i), srcVol, true, feature))
			c.TargetFeatures = append(c.TargetFeatures, demoVolumeFeatures(crng, fmt.Sprintf("%s/target/case%02d_features.npy", name, i), tgtVols[i], false, feature))
		}
		out = append(out, c)
	}
	return out
}

// demoLabelVolume draws a label volume in Fortran order (x fastest): a body
// ellipsoid of background tissue (0) holding organ ellipsoids (1 to
// classes−1, later ones over earlier ones), and unlabelled air (255)
// outside the body.
func demoLabelVolume(rng *rand.Rand, classes int) []uint8 {
	X, Y, Z := demoVolLabel[0], demoVolLabel[1], demoVolLabel[2]
	type ellipsoid struct{ c, r [3]float64 }
	inside := func(e ellipsoid, x, y, z int) bool {
		s := 0.0
		for a, v := range [3]float64{float64(x), float64(y), float64(z)} {
			d := (v - e.c[a]) / e.r[a]
			s += d * d
		}
		return s <= 1
	}
	dims := [3]float64{float64(X), float64(Y), float64(Z)}
	var body ellipsoid
	for a, d := range dims {
		body.c[a] = d/2 + rng.NormFloat64()
		body.r[a] = d * (0.44 + 0.04*rng.Float64())
	}
	organs := make([]ellipsoid, classes-1)
	for k := range organs {
		for a, d := range dims {
			organs[k].c[a] = body.c[a] + (rng.Float64()-0.5)*body.r[a]
			organs[k].r[a] = d * (0.14 + 0.12*rng.Float64())
		}
	}
	vol := make([]uint8, X*Y*Z)
	for z := range Z {
		for y := range Y {
			for x := range X {
				l := uint8(255)
				if inside(body, x, y, z) {
					l = 0
					for k, o := range organs {
						if inside(o, x, y, z) {
							l = uint8(k + 1)
						}
					}
				}
				vol[x+X*(y+Y*z)] = l
			}
		}
	}
	return vol
}

// demoVolumeFeatures makes a (C, X/4, Y/4, Z/4) feature file for a label
// volume: feature voxel (x, y, z) is drawn for the label at (4x, 4y, 4z).
func demoVolumeFeatures(rng *rand.Rand, name string, vol []uint8, src bool, feature func(*rand.Rand, bool, int, []float32)) dataset.File {
	X, Y := demoVolLabel[0], demoVolLabel[1]
	fx, fy, fz := X/demoVolScale, Y/demoVolScale, demoVolLabel[2]/demoVolScale
	n := fx * fy * fz
	vals := make([]float32, demoDim*n)
	px := make([]float32, demoDim)
	for x := range fx {
		for y := range fy {
			for z := range fz {
				l := vol[x*demoVolScale+X*(y*demoVolScale+Y*z*demoVolScale)]
				cls := int(l)
				if l == 255 {
					cls = 0
				}
				feature(rng, src, cls, px)
				p := (x*fy+y)*fz + z
				for k, v := range px {
					vals[k*n+p] = v
				}
			}
		}
	}
	return dataset.NewMemFile(name, npyBytes([]int{demoDim, fx, fy, fz}, "<f4", vals))
}

// niftiFile encodes a label volume (Fortran order) as an in-memory .nii.gz.
func niftiFile(name string, vol []uint8) dataset.File {
	b, err := arrays.EncodeNIfTI(demoVolLabel[:], vol, true)
	if err != nil {
		panic(err) // not reached: the shape and the data agree
	}
	return dataset.NewMemFile(name, b)
}
