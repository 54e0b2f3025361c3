package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/maps"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
)

// mapReport is the JSON file of `otce map` (maps.json).
type mapReport struct {
	Candidate string          `json:"candidate"`
	OTCEMean  float64         `json:"otce_mean"`
	OTCEStd   float64         `json:"otce_std"`
	MaxH      float64         `json:"colour_scale_max_h"`
	Images    []mapImage      `json:"images"`  // worst first
	Classes   []maps.ClassRow `json:"classes"` // largest part of H(Yt|Ys) first
	Patch     *patchReport    `json:"patch,omitempty"`
	Warnings  []string        `json:"warnings"`
	Settings  report.Settings `json:"settings"`
}

type mapImage struct {
	maps.ImageScore
	Partial int      `json:"partial"` // defined in some repetitions only
	Files   []string `json:"files"`
}

type patchReport struct {
	Stride int        `json:"stride"`
	Rows   int        `json:"rows"`
	Cols   int        `json:"cols"`
	OTCE   []*float64 `json:"otce"` // row-major, null where a side has no pixel
	Source []int      `json:"source_pixels"`
	Target []int      `json:"target_pixels"`
	// Metrics are the other scores' patch maps (patch_<name>.npy/.png).
	Metrics []patchMetric `json:"metrics,omitempty"`
	// NotMapped lists the scores asked for that have no patch map.
	NotMapped []string `json:"metrics_not_mapped,omitempty"`
}

// patchMetric is one score's patch map in maps.json.
type patchMetric struct {
	Name      string     `json:"name"`
	Values    []*float64 `json:"values"`    // row-major, null where undefined
	Undefined int        `json:"undefined"` // patches without a value
	Reason    string     `json:"reason,omitempty"`
	Best      float64    `json:"colour_scale_best"`  // dark blue in the PNG
	Worst     float64    `json:"colour_scale_worst"` // yellow
	Files     []string   `json:"files"`
}

