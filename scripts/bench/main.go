// Command bench is `make bench` (issue 5): it generates deterministic
// synthetic segmentation datasets, then, in one invocation so that the
// ratios hold on a noisy machine, times for each setting
//
//  1. the native CLI (wall time, max RSS; --dump-sample writes the pixels),
//     and one repetition in-process under pprof for the per-operation times;
//  2. the browser app in headless Chromium with 2 workers (e2e/bench_test.go:
//     timed inside the page, the workers' wasm memory);
//  3. POT on exactly the same sampled pixels (scripts/pot_bench.py, with a
//     time cap), and ot.emd where it is affordable;
//
// measures the streaming limit of one Sinkhorn iteration (4·N² bytes read
// twice) natively and in WebAssembly, and writes BENCHMARKS.md.
//
//	go run ./scripts/bench            # the full run (N = 2000 and 10000, K = 10)
//	go run ./scripts/bench -quick     # N = 2000, K = 1..2: a few minutes
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/settings"
	"github.com/otceseg/otceseg/scripts/bench/internal/stream"
)

type setting struct {
	Name     string  `json:"name"`
	D        int     `json:"d"`
	N        int     `json:"n"`
	K        int     `json:"k"`
	CostNorm string  `json:"cost_norm"`
	Eps      float64 `json:"eps"`
}

type cliRun struct {
	Seconds float64
	MaxRSS  float64 // bytes
	Result  map[string]any
	Err     string
}

type profRun struct {
	Iterations int
	Seconds    map[string]float64
	Total      float64
	Top        string
	StopRule   string
	Err        string
}

type potRun struct {
	Rep    int
	MaxRSS float64
	Out    map[string]any
	Err    string
}

type row struct {
	S    setting
	CLI  cliRun
	Prof profRun
	POT  []potRun
	// Converged is POT's converged entropic reference of repetition 0
	// (scripts/pot_converged.py), for the authors' setting up to -pot-emd-max.
	Converged *potRun `json:",omitempty"`
	Browser   *benchResult
}

// benchResult mirrors e2e/bench_test.go's output.
type benchResult struct {
	Name         string         `json:"name"`
	PageSeconds  float64        `json:"page_seconds"`
	RunSeconds   float64        `json:"run_seconds"`
	Timings      map[string]any `json:"timings"`
	WarmSeconds  float64        `json:"warm_seconds"`
	WorkerMemory []float64      `json:"worker_memory"`
	Result       map[string]any `json:"result"`
	Error        string         `json:"error,omitempty"`
	Rep          int            `json:"rep,omitempty"`
	Native       *nativeRun     `json:"native,omitempty"` // make bench-emd: the CLI run after this page run
}

// nativeRun mirrors e2e/bench_test.go's nativeRun: a command the browser
// half ran after a page run.
type nativeRun struct {
	Seconds float64        `json:"seconds"`
	MaxRSS  float64        `json:"max_rss"` // bytes
	Result  map[string]any `json:"result"`
	Error   string         `json:"error,omitempty"`
}

type browserOut struct {
	Chromium string `json:"chromium"`
	Stream   []struct {
		N       int     `json:"n"`
		Workers int     `json:"workers"`
		Seconds float64 `json:"seconds"`
	} `json:"stream"`
	Results []benchResult `json:"results"`
}

type streamRes struct {
	N                    int
	Seconds1, SecondsAll float64
}

