package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// volumeReference is POT's score of the volumetric fixtures
// (scripts/make_volume_fixtures.py).
type volumeReference struct {
	CE, WD float64
	N, M   int
}

// TestVolumesAgreeWithPOT scores the same two volumetric domains given as
// per-volume (C, X, Y, Z) feature .npy files with NIfTI label volumes
// written by nibabel (plain and gzipped, NIfTI-1 and NIfTI-2, labels at
// twice the feature resolution), and as batched (B, C, D, H, W) and
// (B, D, H, W, C) arrays, against POT's score of all valid voxels.
func TestVolumesAgreeWithPOT(t *testing.T) {
	var ref volumeReference
	if err := json.Unmarshal(mustRead(t, td("volumes/reference.json")), &ref); err != nil {
		t.Fatal(err)
	}
	v := func(name string) string { return td("volumes/" + name) }
	cases := []struct {
		name   string
		layout string
		args   []string
	}{
		{"NIfTI labels, per-volume files", "ncdhw", []string{
			"--source-features", v("src/features"), "--source-labels", v("src/labels"),
			"--target-features", v("tgt/features"), "--target-labels", v("tgt/labels")}},
		{"ncdhw batch", "ncdhw", []string{
			"--source-features", v("src_ncdhw.npy"), "--source-labels", v("src_labels.npy"),
			"--target-features", v("tgt_ncdhw.npy"), "--target-labels", v("tgt_labels.npy")}},
		{"ndhwc batch", "ndhwc", []string{
			"--source-features", v("src_ndhwc.npy"), "--source-labels", v("src_labels.npy"),
			"--target-features", v("tgt_ndhwc.npy"), "--target-labels", v("tgt_labels.npy")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := scoreJSON(t, tc.args...)
			if c.Diagnostics.SourcePixels != ref.N || c.Diagnostics.TargetPixels != ref.M {
				t.Errorf("sampled %d and %d voxels, want all %d and %d", c.Diagnostics.SourcePixels, c.Diagnostics.TargetPixels, ref.N, ref.M)
			}
			if c.Diagnostics.SourceLayout != tc.layout || c.Diagnostics.TargetLayout != tc.layout {
				t.Errorf("layouts %s and %s, want %s", c.Diagnostics.SourceLayout, c.Diagnostics.TargetLayout, tc.layout)
			}
			t.Logf("CE %.12f, POT %.12f; W_D %.12f, POT %.12f", c.CE[0], ref.CE, c.WD[0], ref.WD)
			if d := math.Abs(c.CE[0] - ref.CE); d > 1e-6 {
				t.Errorf("CE %.9f, POT %.9f (|Δ| %.2e)", c.CE[0], ref.CE, d)
			}
			if d := math.Abs(c.WD[0] - ref.WD); d > 1e-6 {
				t.Errorf("W_D %.9f, POT %.9f (|Δ| %.2e)", c.WD[0], ref.WD, d)
			}
		})
	}
}

// TestVolumeMisalignedLabels checks that labels whose grid does not divide
// the feature grid fail with one line naming both files.
func TestVolumeMisalignedLabels(t *testing.T) {
	v := func(name string) string { return td("volumes/" + name) }
	_, errs, code := runCLI(t, "score",
		"--source-features", v("src/features/case0_features.npy"), "--source-labels", v("tgt_labels.npy"),
		"--target-features", v("tgt_ncdhw.npy"), "--target-labels", v("tgt_labels.npy"))
	if code != 2 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "case0_features.npy") || !strings.Contains(errs, "tgt_labels.npy") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

// TestDemoVolumes runs the volumetric demo (small N and K, to be quick).
func TestDemoVolumes(t *testing.T) {
	out, errs, code := runCLI(t, "demo", "--volumes", "-n", "300", "-k", "1", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "swinunetr-synthetic") || strings.Count(strings.TrimSpace(out), "\n") != 6 || !strings.Contains(out, "\n# correlation with accuracy: count=5 ") {
		t.Errorf("output:\n%s", out)
	}
}
