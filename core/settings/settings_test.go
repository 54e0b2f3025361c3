package settings

import (
	"encoding/json"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/otceseg/otceseg/core/ot"
)

// TestDefaultJSON pins the schema's "settings" object: the JSON of the
// defaults as report.Settings wrote it before the settings moved here.
func TestDefaultJSON(t *testing.T) {
	b, err := json.Marshal(Default())
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"n":10000,"k":10,"eps":0.1,"cost_norm":"none","transform":"none","solver":"sinkhorn",` +
		`"tol":0.000001,"max_iter":10000,"score_tol":0.0001,"seed":0,"ignore_index":255,"layout":"auto",` +
		`"drop_nonfinite":false,"feature_key":"features","label_key":"labels","sampling":"uniform",` +
		`"metrics":"all","hscore_rcond":1e-15,"gbc_gaussian":"spherical","shared_classes":false}`
	if string(b) != want {
		t.Errorf("JSON of the defaults:\n got %s\nwant %s", b, want)
	}
	var back Settings
	if err := json.Unmarshal(b, &back); err != nil || back != Default() {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

// TestTableCoversSettings checks that every field of Settings is the
// setting of exactly one row, and that Set and Get round-trip it.
func TestTableCoversSettings(t *testing.T) {
	typ := reflect.TypeFor[Settings]()
	seen := map[string]string{}
	for i := range Table {
		f := &Table[i]
		var s Settings
		before := s
		v := map[Kind]string{Int: "7", Uint: "7", Float: "0.5", String: "x", Bool: "true"}[f.Kind]
		if f.Kind == Choice {
			v = f.Choices[len(f.Choices)-1]
		}
		if err := f.Set(&s, v); err != nil {
			t.Fatalf("%s: Set(%q): %v", f.Name, v, err)
		}
		if got := f.Get(&s); got != v {
			t.Errorf("%s: Get after Set(%q) = %q", f.Name, v, got)
		}
		changed := ""
		for k := range typ.NumField() {
			if reflect.ValueOf(s).Field(k).Interface() != reflect.ValueOf(before).Field(k).Interface() {
				if changed != "" {
					t.Errorf("%s sets both %s and %s", f.Name, changed, typ.Field(k).Name)
				}
				changed = typ.Field(k).Name
			}
		}
		if changed == "" {
			t.Errorf("%s sets no field", f.Name)
		} else if prev, ok := seen[changed]; ok {
			t.Errorf("%s and %s both set %s", prev, f.Name, changed)
		}
		seen[changed] = f.Name
		if f.Label == "" || f.Help == "" {
			t.Errorf("%s: no label or help", f.Name)
		}
		if (f.Kind == Choice) != (len(f.Choices) > 0) {
			t.Errorf("%s: kind %d with choices %v", f.Name, f.Kind, f.Choices)
		}
	}
	for k := range typ.NumField() {
		if _, ok := seen[typ.Field(k).Name]; !ok {
			t.Errorf("Settings.%s has no row in Table", typ.Field(k).Name)
		}
	}
}

func TestSetErrors(t *testing.T) {
	var s Settings
	for _, c := range []struct{ name, v, want string }{
		{"n", "x", `-n: "x" is not an integer`},
		{"eps", "x", `--eps: "x" is not a number`},
		{"seed", "-1", `--seed: "-1" is not a non-negative integer`},
		{"drop-nonfinite", "maybe", `--drop-nonfinite: "maybe" is not true or false`},
	} {
		err := Lookup(c.name).Set(&s, c.v)
		if err == nil || err.Error() != c.want {
			t.Errorf("Set %s %q: %v, want %s", c.name, c.v, err, c.want)
		}
	}
	if Lookup("workers") != nil {
		t.Error("Lookup found a setting that is not one")
	}
}

// TestCheck checks each check's message (the tool prints them as they are)
// and that the defaults pass.
func TestCheck(t *testing.T) {
	if err := Check(Default()); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	for _, c := range []struct {
		edit func(*Settings)
		want string
	}{
		{func(s *Settings) { s.N = 0 }, "-n must be positive, got 0"},
		{func(s *Settings) { s.N = MaxN + 1 }, "-n 1048577 is larger than this tool handles (1048576)"},
		{func(s *Settings) { s.K = -1 }, "-k must be positive, got -1"},
		{func(s *Settings) { s.K = MaxK + 1 }, "-k 10001 is larger than this tool handles (10000)"},
		{func(s *Settings) { s.Eps = 1e-310 }, "--eps 1e-310 is below 2.2250738585072014e-308, the smallest normal float64, where 1/ε overflows (for the unregularised limit use --solver emd)"},
		{func(s *Settings) { s.Eps = 0 }, "--eps must be positive and finite, got 0"},
		{func(s *Settings) { s.CostNorm = "sum" }, `--cost-norm "sum": want one of [none max mean median]`},
		{func(s *Settings) { s.Transform = "log" }, `--transform "log": want one of [none softmax l2]`},
		{func(s *Settings) { s.Solver = "lp" }, `--solver "lp": want one of [sinkhorn emd]`},
		{func(s *Settings) { s.Tol = -1 }, "--tol must be positive, got -1"},
		{func(s *Settings) { s.MaxIter = 0 }, "--max-iter must be positive, got 0"},
		{func(s *Settings) { s.ScoreTol = -1 }, "--score-tol must be zero or positive, got -1"},
		{func(s *Settings) { s.Layout = "chw" }, `--layout "chw": want one of [auto nchw nhwc ncdhw ndhwc nc]`},
		{func(s *Settings) { s.Sampling = "x" }, `--sampling "x": want one of [uniform per-class]`},
		{func(s *Settings) { s.HScoreRcond = 1 }, "--hscore-rcond must be in [0, 1), got 1"},
		{func(s *Settings) { s.GBCGaussian = "full" }, `--gbc-gaussian "full": want one of [spherical diagonal]`},
	} {
		s := Default()
		c.edit(&s)
		if err := Check(s); err == nil || err.Error() != c.want {
			t.Errorf("Check: %v, want %s", err, c.want)
		}
	}
}

// TestFlags parses a command line with the table's flag set.
func TestFlags(t *testing.T) {
	fs := flag.NewFlagSet("otce", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s := Default()
	Flags(fs, &s)
	if err := fs.Parse(strings.Fields("-n 300 --eps 0.05 --cost-norm max --solver emd --seed 3 --drop-nonfinite --layout nhwc")); err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.N, want.Eps, want.CostNorm, want.Solver, want.Seed, want.DropNonFinite, want.Layout = 300, 0.05, NormMax, SolverEMD, 3, true, "nhwc"
	if s != want {
		t.Errorf("parsed %+v\nwant   %+v", s, want)
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n != len(Table) {
		t.Errorf("%d flags for %d settings", n, len(Table))
	}
	if err := fs.Parse([]string{"-k", "two"}); err == nil {
		t.Error("-k two parsed")
	}
}

// TestCostNormsAreOT's: the cost normalisations are core/ot's names.
func TestCostNormsAreOT(t *testing.T) {
	got := names(CostNorms)
	want := []string{ot.NormNone, ot.NormMax, ot.NormMean, ot.NormMedian}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CostNorms %v, core/ot's %v", got, want)
	}
}

// TestParseWhole: integers, and whole numbers written as floats, as the
// tool's flags and the page's form both take them; anything else is not a
// whole number, and beyond ±2⁶³ out of range.
func TestParseWhole(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		err  error
	}{
		{"10000", 10000, nil},
		{"1e4", 10000, nil},
		{"10000.0", 10000, nil},
		{"-3", -3, nil},
		{"2.5e1", 25, nil},
		{"1.5", 0, ErrNotWhole},
		{"ten", 0, ErrNotWhole},
		{"", 0, ErrNotWhole},
		{"NaN", 0, ErrNotWhole},
		{"Inf", 0, ErrNotWhole},
		{"9223372036854775807", 1<<63 - 1, nil},
		{"9223372036854775808", 0, ErrRange},
		{"9.3e18", 0, ErrRange},
		{"1e400", 0, ErrRange},
	} {
		got, err := ParseWhole(c.in)
		if got != c.want || err != c.err {
			t.Errorf("ParseWhole(%q) = %d, %v; want %d, %v", c.in, got, err, c.want, c.err)
		}
	}
	// The form's fields take them too, as the flags do.
	s := Default()
	for name, v := range map[string]string{"n": "1e4", "k": "2.0", "seed": "1e3", "max-iter": "5e3"} {
		if err := Lookup(name).Set(&s, v); err != nil {
			t.Errorf("Set %s %q: %v", name, v, err)
		}
	}
	if s.N != 10000 || s.K != 2 || s.Seed != 1000 || s.MaxIter != 5000 {
		t.Errorf("after 1e4, 2.0, 1e3, 5e3: N %d K %d seed %d max-iter %d", s.N, s.K, s.Seed, s.MaxIter)
	}
	for _, c := range []struct{ name, v, want string }{
		{"n", "1.5", `-n: "1.5" is not an integer`},
		{"n", "1e19", `-n: "1e19" is out of range`},
		{"seed", "-1e3", `--seed: "-1e3" is not a non-negative integer`},
	} {
		if err := Lookup(c.name).Set(&s, c.v); err == nil || err.Error() != c.want {
			t.Errorf("Set %s %q: %v, want %s", c.name, c.v, err, c.want)
		}
	}
}
