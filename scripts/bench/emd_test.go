package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// emdTestSaved is one case with the page and the CLI three times each: the
// page 2, 3 and 4 s (its Sinkhorn 1.5 s more than the CLI's in the middle
// run), the CLI 2 s; the last CLI run's CE one ulp off when odd is set.
func emdTestSaved(odd bool) *emdSaved {
	c := &emdCase{Name: "d19-n2000", D: 19, N: 2000, POT: potRun{MaxRSS: 400e6,
		Out: map[string]any{"ce": 0.5, "dist_s": 1.0, "emd_s": 8.0, "joint_s": 1.0, "imports_mb": 250.0}}}
	sv := &emdSaved{Cases: []*emdCase{c}, Solvers: []string{"sinkhorn"}, Repeat: 3, Browser: &browserOut{}}
	for i, page := range []float64{2, 3, 4} {
		ce := 0.5 + 1e-15
		nce := ce
		if odd && i == 2 {
			nce = math.Nextafter(ce, 1)
		}
		sv.Browser.Results = append(sv.Browser.Results, benchResult{Name: "d19-n2000-sinkhorn", Rep: i, PageSeconds: page,
			WorkerMemory: []float64{30e6, 10e6},
			Timings: map[string]any{"phases": map[string]any{"op:cost": 0.2, "op:exact": 0.5, "op:iterate": 0.5 + page/2,
				"busy:iterate": 0.5}},
			Result: map[string]any{"candidates": []any{map[string]any{"ce": []any{ce}}}},
			Native: &nativeRun{Seconds: 2, MaxRSS: 30e6, Result: map[string]any{"ce": []any{nce},
				"diagnostics": map[string]any{"phase_seconds": map[string]any{"cost": 0.2, "exact": 0.5, "iterate": 1.0}}}}})
	}
	return sv
}

func TestEMDRows(t *testing.T) {
	rows := emdRows(emdTestSaved(false))
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	r := rows[0]
	if got := median(r.page) / median(r.cli); got != 1.5 {
		t.Errorf("page ÷ CLI of the medians = %v, want 1.5", got)
	}
	if lo, hi := r.ratios[0], r.ratios[2]; lo != 1 || hi != 2 {
		t.Errorf("pairs %v, want 1, 1.5, 2", r.ratios)
	}
	if r.pageMem != 40e6 || !r.sameCE {
		t.Errorf("page memory %v (want 40e6), same CE %v (want true)", r.pageMem, r.sameCE)
	}
	// Sinkhorn: page 0.5 + 3/2 = 2 s in the middle run, the CLI 1 s.
	if got := medianPart(r.pagePh, 2) - medianPart(r.cliPh, 2); got != 1 {
		t.Errorf("the page's excess in Sinkhorn = %v, want 1", got)
	}
	if got := median(r.pageWait); got != 1.5 {
		t.Errorf("messages and waiting = %v, want 1.5 (op:iterate 2 − busy:iterate 0.5)", got)
	}
	if !strings.Contains(excessNote(r), "most of the excess in Sinkhorn (+1.000 s of +1.000 s)") {
		t.Errorf("excess note %q", excessNote(r))
	}
	if rows := emdRows(emdTestSaved(true)); rows[0].sameCE {
		t.Error("a CLI run's CE one ulp off the page's was not seen")
	}
}

func TestEMDReport(t *testing.T) {
	rep := emdReport(emdTestSaved(true))
	for _, want := range []string{
		emdHeading + "\n",
		"| 2000 | 19 | 10.0 (1.000, 8.000), 400 (imports 262) | 3.000, 40, 0.300, 0.100, 1.0e-15 |",
		"| 2000 | 19 | Sinkhorn ε = 0.1 | 3.000 (2.000–4.000) | 2.000 (2.000–2.000) | 1.500 (1.000–2.000) | 40 | 30 | **no** |",
		"**cannot be judged** (the pairs' ratios straddle 1.2",
		"**The page's score differs from the CLI's**",
		"≤ 0.2× POT's memory (the workers' wasm memory against POT's whole process): **met** on every row",
		"≤ 0.2× POT's time: **not met** on any row",
	} {
		if !strings.Contains(rep, want) {
			t.Errorf("the report has no %q:\n%s", want, rep)
		}
	}
}

// TestSampleHash: POT's rows are reused only on the same pixels, so the
// hash must see every byte of every dumped file, and a missing file is an
// error rather than the hash of less.
func TestSampleHash(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"xs.npy": "a", "xt.npy": "b", "ys.npy": "c", "yt.npy": "d"}
	write := func() {
		for n, v := range files {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write()
	h1, err := sampleHash(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The same bytes moved from one file to the next must not collide.
	files["xs.npy"], files["xt.npy"] = "ab", ""
	write()
	h2, err := sampleHash(dir)
	if err != nil || h2 == h1 {
		t.Errorf("moved byte: hash %s (err %v), first %s", h2, err, h1)
	}
	os.Remove(filepath.Join(dir, "yt.npy"))
	if _, err := sampleHash(dir); err == nil {
		t.Error("missing yt.npy: no error")
	}
	sv := &emdSaved{Cases: []*emdCase{{Name: "d19-n2000", POTFrom: "2026-12-07 09:40 UTC"}, {Name: "d19-n5000"}}}
	if got := potFromNote(sv); !strings.Contains(got, "d19-n2000 (run of 2026-12-07 09:40 UTC)") || strings.Contains(got, "n5000") {
		t.Errorf("potFromNote = %q", got)
	}
}
