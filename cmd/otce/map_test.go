package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/maps"
	"github.com/otceseg/otceseg/core/otce"
)

// readNPY32 reads a float32 .npy file written by `otce map`.
func readNPY32(t *testing.T, path string) ([]int, []float64) {
	t.Helper()
	b := mustRead(t, path)
	a, err := arrays.OpenNPY(bytes.NewReader(b), int64(len(b)), path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float64, a.Len())
	if err := a.ReadRange(0, v); err != nil {
		t.Fatal(err)
	}
	return a.Shape, v
}

func sameFloats(a []float64, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] && !(math.IsNaN(a[k]) && math.IsNaN(b[k])) {
			return false
		}
	}
	return true
}

// TestMapDemo maps a demo candidate and checks the files against the maps
// package run in the test: the .npy maps bit for bit, the patch map, the
// PNG sizes (label map × zoom, plus the colour bar), the tables.
func TestMapDemo(t *testing.T) {
	dir := t.TempDir()
	out, errs, code := runCLI(t, "map", "--demo", "2", "--out", dir, "-k", "2", "--patch", "4", "--zoom", "2", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "image (worst first)") {
		t.Errorf("no per-image table in the output:\n%s", out)
	}
	s := otce.DefaultSettings()
	s.K = 2
	j, err := otce.Prepare(otce.DemoCandidates()[1], s)
	if err != nil {
		t.Fatal(err)
	}
	reps, res := maps.Repetitions(context.Background(), j, 1, nil)
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	var rep mapReport
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "maps.json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.OTCEMean != res.OTCEMean || len(rep.Images) != len(j.Target.Images) || len(rep.Classes) == 0 {
		t.Fatalf("maps.json: OTCE %v (want %v), %d images, %d classes", rep.OTCEMean, res.OTCEMean, len(rep.Images), len(rep.Classes))
	}
	for k := 1; k < len(rep.Images); k++ {
		if rep.Images[k].OTCE < rep.Images[k-1].OTCE {
			t.Errorf("images not worst first: %v then %v", rep.Images[k-1].OTCE, rep.Images[k].OTCE)
		}
	}
	stems := maps.Stems(j.Target)
	for k, im := range j.Target.Images {
		m, err := maps.ImageMap(context.Background(), im, reps, maps.Options{Transform: s.Transform.String(), Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		shape, got := readNPY32(t, filepath.Join(dir, stems[k]+".npy"))
		want := make([]float64, len(m.Values))
		for p, v := range m.Values {
			want[p] = float64(v)
		}
		if len(shape) != 2 || shape[0] != m.H || shape[1] != m.W || !sameFloats(got, want) {
			t.Errorf("%s.npy (shape %v) differs from the map computed here", stems[k], shape)
		}
		f, err := os.Open(filepath.Join(dir, stems[k]+".png"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		// Labels are 64×64 on a 16×16 grid: the map is 128 wide at zoom 2,
		// the colour bar adds less than 60.
		if cfg.Height != 128 || cfg.Width <= 128 || cfg.Width > 128+60 {
			t.Errorf("%s.png is %d×%d, want 128 high and 128 + a colour bar wide", stems[k], cfg.Width, cfg.Height)
		}
	}
	po, _, err := maps.PatchOptionsOf(s, 4)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := maps.PatchesWith(context.Background(), j.Source, j.Target, po)
	if err != nil {
		t.Fatal(err)
	}
	checkPatchFiles(t, dir, pm, rep.Patch)
	if !slices.Equal(po.Metrics, maps.PatchMetrics) {
		t.Errorf("the default settings map %v, want every patch metric", po.Metrics)
	}
}

// checkPatchFiles compares the patch maps' files written by `otce map`
// with pm: patch.npy (OTCE) and patch_<name>.npy bit for bit as float32,
// and maps.json's patch section.
func checkPatchFiles(t *testing.T, dir string, pm *maps.PatchMap, pr *patchReport) {
	t.Helper()
	if pr == nil || pr.Rows != pm.Rows || pr.Cols != pm.Cols || len(pr.Metrics) != len(pm.Metrics) {
		t.Fatalf("maps.json's patch section %+v, want %d×%d with %d scores", pr, pm.Rows, pm.Cols, len(pm.Metrics))
	}
	one := func(file string, values []float64, inJSON []*float64) {
		shape, got := readNPY32(t, filepath.Join(dir, file))
		want := make([]float64, len(values))
		for k, v := range values {
			want[k] = float64(float32(v))
		}
		if len(shape) != 2 || shape[0] != pm.Rows || shape[1] != pm.Cols || !sameFloats(got, want) {
			t.Errorf("%s %v %v, want %d×%d %v", file, shape, got, pm.Rows, pm.Cols, want)
		}
		for k, v := range inJSON {
			if (v == nil) != math.IsNaN(values[k]) || (v != nil && *v != values[k]) {
				t.Errorf("%s: maps.json's patch %d is %v, want %v", file, k, v, values[k])
			}
		}
		if _, err := os.Stat(filepath.Join(dir, strings.TrimSuffix(file, ".npy")+".png")); err != nil {
			t.Error(err)
		}
	}
	one("patch.npy", pm.OTCE, pr.OTCE)
	for i, ps := range pm.Metrics {
		m := pr.Metrics[i]
		if m.Name != ps.Name || m.Undefined != ps.Undefined || m.Reason != ps.Reason {
			t.Errorf("maps.json's patch score %d: %s, %d undefined (%q), want %s, %d (%q)", i, m.Name, m.Undefined, m.Reason, ps.Name, ps.Undefined, ps.Reason)
		}
		one("patch_"+ps.Name+".npy", ps.Values, m.Values)
	}
}

// TestMapPatchMetrics: --metrics chooses the scores mapped per patch; the
// zero-shot accuracy has no patch map and is listed as such; patches
// without target pixels or with one class (stride 1) give NaN and a count,
// not a failure.
func TestMapPatchMetrics(t *testing.T) {
	dir := t.TempDir()
	out, errs, code := runCLI(t, "map", "--demo", "1", "--out", dir, "-k", "1", "--patch", "1", "--image", "img01",
		"--metrics", "leep,logme,zeroshot", "--shared-classes", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "patch maps (stride 1, 16×16 patches): patch.npy (OTCE), patch_logme.npy (") {
		t.Errorf("the output does not list the patch maps:\n%s", out)
	}
	var rep mapReport
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, "maps.json")), &rep); err != nil {
		t.Fatal(err)
	}
	s := otce.DefaultSettings()
	s.K, s.Metrics, s.SharedClasses = 1, "leep,logme,zeroshot", true
	j, err := otce.Prepare(otce.DemoCandidates()[0], s)
	if err != nil {
		t.Fatal(err)
	}
	po, unmapped, err := maps.PatchOptionsOf(s, 1)
	if err != nil || !slices.Equal(po.Metrics, []string{"logme", "leep"}) || !slices.Equal(unmapped, []string{"zeroshot"}) {
		t.Fatalf("%v %v %v", po.Metrics, unmapped, err)
	}
	pm, err := maps.PatchesWith(context.Background(), j.Source, j.Target, po)
	if err != nil {
		t.Fatal(err)
	}
	checkPatchFiles(t, dir, pm, rep.Patch)
	if !slices.Equal(rep.Patch.NotMapped, []string{"zeroshot"}) {
		t.Errorf("metrics_not_mapped %v, want [zeroshot]", rep.Patch.NotMapped)
	}
	for _, f := range []string{"patch_nce.npy", "patch_zeroshot.npy"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s written for a score not asked for or without a patch map", f)
		}
	}
	t.Logf("stride 1: %d×%d patches; leep undefined in %d (%s)", pm.Rows, pm.Cols, pm.Metrics[1].Undefined, pm.Metrics[1].Reason)
	if pm.Metrics[1].Undefined == 0 {
		t.Error("stride 1 left no patch undefined: the test no longer covers NaN patches")
	}
}

