package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/chart"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
)

// The tests of issue 19's CLI items: what a new user stumbled on.

var small = []string{"-n", "200", "-k", "2", "--quiet"}

func rankJSON(t *testing.T, args ...string) report.Ranking {
	t.Helper()
	out, errs, code := runCLI(t, append(append([]string{}, args...), "--format", "json")...)
	if code != 0 {
		t.Fatalf("otce %v: exit %d: %s", args, code, errs)
	}
	var r report.Ranking
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	return r
}

// TestRankPositionalManifest: `otce rank M.json` (item 7), before, between
// or after the flags, gives what --manifest gives; two different manifests
// are an error.
func TestRankPositionalManifest(t *testing.T) {
	m := td("manifest.json")
	want := rankJSON(t, append([]string{"rank", "--manifest", m}, small...)...)
	for _, args := range [][]string{
		append([]string{"rank", m}, small...),
		append(append([]string{"rank"}, small...), m),
		{"rank", "-n", "200", m, "-k", "2", "--quiet"},
		append([]string{"rank", "--manifest", m, m}, small...),
	} {
		got := rankJSON(t, args...)
		if len(got.Candidates) != len(want.Candidates) {
			t.Fatalf("%v: %d candidates, want %d", args, len(got.Candidates), len(want.Candidates))
		}
		for i := range got.Candidates {
			if g, w := got.Candidates[i], want.Candidates[i]; g.Name != w.Name || g.OTCEMean != w.OTCEMean {
				t.Errorf("%v: candidate %d %s %v, want %s %v", args, i, g.Name, g.OTCEMean, w.Name, w.OTCEMean)
			}
		}
	}
	_, errs, code := runCLI(t, "rank", "--manifest", m, "other.json")
	if code != 2 || !strings.Contains(errs, "two manifests") {
		t.Errorf("two manifests: exit %d, %q", code, errs)
	}
	_, errs, code = runCLI(t, "rank", m, "other.json")
	if code != 2 || !strings.Contains(errs, `unexpected argument "other.json"`) {
		t.Errorf("two positional manifests: exit %d, %q", code, errs)
	}
	_, errs, code = runCLI(t, "rank")
	if code != 2 || !strings.Contains(errs, "otce rank M.json") {
		t.Errorf("no manifest: exit %d, %q", code, errs)
	}
}

// TestScoreName: `otce score --name` names the candidate in every format
// (item 11).
func TestScoreName(t *testing.T) {
	args := []string{"score", "--name", "my model", "--source-features", td("src_nchw.npy"), "--source-labels", td("src_labels.npy"),
		"--target-features", td("tgt_nchw.npy"), "--target-labels", td("tgt_labels.npy")}
	c := scoreJSON(t, args[1:]...)
	if c.Name != "my model" {
		t.Errorf("JSON name %q, want %q", c.Name, "my model")
	}
	for _, f := range []string{"table", "csv"} {
		out, errs, code := runCLI(t, append(append(args, small...), "--format", f)...)
		if code != 0 || !strings.Contains(out, "my model") {
			t.Errorf("--format %s: exit %d (%s), the name is not in\n%s", f, code, errs, out)
		}
	}
}

