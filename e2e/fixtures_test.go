package e2e

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/otceseg/otceseg/core/arrays"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// writeNPY writes data (a slice of numbers) as a .npy file.
func writeNPY(path string, shape []int, descr string, data any) error {
	b, err := arrays.EncodeNPY(shape, descr, data)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// fixture is one candidate's files on disk.
type fixture struct {
	sf, sl, tf, tl []string
}

// addImage writes one image of domain dom ("src" or "tgt") into dir:
// <dom>_<img>_features.npy, (c, h, w) float32, and <dom>_<img>_labels.npy,
// (h, w) uint8, paired by stem, and appends their paths to the fixture.
func (fx *fixture) addImage(dir, dom string, img, c, h, w int, feats []float32, labels []uint8) error {
	stem := fmt.Sprintf("%s_%d", dom, img)
	fp := filepath.Join(dir, stem+"_features.npy")
	lp := filepath.Join(dir, stem+"_labels.npy")
	if err := writeNPY(fp, []int{c, h, w}, "<f4", feats); err != nil {
		return err
	}
	if err := writeNPY(lp, []int{h, w}, "|u1", labels); err != nil {
		return err
	}
	if dom == "src" {
		fx.sf, fx.sl = append(fx.sf, fp), append(fx.sl, lp)
	} else {
		fx.tf, fx.tl = append(fx.tf, fp), append(fx.tl, lp)
	}
	return nil
}

// makeFixture writes a small candidate: two images per domain, (C, H, W)
// float32 features and (H, W) uint8 labels with an ignored border, paired by
// stem. quality sets how well the target features separate the classes.
func makeFixture(dir string, seed uint64, quality float64) (fixture, error) {
	const c, h, w = 8, 20, 20
	rng := rand.New(rand.NewPCG(seed, 7))
	centres := make([][]float64, 6)
	for i := range centres {
		centres[i] = make([]float64, c)
		for k := range centres[i] {
			centres[i][k] = 2 * rng.NormFloat64()
		}
	}
	var fx fixture
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fx, err
	}
	for _, dom := range []string{"src", "tgt"} {
		for img := 0; img < 2; img++ {
			labels := make([]uint8, h*w)
			feats := make([]float32, c*h*w)
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					cls := (x/5 + y/7 + img) % 4
					if dom == "tgt" {
						cls = (x/4 + y/6 + img) % 3
					}
					labels[y*w+x] = uint8(cls)
					if y == 0 {
						labels[y*w+x] = 255
					}
					mix := 1.0
					if dom == "tgt" {
						mix = quality
					}
					for k := 0; k < c; k++ {
						feats[k*h*w+y*w+x] = float32(mix*centres[cls][k] + 0.7*rng.NormFloat64() + 0.1*math.Sin(float64(k)))
					}
				}
			}
			if err := fx.addImage(dir, dom, img, c, h, w, feats, labels); err != nil {
				return fx, err
			}
		}
	}
	return fx, nil
}

// writeTruncated writes a .npy whose header claims more data than it holds.
func writeTruncated(path string) error {
	var b bytes.Buffer
	hdr := "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 20, 20), }"
	hdr += strings.Repeat(" ", (64-(10+len(hdr)+1)%64)%64) + "\n"
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	b.Write(make([]byte, 100))
	return os.WriteFile(path, b.Bytes(), 0o644)
}