// TestMapRGBAndSelection blends the map of one chosen image over an RGB
// image paired by stem: the PNG takes the photo's size.
func TestMapRGBAndSelection(t *testing.T) {
	dir, photos := t.TempDir(), t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 96, 96))
	for y := 0; y < 96; y++ {
		for x := 0; x < 96; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	exportWritePNG(t, photos, "img01_leftImg8bit.png", img)
	_, errs, code := runCLI(t, "map", "--demo", "1", "--out", dir, "-k", "1", "--image", "img01", "--target-images", photos, "--quiet", "--opacity", "0.5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "img01.npy img01.png maps.json" {
		t.Errorf("files written: %v", names)
	}
	f, err := os.Open(filepath.Join(dir, "img01.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := got.Bounds(); b.Dy() != 96 || b.Dx() <= 96 {
		t.Errorf("blended map is %v, want the photo's 96 rows", b)
	}
	// The ignored border shows the photo unchanged.
	if r, g, b, _ := got.At(0, 95).RGBA(); r>>8 != 0 || g>>8 != 95 || b>>8 != 128 {
		t.Errorf("ignored pixel (0, 95) is %d %d %d, want the photo's 0 95 128", r>>8, g>>8, b>>8)
	}
}

// TestMapVolumes writes a NIfTI map on the label volume's grid with the
// label volume's header (its affine), and one PNG a feature slice.
func TestMapVolumes(t *testing.T) {
	dir := t.TempDir()
	_, errs, code := runCLI(t, "map", "--demo", "1", "--volumes", "--out", dir, "-k", "1", "-n", "2000", "--image", "case00", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	c := otce.DemoVolumeCandidates()[0]
	lf := c.TargetLabels[0]
	lab, err := arrays.OpenNIfTI(lf, lf.Size(), lf.Name())
	if err != nil {
		t.Fatal(err)
	}
	b := mustRead(t, filepath.Join(dir, "case00.nii.gz"))
	vol, err := arrays.OpenNIfTI(bytes.NewReader(b), int64(len(b)), "case00.nii.gz")
	if err != nil {
		t.Fatal(err)
	}
	if len(vol.Shape) != 3 || vol.Shape[0] != lab.Shape[0] || vol.Shape[1] != lab.Shape[1] || vol.Shape[2] != lab.Shape[2] {
		t.Fatalf("NIfTI map of shape %v, labels %v", vol.Shape, lab.Shape)
	}
	header := func(r io.ReaderAt, size int64) []byte {
		zr, err := gzip.NewReader(io.NewSectionReader(r, 0, size))
		if err != nil {
			t.Fatal(err)
		}
		h := make([]byte, 348)
		if _, err := io.ReadFull(zr, h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	lh, mh := header(lf, lf.Size()), header(bytes.NewReader(b), int64(len(b)))
	// pixdim (76–108) and qform/sform with the affine rows (252–344).
	if !bytes.Equal(lh[76:108], mh[76:108]) || !bytes.Equal(lh[252:344], mh[252:344]) {
		t.Error("the NIfTI map's voxel sizes or affine differ from the label volume's")
	}
	// The volume's values are the feature-grid map, upsampled.
	_, fm := readNPY32(t, filepath.Join(dir, "case00.npy"))
	v := make([]float64, vol.Len())
	if err := vol.ReadRange(0, v); err != nil {
		t.Fatal(err)
	}
	shape, _ := readNPY32(t, filepath.Join(dir, "case00.npy"))
	sd, sh, sw := vol.Shape[0]/shape[0], vol.Shape[1]/shape[1], vol.Shape[2]/shape[2]
	for _, at := range [][3]int{{0, 0, 0}, {vol.Shape[0] / 2, vol.Shape[1] / 2, vol.Shape[2] / 2}, {vol.Shape[0] - 1, vol.Shape[1] / 3, vol.Shape[2] - 1}} {
		x, y, z := at[0], at[1], at[2]
		got := v[(x*vol.Shape[1]+y)*vol.Shape[2]+z]
		want := fm[((x/sd)*shape[1]+y/sh)*shape[2]+z/sw]
		if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("voxel %v: %v, feature map %v", at, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "case00_slice000.png")); err != nil {
		t.Error(err)
	}
}

// TestMapBadInput: one-line messages and exit status 2.
func TestMapBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"map", "--demo", "1", "-k", "1"}, "missing --out"},
		{[]string{"map", "--demo", "1", "-k", "1", "--out", dir, "--image", "nope"}, `--image "nope": no target image has this stem`},
		{[]string{"map", "--demo", "9", "--out", dir}, `--demo "9"`},
		{[]string{"map", "--demo", "1", "--out", dir, "--patch", "-1"}, "--patch must be"},
		{[]string{"map", "--demo", "1", "--out", dir, "--target-images", filepath.Join(dir, "none")}, "none:"},
		{[]string{"map", "--demo", "1", "--volumes", "-k", "1", "-n", "500", "--out", dir, "--patch", "4", "--image", "case00"}, "patch maps need 2-D feature maps"},
	} {
		_, errs, code := runCLI(t, append(c.args, "--quiet")...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("otce %v: exit %d, %q; want exit 2 and %q on one line", c.args, code, errs, c.want)
		}
	}
}