// TestRankKeyAndCSVCorrelation: the JSON candidates carry their rank, the
// table's and the CSV's (item 11); the CSV ends with the correlations as
// a comment row, equal to the JSON's.
func TestRankKeyAndCSVCorrelation(t *testing.T) {
	r := rankJSON(t, append([]string{"demo"}, small...)...)
	if r.Correlation == nil {
		t.Fatal("the demo has no correlation")
	}
	for i, c := range r.Candidates {
		if c.Rank != i+1 {
			t.Errorf("candidate %d (%s): rank %d", i, c.Name, c.Rank)
		}
	}
	out, errs, code := runCLI(t, append([]string{"demo", "--format", "csv"}, small...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	cr := csv.NewReader(strings.NewReader(out))
	cr.Comment = '#'
	rows, err := cr.ReadAll()
	if err != nil || len(rows) != len(r.Candidates)+1 {
		t.Fatalf("CSV with comments skipped: %d rows (%v), want %d:\n%s", len(rows), err, len(r.Candidates)+1, out)
	}
	for i, row := range rows[1:] {
		if row[0] != strconv.Itoa(r.Candidates[i].Rank) || row[1] != r.Candidates[i].Name {
			t.Errorf("CSV row %d: rank %s name %s, JSON %d %s", i+1, row[0], row[1], r.Candidates[i].Rank, r.Candidates[i].Name)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	c := r.Correlation
	want := "# correlation with accuracy: count=" + strconv.Itoa(c.Count) + " pearson=" + strconv.FormatFloat(c.Pearson, 'g', 10, 64) +
		" spearman=" + strconv.FormatFloat(c.Spearman, 'g', 10, 64) + " kendall=" + strconv.FormatFloat(c.Kendall, 'g', 10, 64)
	if last != want {
		t.Errorf("last CSV line\n%q, want\n%q", last, want)
	}
	// No accuracies, no row.
	out, _, _ = runCLI(t, append([]string{"rank", td("manifest.json"), "--format", "csv"}, small...)...)
	if strings.Contains(out, "#") {
		t.Errorf("a correlation row without three accuracies:\n%s", out)
	}
}

// TestPlotSVG: --plot draws the ranking as well-formed SVG, one bar per
// scored candidate in rank order with its accuracy (item 11); a .png name
// is refused before any work.
func TestPlotSVG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rank.svg")
	r := rankJSON(t, append([]string{"demo", "--plot", path}, small...)...)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	var texts []string
	rects := 0
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, b)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			inText = e.Name.Local == "text"
			if e.Name.Local == "rect" {
				rects++
			}
		case xml.CharData:
			if inText {
				texts = append(texts, string(e))
			}
		case xml.EndElement:
			inText = false
		}
	}
	if rects != len(r.Candidates)+1 { // the background and one bar each
		t.Errorf("%d rects, want %d bars and the background", rects, len(r.Candidates))
	}
	all := strings.Join(texts, "\n")
	pos := -1
	for _, c := range r.Candidates {
		label := strconv.Itoa(c.Rank) + ". " + c.Name
		i := strings.Index(all, label)
		if i < pos {
			t.Errorf("%q missing or out of rank order in the plot's labels:\n%s", label, all)
		}
		pos = i
		if !strings.Contains(all, chart.Label(*c.Accuracy)) {
			t.Errorf("accuracy %v of %s not in the plot", *c.Accuracy, c.Name)
		}
	}
	if !strings.Contains(all, "Spearman ρ = 1.000") {
		t.Errorf("the correlations are not in the plot:\n%s", all)
	}
	_, errs, code := runCLI(t, "demo", "--plot", filepath.Join(dir, "rank.png"))
	if code != 2 || !strings.Contains(errs, "SVG only") {
		t.Errorf("--plot x.png: exit %d, %q", code, errs)
	}
}

// TestEpsAdvice: when the coupling is near independence because ε is large
// for the cost spread, the warning says what to try and what it changes
// (item 4), in the JSON and the table alike; with --solver emd, which has
// no ε, nothing speaks of ε.
func TestEpsAdvice(t *testing.T) {
	four := []string{"--source-features", td("src_nchw.npy"), "--source-labels", td("src_labels.npy"),
		"--target-features", td("tgt_nchw.npy"), "--target-labels", td("tgt_labels.npy")}
	find := func(ws []string) string {
		for _, w := range ws {
			if strings.Contains(w, "close to independence") {
				return w
			}
		}
		return ""
	}
	// cost-norm none: median cost about 58 here (ε/median(C) = 17 at ε = 1000).
	score := func(args ...string) report.Candidate {
		out, errs, code := runCLI(t, append(append(append([]string{"score"}, four...), args...), "-n", "1000", "-k", "1", "--format", "json")...)
		var c report.Candidate
		if err := json.Unmarshal([]byte(out), &c); code != 0 || err != nil {
			t.Fatalf("exit %d (%v): %s", code, err, errs)
		}
		return c
	}
	c := score("--eps", "1000", "--cost-norm", "none")
	w := find(c.Warnings)
	if !strings.Contains(w, "--eps ") || !strings.Contains(w, "--solver emd") || !strings.Contains(w, "ε/median(C) ≈ 0.05") {
		t.Errorf("no advice in %q (warnings %q)", w, c.Warnings)
	}
	// cost-norm max, ε = 0.5: ε/median(C) = 1.7 > 0.5, so cost-norm median
	// would sharpen it.
	c = score("--eps", "0.5", "--cost-norm", "max")
	if w := find(c.Warnings); !strings.Contains(w, "--cost-norm median") || !strings.Contains(w, "becomes 0.5 instead of") || !strings.Contains(w, "--solver emd") {
		t.Errorf("no --cost-norm median advice in %q", w)
	}
	out, _, code := runCLI(t, append(append([]string{"score"}, four...), "--eps", "0.5", "--cost-norm", "max", "-n", "1000", "-k", "1", "--quiet")...)
	if code != 0 || !strings.Contains(out, "try --cost-norm median") {
		t.Errorf("the table does not give the advice:\n%s", out)
	}
	for _, eps := range []string{"1000", "1e-9"} {
		out, _, code := runCLI(t, append(append([]string{"score"}, four...), "--solver", "emd", "--eps", eps, "-n", "1000", "-k", "1", "--quiet")...)
		if code != 0 || strings.Contains(out, "ε/") || strings.Contains(out, "independence") {
			t.Errorf("--solver emd --eps %s speaks of ε:\n%s", eps, out)
		}
	}
}

