// Package dataset turns the files of one domain (features and label maps of
// one or many images) into a Domain: a list of images whose labels have been
// mapped onto the feature grid, with an index of the valid pixels, ready to
// be sampled.
//
// # Layouts
//
// Features are (N, C) rows of pixels ("nc"), (C, H, W) or (H, W, C) for one
// image, (B, C, H, W) or (B, H, W, C) for a batch ("nchw", "nhwc"; the
// three-dimensional forms are the same layouts with B = 1). Labels are (N,),
// (H, W) or (B, H, W); axes of size one are dropped where the rank calls for
// it, so (B, 1, H, W) and (1, H, W) work too. Layout "auto" picks the layout
// whose grid agrees with the labels, preferring an exact size match and then
// channels first, and reports its choice.
//
// # Labels on the feature grid
//
// When the label map is larger than the feature grid by integer factors
// sh = HL/H and sw = WL/W, feature pixel (h, w) takes the label at
// (h·sh, w·sw): the top-left label pixel of its cell, which is what PyTorch's
// F.interpolate(labels, size=(H, W), mode="nearest") picks. Any other ratio is
// an error naming both shapes.
//
// # Pairing files
//
// A domain given as many feature files and many label files pairs them by
// stem: the file name without its directory and extension, less one trailing
// "_word" suffix from StemSuffixes (so aachen_000000_000019_leftImg8bit.npy
// pairs with aachen_000000_000019_gtFine_labelTrainIds.png). Every stem must
// appear exactly once on each side.
package dataset

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/otceseg/otceseg/core/arrays"
)

// File is a readable input file: an os.File in the command-line tool, a
// Blob read slice by slice in the browser.
type File interface {
	io.ReaderAt
	Size() int64
	Name() string
}

// Options control how files are read.
type Options struct {
	Layout      string // "auto", "nchw", "nhwc" or "nc"
	IgnoreIndex int    // label value of pixels that are not sampled
	FeatureKey  string // array name inside .npz/.safetensors bundles
	LabelKey    string
}

// DefaultOptions are the options of the command-line tool's defaults.
func DefaultOptions() Options {
	return Options{Layout: "auto", IgnoreIndex: 255, FeatureKey: "features", LabelKey: "labels"}
}

// MaxLabel is the largest class label accepted (labels are kept as uint16,
// with one value reserved for "not valid").
const MaxLabel = 65534

const invalid = math.MaxUint16

// Image is one image of a domain: its features and its labels mapped onto
// the feature grid.
type Image struct {
	Features *arrays.Array
	Layout   string // "nchw", "nhwc" or "nc"
	Batch    int    // index along the batch axis of Features
	H, W, C  int    // feature grid and channels
	Valid    int    // number of valid pixels
	labels   []uint16
}

// Domain is the set of images of one domain.
type Domain struct {
	Name     string
	Images   []*Image
	Dim      int   // channels
	Valid    int64 // valid pixels in all images
	Layout   string
	Warnings []string
}

// StemSuffixes are the trailing name parts that pairing by stem removes.
var StemSuffixes = []string{
	"features", "feature", "feats", "feat", "logits", "embeddings", "emb",
	"labels", "label", "labelTrainIds", "labelIds", "gtFine_labelTrainIds", "gtFine_labelIds",
	"gtFine", "gt", "mask", "masks", "seg", "leftImg8bit", "image", "img",
}

// Stem returns the pairing stem of a file name.
func Stem(name string) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	// Longest suffix first, so _gtFine_labelTrainIds wins over _labelTrainIds.
	best := ""
	for _, s := range StemSuffixes {
		if strings.HasSuffix(base, "_"+s) && len(s) > len(best) && len(base) > len(s)+1 {
			best = s
		}
	}
	if best != "" {
		base = base[:len(base)-len(best)-1]
	}
	return base
}

// Pair matches feature files with label files. One of each is a pair; many
// are paired by stem.
func Pair(features, labels []File) ([][2]File, error) {
	if len(features) == 0 {
		return nil, errors.New("no feature files")
	}
	if len(labels) == 0 {
		return nil, errors.New("no label files")
	}
	if len(features) == 1 && len(labels) == 1 {
		return [][2]File{{features[0], labels[0]}}, nil
	}
	index := func(fs []File, what string) (map[string]File, []string, error) {
		m := make(map[string]File, len(fs))
		var stems []string
		for _, f := range fs {
			s := Stem(f.Name())
			if g, dup := m[s]; dup {
				return nil, nil, fmt.Errorf("%s and %s: two %s files with the stem %q", g.Name(), f.Name(), what, s)
			}
			m[s] = f
			stems = append(stems, s)
		}
		return m, stems, nil
	}
	fm, fstems, err := index(features, "feature")
	if err != nil {
		return nil, err
	}
	lm, lstems, err := index(labels, "label")
	if err != nil {
		return nil, err
	}
	sort.Strings(fstems)
	var out [][2]File
	var missing []string
	for _, s := range fstems {
		l, ok := lm[s]
		if !ok {
			missing = append(missing, fm[s].Name())
			continue
		}
		out = append(out, [2]File{fm[s], l})
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: no label file with the same stem%s", missing[0], more(len(missing)))
	}
	var orphans []string
	for _, s := range lstems {
		if _, ok := fm[s]; !ok {
			orphans = append(orphans, lm[s].Name())
		}
	}
	if len(orphans) > 0 {
		return nil, fmt.Errorf("%s: no feature file with the same stem%s", orphans[0], more(len(orphans)))
	}
	return out, nil
}

