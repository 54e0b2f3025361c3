package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// exportPython is Debian's interpreter, which has python3-torch and
// python3-torchvision (scripts/setup.sh installs them).
const exportPython = "/usr/bin/python3"

// exportWritePNG writes img to dir/name.
func exportWritePNG(t *testing.T, dir, name string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// exportDomain writes n size×size RGB images and their label maps (classes
// 0–4 in vertical bands, the top rows ignored) with Cityscapes-like names;
// paletted label PNGs, or 8-bit gray ones.
func exportDomain(t *testing.T, dir string, n, size int, seed int, paletted bool) (images, labels string) {
	t.Helper()
	images, labels = filepath.Join(dir, "images"), filepath.Join(dir, "labels")
	os.MkdirAll(images, 0o755)
	os.MkdirAll(labels, 0o755)
	pal := color.Palette{}
	for i := 0; i < 256; i++ {
		pal = append(pal, color.RGBA{uint8(i * 37), uint8(i * 91), uint8(i * 13), 255})
	}
	state := uint32(seed*7919 + 1)
	rnd := func() uint8 { state = state*1664525 + 1013904223; return uint8(state >> 24) }
	for k := 0; k < n; k++ {
		img := image.NewRGBA(image.Rect(0, 0, size, size))
		var lab interface {
			image.Image
			Set(x, y int, c color.Color)
		}
		if paletted {
			lab = image.NewPaletted(image.Rect(0, 0, size, size), pal)
		} else {
			lab = image.NewGray(image.Rect(0, 0, size, size))
		}
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				class := (x*5/size + k + seed) % 5
				if y < size/16 {
					class = 255
				}
				base := uint8(class * 50)
				img.Set(x, y, color.RGBA{base + rnd()/4, 255 - base - rnd()/4, uint8(y*255/size) ^ uint8(seed*40), 255})
				if paletted {
					lab.Set(x, y, pal[class])
				} else {
					lab.Set(x, y, color.Gray{uint8(class)})
				}
			}
		}
		name := fmt.Sprintf("city%d_%06d", seed, k)
		exportWritePNG(t, images, name+"_leftImg8bit.png", img)
		exportWritePNG(t, labels, name+"_gtFine_labelTrainIds.png", lab)
	}
	return images, labels
}

