// Package dataset turns the files of one domain (features and label maps of
// one or many images) into a Domain: a list of images whose labels have been
// mapped onto the feature grid, with an index of the valid pixels, ready to
// be sampled.
//
// # Layouts
//
// Features are (N, C) rows of pixels ("nc"), (C, H, W) or (H, W, C) for one
// image, (B, C, H, W) or (B, H, W, C) for a batch ("nchw", "nhwc"; the
// three-dimensional forms are the same layouts with B = 1). Volumes are
// (C, D, H, W) or (D, H, W, C) for one volume, (B, C, D, H, W) or
// (B, D, H, W, C) for a batch ("ncdhw", "ndhwc"). Labels are (N,), (H, W) or
// (B, H, W) for images, (D, H, W) or (B, D, H, W) for volumes; axes of size
// one are dropped where the rank calls for it, so (B, 1, H, W), (1, H, W)
// and (X, Y, 1) work too. Layout "auto" picks the layout whose grid agrees
// with the labels, preferring an exact size match, then volumes when the
// labels come from a NIfTI file and images otherwise, then channels first,
// and reports its choice (with a warning when an image layout and a volume
// layout fit equally well).
//
// The names D, H, W are positional: a NIfTI label volume is read as nibabel
// reads it (see [arrays.OpenNIfTI]), (X, Y, Z) = (D, H, W), which is the
// order of the feature maps of a network fed with nibabel-loaded volumes
// (MONAI, nnU-Net): (C, X, Y, Z), layout "ncdhw".
//
// # Labels on the feature grid
//
// When the label map is larger than the feature grid by integer factors
// sd = DL/D, sh = HL/H and sw = WL/W, feature voxel (d, h, w) takes the label
// at (d·sd, h·sh, w·sw): the first label voxel of its cell, which is what
// PyTorch's F.interpolate(labels, size=(D, H, W), mode="nearest") picks (for
// images, D = DL = 1). Any other ratio is an error naming both shapes.
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
	"cmp"
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
	Layout      string // "auto", "nchw", "nhwc", "ncdhw", "ndhwc" or "nc"
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

// MaxClasses is the largest number of distinct labels a domain may hold.
// Class labels are few (Cityscapes 19, ADE20K 150, COCO-Stuff 171); a label
// map with thousands of distinct values is an instance-id map or a depth
// map given by mistake, and its joint table (classes² entries per row
// block) would not fit in memory.
const MaxClasses = 1024

// Image is one image (or volume) of a domain: its features and its labels
// mapped onto the feature grid.
type Image struct {
	Features   *arrays.Array
	Layout     string // "nchw", "nhwc", "ncdhw", "ndhwc" or "nc"
	Batch      int    // index along the batch axis of Features
	D, H, W, C int    // feature grid (D = 1 for images) and channels
	Valid      int    // number of valid pixels (voxels)
	// The labels on the feature grid, one byte a pixel while the image
	// has at most 255 distinct labels (codes into values, noCode for an
	// invalid pixel), two bytes a pixel (labels, invalid) beyond.
	labels8   []uint8
	values    []uint16
	lastValue uint16 // the label last encoded, and its code
	lastCode  uint8
	labels    []uint16
	before    []int32 // valid pixels before each block of blockLen pixels
}

// Domain is the set of images of one domain.
type Domain struct {
	Name     string
	Images   []*Image
	Dim      int   // channels
	Valid    int64 // valid pixels in all images
	Layout   string
	Warnings []string
	// Classes are the label values present among the valid pixels, in
	// increasing order, and ClassPixels[k] the number of valid pixels of
	// label Classes[k].
	Classes     []int
	ClassPixels []int64
}

// classCounter counts the valid pixels of each label value of a domain.
type classCounter struct {
	counts   []int64 // by label value, MaxLabel+1 entries
	distinct int
}