func cmdMap(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("otce map", flag.ContinueOnError)
	var o options
	settingsFlags(fs, &o)
	var sf, sl, tf, tl, stems multi
	fs.Var(&sf, "source-features", "source-domain features (file or folder; repeatable)")
	fs.Var(&sl, "source-labels", "source-domain labels")
	fs.Var(&tf, "target-features", "target-domain features extracted by the same model")
	fs.Var(&tl, "target-labels", "target-domain labels")
	fs.Var(&stems, "image", "map only the target image of this stem (repeatable; default: all)")
	patch := fs.Int("patch", 0, "also the authors' patch-wise map with this stride (0: none)")
	out := fs.String("out", "", "folder for the maps (created)")
	rgb := fs.String("target-images", "", "folder of the target RGB images (.png, .jpg), paired by stem: the maps are blended over them")
	demo := fs.String("demo", "", "map a candidate of the built-in demo (its name or 1-based number) instead of files")
	volumes := fs.Bool("volumes", false, "with --demo: the volumetric demo")
	maxH := fs.Float64("max-h", 0, "h at the top of the colour scale (0: log of the number of target classes)")
	zoom := fs.Int("zoom", 1, "enlarge the PNG maps by this integer factor (nearest neighbour)")
	opacity := fs.Float64("opacity", 0.6, "opacity of the map over the RGB image")
	if err := parse(fs, args, stderr, &o); err != nil {
		return err
	}
	switch {
	case *out == "":
		return errors.New("missing --out")
	case *patch < 0:
		return fmt.Errorf("--patch must be zero or positive, got %d", *patch)
	case !(*maxH >= 0) || math.IsInf(*maxH, 0):
		return fmt.Errorf("--max-h must be zero or positive, got %v", *maxH)
	case *zoom < 1 || *zoom > 64:
		return fmt.Errorf("--zoom must be in [1, 64], got %d", *zoom)
	case !(*opacity >= 0 && *opacity <= 1):
		return fmt.Errorf("--opacity must be in [0, 1], got %v", *opacity)
	}
	var c otce.Candidate
	var err error
	if *demo != "" {
		if c, err = demoCandidate(*demo, *volumes); err != nil {
			return err
		}
	} else if c, err = candidateFiles("", sf, sl, tf, tl); err != nil {
		return err
	}
	j, err := otce.Prepare(c, o.s)
	if err != nil {
		return err
	}
	if *patch > 0 {
		if _, _, err := maps.PatchGrid(j.Source, j.Target); err != nil {
			return err
		}
	}
	names := maps.Stems(j.Target)
	selected, err := selectImages(names, stems)
	if err != nil {
		return err
	}
	var photos map[string]string
	if *rgb != "" {
		if photos, err = rgbImages(*rgb); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("%s: %v", *out, errText(err))
	}
	prog := newProgress(stderr, o.quiet, 1, o.s)
	var update func(otce.Progress)
	if prog != nil {
		update = prog.update
	}
	reps, res := maps.Repetitions(ctx, j, o.workers, update)
	prog.done()
	if res.Error != "" {
		return errors.New(res.Error)
	}
	rep := mapReport{Candidate: c.Name, OTCEMean: res.OTCEMean, OTCEStd: res.OTCEStd, Classes: maps.Classes(reps), Warnings: res.Warnings, Settings: o.s}
	rep.MaxH = *maxH
	if rep.MaxH == 0 {
		lb := 0
		for _, r := range reps {
			lb = max(lb, r.Lb)
		}
		rep.MaxH = math.Log(float64(max(lb, 2)))
	}
	labels := labelFiles(c.TargetLabels)
	rd := render{maxH: rep.MaxH, zoom: *zoom, opacity: *opacity}
	for _, k := range selected {
		im, stem := j.Target.Images[k], names[k]
		m, err := maps.ImageMap(ctx, im, reps, maps.Options{Transform: o.s.Transform.String(), Workers: o.workers})
		if err != nil {
			return err
		}
		lf := labels.of(im, len(c.TargetLabels))
		files, err := writeImageMap(*out, stem, im, m, lf, o.s.LabelKey, photos, rd)
		if err != nil {
			return err
		}
		rep.Images = append(rep.Images, mapImage{ImageScore: m.Score(stem, k), Partial: m.Partial, Files: files})
	}
	slices.SortStableFunc(rep.Images, func(a, b mapImage) int { return maps.CompareWorst(a.ImageScore, b.ImageScore) })
	if *patch > 0 {
		if rep.Patch, err = writePatches(ctx, *out, j, o.s, *patch, o.workers, rd); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "maps.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("%s: %v", *out, errText(err))
	}
	if o.format == "json" {
		_, err = stdout.Write(append(b, '\n'))
		return err
	}
	fmt.Fprintf(stdout, "%s  OTCE %.4f ± %.4f  (%d repetitions); maps in %s\n\n", nameOr(c.Name), res.OTCEMean, res.OTCEStd, len(reps), *out)
	fmt.Fprintf(stdout, "%-32s %10s %10s %8s %9s\n", "image (worst first)", "OTCE_img", "mean h", "pixels", "undefined")
	for _, im := range rep.Images {
		fmt.Fprintf(stdout, "%-32s %10.4f %10.4f %8d %9d\n", im.Stem, im.OTCE, im.MeanH, im.Defined, im.Undefined)
	}
	fmt.Fprintf(stdout, "\n%-8s %8s %8s %8s  %s\n", "class", "share", "P(b)", "mean h", "its mass went to (source class: P(a|b))")
	for _, row := range rep.Classes {
		var to []string
		for _, s := range row.Sources[:min(3, len(row.Sources))] {
			to = append(to, fmt.Sprintf("%d: %.2f", s.Label, s.P))
		}
		fmt.Fprintf(stdout, "%-8d %7.1f%% %8.3f %8.3f  %s\n", row.Label, 100*row.Share, row.Mass, row.MeanH, strings.Join(to, ", "))
	}
	if p := rep.Patch; p != nil {
		files := []string{"patch.npy (OTCE)"}
		for _, m := range p.Metrics {
			f := m.Files[0]
			if m.Undefined > 0 {
				f += fmt.Sprintf(" (%d undefined)", m.Undefined)
			}
			files = append(files, f)
		}
		fmt.Fprintf(stdout, "\npatch maps (stride %d, %d×%d patches): %s\n", p.Stride, p.Rows, p.Cols, strings.Join(files, ", "))
	}
	return nil
}

