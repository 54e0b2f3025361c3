// Command otce scores how well candidate source segmentation models will
// transfer to a target segmentation task, with the OTCE score.
//
//	otce score --source-features F --source-labels F --target-features F --target-labels F [flags]
//	otce rank M.json [flags]   (or --manifest M.json)
//	otce demo [--volumes] [flags]
//	otce map (score's inputs | --demo NAME) --out DIR [--image STEM]… [--patch S] [--target-images DIR] [flags]
//
// Run "otce help" for the flags. Bad input ends with a one-line message
// naming the file and the problem, and exit status 2.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"unicode"

	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/core/settings"
)

const usage = `otce: which pretrained segmentation model will transfer best to a target task?

usage:
  otce score --source-features PATH --source-labels PATH --target-features PATH --target-labels PATH [flags]
  otce rank M.json [flags]            (or --manifest M.json)
  otce demo [--volumes] [flags]
  otce map (score's inputs | --demo NAME [--volumes]) --out DIR [--image STEM]... [--patch S]
           [--target-images DIR] [--max-h H] [--zoom Z] [flags]
      where in the target images transfer fails: per-pixel maps (<stem>.npy, .png;
      NIfTI for volumes), per-image and per-class tables (maps.json)

PATH is a file (.npy, .npz, .safetensors; .png, .nii, .nii.gz labels) or a folder
of per-image (per-volume) files paired by stem; flags may be repeated. A bundle
(.npz/.safetensors) holding "features" and "labels" may be given as features alone.

flags:
`

type options struct {
	s       report.Settings
	workers int
	format  string
	quiet   bool
	dump    string
	plot    string
}

// rankOptions are the options of the ranking itself (not settings of a
// score): the score to order by and the accuracy fit.
type rankOptions struct {
	by        string
	fit       bool
	fitScores string
}

func rankFlags(fs *flag.FlagSet, r *rankOptions) {
	fs.StringVar(&r.by, "by", "otce", "order the ranking by this score: otce, logme, leep, nce, hscore, gbc, zeroshot_acc, zeroshot_miou (or zeroshot), wd, wt")
	fs.BoolVar(&r.fit, "fit", false, "fit accuracy ≈ λ·scores + b on the candidates with a known accuracy and predict the others")
	fs.StringVar(&r.fitScores, "fit-scores", otce.DefaultFitScores, "the scores of --fit: wd,wt (the OTCE paper's W_D and W_T = CE) or any list of the --by scores")
}

// check validates the options before any scoring.
func (r rankOptions) check() error {
	if _, err := otce.ScoreKey(r.by); err != nil {
		return fmt.Errorf("--by: %v", err)
	}
	if r.fit {
		for _, f := range strings.Split(r.fitScores, ",") {
			if _, err := otce.ScoreKey(f); err != nil {
				return fmt.Errorf("--fit-scores: %v", err)
			}
		}
	}
	return nil
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// settingsFlags defines the settings' flags (settings.Table: the page's form
// is built from the same table) and the tool's own.
func settingsFlags(fs *flag.FlagSet, o *options) {
	o.s = otce.DefaultSettings()
	settings.Flags(fs, &o.s)
	fs.IntVar(&o.workers, "workers", 0, "goroutines solving in parallel (0: all cores)")
	fs.StringVar(&o.format, "format", "table", "output: table|json|csv")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	fs.StringVar(&o.dump, "dump-sample", "", "write each repetition's sampled pixels as .npy files under this folder (for a reference solver)")
	fs.StringVar(&o.plot, "plot", "", "also draw the ranking (OTCE ± std per candidate, best first, with the accuracies) as an SVG file")
}

// exitError carries an exit status.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }

// gcPercent is the garbage collector's target (GOGC) unless the environment
// sets one. The live heap is mostly the N×M float32 kernel, one pointer-free
// array that costs the collector nothing to mark, so collecting early is
// cheap, while Go's default (100) would let the garbage of the solve grow
// to another kernel's size: at N = 10⁴ on raw cost the peak memory is
// 459 MB with 10 against 794 MB with 100, in the same time.
const gcPercent = 10

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		code := 2
		var ee exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		if err.Error() != "" {
			fmt.Fprintln(os.Stderr, "otce:", oneLine(err.Error()))
		}
		os.Exit(code)
	}
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", " ") }

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fs := flag.NewFlagSet("otce", flag.ContinueOnError)
		var o options
		settingsFlags(fs, &o)
		fs.SetOutput(stdout)
		fmt.Fprint(stdout, usage)
		fs.PrintDefaults()
		if len(args) == 0 {
			return exitError{2, errors.New("")}
		}
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch args[0] {
	case "score":
		return cmdScore(ctx, args[1:], stdout, stderr)
	case "rank":
		return cmdRank(ctx, args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args[1:], stdout, stderr)
	case "map":
		return cmdMap(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown command %q (score, rank, demo, map, help)", args[0])
}

// parse parses the flags and checks the output format and the settings.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer, o *options) error {
	_, err := parsePositional(fs, args, stderr, o, 0)
	return err
}