var (
	quick     = flag.Bool("quick", false, "N = 2000 only, K = 1..2 (a few minutes)")
	work      = flag.String("work", "build/bench", "working folder (datasets, dumps, profiles, logs)")
	outMD     = flag.String("out", "BENCHMARKS.md", "the report")
	timeCap   = flag.Float64("time-cap", 300, "POT's time cap per solve, seconds")
	potReps   = flag.Int("pot-reps", 2, "repetitions solved by POT per setting (the first ones; all of them with -quick)")
	emdMax    = flag.Int("pot-emd-max", 2000, "also run ot.emd on the authors' setting up to this N")
	convCap   = flag.Float64("pot-converged", 300, "seconds for POT's converged entropic reference of the authors' setting's first repetition up to -pot-emd-max (scripts/pot_converged.py; 0: none)")
	noBrowser = flag.Bool("no-browser", false, "skip the browser")
	workers   = flag.Int("browser-workers", 2, "web workers")
	report    = flag.Bool("report-only", false, "rewrite the report from WORK/results.json (no run)")
	nList     = flag.String("n", "", "comma-separated sample sizes N instead of 2000,10000 (2000 with -quick)")
	kFlag     = flag.Int("k", 0, "repetitions K of every setting instead of the defaults (10; 1..2 with -quick)")
	kLarge    = flag.Int("k-large", 0, "repetitions K of the settings with N ≥ 10⁴ (default: as -k)")
	only      = flag.String("only", "", "a regular expression: run only the settings whose names match (d19-max-n2000, …)")
)

// saved is WORK/results.json: everything the report is made of.
type saved struct {
	Rows         []*row      `json:"rows"`
	Browser      *browserOut `json:"browser"`
	NativeStream []streamRes `json:"native_stream"`
	Quick        bool        `json:"quick"`
	Args         []string    `json:"args"` // the flags of the run, for the report
	Seconds      float64     `json:"seconds"`
	LoadStart    string      `json:"load_start"`
	LoadEnd      string      `json:"load_end"`
	Written      time.Time   `json:"written"`
}

func main() {
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	start := time.Now()
	if err := os.MkdirAll(*work, 0o755); err != nil {
		log.Fatal(err)
	}
	abs, _ := filepath.Abs(*work)
	*work = abs
	if *emdMode {
		runEMD(start)
		return
	}
	if *report {
		var sv saved
		b, err := os.ReadFile(filepath.Join(*work, "results.json"))
		if err == nil {
			err = json.Unmarshal(b, &sv)
		}
		if err != nil {
			log.Fatal(err)
		}
		*quick = sv.Quick
		if len(sv.Args) > 0 {
			flag.CommandLine.Parse(sv.Args)
		}
		writeMD(writeReport(&sv))
		return
	}

	var settings []setting
	ns := []int{2000, 10000}
	if *quick {
		ns = []int{2000}
	}
	if *nList != "" {
		ns = parseNs(*nList)
	}
	var onlyRE *regexp.Regexp
	if *only != "" {
		var err error
		if onlyRE, err = regexp.Compile(*only); err != nil {
			log.Fatalf("-only: %v", err)
		}
	}
	for _, n := range ns {
		for _, d := range []int{19, 256} {
			for _, norm := range []string{"max", "none"} {
				k := 10
				if *quick {
					k = map[string]int{"max": 2, "none": 1}[norm]
				}
				if *kFlag > 0 {
					k = *kFlag
				}
				if *kLarge > 0 && n >= 10000 {
					k = *kLarge
				}
				name := fmt.Sprintf("d%d-%s-n%d", d, norm, n)
				if onlyRE != nil && !onlyRE.MatchString(name) {
					continue
				}
				settings = append(settings, setting{Name: name, D: d, N: n, K: k, CostNorm: norm, Eps: 0.1})
			}
		}
	}

	// Datasets.
	data := map[int]*benchData{}
	for _, d := range []int{19, 256} {
		ds, err := makeDataset(filepath.Join(*work, "data", fmt.Sprintf("d%d", d)), d, 5)
		if err != nil {
			log.Fatal(err)
		}
		data[d] = ds
		log.Printf("dataset d=%d: %d images per domain, %d/%d valid pixels", d, images, ds.Valid[0], ds.Valid[1])
	}

	// The CLI.
	cli := filepath.Join(*work, "otce")
	if out, err := exec.Command("go", "build", "-o", cli, "./cmd/otce").CombinedOutput(); err != nil {
		log.Fatalf("go build: %v\n%s", err, out)
	}

	// The streaming limit natively.
	var streams []streamRes
	for _, n := range ns {
		s := nativeStream(n)
		streams = append(streams, s)
		log.Printf("native stream n=%d: 1 thread %.4f s, %d threads %.4f s", n, s.Seconds1, runtime.NumCPU(), s.SecondsAll)
	}

	rows := make([]*row, len(settings))
	for i, s := range settings {
		r := &row{S: s}
		rows[i] = r
		ds := data[s.D]
		dump := filepath.Join(*work, "dump", s.Name)
		os.RemoveAll(dump)
		r.CLI = runCLI(cli, ds, s, dump)
		log.Printf("%s: CLI %.2f s, max RSS %.0f MB %s", s.Name, r.CLI.Seconds, r.CLI.MaxRSS/1e6, r.CLI.Err)
		r.Prof = profile(ds, s, filepath.Join(*work, "prof", s.Name+".pprof"))
		log.Printf("%s: in-process rep 0: %d iterations, %.2f s %s", s.Name, r.Prof.Iterations, r.Prof.Total, r.Prof.Err)
		reps := s.K
		if !*quick && *potReps < reps {
			reps = *potReps
		}
		for rep := 0; rep < reps; rep++ {
			dir, _ := filepath.Glob(filepath.Join(dump, "*", fmt.Sprintf("rep%d", rep)))
			if len(dir) != 1 {
				r.POT = append(r.POT, potRun{Rep: rep, Err: "no dumped sample"})
				continue
			}
			p := runPOT(dir[0], s, rep)
			r.POT = append(r.POT, p)
			log.Printf("%s: POT rep %d: %v s (capped %v) %s", s.Name, rep, p.Out["seconds"], p.Out["capped"], p.Err)
			if rep == 0 && *convCap > 0 && s.CostNorm == "none" && s.N <= *emdMax {
				c := runConverged(dir[0], s)
				r.Converged = &c
				log.Printf("%s: POT converged reference rep 0: CE %v after %v iterations, %v s %s", s.Name, c.Out["ce"], c.Out["iterations"], c.Out["seconds"], c.Err)
			}
		}
	}

	var br *browserOut
	if !*noBrowser {
		br = runBrowser(settings, data, ns)
		for _, r := range rows {
			for i := range br.Results {
				if br.Results[i].Name == r.S.Name {
					r.Browser = &br.Results[i]
				}
			}
		}
	}
	sv := &saved{Rows: rows, Browser: br, NativeStream: streams, Quick: *quick, Args: os.Args[1:], Seconds: time.Since(start).Seconds(),
		LoadStart: loadAtStart, LoadEnd: loadavg(), Written: time.Now().UTC()}
	raw, _ := json.MarshalIndent(sv, "", "  ")
	os.WriteFile(filepath.Join(*work, "results.json"), raw, 0o644)
	writeMD(writeReport(sv))
	log.Printf("wrote %s in %s", *outMD, time.Since(start).Round(time.Second))
}