// fakeClock advances by step at every reading.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time { c.t = c.t.Add(c.step); return c.t }

// TestProgressNotTerminal: with stderr not a terminal the progress is whole
// lines (item 10, issue 21 item 6): the first event at once, then at most
// one line per 10 s of the (fake) clock; the phases named; one estimate
// after the first repetition; an ETA that converges to the true remaining
// time when every repetition takes the same time.
func TestProgressNotTerminal(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0), step: time.Second}
	s := otce.DefaultSettings()
	s.K = 3
	p := startProgress(&buf, false, 2, s)
	p.now = clock.now
	// Each repetition: reading/sampling, cost, exact plan, 20 iterations whose
	// error falls from 1 to 1e-6 (--tol), done: 1 s per event.
	for cand := 0; cand < 2; cand++ {
		name := []string{"a", "b"}[cand]
		p.update(otce.Progress{Candidate: name, K: 3, Phase: otce.PhaseReading})
		for rep := 0; rep < 3; rep++ {
			p.update(otce.Progress{Candidate: name, Rep: rep, K: 3, Phase: otce.PhaseSampling})
			p.update(otce.Progress{Candidate: name, Rep: rep, K: 3, Phase: otce.PhaseSolving})
			p.update(otce.Progress{Candidate: name, Rep: rep, K: 3, Phase: otce.PhaseExact})
			for it := 1; it <= 20; it++ {
				e := 1.0
				for range it - 1 {
					e /= 2.0
				}
				p.update(otce.Progress{Candidate: name, Rep: rep, K: 3, Phase: otce.PhaseIterations, Progress: ot.Progress{Stage: 1, Stages: 1, Iteration: it, Error: e}})
			}
			p.update(otce.Progress{Candidate: name, Rep: rep, K: 3, Phase: otce.PhaseDone})
		}
		p.candidateDone()
	}
	out := buf.String()
	if strings.ContainsAny(out, "\r\033") {
		t.Errorf("terminal controls in a log:\n%q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "otce: candidate 1/2 a, repetition 1/3: reading; 0 s elapsed") {
		t.Errorf("first line %q: want the reading phase at once", lines[0])
	}
	// The first repetition's phases, each at once, in order.
	for k, want := range []string{"reading; 0 s", "sampling; 1 s", "cost; 2 s", "exact plan; 3 s", "iteration 1 (ε stage 1/1), marginal error 1.00e+00; 4 s"} {
		if k >= len(lines) || !strings.Contains(lines[k], "repetition 1/3: "+want) {
			t.Errorf("line %d: want the first repetition's phase %q at once:\n%s", k+1, want, out)
		}
	}
	// 2·(1 + 3·24) = 146 s of events: about 15 progress lines, the first
	// repetition's four phase changes and the estimate.
	if len(lines) < 10 || len(lines) > 21 {
		t.Errorf("%d lines for 146 s at one a 10 s:\n%s", len(lines), out)
	}
	estimates := 0
	for _, l := range lines {
		if strings.Contains(l, "the first repetition took") {
			estimates++
			// 24 s a repetition (from the first event), 6 repetitions.
			if !strings.Contains(l, "took 24 s: about 2 min 24 s in all for 2 candidate(s) × 3 repetitions") {
				t.Errorf("estimate %q", l)
			}
		}
	}
	if estimates != 1 {
		t.Errorf("%d estimates, want 1:\n%s", estimates, out)
	}
	for _, ph := range []string{"reading", "iteration ", "marginal error"} {
		if !strings.Contains(out, ph) {
			t.Errorf("the phase %q is never shown:\n%s", ph, out)
		}
	}
	// The ETA at the end of each repetition is the true remaining time
	// (every repetition takes 24 s; the first one 25 s with the reading).
	var etaLines []string
	for _, l := range lines {
		if strings.Contains(l, "ETA") {
			etaLines = append(etaLines, l)
		}
	}
	if len(etaLines) < 5 {
		t.Fatalf("%d lines with an ETA:\n%s", len(etaLines), out)
	}
	p.done()
	if newProgress(os.Stderr, true, 1, s) != nil {
		t.Error("--quiet still shows progress")
	}

	// A long phase without events: the ticker's call writes the state again
	// with the time elapsed, once 10 s have passed since the last line.
	buf.Reset()
	p = startProgress(&buf, false, 1, s)
	p.now = clock.now
	p.update(otce.Progress{K: 3, Phase: otce.PhaseSolving})
	p.tick() // 1 s later: nothing
	clock.step = 30 * time.Second
	p.tick()
	if got := buf.String(); strings.Count(got, "cost; ") != 2 || !strings.Contains(got, "31 s elapsed") {
		t.Errorf("a long phase in a log:\n%s", got)
	}
}

