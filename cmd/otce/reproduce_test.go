package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReproduceSmoke runs the miniature of the paper's experiment
// (scripts/reproduce/run.py, issue 20) at its smoke size: one source, one
// target, tiny budgets. It trains, transfers, exports features with
// scripts/export_features.py (also with --adapt-bn), scores them with the
// built CLI and writes the report; then runs it again, which must reuse the
// cached model and only rescore. It also runs the exporter's --adapt-bn
// unittest. The full run is make reproduce.
func TestReproduceSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("reproduce: skipped under -short (it starts PyTorch)")
	}
	if err := exec.Command(exportPython, "-c", "import torch, PIL, scipy").Run(); err != nil {
		t.Fatalf("%s cannot import torch, PIL and scipy (%v): run scripts/setup.sh, or use go test -short", exportPython, err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	work, docs := filepath.Join(tmp, "work"), filepath.Join(tmp, "docs")
	os.MkdirAll(docs, 0o755)
	run := func() string {
		cmd := exec.Command(exportPython, filepath.Join(root, "scripts", "reproduce", "run.py"), "--smoke",
			"--otce", builtCLI(t), "--work", work, "--docs", docs)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("run.py --smoke: %v\n%s", err, out)
		}
		return string(out)
	}
	first := run()
	for _, want := range []string{"source S01", "transfer S01 → T1", "exported", "scored paper T1", "scored adapt-bn T1"} {
		if !strings.Contains(first, want) {
			t.Errorf("first run: no %q in its log:\n%s", want, first)
		}
	}
	ck := filepath.Join(work, "models", "S01.pt")
	st, err := os.Stat(ck)
	if err != nil {
		t.Fatal(err)
	}

	// The scores: the CLI's JSON, one finite OTCE per candidate, the accuracy passed through.
	var rank struct {
		Candidates []struct {
			Name     string   `json:"name"`
			OTCE     *float64 `json:"otce_mean"`
			Accuracy *float64 `json:"accuracy"`
		} `json:"candidates"`
	}
	for _, v := range []string{"paper", "logits", "median", "emd", "adapt-bn"} {
		b, err := os.ReadFile(filepath.Join(work, "scores", v, "T1.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &rank); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if len(rank.Candidates) != 1 || rank.Candidates[0].Name != "S01" || rank.Candidates[0].OTCE == nil ||
			math.IsNaN(*rank.Candidates[0].OTCE) || math.IsInf(*rank.Candidates[0].OTCE, 0) || rank.Candidates[0].Accuracy == nil {
			t.Errorf("%s: candidates %s", v, b[:min(len(b), 400)])
		}
	}
	// --adapt-bn changed the target features.
	plain, err1 := os.ReadFile(filepath.Join(work, "feats", "S01", "T1_emb.npz"))
	ada, err2 := os.ReadFile(filepath.Join(work, "feats", "S01", "T1_emb_adabn.npz"))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if string(plain) == string(ada) {
		t.Error("the --adapt-bn export equals the plain one")
	}
	report, err := os.ReadFile(filepath.Join(docs, "REPRODUCTION.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| OTCE | T1 |", "zero-shot mIoU (baseline)", "## Variants", "## Run time", "reproduction/otce_vs_finetune.png"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("REPRODUCTION.md has no %q", want)
		}
	}
	for _, png := range []string{"domains.png", "otce_vs_frozen.png", "otce_vs_finetune.png"} {
		if _, err := os.Stat(filepath.Join(docs, "reproduction", png)); err != nil {
			t.Error(err)
		}
	}

	// A rerun trains nothing: the cached model is kept, only the report is rewritten.
	second := run()
	if strings.Contains(second, "source S01") || strings.Contains(second, "transfer S01") || strings.Contains(second, "exported") {
		t.Errorf("second run redid cached work:\n%s", second)
	}
	if st2, err := os.Stat(ck); err != nil || !st2.ModTime().Equal(st.ModTime()) {
		t.Errorf("second run rewrote %s (%v)", ck, err)
	}

	out, err := exec.Command(exportPython, filepath.Join(root, "scripts", "test_export_adapt_bn.py")).CombinedOutput()
	if err != nil {
		t.Errorf("test_export_adapt_bn.py: %v\n%s", err, out)
	}
}