func more(n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf(" (and %d more)", n-1)
}

// Open reads the label maps of the paired files and the headers of the
// feature files, and builds the domain. featFiles and labelFiles may be the
// same bundle file.
func Open(name string, features, labels []File, opt Options) (*Domain, error) {
	pairs, err := Pair(features, labels)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d := &Domain{Name: name}
	for _, pr := range pairs {
		imgs, layout, err := openPair(pr[0], pr[1], opt)
		if err != nil {
			return nil, err
		}
		for _, im := range imgs {
			if d.Dim == 0 {
				d.Dim = im.C
			} else if im.C != d.Dim {
				return nil, fmt.Errorf("%s: %d channels, but %s has %d", pr[0].Name(), im.C, d.Images[0].Features.Name, d.Dim)
			}
			d.Images = append(d.Images, im)
			d.Valid += int64(im.Valid)
		}
		if d.Layout == "" {
			d.Layout = layout
		} else if !strings.Contains(d.Layout, layout) {
			d.Layout += "," + layout
		}
	}
	if d.Valid == 0 {
		what := pairs[0][1].Name()
		if len(pairs) > 1 {
			what = fmt.Sprintf("%s (and %d more label files)", what, len(pairs)-1)
		}
		return nil, fmt.Errorf("%s: no valid pixel: every label equals the ignore index %d", what, opt.IgnoreIndex)
	}
	return d, nil
}

func openArray(f File, key string) (*arrays.Array, error) {
	return arrays.Open(f, f.Size(), f.Name(), key)
}

// openPair opens one feature file and its label file.
func openPair(ff, lf File, opt Options) ([]*Image, string, error) {
	fa, err := openArray(ff, opt.FeatureKey)
	if err != nil {
		return nil, "", err
	}
	if fa.DType.Kind == arrays.Bool {
		return nil, "", fmt.Errorf("%s: features of dtype bool", fa.Name)
	}
	la, err := openArray(lf, opt.LabelKey)
	if err != nil {
		return nil, "", err
	}
	g, err := chooseLayout(fa, la, opt.Layout)
	if err != nil {
		return nil, "", err
	}
	var out []*Image
	sh, sw := g.hl/g.h, g.wl/g.w
	// Read only the label rows the grid uses, in chunks of whole rows.
	rowsPerRead := 1
	if sh == 1 {
		rowsPerRead = max(1, (1<<16)/g.wl)
	}
	buf := make([]float64, rowsPerRead*g.wl)
	for b := 0; b < g.b; b++ {
		im := &Image{Features: fa, Layout: g.layout, Batch: b, H: g.h, W: g.w, C: g.c}
		im.labels = make([]uint16, g.h*g.w)
		for h0 := 0; h0 < g.h; h0 += rowsPerRead {
			nr := min(rowsPerRead, g.h-h0)
			start := int64(b)*int64(g.hl)*int64(g.wl) + int64(h0*sh)*int64(g.wl)
			if err := la.ReadRange(start, buf[:nr*g.wl]); err != nil {
				return nil, "", err
			}
			for r := 0; r < nr; r++ {
				row := buf[r*g.wl : (r+1)*g.wl]
				h := h0 + r
				for w := 0; w < g.w; w++ {
					v := row[w*sw]
					if v == float64(opt.IgnoreIndex) {
						im.labels[h*g.w+w] = invalid
						continue
					}
					if v != math.Trunc(v) || v < 0 || v > MaxLabel {
						return nil, "", labelError(la.Name, v)
					}
					im.labels[h*g.w+w] = uint16(v)
					im.Valid++
				}
			}
		}
		out = append(out, im)
	}
	return out, g.layout, nil
}

func labelError(name string, v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("%s: label %v is not a class index", name, v)
	case v != math.Trunc(v):
		return fmt.Errorf("%s: label %v is not an integer", name, v)
	case v < 0:
		return fmt.Errorf("%s: negative label %v (set --ignore-index if it marks unlabelled pixels)", name, v)
	}
	return fmt.Errorf("%s: label %v is larger than %d", name, v, MaxLabel)
}

// grid is a resolved layout of a feature array against its labels.
type grid struct {
	layout     string
	b, c, h, w int
	hl, wl     int // label grid of one image
	exact      bool
}