// TestProgressTerminal: on a terminal one line is rewritten in place, a
// phase change is shown at once, and the ticker redraws the latest state
// each second (until done).
func TestProgressTerminal(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0), step: time.Millisecond}
	s := otce.DefaultSettings()
	p := startProgress(&buf, true, 1, s)
	p.now = clock.now
	p.update(otce.Progress{K: 10, Phase: otce.PhaseSampling})
	p.update(otce.Progress{K: 10, Phase: otce.PhaseSolving})
	p.update(otce.Progress{K: 10, Phase: otce.PhaseIterations, Progress: ot.Progress{Iteration: 1, Error: 0.5}})
	p.update(otce.Progress{K: 10, Phase: otce.PhaseIterations, Progress: ot.Progress{Iteration: 2, Error: 0.4}}) // within 200 ms: skipped
	clock.step = 2 * time.Second
	p.tick() // a second later on a terminal: the line again, the time moved on
	p.done()
	p.tick() // after done: nothing
	got := buf.String()
	// Iteration 2 is not drawn at once (within 200 ms of iteration 1) but by
	// the tick, the latest state, 2 s on.
	if strings.Count(got, "\r\033[K") != 5 || !strings.Contains(got, ": cost; ") || !strings.Contains(got, "iteration 1 ") ||
		strings.Count(got, "iteration 2 ") != 1 || !strings.Contains(got, "marginal error 4.00e-01; 2 s elapsed") || strings.Contains(got, "\n") {
		t.Errorf("terminal progress %q", got)
	}
}

// TestProgressETAConverges checks the ETA against the truth on a steady
// run: after repetition r of K, each taking d, the remaining time is
// (K−r)·d, and the ETA shown is that within a second.
func TestProgressETAConverges(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0), step: 10 * time.Second}
	s := otce.DefaultSettings()
	s.K = 6
	p := startProgress(&buf, false, 1, s)
	p.now = clock.now
	p.update(otce.Progress{K: 6, Phase: otce.PhaseReading}) // t = 10 s: the start
	for rep := 0; rep < 6; rep++ {
		p.update(otce.Progress{Rep: rep, K: 6, Phase: otce.PhaseSampling})
		p.update(otce.Progress{Rep: rep, K: 6, Phase: otce.PhaseDone})
	}
	var etas []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if i := strings.Index(l, "ETA "); i >= 0 && strings.Contains(l, "repetition done") {
			etas = append(etas, l[i+4:])
		}
	}
	// Repetition r ends at 20·(r+1) s after the start: ETA 20·(5−r) s.
	// The first one is the estimate of the whole run instead.
	want := []string{"1 min 20 s", "1 min 0 s", "40 s", "20 s"}
	if !strings.Contains(buf.String(), "the first repetition took 20 s: about 2 min 0 s in all") {
		t.Errorf("no estimate of the whole run:\n%s", buf.String())
	}
	if strings.Join(etas, ",") != strings.Join(want, ",") {
		t.Errorf("ETAs after each repetition %q, want %q\n%s", etas, want, buf.String())
	}
}