// parsePositional is parse allowing up to max positional arguments, which
// may stand before, between or after the flags; it returns them.
func parsePositional(fs *flag.FlagSet, args []string, stderr io.Writer, o *options, max int) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args, stderr); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		if len(pos) == max {
			return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err := checkFormat(o.format); err != nil {
		return nil, err
	}
	if err := checkPlot(o.plot); err != nil {
		return nil, err
	}
	return pos, otce.CheckSettings(o.s)
}

func cmdScore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("otce score", flag.ContinueOnError)
	var o options
	settingsFlags(fs, &o)
	var sf, sl, tf, tl multi
	name := fs.String("name", "", "the candidate's name in the result")
	fs.Var(&sf, "source-features", "source-domain features (file or folder; repeatable)")
	fs.Var(&sl, "source-labels", "source-domain labels")
	fs.Var(&tf, "target-features", "target-domain features extracted by the same model")
	fs.Var(&tl, "target-labels", "target-domain labels")
	fs.Float64Var(new(float64), "accuracy", 0, "(ignored by score)")
	if err := parse(fs, args, stderr, &o); err != nil {
		return err
	}
	c, err := candidateFiles(printableName(*name), sf, sl, tf, tl)
	if err != nil {
		return err
	}
	prog := newProgress(stderr, o.quiet, 1, o.s)
	res := otce.ScoreWith(ctx, c, o.s, o.scoreOptions(c.Name, prog))
	prog.done()
	if res.Error != "" {
		return errors.New(res.Error)
	}
	res.Rank = 1 // a ranking of one, as its table and the page say
	if err := writePlot(o.plot, report.Ranking{Candidates: []report.Candidate{res}, Settings: o.s}); err != nil {
		return err
	}
	switch o.format {
	case "json":
		return report.WriteJSON(stdout, res)
	case "csv":
		return report.WriteCSV(stdout, []report.Candidate{res})
	}
	return report.WriteTable(stdout, report.Ranking{Candidates: []report.Candidate{res}, Settings: o.s})
}

// scoreOptions are the options of otce.ScoreWith for one candidate; with
// --dump-sample, repetition r of candidate NAME is written to
// DIR/NAME/rep<r>/{xs,ys,xt,yt}.npy.
func (o options) scoreOptions(name string, prog *progress) otce.Options {
	opt := otce.Options{Workers: o.workers, Check: checkMemory}
	if prog != nil {
		opt.Progress = prog.update
	}
	if o.dump != "" {
		opt.OnSample = func(smp *otce.Sample) error {
			dir := filepath.Join(o.dump, safeName(name), fmt.Sprintf("rep%d", smp.Rep))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			files, err := smp.NPYFiles()
			if err != nil {
				return err
			}
			for f, b := range files {
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return opt
}

// safeName turns a candidate name into a folder name: separators and
// control characters become "_", and so do the dots of a name made only of
// dots ("..", which would leave the --dump-sample folder).
func safeName(name string) string {
	if name == "" {
		return "candidate"
	}
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' || r == 0x7f {
			return '_'
		}
		return r
	}, name)
	if strings.Trim(name, ".") == "" {
		name = strings.Repeat("_", len(name))
	}
	return name
}

// printableName escapes the control characters of a candidate name (a
// newline would forge lines on stderr and in the table) as Go string
// escapes: "a\nb" is shown as a\nb.
func printableName(name string) string {
	if !strings.ContainsFunc(name, unicode.IsControl) {
		return name
	}
	q := strconv.Quote(name)
	return q[1 : len(q)-1]
}

func checkFormat(f string) error {
	switch f {
	case "table", "json", "csv":
		return nil
	}
	return fmt.Errorf("--format %q: want table, json or csv", f)
}