// parseNs parses -n: comma-separated sample sizes.
func parseNs(list string) []int {
	var ns []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			log.Fatalf("-n: %q is not a positive sample size", f)
		}
		ns = append(ns, n)
	}
	return ns
}

func nativeStream(n int) streamRes {
	a := make([]float32, n*n)
	stream.Fill(a)
	res := streamRes{N: n}
	best := func(f func()) float64 {
		b := math.Inf(1)
		for t := 0; t < 3; t++ {
			t0 := time.Now()
			f()
			b = math.Min(b, time.Since(t0).Seconds())
		}
		return b
	}
	var sink float32
	res.Seconds1 = best(func() { sink += stream.Sum(a) })
	p := runtime.NumCPU()
	res.SecondsAll = best(func() {
		var wg sync.WaitGroup
		part := (len(a) + p - 1) / p
		for w := 0; w < p; w++ {
			lo, hi := w*part, min((w+1)*part, len(a))
			wg.Add(1)
			go func() { defer wg.Done(); _ = stream.Sum(a[lo:hi]) }()
		}
		wg.Wait()
	})
	_ = sink
	return res
}

func settingArgs(s setting) []string {
	return []string{"-n", fmt.Sprint(s.N), "-k", fmt.Sprint(s.K), "--eps", fmt.Sprint(s.Eps), "--cost-norm", s.CostNorm}
}