// TestGoLineAndPagesWorkflow (item 13): the go lines of go.mod, e2e/go.mod
// and go.work are the lowest that the required modules allow (the highest
// of their go lines: no newer toolchain to fetch offline), the README asks
// for that version, and the Pages workflow runs the tests before it builds
// and deploys.
func TestGoLineAndPagesWorkflow(t *testing.T) {
	root := filepath.Join("..", "..")
	goLine := func(name string) string {
		for _, l := range strings.Split(string(mustRead(t, filepath.Join(root, name))), "\n") {
			if v, ok := strings.CutPrefix(l, "go "); ok {
				return strings.TrimSpace(v)
			}
		}
		t.Fatalf("%s: no go line", name)
		return ""
	}
	gobin := "go" // as go test finds it (hardening_test.go builds the CLI alike)
	// In the workspace (go.work): the modules of the product and of e2e.
	cmd := exec.Command(gobin, "list", "-m", "-f", "{{if not .Main}}{{.GoVersion}}{{end}}", "all")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("go list -m all: %v (the module cache is needed)", err)
	}
	need := "1.0"
	for _, v := range strings.Fields(string(out)) {
		if semverLess(need, v) {
			need = v
		}
	}
	for _, f := range []string{"go.mod", filepath.Join("e2e", "go.mod"), "go.work"} {
		if v := goLine(f); semverLess(v, need) || semverLess(need, v) {
			t.Errorf("%s says go %s; the required modules need go %s, and nothing more is needed (go vet's stdversion check and a go%s build pass)", f, v, need, need)
		}
	}
	readme := string(mustRead(t, filepath.Join(root, "README.md")))
	short := strings.TrimSuffix(need, ".0")
	if !strings.Contains(readme, "Go (≥ "+short) {
		t.Errorf("the README does not ask for Go ≥ %s", short)
	}
	wf := string(mustRead(t, filepath.Join(root, ".github", "workflows", "pages.yml")))
	test, build := strings.Index(wf, "run: make test"), strings.Index(wf, "run: make web")
	if test < 0 || build < 0 || test > build {
		t.Errorf("the Pages workflow does not run the tests before it builds the site (make test at %d, make web at %d)", test, build)
	}
}

// semverLess compares Go versions such as 1.25, 1.25.0 and 1.26.8.
func semverLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < 3; i++ {
		x, y := 0, 0
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// TestBundleWithLabelFolder (item 9): a features-only bundle beside a
// shared folder of per-image label files says exactly how to give its
// labels; the two ways it names both work.
func TestBundleWithLabelFolder(t *testing.T) {
	_, errs, code := runCLI(t, "score", "--source-features", td("src_bundle.npz"),
		"--target-features", td("tgt_bundle.npz"), "--target-labels", td("tgt_images/labels"), "--quiet")
	if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("exit %d, %q: want one line and exit 2", code, errs)
	}
	for _, want := range []string{"tgt_bundle.npz is one bundle of features", "one of 2 label files", `an array "labels" (B, H, W)`, "np.stack(maps)", "--out DIR writes per-image files"} {
		if !strings.Contains(errs, want) {
			t.Errorf("message %q lacks %q", errs, want)
		}
	}
	// The bundle's own labels, and one (B, H, W) label file.
	a := scoreJSON(t, "--source-features", td("src_bundle.npz"), "--target-features", td("tgt_bundle.npz"))
	b := scoreJSON(t, "--source-features", td("src_bundle.npz"), "--target-features", td("tgt_bundle.npz"), "--target-labels", td("tgt_labels.npy"))
	if a.CE[0] != b.CE[0] {
		t.Errorf("CE %v with the bundle's labels, %v with tgt_labels.npy", a.CE[0], b.CE[0])
	}
}

// TestEpsAdviceZeroMedian: with a zero median cost (constant features)
// no ε helps: the median warning alone, no advice of an infinite ε (seen
// in the README walkthrough with a randomly initialised DeepLabV3).
func TestEpsAdviceZeroMedian(t *testing.T) {
	dir := t.TempDir()
	feats := make([]float32, 2*4*4)
	labels := []uint8{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0}
	f := filepath.Join(dir, "f.npy")
	l := filepath.Join(dir, "l.npy")
	fb, _ := arrays.EncodeNPY([]int{2, 4, 4}, "<f4", feats)
	lb, _ := arrays.EncodeNPY([]int{4, 4}, "|u1", labels)
	os.WriteFile(f, fb, 0o644)
	os.WriteFile(l, lb, 0o644)
	out, errs, code := runCLI(t, "score", "--source-features", f, "--source-labels", l, "--target-features", f, "--target-labels", l, "-k", "1", "--format", "json")
	var c report.Candidate
	if err := json.Unmarshal([]byte(out), &c); code != 0 || err != nil {
		t.Fatalf("exit %d (%v): %s", code, err, errs)
	}
	w := strings.Join(c.Warnings, "\n")
	if !strings.Contains(w, "the median cost is 0") || strings.Contains(w, "Inf") || strings.Contains(w, "try --eps") {
		t.Errorf("warnings %q", c.Warnings)
	}
}