// candidateFiles expands the paths of one candidate. Labels may be omitted
// for bundles, which then give their own labels.
func candidateFiles(name string, sf, sl, tf, tl []string) (otce.Candidate, error) {
	c := otce.Candidate{Name: name}
	var err error
	need := func(paths []string, what string) error {
		if len(paths) == 0 {
			return fmt.Errorf("missing --%s", what)
		}
		return nil
	}
	if err := need(sf, "source-features"); err != nil {
		return c, err
	}
	if err := need(tf, "target-features"); err != nil {
		return c, err
	}
	if c.SourceFeatures, err = expand(sf); err != nil {
		return c, err
	}
	if c.TargetFeatures, err = expand(tf); err != nil {
		return c, err
	}
	if len(sl) == 0 {
		sl = bundleLabels(sf)
	}
	if len(tl) == 0 {
		tl = bundleLabels(tf)
	}
	if err := need(sl, "source-labels"); err != nil {
		return c, err
	}
	if err := need(tl, "target-labels"); err != nil {
		return c, err
	}
	if c.SourceLabels, err = expand(sl); err != nil {
		return c, err
	}
	if c.TargetLabels, err = expand(tl); err != nil {
		return c, err
	}
	return c, nil
}

// bundleLabels returns paths when they are all bundles (which hold labels
// too), nil otherwise.
func bundleLabels(paths []string) []string {
	for _, p := range paths {
		ext := strings.ToLower(filepath.Ext(p))
		if ext != ".npz" && ext != ".safetensors" {
			return nil
		}
	}
	return paths
}

// Manifest is the JSON file of `otce rank`.
type Manifest struct {
	TargetLabels paths          `json:"target_labels"`
	Candidates   []manifestCand `json:"candidates"`
}

type manifestCand struct {
	Name           string   `json:"name"`
	SourceFeatures paths    `json:"source_features"`
	SourceLabels   paths    `json:"source_labels"`
	TargetFeatures paths    `json:"target_features"`
	TargetLabels   paths    `json:"target_labels"`
	Accuracy       *float64 `json:"accuracy"`
}

// paths is a file, a folder, or a list of them.
type paths []string

func (p *paths) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*p = paths{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("a path must be a string or a list of strings")
	}
	*p = many
	return nil
}

func (p paths) resolve(dir string) []string {
	out := make([]string, len(p))
	for i, s := range p {
		if filepath.IsAbs(s) {
			out[i] = s
		} else {
			out[i] = filepath.Join(dir, s)
		}
	}
	return out
}

// readManifest parses and checks a manifest, resolving paths against its
// folder.
func readManifest(path string) ([]otce.Candidate, []error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, errText(err))
	}
	defer f.Close()
	// Read at most one byte past the bound: an endless stream (a FIFO, a
	// device) or a wrong file costs maxManifest bytes, not all memory.
	b, err := io.ReadAll(io.LimitReader(f, maxManifest+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, errText(err))
	}
	if len(b) > maxManifest {
		return nil, nil, fmt.Errorf("%s: larger than %d MiB: not a manifest (a manifest of 10⁴ candidates takes about 5 MB)", path, maxManifest>>20)
	}
	return parseManifest(b, path)
}

// maxManifest bounds the size of a manifest.
const maxManifest = 16 << 20

// parseManifest parses and checks the manifest b read from path.
func parseManifest(b []byte, path string) ([]otce.Candidate, []error, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, nil, fmt.Errorf("%s: not a valid manifest: %v", path, oneLine(err.Error()))
	}
	if dec.More() {
		return nil, nil, fmt.Errorf("%s: not a valid manifest: more than one JSON value", path)
	}
	if len(m.Candidates) == 0 {
		return nil, nil, fmt.Errorf("%s: no candidates", path)
	}
	dir := filepath.Dir(path)
	seen := map[string]bool{}
	var cands []otce.Candidate
	var errs []error
	for i, mc := range m.Candidates {
		if mc.Name == "" {
			mc.Name = fmt.Sprintf("candidate %d", i+1)
		}
		mc.Name = printableName(mc.Name)
		if seen[mc.Name] {
			return nil, nil, fmt.Errorf("%s: two candidates named %q", path, mc.Name)
		}
		seen[mc.Name] = true
		tl := mc.TargetLabels
		if len(tl) == 0 {
			tl = m.TargetLabels
		}
		c, err := candidateFiles(mc.Name, mc.SourceFeatures.resolve(dir), mc.SourceLabels.resolve(dir), mc.TargetFeatures.resolve(dir), tl.resolve(dir))
		c.Name, c.Accuracy = mc.Name, mc.Accuracy
		cands = append(cands, c)
		errs = append(errs, err)
	}
	return cands, errs, nil
}

