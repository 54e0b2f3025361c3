package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/otce"
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// builtCLI builds the command once per test binary and returns its path.
func builtCLI(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "otce-cli-")
		if err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(dir, "otce")
		out, err := exec.Command("go", "build", "-o", cliPath, ".").CombinedOutput()
		if err != nil {
			cliErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

// runMeasured runs the built CLI and returns its stdout, stderr and peak
// resident memory in bytes.
func runMeasured(t *testing.T, args ...string) (string, string, int64) {
	t.Helper()
	cmd := exec.Command(builtCLI(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("otce %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), errb.String(), maxRSS(cmd.ProcessState)
}

// sparseNPY writes a .npy header for shape and extends the file to the
// size the header claims without writing the data: a sparse file of zeros
// that takes no disk space. A few values near the start of the data are
// set so that the features are not all equal.
func sparseNPY(t *testing.T, path, descr string, shape []int, elem int64) int64 {
	t.Helper()
	hdr := npyHeader(descr, shapeString(shape), 0)
	size := elem
	for _, s := range shape {
		size *= int64(s)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(hdr); err != nil {
		t.Fatal(err)
	}
	if elem == 4 {
		// Some non-zero float32 features in the first rows.
		rng := rand.New(rand.NewPCG(1, 2))
		v := make([]byte, 1<<16)
		for i := 0; i < len(v); i += 4 {
			binary.LittleEndian.PutUint32(v[i:], 0x3f800000+uint32(rng.IntN(1<<20)))
		}
		if _, err := f.Write(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(int64(len(hdr)) + size); err != nil {
		t.Fatal(err)
	}
	return int64(len(hdr)) + size
}

func shapeString(shape []int) string {
	s := make([]string, len(shape))
	for i, v := range shape {
		s[i] = fmt.Sprint(v)
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// TestLargerThanMemory scores sparse feature files (valid headers, data
// never written) with the built CLI and checks its peak resident memory.
// By default the files are 537 MB each; OTCE_BIG=1 makes them 8.6 GB
// ((16, 512, 256, 1024) float32), the size the README promises to handle
// with less than 1 GB of memory.
func TestLargerThanMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI and reads half a gigabyte of sparse files")
	}
	shape, n := []int{2, 256, 512, 512}, 3000
	if os.Getenv("OTCE_BIG") != "" {
		shape, n = []int{16, 512, 256, 1024}, 10000
	}
	dir := t.TempDir()
	grid := []int{shape[0], shape[2], shape[3]}
	var total int64
	for _, side := range []string{"src", "tgt"} {
		total += sparseNPY(t, filepath.Join(dir, side+"_features.npy"), "<f4", shape, 4)
		sparseNPY(t, filepath.Join(dir, side+"_labels.npy"), "|u1", grid, 1)
	}
	out, _, rss := runMeasured(t, "score", "--quiet", "--format", "json", "-n", fmt.Sprint(n), "-k", "1",
		"--source-features", filepath.Join(dir, "src_features.npy"), "--source-labels", filepath.Join(dir, "src_labels.npy"),
		"--target-features", filepath.Join(dir, "tgt_features.npy"), "--target-labels", filepath.Join(dir, "tgt_labels.npy"))
	var r struct {
		OTCEMean *float64 `json:"otce_mean"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.OTCEMean == nil {
		t.Fatalf("no score: %v\n%s", err, out)
	}
	t.Logf("features %v float32: %.2f GB of files; N = %d; OTCE %.6g; peak RSS %.0f MB", shape, float64(total)/1e9, n, *r.OTCEMean, float64(rss)/1e6)
	// Nearly all sampled features are zero: the median cost is 0, which
	// must be said, not written as an infinity JSON cannot hold.
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "median cost is 0") {
		t.Errorf("no warning about the zero median cost: %q", r.Warnings)
	}
	// The kernel is 4·N² bytes; everything else must stay small.
	if limit := int64(4*n*n) + 600<<20; rss > limit || rss > 1<<30 {
		t.Errorf("peak RSS %d MB for %.2f GB of files (limit %d MB)", rss>>20, float64(total)/1e9, min(limit, 1<<30)>>20)
	}
}

// writeCandidate writes a small candidate (two images per domain) whose
// target features separate the classes by quality.
func writeCandidate(t *testing.T, dir string, seed uint64, quality float64) {
	t.Helper()
	const c, h, w = 8, 24, 24
	rng := rand.New(rand.NewPCG(seed, 3))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"src", "tgt"} {
		for img := 0; img < 2; img++ {
			labels := make([]uint8, h*w)
			feats := make([]float32, c*h*w)
			for p := range labels {
				cls := (p%w/6 + p/w/8 + img) % 4
				labels[p] = uint8(cls)
				mix := 1.0
				if side == "tgt" {
					mix = quality
				}
				for k := 0; k < c; k++ {
					feats[k*h*w+p] = float32(mix*float64((cls*7+k)%5) + 0.6*rng.NormFloat64())
				}
			}
			for _, f := range []struct {
				name  string
				shape []int
				descr string
				data  any
			}{{"features", []int{c, h, w}, "<f4", feats}, {"labels", []int{h, w}, "|u1", labels}} {
				b, err := arrays.EncodeNPY(f.shape, f.descr, f.data)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s_%d_%s.npy", side, img, f.name)), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// writeManifest writes n candidates and their manifest.
func writeManifest(t *testing.T, dir string, n int) string {
	t.Helper()
	type cand struct {
		Name           string   `json:"name"`
		SourceFeatures []string `json:"source_features"`
		SourceLabels   []string `json:"source_labels"`
		TargetFeatures []string `json:"target_features"`
		TargetLabels   []string `json:"target_labels"`
		Accuracy       float64  `json:"accuracy"`
	}
	var m struct {
		Candidates []cand `json:"candidates"`
	}
	for i := 0; i < n; i++ {
		q := 0.2 + 0.8*float64(i%10)/9
		cd := fmt.Sprintf("c%02d", i)
		writeCandidate(t, filepath.Join(dir, cd), uint64(i+1), q)
		files := func(side, what string) []string {
			return []string{filepath.Join(cd, side+"_0_"+what+".npy"), filepath.Join(cd, side+"_1_"+what+".npy")}
		}
		m.Candidates = append(m.Candidates, cand{Name: fmt.Sprintf("model-%02d", i),
			SourceFeatures: files("src", "features"), SourceLabels: files("src", "labels"),
			TargetFeatures: files("tgt", "features"), TargetLabels: files("tgt", "labels"), Accuracy: 50 + 40*q})
	}
	b, _ := json.MarshalIndent(m, "", " ")
	p := filepath.Join(dir, fmt.Sprintf("manifest%d.json", n))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRankManyCandidatesStableMemory ranks 50 candidates: the heap after each
// candidate (in process, after a collection) must not grow beyond noise, and
// the peak RSS of `otce rank` over 50 candidates must be that over 5.
func TestRankManyCandidatesStableMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("scores 105 candidates")
	}
	dir := t.TempDir()
	m50 := writeManifest(t, dir, 50)
	m5 := writeManifest(t, dir, 5)
	cands, errs, err := readManifest(m50)
	if err != nil {
		t.Fatal(err)
	}
	s := otce.DefaultSettings()
	s.N, s.K = 300, 1
	var heap []uint64
	var ms runtime.MemStats
	for i, c := range cands {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		r := otce.Score(t.Context(), c, s, 0, nil)
		if r.Error != "" {
			t.Fatal(r.Error)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heap = append(heap, ms.HeapAlloc)
	}
	// Skip the first candidates (pools and caches warm up).
	base, last := heap[4], heap[len(heap)-1]
	var peak uint64
	for _, v := range heap[4:] {
		peak = max(peak, v)
	}
	t.Logf("heap after candidate 5: %.2f MB, after 50: %.2f MB, highest in between %.2f MB", float64(base)/1e6, float64(last)/1e6, float64(peak)/1e6)
	if peak > base+2<<20 {
		t.Errorf("the heap grows over the candidates: %.2f MB after 5, %.2f MB at most after", float64(base)/1e6, float64(peak)/1e6)
	}

	args := []string{"rank", "--quiet", "--format", "json", "-n", "300", "-k", "1", "--manifest"}
	_, _, rss5 := runMeasured(t, append(args, m5)...)
	out, _, rss50 := runMeasured(t, append(args, m50)...)
	var rk struct {
		Candidates []struct {
			Error string `json:"error"`
		} `json:"candidates"`
	}
	if err := json.Unmarshal([]byte(out), &rk); err != nil || len(rk.Candidates) != 50 {
		t.Fatalf("rank of 50: %v, %d candidates", err, len(rk.Candidates))
	}
	t.Logf("otce rank: peak RSS %.1f MB over 5 candidates, %.1f MB over 50", float64(rss5)/1e6, float64(rss50)/1e6)
	if rss50 > rss5+rss5/10+8<<20 {
		t.Errorf("peak RSS over 50 candidates %.1f MB, over 5 %.1f MB", float64(rss50)/1e6, float64(rss5)/1e6)
	}
}

// secondsField matches a timing: "seconds", "phase_seconds" and the like,
// a number or an object of numbers.
var secondsField = regexp.MustCompile(`"([a-z_]*seconds)":\s*(\{[^{}]*\}|[-+0-9.eE]+)`)

// withoutTimings blanks the timing fields of a result JSON.
func withoutTimings(s string) string { return secondsField.ReplaceAllString(s, `"$1": 0`) }

// TestDeterministicJSON checks that the same inputs and seed give the same
// JSON, byte for byte apart from timings, across runs and worker counts.
func TestDeterministicJSON(t *testing.T) {
	four := []string{"--source-features", td("src_nchw.npy"), "--source-labels", td("src_labels.npy"),
		"--target-features", td("tgt_nchw.npy"), "--target-labels", td("tgt_labels.npy")}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"score", append([]string{"score", "-n", "300", "-k", "3", "--seed", "7", "--format", "json"}, four...)},
		{"score emd", append([]string{"score", "-n", "200", "-k", "2", "--solver", "emd", "--format", "json"}, four...)},
		{"rank", []string{"rank", "--manifest", td("manifest.json"), "-n", "300", "-k", "2", "--format", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var first string
			for i, w := range []int{1, 1, 2, 4, 3} {
				out, errs, code := runCLI(t, append(tc.args, "--workers", fmt.Sprint(w))...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errs)
				}
				got := withoutTimings(out)
				if i == 0 {
					first = got
					continue
				}
				if got != first {
					t.Fatalf("run %d (%d workers) differs from the first:\n%s\n---\n%s", i, w, got, first)
				}
			}
		})
	}
}