// TestExportFeaturesFromPyTorch runs scripts/export_features.py on a
// torchvision DeepLabV3 built without pretrained weights (no download) and a
// few generated images, then scores its output with the CLI: per-image
// float16 NCHW files for the source, a .safetensors bundle for the target.
func TestExportFeaturesFromPyTorch(t *testing.T) {
	if testing.Short() {
		t.Skip("exporter: skipped under -short (it starts PyTorch)")
	}
	if err := exec.Command(exportPython, "-c", "import torch, torchvision, PIL").Run(); err != nil {
		t.Fatalf("%s cannot import torch, torchvision and PIL (%v): run scripts/setup.sh (it installs python3-torch, python3-torchvision, python3-pil), or use go test -short", exportPython, err)
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "export_features.py"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	const n, size = 3, 128 // DeepLabV3-MobileNetV3 has output stride 16: an 8×8 grid
	srcImg, srcLab := exportDomain(t, filepath.Join(tmp, "src"), n, size, 1, true)
	tgtImg, tgtLab := exportDomain(t, filepath.Join(tmp, "tgt"), n, size, 2, false)
	model := []string{"--model", "deeplabv3_mobilenet_v3_large", "--num-classes", "5", "--device", "cpu"}
	srcOut := filepath.Join(tmp, "feats", "src")
	tgtOut := filepath.Join(tmp, "feats", "tgt.safetensors")

	// Three PyTorch processes at once: importing torch is most of the time.
	jobs := map[string][]string{
		"source": append(append([]string{script}, model...), "--images", srcImg, "--labels", srcLab, "--out", srcOut, "--dtype", "float16", "--batch-size", "2"),
		"target": append(append([]string{script}, model...), "--images", tgtImg, "--labels", tgtLab, "--out", tgtOut, "--quiet"),
		"layers": append(append([]string{script}, model...), "--list-layers", "--size", "64x64"),
	}
	outs := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, args := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := exec.Command(exportPython, args...).CombinedOutput()
			mu.Lock()
			defer mu.Unlock()
			outs[name] = string(out)
			if err != nil {
				t.Errorf("export_features.py (%s): %v\n%s", name, err, out)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if !strings.Contains(outs["source"], "3/3 images") {
		t.Errorf("no progress bar on stderr: %q", outs["source"])
	}
	if !strings.Contains(outs["layers"], "classifier.4") || !strings.Contains(outs["layers"], "<- default") {
		t.Errorf("--list-layers does not show the default classifier:\n%s", outs["layers"])
	}

	// Per-image files: (1, C, h, w) float16, labels copied as given.
	for k := 0; k < n; k++ {
		stem := fmt.Sprintf("city1_%06d", k)
		head := make([]byte, 128)
		f, err := os.Open(filepath.Join(srcOut, "features", stem+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		f.Read(head)
		f.Close()
		if h := string(head); !strings.Contains(h, "'<f2'") || !strings.Contains(h, "(1, 256, 8, 8)") {
			t.Errorf("%s.npy header: %q", stem, h)
		}
		got, err := os.ReadFile(filepath.Join(srcOut, "labels", stem+".png"))
		want, _ := os.ReadFile(filepath.Join(srcLab, stem+"_gtFine_labelTrainIds.png"))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: the label map is not the given one (%v)", stem, err)
		}
	}

	stdout, stderr, code := runCLI(t, "score",
		"--source-features", filepath.Join(srcOut, "features"), "--source-labels", filepath.Join(srcOut, "labels"),
		"--target-features", tgtOut, "-n", "150", "-k", "2", "--format", "json", "--quiet")
	if code != 0 {
		t.Fatalf("otce score: exit %d: %s", code, stderr)
	}
	var res struct {
		OTCE        *float64 `json:"otce_mean"`
		Diagnostics struct {
			SourceLayout string `json:"source_layout"`
			TargetLayout string `json:"target_layout"`
			SourceValid  int    `json:"source_valid"`
			TargetValid  int    `json:"target_valid"`
			Dim          int    `json:"dim"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.OTCE == nil {
		t.Fatalf("no otce_mean in the CLI's JSON (%v): %s", err, stdout)
	}
	d := res.Diagnostics
	t.Logf("OTCE %.6g; layouts %s/%s; valid pixels %d/%d; dim %d", *res.OTCE, d.SourceLayout, d.TargetLayout, d.SourceValid, d.TargetValid, d.Dim)
	if math.IsNaN(*res.OTCE) || math.IsInf(*res.OTCE, 0) || *res.OTCE > 1e-9 {
		t.Errorf("OTCE %v: want a finite value ≤ 0", *res.OTCE)
	}
	if d.SourceLayout != "nchw" || d.TargetLayout != "nchw" {
		t.Errorf("layouts %q/%q, want nchw/nchw", d.SourceLayout, d.TargetLayout)
	}
	// 8×8 feature pixels per image; the top row takes the label of label
	// row 0, which is ignored.
	if want := n * 8 * 7; d.SourceValid != want || d.TargetValid != want {
		t.Errorf("valid pixels %d/%d, want %d each", d.SourceValid, d.TargetValid, want)
	}
	if d.Dim != 256 {
		t.Errorf("feature dimension %d, want 256 (the input of DeepLabV3's classifier)", d.Dim)
	}
}

// TestExportFeaturesHelp checks that --help explains every option (no
// PyTorch needed: it is imported only to export).
func TestExportFeaturesHelp(t *testing.T) {
	script := filepath.Join("..", "..", "scripts", "export_features.py")
	out, err := exec.Command(exportPython, script, "--help").CombinedOutput()
	if err != nil {
		t.Skipf("%s %s --help: %v\n%s", exportPython, script, err, out)
	}
	for _, opt := range []string{"--model", "--weights", "--num-classes", "--model-file", "--factory", "--checkpoint",
		"--layer", "--hook", "--list-layers", "--images", "--labels", "--size", "--multiple", "--mean", "--std",
		"--out", "--dtype", "--overwrite", "--batch-size", "--device", "--threads", "--aux-loss", "--volumes", "--volume-norm", "--quiet"} {
		if !strings.Contains(string(out), opt) {
			t.Errorf("--help does not explain %s", opt)
		}
	}
}

// TestExportFeaturesUnittest runs the exporter's own tests
// (scripts/test_export_features.py: Python's unittest, with Debian's
// python3-torch), so that `make test` runs them.
func TestExportFeaturesUnittest(t *testing.T) {
	if testing.Short() {
		t.Skip("exporter: skipped under -short (it starts PyTorch)")
	}
	if err := exec.Command(exportPython, "-c", "import torch, torchvision, PIL").Run(); err != nil {
		t.Fatalf("%s cannot import torch, torchvision and PIL (%v): run scripts/setup.sh, or use go test -short", exportPython, err)
	}
	cmd := exec.Command(exportPython, "-m", "unittest", "discover", "-s", filepath.Join("..", "..", "scripts"), "-p", "test_export_features.py")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 -m unittest test_export_features.py: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
