package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otceseg/otceseg/core/report"
)

// readmeSection returns the code blocks (language, text) of the README
// section whose heading is title.
func readmeSection(t *testing.T, title string) [][2]string {
	t.Helper()
	b := string(mustRead(t, filepath.Join("..", "..", "README.md")))
	i := strings.Index(b, "\n## "+title+"\n")
	if i < 0 {
		t.Fatalf("README.md has no section %q", title)
	}
	sec := b[i+1:]
	if j := strings.Index(sec[3:], "\n## "); j >= 0 {
		sec = sec[:j+3]
	}
	var blocks [][2]string
	for {
		k := strings.Index(sec, "\n```")
		if k < 0 {
			break
		}
		sec = sec[k+4:]
		nl := strings.Index(sec, "\n")
		lang := sec[:nl]
		end := strings.Index(sec, "\n```")
		if end < 0 {
			t.Fatalf("README.md: an unclosed code block in %q", title)
		}
		blocks = append(blocks, [2]string{lang, sec[nl+1 : end+1]})
		sec = sec[end+4:]
	}
	return blocks
}

// walkDomain writes n size×size images and (optionally) their label maps
// (classes 0–2 in bands, coloured alike) under dir.
func walkDomain(t *testing.T, dir string, n, size, seed int, labels bool) {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, "images"), 0o755)
	if labels {
		os.MkdirAll(filepath.Join(dir, "labels"), 0o755)
	}
	state := uint32(seed*7919 + 1)
	rnd := func() uint8 { state = state*1664525 + 1013904223; return uint8(state >> 24) }
	for k := 0; k < n; k++ {
		img := image.NewRGBA(image.Rect(0, 0, size, size))
		lab := image.NewGray(image.Rect(0, 0, size, size))
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				c := (x*3/size + y*2/size + k) % 3
				img.Set(x, y, color.RGBA{uint8(c*90) + rnd()/8, uint8(200 - c*60), rnd() / 2, 255})
				lab.Set(x, y, color.Gray{uint8(c)})
			}
		}
		name := fmt.Sprintf("scene%d_%03d", seed, k)
		exportWritePNG(t, filepath.Join(dir, "images"), name+"_leftImg8bit.png", img)
		if labels {
			exportWritePNG(t, filepath.Join(dir, "labels"), name+"_gtFine_labelTrainIds.png", lab)
		}
	}
}

// TestReadmeWalkthrough runs the README's section "From your models to a
// ranked list" as written — its sh blocks through bash, its JSON block as
// candidates.json — on small generated images (64×64, a few per domain):
// the three torchvision architectures with random weights (weights=None:
// "--weights DEFAULT" becomes "--num-classes 3", nothing is downloaded)
// and a custom nn.Module through --model-file and --checkpoint. Then
// ranking.json must hold the four candidates, scored, ranked 1–4.
func TestReadmeWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("the walkthrough: skipped under -short (it starts PyTorch a dozen times)")
	}
	if err := exec.Command(exportPython, "-c", "import torch, torchvision, PIL").Run(); err != nil {
		t.Fatalf("%s cannot import torch, torchvision and PIL (%v): run scripts/setup.sh, or use go test -short", exportPython, err)
	}
	blocks := readmeSection(t, "From your models to a ranked list")
	var sh []string
	var manifest string
	for _, b := range blocks {
		switch b[0] {
		case "sh":
			sh = append(sh, b[1])
		case "json":
			manifest = b[1]
		}
	}
	if len(sh) != 2 || manifest == "" {
		t.Fatalf("the section's code blocks changed: %d sh blocks (want 2: export, rank) and a JSON block %v; update this test with them", len(sh), manifest != "")
	}

	dir := t.TempDir()
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	os.MkdirAll(filepath.Join(dir, "scripts"), 0o755)
	if err := os.Symlink(filepath.Join(root, "scripts", "export_features.py"), filepath.Join(dir, "scripts", "export_features.py")); err != nil {
		t.Fatal(err)
	}
	gobin := "go" // as go test finds it (hardening_test.go builds the CLI alike)
	build := exec.Command(gobin, "build", "-o", filepath.Join(dir, "build", "otce"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	walkDomain(t, filepath.Join(dir, "voc_sample"), 3, 64, 1, true)
	walkDomain(t, filepath.Join(dir, "mine_src"), 3, 64, 2, true)
	walkDomain(t, filepath.Join(dir, "target"), 3, 64, 3, true)
	os.MkdirAll(filepath.Join(dir, "mine"), 0o755)
	model := `import torch
def build_model():
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 3, stride=2, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(16, 32, 3, stride=2, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(32, 32, 3, stride=2, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(32, 3, 1))
`
	if err := os.WriteFile(filepath.Join(dir, "mine", "model.py"), []byte(model), 0o644); err != nil {
		t.Fatal(err)
	}
	mk := exec.Command(exportPython, "-c", "import sys, torch; sys.path.insert(0, 'mine'); import model; torch.manual_seed(1); torch.save(model.build_model().state_dict(), 'mine/best.pth')")
	mk.Dir = dir
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("the custom model's checkpoint: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "candidates.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}

	// The README's commands, with Debian's python (which has torch), no
	// download, and `make cli` done above.
	prelude := "set -euo pipefail\npython3() { " + exportPython + ` "$@"; }` + "\nmake() { :; }\n"
	for i, script := range sh {
		script = strings.ReplaceAll(script, "--weights DEFAULT", "--num-classes 3")
		cmd := exec.Command("bash", "-c", prelude+script)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		t.Logf("README sh block %d:\n%s", i+1, out)
		if err != nil {
			t.Fatalf("README sh block %d: %v\n%s", i+1, err, script)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "ranking.json"))
	if err != nil {
		t.Fatalf("the README's rank commands wrote no ranking.json: %v", err)
	}
	var r report.Ranking
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("ranking.json: %v", err)
	}
	names := map[string]bool{}
	for i, c := range r.Candidates {
		t.Logf("%d. %s: OTCE %.4f ± %.4f, dim %d, layouts %s/%s, warnings %q", c.Rank, c.Name, c.OTCEMean, c.OTCEStd, c.Diagnostics.Dim, c.Diagnostics.SourceLayout, c.Diagnostics.TargetLayout, c.Warnings)
		if c.Error != "" || c.Rank != i+1 {
			t.Errorf("%s: rank %d, error %q", c.Name, c.Rank, c.Error)
		}
		names[c.Name] = true
	}
	for _, n := range []string{"fcn-r50", "deeplabv3-mnv3", "lraspp-mnv3", "mine"} {
		if !names[n] {
			t.Errorf("candidate %s missing from the ranking", n)
		}
	}
	// The default layers: FCN's classifier input (512), DeepLabV3's (256),
	// LRASPP's two inputs (40 + 128), the custom model's last conv input (32).
	dims := map[string]int{"fcn-r50": 512, "deeplabv3-mnv3": 256, "lraspp-mnv3": 168, "mine": 32}
	for _, c := range r.Candidates {
		if want := dims[c.Name]; c.Diagnostics.Dim != want {
			t.Errorf("%s: feature dimension %d, want %d", c.Name, c.Diagnostics.Dim, want)
		}
	}
}