func cliArgs(ds *benchData, s setting) []string {
	args := []string{"score"}
	for _, f := range ds.Source.Features {
		args = append(args, "--source-features", f)
	}
	for _, f := range ds.Source.Labels {
		args = append(args, "--source-labels", f)
	}
	for _, f := range ds.Target.Features {
		args = append(args, "--target-features", f)
	}
	for _, f := range ds.Target.Labels {
		args = append(args, "--target-labels", f)
	}
	return append(args, settingArgs(s)...)
}

// hiwater runs cmd and polls its /proc/PID/status VmHWM (the high-water
// mark of its own address space) every 20 ms until it exits. (The rusage of
// a child is no good here: Go starts children with vfork, so their max RSS
// starts at this process's, which holds the streaming test's N² array.)
func hiwater(cmd *exec.Cmd) (float64, error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	path := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	peak := 0.0
	poll := func() {
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				var kb float64
				fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), "%f", &kb)
				peak = math.Max(peak, kb*1024)
			}
		}
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case err := <-done:
			return peak, err
		case <-t.C:
			poll()
		}
	}
}

func runCLI(cli string, ds *benchData, s setting, dump string) cliRun {
	args := append(cliArgs(ds, s), "--format", "json", "--quiet", "--dump-sample", dump)
	cmd := exec.Command(cli, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	rss, err := hiwater(cmd)
	r := cliRun{Seconds: time.Since(t0).Seconds(), MaxRSS: rss}
	if err != nil {
		r.Err = fmt.Sprintf("%v: %s", err, strings.TrimSpace(errb.String()))
	}
	json.Unmarshal(out.Bytes(), &r.Result)
	return r
}

type osFile struct {
	*os.File
	size int64
}

func (f osFile) Size() int64 { return f.size }

func open(paths []string) []dataset.File {
	var out []dataset.File
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			log.Fatal(err)
		}
		st, _ := f.Stat()
		out = append(out, osFile{f, st.Size()})
	}
	return out
}

// profile solves repetition 0 in this process under the CPU profiler, with
// the CLI's blocks (goroutines): the per-operation seconds and pprof's top.
func profile(ds *benchData, s setting, path string) profRun {
	os.MkdirAll(filepath.Dir(path), 0o755)
	st := otce.DefaultSettings()
	st.N, st.K, st.Eps, st.CostNorm = s.N, 1, s.Eps, settings.CostNorm(s.CostNorm)
	c := otce.Candidate{Name: s.Name, SourceFeatures: open(ds.Source.Features), SourceLabels: open(ds.Source.Labels),
		TargetFeatures: open(ds.Target.Features), TargetLabels: open(ds.Target.Labels)}
	var pr profRun
	j, err := otce.Prepare(c, st)
	if err != nil {
		pr.Err = err.Error()
		return pr
	}
	smp, err := j.Sample(0)
	if err != nil {
		pr.Err = err.Error()
		return pr
	}
	f, err := os.Create(path)
	if err != nil {
		pr.Err = err.Error()
		return pr
	}
	pprof.StartCPUProfile(f)
	t0 := time.Now()
	bs := ot.NewLocalBlocks(smp.Problem, 0)
	sol, err := otce.SolveSample(context.Background(), bs, smp, st, nil)
	pr.Total = time.Since(t0).Seconds()
	pprof.StopCPUProfile()
	f.Close()
	bs.Do(&ot.Op{Kind: ot.OpRelease})
	runtime.GC()
	if err != nil {
		pr.Err = err.Error()
		return pr
	}
	pr.Iterations, pr.Seconds, pr.StopRule = sol.Iterations, sol.Seconds, sol.StopRule.String()
	top, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=10", path).Output()
	if err == nil {
		lines := strings.Split(strings.TrimSpace(string(top)), "\n")
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), "flat") {
				lines = lines[i:]
				break
			}
		}
		pr.Top = strings.Join(lines, "\n")
	}
	return pr
}