// writePatches computes the patch-wise maps at stride s (OTCE and the
// scores of the settings' --metrics that have one) and writes patch.npy
// and patch.png (OTCE), patch_<name>.npy and patch_<name>.png (the other
// scores): float32 at the patch grid, NaN where undefined, and the heat
// maps of maps.PatchMap.Heat, each patch an 8s×8s block. The patches are
// scored by workers goroutines (0: all cores).
func writePatches(ctx context.Context, dir string, j *otce.Job, st report.Settings, s, workers int, rd render) (*patchReport, error) {
	po, unmapped, err := maps.PatchOptionsOf(st, s)
	if err != nil {
		return nil, err
	}
	po.Workers = workers
	pm, err := maps.PatchesWith(ctx, j.Source, j.Target, po)
	if err != nil {
		return nil, err
	}
	pr := &patchReport{Stride: pm.Stride, Rows: pm.Rows, Cols: pm.Cols, OTCE: nullNaN(pm.OTCE), Source: pm.Source, Target: pm.Target, NotMapped: unmapped}
	write := func(name string, values []float64) error {
		file := "patch"
		if name != "otce" {
			file += "_" + name
		}
		vals := make([]float32, len(values))
		for k, v := range values {
			vals[k] = float32(v)
		}
		if err := writeNPY(filepath.Join(dir, file+".npy"), []int{pm.Rows, pm.Cols}, vals); err != nil {
			return err
		}
		ph, _ := pm.Heat(name, rd.maxH)
		r := render{maxH: ph.Top, zoom: rd.zoom}
		img := r.heat(pm.Rows, pm.Cols, 8*pm.Stride, 8*pm.Stride, ph.H, ph.Labels, nil)
		if name == "otce" {
			img = r.withBar(img)
		} else {
			img = r.withScale(img, num2(ph.Worst), num2(ph.Best), "")
		}
		return writePNG(filepath.Join(dir, file+".png"), img)
	}
	if err := write("otce", pm.OTCE); err != nil {
		return nil, err
	}
	for _, ps := range pm.Metrics {
		if err := write(ps.Name, ps.Values); err != nil {
			return nil, err
		}
		ph, _ := pm.Heat(ps.Name, rd.maxH)
		pr.Metrics = append(pr.Metrics, patchMetric{Name: ps.Name, Values: nullNaN(ps.Values), Undefined: ps.Undefined, Reason: ps.Reason,
			Best: ph.Best, Worst: ph.Worst, Files: []string{"patch_" + ps.Name + ".npy", "patch_" + ps.Name + ".png"}})
	}
	return pr, nil
}

// nullNaN returns pointers to the values, nil for NaN (JSON's null).
func nullNaN(vs []float64) []*float64 {
	out := make([]*float64, len(vs))
	for k := range vs {
		if !math.IsNaN(vs[k]) {
			out[k] = &vs[k]
		}
	}
	return out
}

// num2 writes a colour bar's value with two decimals.
func num2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func nameOr(name string) string {
	if name == "" {
		return "candidate"
	}
	return name
}

// demoCandidate picks a built-in demo candidate by name or 1-based number.
func demoCandidate(which string, volumes bool) (otce.Candidate, error) {
	cands := otce.DemoCandidates()
	if volumes {
		cands = otce.DemoVolumeCandidates()
	}
	var names []string
	for i, c := range cands {
		if c.Name == which || strconv.Itoa(i+1) == which {
			return c, nil
		}
		names = append(names, c.Name)
	}
	return otce.Candidate{}, fmt.Errorf("--demo %q: want 1–%d or one of %s", which, len(cands), strings.Join(names, ", "))
}