func cmdRank(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("otce rank", flag.ContinueOnError)
	var o options
	settingsFlags(fs, &o)
	manifest := fs.String("manifest", "", "JSON manifest of the candidates (or give it as the argument: otce rank M.json)")
	var ro rankOptions
	rankFlags(fs, &ro)
	pos, err := parsePositional(fs, args, stderr, &o, 1)
	if err != nil {
		return err
	}
	if err := ro.check(); err != nil {
		return err
	}
	if len(pos) == 1 {
		if *manifest != "" && *manifest != pos[0] {
			return fmt.Errorf("two manifests: --manifest %s and %s", *manifest, pos[0])
		}
		*manifest = pos[0]
	}
	if *manifest == "" {
		return errors.New("missing the manifest: otce rank M.json (or --manifest M.json)")
	}
	cands, errs, err := readManifest(*manifest)
	if err != nil {
		return err
	}
	return rankAndWrite(ctx, cands, errs, o, ro, stdout, stderr)
}

func rankAndWrite(ctx context.Context, cands []otce.Candidate, errs []error, o options, ro rankOptions, stdout, stderr io.Writer) error {
	var results []report.Candidate
	failed := 0
	prog := newProgress(stderr, o.quiet, len(cands), o.s)
	for i, c := range cands {
		var r report.Candidate
		if errs != nil && errs[i] != nil {
			r = report.Candidate{Name: c.Name, Accuracy: c.Accuracy, Error: errs[i].Error(), Settings: o.s, Warnings: []string{}}
		} else {
			r = otce.ScoreWith(ctx, c, o.s, o.scoreOptions(c.Name, prog))
		}
		prog.candidateDone()
		if r.Error != "" {
			failed++
			msg := fmt.Sprintf("otce: %s: %s", printableName(c.Name), oneLine(r.Error))
			if prog != nil {
				prog.println(msg)
			} else {
				fmt.Fprintln(stderr, msg) // --quiet, or not a file: the failure is still said
			}
		}
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	prog.done()
	rk, err := otce.RankBy(results, o.s, ro.by)
	if err != nil {
		return err
	}
	if ro.fit {
		if rk.Fit, err = otce.FitAccuracy(rk, ro.fitScores); err != nil {
			return err
		}
	}
	if err := writePlot(o.plot, rk); err != nil {
		return err
	}
	var werr error
	switch o.format {
	case "json":
		werr = report.WriteJSON(stdout, rk)
	case "csv":
		if werr = report.WriteCSV(stdout, rk.Candidates); werr == nil {
			werr = report.WriteCSVCorrelation(stdout, rk.Correlation)
		}
	default:
		werr = report.WriteTable(stdout, rk)
	}
	if werr != nil {
		return werr
	}
	if failed > 0 {
		return exitError{2, fmt.Errorf("%d of %d candidates failed", failed, len(results))}
	}
	return nil
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("otce demo", flag.ContinueOnError)
	var o options
	settingsFlags(fs, &o)
	volumes := fs.Bool("volumes", false, "the volumetric demo: 3-D feature maps and NIfTI label volumes")
	var ro rankOptions
	rankFlags(fs, &ro)
	if err := parse(fs, args, stderr, &o); err != nil {
		return err
	}
	if err := ro.check(); err != nil {
		return err
	}
	cands, what := otce.DemoCandidates(), "five synthetic candidates"
	if *volumes {
		cands, what = otce.DemoVolumeCandidates(), "five synthetic 3-D candidates (NIfTI label volumes)"
	}
	// The demo's own N unless -n is given (otce.DemoN: fewer than its
	// valid pixels, so that the repetitions differ).
	nSet := false
	fs.Visit(func(f *flag.Flag) { nSet = nSet || f.Name == "n" })
	if !nSet {
		o.s.N = otce.DemoN
	}
	if o.format == "table" {
		fmt.Fprintf(stdout, "Built-in demo: %s of known quality, scored with the paper's settings but N = %d", what, o.s.N)
		if !nSet {
			fmt.Fprintf(stdout, " (the demo's own: fewer than its valid pixels, so that the repetitions differ, and quick; the paper's N = 10⁴; -n sets another)")
		}
		fmt.Fprintln(stdout, ".")
		fmt.Fprintln(stdout)
	}
	return rankAndWrite(ctx, cands, nil, o, ro, stdout, stderr)
}

var _ dataset.File = (*lazyFile)(nil)