func runPOT(dir string, s setting, rep int) potRun {
	args := []string{"scripts/pot_bench.py", "--dir", dir, "--eps", fmt.Sprint(s.Eps), "--cost-norm", s.CostNorm,
		"--time-cap", fmt.Sprint(capFor(s))}
	if s.CostNorm == "none" && s.N <= *emdMax {
		args = append(args, "--emd")
	}
	cmd := exec.Command("/usr/bin/python3", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	rss, err := hiwater(cmd)
	p := potRun{Rep: rep, MaxRSS: rss}
	if err != nil {
		p.Err = fmt.Sprintf("%v: %s", err, lastLine(errb.String()))
	}
	json.Unmarshal(out.Bytes(), &p.Out)
	return p
}

// runConverged runs scripts/pot_converged.py on a dumped repetition.
func runConverged(dir string, s setting) potRun {
	cmd := exec.Command("/usr/bin/python3", "scripts/pot_converged.py", "--dir", dir, "--eps", fmt.Sprint(s.Eps), "--time-cap", fmt.Sprint(*convCap))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	p := potRun{}
	if err := cmd.Run(); err != nil {
		p.Err = fmt.Sprintf("%v: %s", err, lastLine(errb.String()))
	}
	json.Unmarshal(out.Bytes(), &p.Out)
	return p
}

func capFor(s setting) float64 {
	if *quick {
		return math.Min(*timeCap, 60)
	}
	return *timeCap
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return l[len(l)-1]
}

func runBrowser(settings []setting, data map[int]*benchData, ns []int) *browserOut {
	type bset struct {
		setting
		SF []string `json:"sf"`
		SL []string `json:"sl"`
		TF []string `json:"tf"`
		TL []string `json:"tl"`
	}
	var bs []bset
	for _, s := range settings {
		ds := data[s.D]
		bs = append(bs, bset{s, ds.Source.Features, ds.Source.Labels, ds.Target.Features, ds.Target.Labels})
	}
	return runBrowserSpec(map[string]any{"workers": *workers, "stream_ns": ns, "settings": bs, "timeout_seconds": 7200})
}

// runBrowserSpec writes spec (e2e/bench_test.go's benchSpec) to WORK, runs
// the browser half (TestBench) on it and returns what it wrote.
func runBrowserSpec(spec map[string]any) *browserOut {
	b, _ := json.MarshalIndent(spec, "", "  ")
	specPath := filepath.Join(*work, "browser-spec.json")
	outPath := filepath.Join(*work, "browser-results.json")
	os.WriteFile(specPath, b, 0o644)
	os.Remove(outPath)
	logPath := filepath.Join(*work, "browser.log")
	lf, _ := os.Create(logPath)
	cmd := exec.Command("go", "test", "-count=1", "-run", "^TestBench$", "-v", "-timeout", "10h", "./e2e/")
	cmd.Env = append(os.Environ(), "OTCE_BENCH="+specPath, "OTCE_BENCH_OUT="+outPath)
	cmd.Stdout, cmd.Stderr = lf, lf
	log.Printf("browser: go test -run TestBench ./e2e/ (log: %s)", logPath)
	err := cmd.Run()
	lf.Close()
	if err != nil {
		log.Printf("browser: %v (see %s)", err, logPath)
	}
	var out browserOut
	if b, err := os.ReadFile(outPath); err == nil {
		json.Unmarshal(b, &out)
	}
	for _, r := range out.Results {
		log.Printf("%s: browser %.2f s, workers' memory %v %s", r.Name, r.PageSeconds, r.WorkerMemory, r.Error)
	}
	return &out
}

// ---- helpers on the JSON results

func num(m map[string]any, k string) (float64, bool) {
	if m == nil {
		return 0, false
	}
	v, ok := m[k].(float64)
	return v, ok
}

func nums(m map[string]any, k string) []float64 {
	if m == nil {
		return nil
	}
	a, _ := m[k].([]any)
	var out []float64
	for _, v := range a {
		f, _ := v.(float64)
		out = append(out, f)
	}
	return out
}

func strs(m map[string]any, k string) []string {
	if m == nil {
		return nil
	}
	a, _ := m[k].([]any)
	var out []string
	for _, v := range a {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

func maxOf(x []float64) float64 {
	m := math.NaN()
	for _, v := range x {
		if math.IsNaN(m) || v > m {
			m = v
		}
	}
	return m
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}