// selectImages returns the indices of the images named by stems (all when
// none), in domain order.
func selectImages(names []string, stems []string) ([]int, error) {
	var out []int
	if len(stems) == 0 {
		for k := range names {
			out = append(out, k)
		}
		return out, nil
	}
	for _, s := range stems {
		k := slices.Index(names, s)
		if k < 0 {
			shown := names[:min(len(names), 5)]
			more := ""
			if len(names) > 5 {
				more = fmt.Sprintf(", … (%d in all)", len(names))
			}
			return nil, fmt.Errorf("--image %q: no target image has this stem (they are %s%s)", s, strings.Join(shown, ", "), more)
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out, nil
}

// rgbImages lists the .png and .jpg images of a folder by stem.
func rgbImages(dir string) (map[string]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", dir, errText(err))
	}
	out := map[string]string{}
	for _, e := range ents {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".png" && ext != ".jpg" && ext != ".jpeg") {
			continue
		}
		stem := dataset.Stem(e.Name())
		if prev, ok := out[stem]; ok {
			return nil, fmt.Errorf("%s: two images of stem %q (%s and %s)", dir, stem, prev, e.Name())
		}
		out[stem] = filepath.Join(dir, e.Name())
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no .png or .jpg image in this folder", dir)
	}
	return out, nil
}

// labelIndex finds an image's label file.
type labelIndex map[string]dataset.File

func labelFiles(files []dataset.File) labelIndex {
	idx := labelIndex{}
	for _, f := range files {
		idx[dataset.Stem(f.Name())] = f
	}
	return idx
}

func (idx labelIndex) of(im *dataset.Image, n int) dataset.File {
	if n == 1 {
		for _, f := range idx {
			return f
		}
	}
	return idx[dataset.Stem(im.Features.Name)]
}

// labelGrid returns the size of an image's label map (volume): its shape
// without axes of size one, last two (three) axes; and the integer factors
// from the feature grid. It returns the feature grid and factors 1 when
// the label file cannot tell.
func labelGrid(f dataset.File, key string, im *dataset.Image) (d, h, w, sd, sh, sw int) {
	d, h, w, sd, sh, sw = max(im.D, 1), im.H, im.W, 1, 1, 1
	if f == nil {
		return
	}
	a, err := arrays.Open(f, f.Size(), f.Name(), key)
	if err != nil {
		return
	}
	var s []int
	for _, n := range a.Shape {
		if n != 1 {
			s = append(s, n)
		}
	}
	ld, lh, lw := 1, 0, 0
	switch {
	case im.D > 1 && len(s) >= 3:
		ld, lh, lw = s[len(s)-3], s[len(s)-2], s[len(s)-1]
	case im.D <= 1 && len(s) >= 2:
		lh, lw = s[len(s)-2], s[len(s)-1]
	default:
		return
	}
	if ld%d != 0 || lh%im.H != 0 || lw%im.W != 0 {
		return
	}
	return ld, lh, lw, ld / d, lh / im.H, lw / im.W
}

