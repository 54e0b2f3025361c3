package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
)

// reference is POT's score of the fixtures (scripts/make_cli_fixtures.py).
type reference struct {
	CE, WD float64
	CEF16  float64 `json:"ce_f16"`
	WDF16  float64 `json:"wd_f16"`
	N, M   int
}

func loadReference(t *testing.T) reference {
	var r reference
	if err := json.Unmarshal(mustRead(t, "testdata/reference.json"), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// runCLI runs the command line and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(args, &out, &errb)
	code := 0
	if err != nil {
		code = 2
		if ee, ok := err.(exitError); ok {
			code = ee.code
		}
		if err.Error() != "" {
			errb.WriteString("otce: " + oneLine(err.Error()) + "\n")
		}
	}
	return out.String(), errb.String(), code
}

func td(name string) string { return filepath.Join("testdata", name) }

// exact: all pixels, one repetition, the fixtures' cost normalisation and ε.
var exact = []string{"-n", "1000", "-k", "1", "--cost-norm", "max", "--eps", "0.1", "--tol", "1e-10", "--format", "json"}

func scoreJSON(t *testing.T, args ...string) report.Candidate {
	t.Helper()
	out, errs, code := runCLI(t, append(append([]string{"score"}, args...), exact...)...)
	if code != 0 {
		t.Fatalf("otce %v: exit %d: %s", args, code, errs)
	}
	var c report.Candidate
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	return c
}

// TestLayoutsAndDtypesAgreeWithPOT scores the same two domains written by
// NumPy in every layout, dtype, byte order and container, and compares each
// to POT's score of the same pixels.
func TestLayoutsAndDtypesAgreeWithPOT(t *testing.T) {
	ref := loadReference(t)
	four := func(sf, sl, tf, tl string) []string {
		return []string{"--source-features", td(sf), "--source-labels", td(sl), "--target-features", td(tf), "--target-labels", td(tl)}
	}
	cases := []struct {
		name string
		args []string
		ce   float64
	}{
		{"nchw npy", four("src_nchw.npy", "src_labels.npy", "tgt_nchw.npy", "tgt_labels.npy"), ref.CE},
		{"nhwc npy", four("src_nhwc.npy", "src_labels.npy", "tgt_nhwc.npy", "tgt_labels.npy"), ref.CE},
		{"fortran order, int64 labels", four("src_nchw_fortran.npy", "src_labels_i64.npy", "tgt_nchw_fortran.npy", "tgt_labels_i64.npy"), ref.CE},
		{"big endian", four("src_nchw_big.npy", "src_labels_big_i32.npy", "tgt_nchw_big.npy", "tgt_labels_big_i32.npy"), ref.CE},
		{"float64 v2", four("src_nchw_f64.npy", "src_labels.npy", "tgt_nchw_f64.npy", "tgt_labels.npy"), ref.CE},
		{"float16 v3", four("src_nchw_f16.npy", "src_labels.npy", "tgt_nchw_f16.npy", "tgt_labels.npy"), ref.CEF16},
		{"rows nc", four("src_rows_nc.npy", "src_rows_labels.npy", "tgt_rows_nc.npy", "tgt_rows_labels.npy"), ref.CE},
		{"npz stored", []string{"--source-features", td("src_bundle.npz"), "--target-features", td("tgt_bundle.npz")}, ref.CE},
		{"npz deflated", []string{"--source-features", td("src_bundle_deflated.npz"), "--target-features", td("tgt_bundle_deflated.npz")}, ref.CE},
		{"safetensors", []string{"--source-features", td("src_bundle.safetensors"), "--target-features", td("tgt_bundle.safetensors")}, ref.CE},
		{"folders of per-image files, PNG labels", four("src_images/features", "src_images/labels", "tgt_images/features", "tgt_images/labels"), ref.CE},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := scoreJSON(t, tc.args...)
			if c.Diagnostics.SourcePixels != ref.N || c.Diagnostics.TargetPixels != ref.M {
				t.Errorf("sampled %d and %d pixels, want all %d and %d", c.Diagnostics.SourcePixels, c.Diagnostics.TargetPixels, ref.N, ref.M)
			}
			if d := math.Abs(c.CE[0] - tc.ce); d > 1e-6 {
				t.Errorf("CE %.9f, POT %.9f (|Δ| %.2e)", c.CE[0], tc.ce, d)
			}
			if math.Abs(c.OTCEMean+c.CE[0]) > 1e-15 {
				t.Errorf("otce_mean %v is not −CE %v", c.OTCEMean, c.CE[0])
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := mustRead(t, td("src_nchw.npy"))
	trunc := write("truncated.npy", good[:len(good)-100])
	magic := write("magic.npy", append([]byte("NOTNUMPY"), good[8:]...))
	complexHdr := write("complex.npy", npyHeader("<c16", "(2, 6, 7, 5)", 0))
	objectHdr := write("object.npy", npyHeader("|O", "(2, 6, 7, 5)", 0))
	huge := write("huge.npy", npyHeader("<f4", "(100000, 100000, 1000, 1000)", 64))
	nanF := write("nan.npy", withNaN(good, 3))
	labelsAllIgnore := write("ignore.npy", allIgnore(t))
	rowLabels := mustRead(t, td("src_rows_labels.npy"))
	shortLabels := write("short_labels.npy", append(npyHeader("<i4", "(60,)", 0), rowLabels[len(rowLabels)-240:]...))
	cases := []struct {
		name    string
		args    []string
		message []string
	}{
		{"truncated", []string{"--source-features", trunc}, []string{"truncated.npy", "truncated"}},
		{"wrong magic", []string{"--source-features", magic}, []string{"magic.npy", "magic"}},
		{"complex dtype", []string{"--source-features", complexHdr}, []string{"complex.npy", "complex"}},
		{"object dtype", []string{"--source-features", objectHdr}, []string{"object.npy", "object"}},
		{"header claims more than the file", []string{"--source-features", huge}, []string{"huge.npy"}},
		{"NaN features", []string{"--source-features", nanF}, []string{"nan.npy", "NaN", "--drop-nonfinite"}},
		{"all labels ignored", []string{"--source-labels", labelsAllIgnore}, []string{"ignore.npy", "ignore index"}},
		{"label count mismatch", []string{"--source-features", td("src_rows_nc.npy"), "--source-labels", shortLabels}, []string{"src_rows_nc.npy", "short_labels.npy"}},
		{"missing file", []string{"--source-features", filepath.Join(dir, "nope.npy")}, []string{"nope.npy", "no such file"}},
		{"bad eps", []string{"--eps", "0"}, []string{"--eps"}},
		{"bad n", []string{"-n", "-5"}, []string{"-n"}},
	}
	base := map[string]string{
		"--source-features": td("src_nchw.npy"), "--source-labels": td("src_labels.npy"),
		"--target-features": td("tgt_nchw.npy"), "--target-labels": td("tgt_labels.npy"),
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"score", "-k", "1", "-n", "1000"}
			set := map[string]bool{}
			for i := 0; i+1 < len(tc.args); i += 2 {
				set[tc.args[i]] = true
			}
			for _, k := range []string{"--source-features", "--source-labels", "--target-features", "--target-labels"} {
				if !set[k] {
					args = append(args, k, base[k])
				}
			}
			args = append(args, tc.args...)
			out, errs, code := runCLI(t, args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stdout %q stderr %q", code, out, errs)
			}
			if strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Errorf("message is not one line: %q", errs)
			}
			for _, m := range tc.message {
				if !strings.Contains(errs, m) {
					t.Errorf("message %q does not mention %q", errs, m)
				}
			}
		})
	}
	// --drop-nonfinite skips the NaN pixels instead.
	out, errs, code := runCLI(t, "score", "-k", "1", "-n", "1000", "--format", "json", "--drop-nonfinite",
		"--source-features", nanF, "--source-labels", td("src_labels.npy"), "--target-features", td("tgt_nchw.npy"), "--target-labels", td("tgt_labels.npy"))
	if code != 0 {
		t.Fatalf("--drop-nonfinite: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "NaN or Inf features were skipped") {
		t.Errorf("--drop-nonfinite: no warning in %s", out)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// npyHeader returns a version 1.0 .npy header followed by n zero bytes.
func npyHeader(descr, shape string, n int) []byte {
	h := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }"
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = append(b, byte(len(h)), byte(len(h)>>8))
	b = append(b, h...)
	return append(b, make([]byte, n)...)
}

// withNaN sets k float32 features of channel 0 of image 0 to NaN.
func withNaN(npy []byte, k int) []byte {
	out := append([]byte(nil), npy...)
	hl := int(out[8]) | int(out[9])<<8
	data := out[10+hl:]
	for i := 0; i < k; i++ {
		p := (10 + 3*i) * 4
		copy(data[p:p+4], []byte{0, 0, 0xc0, 0x7f})
	}
	return out
}

func allIgnore(t *testing.T) []byte {
	b := mustRead(t, td("src_labels.npy"))
	hl := int(b[8]) | int(b[9])<<8
	out := append([]byte(nil), b...)
	for i := 10 + hl; i < len(out); i++ {
		out[i] = 255
	}
	return out
}

// TestDemoRanksCandidates: the demo runs at its own N (otce.DemoN, fewer
// than its 1350 valid pixels per domain), so that its repetitions sample
// different pixels and differ (std > 0), and its ranking follows the known
// accuracies; -n overrides the demo's N.
func TestDemoRanksCandidates(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo takes a while")
	}
	out, errs, code := runCLI(t, "demo", "-k", "2", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r report.Ranking
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Correlation == nil || r.Correlation.Spearman < 0.99 {
		t.Fatalf("demo ranking does not follow the known accuracies: %+v", r.Correlation)
	}
	if r.Settings.N != otce.DemoN {
		t.Errorf("demo ran at N = %d, want the demo's %d", r.Settings.N, otce.DemoN)
	}
	for _, c := range r.Candidates {
		if d := c.Diagnostics; d.SourcePixels != otce.DemoN || d.TargetPixels != otce.DemoN || !(c.OTCEStd > 0) {
			t.Errorf("%s: %d/%d pixels, OTCE std %g: want %d pixels and repetitions that differ", c.Name, d.SourcePixels, d.TargetPixels, c.OTCEStd, otce.DemoN)
		}
	}
	table, errs, code := runCLI(t, "demo", "-k", "1", "-n", "1200", "--metrics", "otce")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(table, "N = 1200.") || !strings.Contains(table, "N = 1200, K = 1") {
		t.Errorf("-n does not override the demo's N:\n%s", table)
	}
}

// TestDumpSample: --dump-sample writes the sampled pixels, in the solver's
// order, as .npy files NumPy can read.
func TestDumpSample(t *testing.T) {
	dir := t.TempDir()
	args := append([]string{"score", "--dump-sample", dir, "--source-features", td("src_nchw.npy"), "--source-labels", td("src_labels.npy"),
		"--target-features", td("tgt_nchw.npy"), "--target-labels", td("tgt_labels.npy")}, exact...)
	if _, errs, code := runCLI(t, args...); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	ref := loadReference(t)
	for name, want := range map[string]int{"xs.npy": ref.N * 6, "ys.npy": ref.N, "xt.npy": ref.M * 6, "yt.npy": ref.M} {
		b := mustRead(t, filepath.Join(dir, "candidate", "rep0", name))
		a, err := arrays.OpenNPY(bytes.NewReader(b), int64(len(b)), name)
		if err != nil {
			t.Fatal(err)
		}
		if int(a.Len()) != want {
			t.Errorf("%s holds %d values, want %d", name, a.Len(), want)
		}
	}
}