// chooseLayout resolves the feature layout against the labels' shape.
func chooseLayout(fa, la *arrays.Array, want string) (grid, error) {
	fs := fa.Shape
	var cands []grid
	add := func(layout string, b, c, h, w int) {
		cands = append(cands, grid{layout: layout, b: b, c: c, h: h, w: w})
	}
	switch len(fs) {
	case 2:
		add("nc", 1, fs[1], fs[0], 1)
	case 3:
		add("nchw", 1, fs[0], fs[1], fs[2])
		add("nhwc", 1, fs[2], fs[0], fs[1])
	case 4:
		add("nchw", fs[0], fs[1], fs[2], fs[3])
		add("nhwc", fs[0], fs[3], fs[1], fs[2])
	default:
		return grid{}, fmt.Errorf("%s: features of shape %v: want (N,C), (C,H,W), (H,W,C), (B,C,H,W) or (B,H,W,C)", fa.Name, fs)
	}
	switch want {
	case "", "auto":
	case "nc", "nchw", "nhwc":
		var keep []grid
		for _, g := range cands {
			if g.layout == want {
				keep = append(keep, g)
			}
		}
		if len(keep) == 0 {
			return grid{}, fmt.Errorf("%s: layout %s does not fit features of shape %v", fa.Name, want, fs)
		}
		cands = keep
	default:
		return grid{}, fmt.Errorf("unknown layout %q (auto, nchw, nhwc, nc)", want)
	}
	var fits []grid
	var why string
	for _, g := range cands {
		if g.c <= 0 || g.h <= 0 || g.w <= 0 || g.b <= 0 {
			why = "an axis of length 0"
			continue
		}
		lb, hl, wl, ok := labelGrid(la.Shape, g)
		if !ok {
			continue
		}
		if lb != g.b {
			why = fmt.Sprintf("%d feature images but %d label maps", g.b, lb)
			continue
		}
		if hl%g.h != 0 || wl%g.w != 0 {
			why = fmt.Sprintf("label grid %dx%d is not an integer multiple of feature grid %dx%d", hl, wl, g.h, g.w)
			continue
		}
		g.hl, g.wl = hl, wl
		g.exact = hl == g.h && wl == g.w
		fits = append(fits, g)
	}
	if len(fits) == 0 {
		if why == "" {
			why = "shapes do not correspond"
		}
		return grid{}, fmt.Errorf("%s %v and %s %v: %s", fa.Name, fs, la.Name, la.Shape, why)
	}
	slices.SortStableFunc(fits, func(a, b grid) int {
		if a.exact != b.exact {
			if a.exact {
				return -1
			}
			return 1
		}
		return 0
	})
	return fits[0], nil
}

// labelGrid reads the label shape as (batch, height, width) for grid g.
func labelGrid(shape []int, g grid) (b, h, w int, ok bool) {
	s := slices.Clone(shape)
	if g.layout == "nc" {
		n := 1
		for _, x := range s {
			n *= x
		}
		return 1, n, 1, true
	}
	// Drop axes of length one until the rank fits.
	for len(s) > 3 {
		i := slices.Index(s[1:], 1)
		if i < 0 {
			return 0, 0, 0, false
		}
		s = slices.Delete(s, i+1, i+2)
	}
	if len(s) == 3 && g.b == 1 && s[0] == 1 {
		s = s[1:]
	}
	switch len(s) {
	case 2:
		return 1, s[0], s[1], true
	case 3:
		return s[0], s[1], s[2], true
	}
	return 0, 0, 0, false
}

// Label returns the class label of feature pixel p of the image and whether
// it is valid.
func (im *Image) Label(p int) (int, bool) {
	l := im.labels[p]
	return int(l), l != invalid
}

// ValidPixels returns the positions (h·W + w) of the image's valid pixels
// whose ranks among the valid pixels are given (ascending).
func (im *Image) ValidPixels(ranks []int) []int {
	out := make([]int, 0, len(ranks))
	k, r := 0, 0
	for p, l := range im.labels {
		if r == len(ranks) {
			break
		}
		if l == invalid {
			continue
		}
		for r < len(ranks) && ranks[r] == k {
			out = append(out, p)
			r++
		}
		k++
	}
	return out
}

// Gather reads the features of the given pixels (positions h·W + w) into
// dst, pixel after pixel, C values each.
func (im *Image) Gather(pix []int, dst []float64) error {
	idx := make([]int64, 0, len(pix)*im.C)
	hw := int64(im.H) * int64(im.W)
	base := int64(im.Batch) * hw * int64(im.C)
	for _, p := range pix {
		for c := 0; c < im.C; c++ {
			switch im.Layout {
			case "nchw":
				idx = append(idx, base+int64(c)*hw+int64(p))
			default: // nhwc, nc
				idx = append(idx, base+int64(p)*int64(im.C)+int64(c))
			}
		}
	}
	return im.Features.Gather(idx, dst)
}