// writeImageMap writes an image's map: <stem>.npy at the feature grid, a
// PNG heat map at the label map's size (volumes: one a feature slice, and a
// NIfTI map on the label volume's grid with its header), and returns the
// names of the files written.
func writeImageMap(dir, stem string, im *dataset.Image, m *maps.Map, lf dataset.File, key string, photos map[string]string, rd render) ([]string, error) {
	var files []string
	shape := []int{m.H, m.W}
	if im.D > 1 {
		shape = []int{m.D, m.H, m.W}
	}
	if err := writeNPY(filepath.Join(dir, stem+".npy"), shape, m.Values); err != nil {
		return nil, err
	}
	files = append(files, stem+".npy")
	ld, lh, lw, sd, sh, sw := labelGrid(lf, key, im)
	if im.D <= 1 {
		var photo []byte
		if p, ok := photos[stem]; ok {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", p, errText(err))
			}
			photo = b
		}
		img, err := rd.image(m.H, m.W, sh, sw, m.Values, m.Labels, photo, photos[stem])
		if err != nil {
			return nil, err
		}
		if err := writePNG(filepath.Join(dir, stem+".png"), rd.withBar(img)); err != nil {
			return nil, err
		}
		return append(files, stem+".png"), nil
	}
	n := m.H * m.W
	for z := 0; z < m.D; z++ {
		img := rd.heat(m.H, m.W, sh, sw, m.Values[z*n:(z+1)*n], m.Labels[z*n:(z+1)*n], nil)
		name := fmt.Sprintf("%s_slice%03d.png", stem, z)
		if err := writePNG(filepath.Join(dir, name), rd.withBar(img)); err != nil {
			return nil, err
		}
		files = append(files, name)
	}
	// The map on the label volume's grid, in Fortran order (the first axis
	// fastest), as nibabel stores (X, Y, Z) = (D, H, W).
	vol := make([]float32, ld*lh*lw)
	for z := 0; z < lw; z++ {
		for y := 0; y < lh; y++ {
			for x := 0; x < ld; x++ {
				vol[x+ld*(y+lh*z)] = m.Values[((x/sd)*m.H+y/sh)*m.W+z/sw]
			}
		}
	}
	b, gz, err := niftiLike(lf, []int{ld, lh, lw}, vol)
	if err != nil {
		return nil, err
	}
	name := stem + ".nii"
	if gz {
		name += ".gz"
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		return nil, fmt.Errorf("%s: %v", dir, errText(err))
	}
	return append(files, name), nil
}

func writeNPY(path string, shape []int, data []float32) error {
	b, err := arrays.EncodeNPY(shape, "<f4", data)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("%s: %v", path, errText(err))
	}
	return nil
}

// niftiLike encodes a float32 volume (X, Y, Z) in Fortran order as a NIfTI-1
// file with the label file's header (voxel sizes, qform and sform: its
// affine), gzipped when the label file is. A label file that is not a
// little-endian NIfTI-1 file gives a header with unit voxels (no affine).
func niftiLike(lf dataset.File, shape []int, vol []float32) ([]byte, bool, error) {
	gz := lf != nil && strings.HasSuffix(strings.ToLower(lf.Name()), ".gz")
	hdr := make([]byte, 348)
	ok := false
	if lf != nil {
		var r io.Reader = io.NewSectionReader(lf, 0, lf.Size())
		if gz {
			zr, err := gzip.NewReader(r)
			if err == nil {
				r = zr
			}
		}
		if _, err := io.ReadFull(r, hdr); err == nil && binary.LittleEndian.Uint32(hdr) == 348 && string(hdr[344:347]) == "n+1" {
			ok = true
		}
	}
	if !ok {
		b, err := arrays.EncodeNIfTI(shape, vol, gz)
		return b, gz, err
	}
	le := binary.LittleEndian
	le.PutUint16(hdr[40:], 3)
	for i := 0; i < 7; i++ {
		n := 1
		if i < 3 {
			n = shape[i]
		}
		le.PutUint16(hdr[42+2*i:], uint16(n))
	}
	le.PutUint16(hdr[68:], 0)                      // intent_code
	le.PutUint16(hdr[70:], 16)                     // datatype: float32
	le.PutUint16(hdr[72:], 32)                     // bitpix
	le.PutUint32(hdr[108:], math.Float32bits(352)) // vox_offset
	le.PutUint32(hdr[112:], math.Float32bits(1))   // scl_slope
	le.PutUint32(hdr[116:], 0)                     // scl_inter
	le.PutUint32(hdr[124:], 0)                     // cal_max
	le.PutUint32(hdr[128:], 0)                     // cal_min
	var buf bytes.Buffer
	buf.Write(hdr)
	buf.Write([]byte{0, 0, 0, 0})
	data := make([]byte, 4*len(vol))
	for i, v := range vol {
		le.PutUint32(data[4*i:], math.Float32bits(v))
	}
	buf.Write(data)
	if !gz {
		return buf.Bytes(), false, nil
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	if _, err := zw.Write(buf.Bytes()); err != nil {
		return nil, true, err
	}
	if err := zw.Close(); err != nil {
		return nil, true, err
	}
	return z.Bytes(), true, nil
}