// add counts a pixel of label v read from the array la, and refuses a
// domain with more than MaxClasses distinct labels.
func (cc *classCounter) add(v uint16, la *arrays.Array) error {
	if cc.counts[v] == 0 {
		cc.distinct++
		if cc.distinct > MaxClasses {
			return la.Errorf("more than %d distinct label values in this domain (label %d is one): an instance-id map (such as *_instanceIds.png) or a depth map given as labels?", MaxClasses, v)
		}
	}
	cc.counts[v]++
	return nil
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
	if err := bundleFolderError(features, labels); err != nil {
		return nil, err
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
		return nil, arrays.Errorf(missing[0], "no label file with the same stem%s", more(len(missing)))
	}
	var orphans []string
	for _, s := range lstems {
		if _, ok := fm[s]; !ok {
			orphans = append(orphans, lm[s].Name())
		}
	}
	if len(orphans) > 0 {
		return nil, arrays.Errorf(orphans[0], "no feature file with the same stem%s", more(len(orphans)))
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
	cc := &classCounter{counts: make([]int64, MaxLabel+1)}
	for _, pr := range pairs {
		imgs, layout, warning, err := openPair(pr[0], pr[1], opt, cc)
		if err != nil {
			return nil, err
		}
		if warning != "" && len(d.Warnings) == 0 {
			d.Warnings = append(d.Warnings, warning) // the first such file stands for all
		}
		for _, im := range imgs {
			im.index()
			if d.Dim == 0 {
				d.Dim = im.C
			} else if im.C != d.Dim {
				return nil, arrays.Errorf(pr[0].Name(), "%d channels, but %s has %d", im.C, d.Images[0].Features.Name, d.Dim)
			}
			d.Images = append(d.Images, im)
			d.Valid += int64(im.Valid)
		}
		if d.Layout == "" {
			d.Layout = layout
		} else if !slices.Contains(strings.Split(d.Layout, ","), layout) {
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
	for v, n := range cc.counts {
		if n > 0 {
			d.Classes = append(d.Classes, v)
			d.ClassPixels = append(d.ClassPixels, n)
		}
	}
	return d, nil
}

func openArray(f File, key string) (*arrays.Array, error) {
	return arrays.Open(f, f.Size(), f.Name(), key)
}

// openPair opens one feature file and its label file. It returns the
// images, the layout chosen and a warning about that choice, if any.
func openPair(ff, lf File, opt Options, cc *classCounter) ([]*Image, string, string, error) {
	var fa, la *arrays.Array
	var err error
	if ext := arrays.Extension(ff.Name()); ff.Name() == lf.Name() && (ext == ".npz" || ext == ".safetensors") {
		// One bundle holds both: parse its directory or header once.
		b, err := arrays.OpenBundle(ff, ff.Size(), ff.Name())
		if err != nil {
			return nil, "", "", err
		}
		if fa, err = b.Member(opt.FeatureKey); err != nil {
			return nil, "", "", err
		}
		if la, err = b.Member(opt.LabelKey); err != nil {
			return nil, "", "", err
		}
	} else {
		if fa, err = openArray(ff, opt.FeatureKey); err != nil {
			return nil, "", "", err
		}
		if la, err = openArray(lf, opt.LabelKey); err != nil {
			return nil, "", "", err
		}
	}
	if fa.DType.Kind == arrays.Bool {
		return nil, "", "", fa.Errorf("features of dtype bool")
	}
	g, warning, err := chooseLayout(fa, la, opt.Layout)
	if err != nil {
		return nil, "", "", err
	}
	out := make([]*Image, g.b)
	for b := range out {
		out[b] = &Image{Features: fa, Layout: g.layout, Batch: b, D: g.d, H: g.h, W: g.w, C: g.c,
			labels8: make([]uint8, g.d*g.h*g.w), lastValue: invalid, lastCode: noCode}
	}
	if err := readLabels(la, g, opt.IgnoreIndex, out, cc); err != nil {
		return nil, "", "", err
	}
	return out, g.layout, warning, nil
}

// readLabels maps the label array onto the feature grids of the images,
// reading only the label voxels the grids use, in chunks whose positions in
// the file go forward, so that a gzipped volume is inflated in one pass; it
// counts the valid pixels of each label in cc.
func readLabels(la *arrays.Array, g grid, ignore int, imgs []*Image, cc *classCounter) error {
	dims := [4]int{g.b, g.d, g.h, g.w}
	step := [4]int64{1, int64(g.dl / g.d), int64(g.hl / g.h), int64(g.wl / g.w)}
	// C-order strides of the label grid (B, DL, HL, WL).
	stride := [4]int64{int64(g.dl) * int64(g.hl) * int64(g.wl), int64(g.hl) * int64(g.wl), int64(g.wl), 1}
	// Visit the grid points with the last axis fastest (C order), or the
	// first (Fortran order), so that their positions in the file increase.
	order := [4]int{0, 1, 2, 3}
	if la.Fortran {
		order = [4]int{3, 2, 1, 0}
	}
	// Buffers of at most 2¹⁶ grid points (1.5 MB), and no larger than the
	// grid: a folder of 10⁴ small images must not cost 1.5 MB an image.
	chunk := min(1<<16, g.b*g.d*g.h*g.w)
	if la.Fortran && g.layout == "nc" {
		// The (1, 1, N, 1) view is not the array's shape: one Gather sorts
		// all the positions.
		chunk = g.h
	}
	idx := make([]int64, 0, chunk)
	dst := make([]int, 0, chunk) // image·D·H·W + position
	vals := make([]float64, chunk)
	npix := g.d * g.h * g.w
	flush := func() error {
		if err := la.Gather(idx, vals[:len(idx)]); err != nil {
			return err
		}
		for k, v := range vals[:len(idx)] {
			im := imgs[dst[k]/npix]
			p := dst[k] % npix
			if v == float64(ignore) {
				im.setLabel(p, invalid)
				continue
			}
			if v != math.Trunc(v) || v < 0 || v > MaxLabel {
				return labelError(la, v)
			}
			if err := cc.add(uint16(v), la); err != nil {
				return err
			}
			im.setLabel(p, uint16(v))
			im.Valid++
		}
		idx, dst = idx[:0], dst[:0]
		return nil
	}
	var c [4]int // grid coordinates (b, d, h, w)
	total := g.b * npix
	for range total {
		var flat int64
		for a := range 4 {
			flat += int64(c[a]) * step[a] * stride[a]
		}
		idx = append(idx, flat)
		dst = append(dst, ((c[0]*g.d+c[1])*g.h+c[2])*g.w+c[3])
		if len(idx) == chunk {
			if err := flush(); err != nil {
				return err
			}
		}
		for k := 3; k >= 0; k-- { // odometer, order[3] fastest
			a := order[k]
			if c[a]++; c[a] < dims[a] {
				break
			}
			c[a] = 0
		}
	}
	if len(idx) > 0 {
		return flush()
	}
	return nil
}

func labelError(la *arrays.Array, v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return la.Errorf("label %v is not a class index", v)
	case v != math.Trunc(v):
		return la.Errorf("label %v is not an integer", v)
	case v < 0:
		return la.Errorf("negative label %v (set --ignore-index if it marks unlabelled pixels)", v)
	}
	return la.Errorf("label %v is larger than %d", v, MaxLabel)
}

// grid is a resolved layout of a feature array against its labels.
type grid struct {
	layout        string
	b, c, d, h, w int
	dl, hl, wl    int // label grid of one image
	exact         bool
}

// volume reports whether the layout is one of volumes.
func (g grid) volume() bool { return g.layout == "ncdhw" || g.layout == "ndhwc" }

// gridString formats a grid as DxHxW, or HxW for images.
func gridString(g grid, d, h, w int) string {
	if g.volume() {
		return fmt.Sprintf("%dx%dx%d", d, h, w)
	}
	return fmt.Sprintf("%dx%d", h, w)
}

// chooseLayout resolves the feature layout against the labels' shape. It
// returns a warning when an image layout and a volume layout fit equally
// well.
func chooseLayout(fa, la *arrays.Array, want string) (grid, string, error) {
	fs := fa.Shape
	var cands []grid
	add := func(layout string, b, c, d, h, w int) {
		cands = append(cands, grid{layout: layout, b: b, c: c, d: d, h: h, w: w})
	}
	switch len(fs) {
	case 2:
		add("nc", 1, fs[1], 1, fs[0], 1)
	case 3:
		add("nchw", 1, fs[0], 1, fs[1], fs[2])
		add("nhwc", 1, fs[2], 1, fs[0], fs[1])
	case 4:
		add("nchw", fs[0], fs[1], 1, fs[2], fs[3])
		add("nhwc", fs[0], fs[3], 1, fs[1], fs[2])
		add("ncdhw", 1, fs[0], fs[1], fs[2], fs[3])
		add("ndhwc", 1, fs[3], fs[0], fs[1], fs[2])
	case 5:
		add("ncdhw", fs[0], fs[1], fs[2], fs[3], fs[4])
		add("ndhwc", fs[0], fs[4], fs[1], fs[2], fs[3])
	default:
		return grid{}, "", fa.Errorf("features of shape %v: want (N,C), (C,H,W), (H,W,C), (B,C,H,W), (B,H,W,C), (C,D,H,W), (D,H,W,C), (B,C,D,H,W) or (B,D,H,W,C)", fs)
	}
	switch want {
	case "", "auto":
	case "nc", "nchw", "nhwc", "ncdhw", "ndhwc":
		var keep []grid
		for _, g := range cands {
			if g.layout == want {
				keep = append(keep, g)
			}
		}
		if len(keep) == 0 {
			return grid{}, "", fa.Errorf("layout %s does not fit features of shape %v", want, fs)
		}
		cands = keep
	default:
		return grid{}, "", fmt.Errorf("unknown layout %q (auto, nchw, nhwc, ncdhw, ndhwc, nc)", want)
	}
	// Labels from a NIfTI file, or of rank 4 and more, are volumes.
	ext := arrays.Extension(la.Name)
	volumes := ext == ".nii" || ext == ".nii.gz" || len(la.Shape) >= 4
	var fits []grid
	var whyImage, whyVolume string // the first reason a candidate does not fit
	reject := func(g grid, why string) {
		switch {
		case g.volume() && whyVolume == "":
			whyVolume = why
		case !g.volume() && whyImage == "":
			whyImage = why
		}
	}
	for _, g := range cands {
		if g.c <= 0 || g.d <= 0 || g.h <= 0 || g.w <= 0 || g.b <= 0 {
			reject(g, "an axis of length 0")
			continue
		}
		lb, dl, hl, wl, ok := labelGrid(la.Shape, g)
		if !ok {
			continue
		}
		if lb != g.b {
			what := "images"
			if g.volume() {
				what = "volumes"
			}
			reject(g, fmt.Sprintf("%d feature %s but %d label maps", g.b, what, lb))
			continue
		}
		if dl%g.d != 0 || hl%g.h != 0 || wl%g.w != 0 {
			reject(g, fmt.Sprintf("label grid %s is not an integer multiple of feature grid %s", gridString(g, dl, hl, wl), gridString(g, g.d, g.h, g.w)))
			continue
		}
		g.dl, g.hl, g.wl = dl, hl, wl
		g.exact = dl == g.d && hl == g.h && wl == g.w
		fits = append(fits, g)
	}
	if len(fits) == 0 {
		why := whyImage
		if volumes && whyVolume != "" || why == "" {
			why = whyVolume
		}
		if why == "" {
			why = "shapes do not correspond"
		}
		return grid{}, "", fmt.Errorf("%s %v and %s %v: %s", fa.Name, fs, la.Name, la.Shape, why)
	}
	rank := func(g grid) int {
		r := 0
		if !g.exact {
			r += 2
		}
		if g.volume() != volumes {
			r++
		}
		return r
	}
	slices.SortStableFunc(fits, func(a, b grid) int { return rank(a) - rank(b) })
	var warning string
	for _, g := range fits[1:] {
		if g.exact == fits[0].exact && g.volume() != fits[0].volume() {
			warning = fmt.Sprintf("%s %v and %s %v fit both layouts %s and %s: %s chosen (set --layout to choose)",
				fa.Name, fs, la.Name, la.Shape, fits[0].layout, g.layout, fits[0].layout)
			break
		}
	}
	if w := axisOrderWarning(fa, la, fits[0]); w != "" {
		if warning != "" {
			warning += "; "
		}
		warning += w
	}
	return fits[0], warning, nil
}

// labelGrid reads the label shape as (batch, depth, height, width) for grid
// g (depth 1 for images).
func labelGrid(shape []int, g grid) (b, d, h, w int, ok bool) {
	s := slices.Clone(shape)
	if g.layout == "nc" {
		n := 1
		for _, x := range s {
			n *= x
		}
		return 1, 1, n, 1, true
	}
	rank := 3 // (B, H, W)
	if g.volume() {
		rank = 4 // (B, D, H, W)
	}
	// Drop axes of length one (not the batch axis) until the rank fits.
	for len(s) > rank {
		i := slices.Index(s[1:], 1)
		if i < 0 {
			return 0, 0, 0, 0, false
		}
		s = slices.Delete(s, i+1, i+2)
	}
	// A single image or volume may drop one more: its batch axis, or
	// another axis of length one, such as the Z of an (X, Y, 1) volume
	// given for an image.
	if len(s) == rank && g.b == 1 {
		if i := slices.Index(s, 1); i >= 0 {
			s = slices.Delete(s, i, i+1)
		}
	}
	switch len(s) {
	case 4:
		return s[0], s[1], s[2], s[3], true
	case 3:
		if g.volume() {
			return 1, s[0], s[1], s[2], true
		}
		return s[0], 1, s[1], s[2], true
	case 2:
		return 1, 1, s[0], s[1], true
	}
	return 0, 0, 0, 0, false
}

// Label returns the class label of feature pixel p of the image and whether
// it is valid.
func (im *Image) Label(p int) (int, bool) {
	l := im.labelAt(p)
	return int(l), l != invalid
}

// noCode is the one-byte code of an invalid pixel.
const noCode = math.MaxUint8

// setLabel stores label v (or invalid) of pixel p, promoting the image to
// two bytes a pixel at its 256th distinct label.
func (im *Image) setLabel(p int, v uint16) {
	if im.labels8 == nil {
		im.labels[p] = v
		return
	}
	if v == im.lastValue {
		im.labels8[p] = im.lastCode
		return
	}
	code := uint8(noCode)
	if v != invalid {
		i := slices.Index(im.values, v)
		if i < 0 {
			if len(im.values) == noCode {
				im.promote()
				im.labels[p] = v
				return
			}
			i = len(im.values)
			im.values = append(im.values, v)
		}
		code = uint8(i)
	}
	im.lastValue, im.lastCode = v, code
	im.labels8[p] = code
}

// promote moves the labels to two bytes a pixel.
func (im *Image) promote() {
	im.labels = make([]uint16, len(im.labels8))
	for p, c := range im.labels8 {
		if c == noCode {
			im.labels[p] = invalid
		} else {
			im.labels[p] = im.values[c]
		}
	}
	im.labels8, im.values = nil, nil
}

// pixels is the number of pixels of the image's grid.
func (im *Image) pixels() int {
	if im.labels8 != nil {
		return len(im.labels8)
	}
	return len(im.labels)
}

// labelAt is the label of pixel p, or invalid.
func (im *Image) labelAt(p int) uint16 {
	if im.labels8 != nil {
		c := im.labels8[p]
		if c == noCode {
			return invalid
		}
		return im.values[c]
	}
	return im.labels[p]
}

// valid reports whether pixel p is valid.
func (im *Image) valid(p int) bool {
	if im.labels8 != nil {
		return im.labels8[p] != noCode
	}
	return im.labels[p] != invalid
}

// blockLen is the number of pixels of a block of the valid-pixel index.
const blockLen = 64

// index builds the image's valid-pixel index: the number of valid pixels
// before each block of blockLen pixels (4 bytes per 64 pixels).
func (im *Image) index() {
	np := im.pixels()
	im.before = make([]int32, (np+blockLen-1)/blockLen)
	n := int32(0)
	for b := range im.before {
		im.before[b] = n
		for p := b * blockLen; p < min((b+1)*blockLen, np); p++ {
			if im.valid(p) {
				n++
			}
		}
	}
}

// ValidPixels returns the positions ((d·H + h)·W + w) of the image's valid pixels
// whose ranks among the valid pixels are given (ascending). Each rank costs a
// binary search of the block index and a scan of at most one block, so the
// time is O(len(ranks)·(log(pixels) + 64)), whatever the image's size.
func (im *Image) ValidPixels(ranks []int) []int {
	out := make([]int, 0, len(ranks))
	for _, r := range ranks {
		// The last block with at most r valid pixels before it holds rank r.
		b, _ := slices.BinarySearch(im.before, int32(r)+1)
		b--
		k := int(im.before[b])
		for p := b * blockLen; p < im.pixels(); p++ {
			if !im.valid(p) {
				continue
			}
			if k == r {
				out = append(out, p)
				break
			}
			k++
		}
	}
	return out
}

// ClassRanks converts ranks within classes into ranks among all the valid
// pixels of the domain (images in order, then positions): want[k] are ranks
// among the valid pixels of label d.Classes[k], in any order, and the
// result's [k][i] is the domain rank of want[k][i]. One pass over the label
// grids.
func (d *Domain) ClassRanks(want [][]int64) [][]int64 {
	index := make([]int32, MaxLabel+1)
	for k, v := range d.Classes {
		index[v] = int32(k)
	}
	// Each class's ranks in increasing order, and where each came from.
	order := make([][]int, len(want))
	out := make([][]int64, len(want))
	for k, w := range want {
		order[k] = make([]int, len(w))
		for i := range order[k] {
			order[k][i] = i
		}
		slices.SortFunc(order[k], func(a, b int) int { return cmp.Compare(w[a], w[b]) })
		out[k] = make([]int64, len(w))
	}
	next := make([]int, len(want))         // next wanted rank of each class
	count := make([]int64, len(d.Classes)) // valid pixels of each class so far
	left := 0
	for _, w := range want {
		left += len(w)
	}
	var rank int64
	for _, im := range d.Images {
		if left == 0 {
			break
		}
		for p := range im.pixels() {
			l := im.labelAt(p)
			if l == invalid {
				continue
			}
			k := index[l]
			if k < int32(len(want)) && next[k] < len(order[k]) && want[k][order[k][next[k]]] == count[k] {
				out[k][order[k][next[k]]] = rank
				next[k]++
				left--
			}
			count[k]++
			rank++
		}
	}
	return out
}

// Gather reads the features of the given pixels (positions (d·H + h)·W + w)
// into dst, pixel after pixel, C values each.
func (im *Image) Gather(pix []int, dst []float64) error {
	idx := make([]int64, 0, len(pix)*im.C)
	hw := int64(max(im.D, 1)) * int64(im.H) * int64(im.W)
	base := int64(im.Batch) * hw * int64(im.C)
	switch im.Layout {
	case "nchw", "ncdhw":
		// Ask channel after channel, so that ascending pixels give the
		// elements in file order (no sort in Array.Gather), then transpose.
		for c := int64(0); c < int64(im.C); c++ {
			for _, p := range pix {
				idx = append(idx, base+c*hw+int64(p))
			}
		}
		byChannel := make([]float64, len(idx))
		if err := im.Features.Gather(idx, byChannel); err != nil {
			return err
		}
		n := len(pix)
		for c := 0; c < im.C; c++ {
			for i, v := range byChannel[c*n : (c+1)*n] {
				dst[i*im.C+c] = v
			}
		}
		return nil
	}
	for _, p := range pix { // nhwc, ndhwc, nc
		for c := 0; c < im.C; c++ {
			idx = append(idx, base+int64(p)*int64(im.C)+int64(c))
		}
	}
	return im.Features.Gather(idx, dst)
}

// gatherChunk bounds the values Gather32 reads at once: 8 MB of float64
// and as many int64 positions, whatever the number of pixels and channels.
const gatherChunk = 1 << 20

// Gather32 reads the features of the given pixels (positions (d·H + h)·W
// + w, ascending) into dst as float32, pixel after pixel, C values each,
// and sets bad[i] when a value of pixel i is NaN, infinite or beyond
// float32's range. It reads in chunks of at most gatherChunk values — a
// group of channels of all the pixels for channels-first layouts, so that
// each pass over a channel plane goes forward once, a group of pixels
// otherwise — so that its buffers have a fixed size.
func (im *Image) Gather32(pix []int, dst []float32, bad []bool) error {
	if len(pix) == 0 {
		return nil
	}
	hw := int64(max(im.D, 1)) * int64(im.H) * int64(im.W)
	base := int64(im.Batch) * hw * int64(im.C)
	n := len(pix)
	put := func(i, c int, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
			bad[i] = true
		}
		dst[i*im.C+c] = float32(v)
	}
	switch im.Layout {
	case "nchw", "ncdhw":
		g := max(gatherChunk/n, 1) // channels a chunk
		idx := make([]int64, 0, min(g, im.C)*n)
		vals := make([]float64, min(g, im.C)*n)
		for c0 := 0; c0 < im.C; c0 += g {
			c1 := min(c0+g, im.C)
			idx = idx[:0]
			for c := int64(c0); c < int64(c1); c++ {
				for _, p := range pix {
					idx = append(idx, base+c*hw+int64(p))
				}
			}
			v := vals[:len(idx)]
			if err := im.Features.Gather(idx, v); err != nil {
				return err
			}
			for c := c0; c < c1; c++ {
				for i, x := range v[(c-c0)*n : (c-c0+1)*n] {
					put(i, c, x)
				}
			}
		}
		return nil
	}
	g := max(gatherChunk/im.C, 1) // pixels a chunk
	idx := make([]int64, 0, min(g, n)*im.C)
	vals := make([]float64, min(g, n)*im.C)
	for i0 := 0; i0 < n; i0 += g { // nhwc, ndhwc, nc
		i1 := min(i0+g, n)
		idx = idx[:0]
		for _, p := range pix[i0:i1] {
			for c := 0; c < im.C; c++ {
				idx = append(idx, base+int64(p)*int64(im.C)+int64(c))
			}
		}
		v := vals[:len(idx)]
		if err := im.Features.Gather(idx, v); err != nil {
			return err
		}
		for i := i0; i < i1; i++ {
			for c := 0; c < im.C; c++ {
				put(i, c, v[(i-i0)*im.C+c])
			}
		}
	}
	return nil
}
