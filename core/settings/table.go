package settings

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
)

// Kind is the kind of a setting's value, which decides how it is parsed,
// shown (a text box, a checkbox or a list) and flagged.
type Kind int

// The kinds of setting.
const (
	Int    Kind = iota // a decimal integer
	Uint               // a non-negative decimal integer (the seed)
	Float              // a floating-point number
	String             // free text
	Choice             // one of Field.Choices
	Bool               // true or false: a flag without a value, a checkbox
)

// Field is one setting: a row of Table.
type Field struct {
	// Name is the flag's name without dashes ("n", "eps", "cost-norm"); the
	// page's form element is "set-" + Name.
	Name string
	// Label names the setting in words a person reads, with its symbol
	// where the paper has one: "Pixels per domain (N)".
	Label string
	// Help says what the setting does, in one sentence.
	Help string
	Kind Kind
	// Choices are the values of a Choice, the default first.
	Choices []string
	// ptr returns the field of s that the setting is: *int, *uint64,
	// *float64, *string or *bool (an enum's *string is its own field,
	// converted: the types share their underlying type).
	ptr func(s *Settings) any
	// check reports what is wrong with the value in s, if anything.
	check func(s *Settings) error
}

// Flag returns the flag as the tool's messages spell it: "-n", "--eps".
func (f *Field) Flag() string {
	if len(f.Name) == 1 {
		return "-" + f.Name
	}
	return "--" + f.Name
}

// Get returns the setting's value in s as text, as its flag would take it.
func (f *Field) Get(s *Settings) string {
	switch p := f.ptr(s).(type) {
	case *int:
		return strconv.Itoa(*p)
	case *uint64:
		return strconv.FormatUint(*p, 10)
	case *float64:
		return fmtFloat(*p)
	case *string:
		return *p
	case *bool:
		return strconv.FormatBool(*p)
	}
	panic("settings: field " + f.Name + " of an unknown type")
}

// Set parses v into the setting in s; the error names the flag and the text
// ("-n: \"x\" is not an integer"). An integer setting also takes a whole
// number written as a float, as the tool's flags do (ParseWhole: "1e4"). A
// Choice takes any text here: Check reports a value that is not one of the
// choices.
func (f *Field) Set(s *Settings, v string) error {
	switch p := f.ptr(s).(type) {
	case *int:
		n, err := ParseWhole(v)
		if err == nil && n != int64(int(n)) {
			err = ErrRange
		}
		if errors.Is(err, ErrRange) {
			return fmt.Errorf("%s: %q is out of range", f.Flag(), v)
		}
		if err != nil {
			return fmt.Errorf("%s: %q is not an integer", f.Flag(), v)
		}
		*p = int(n)
	case *uint64:
		n, err := strconv.ParseUint(v, 10, 64) // the seed may be ≥ 2⁶³
		if err != nil {
			w, werr := ParseWhole(v)
			if werr != nil || w < 0 {
				return fmt.Errorf("%s: %q is not a non-negative integer", f.Flag(), v)
			}
			n = uint64(w)
		}
		*p = n
	case *float64:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number", f.Flag(), v)
		}
		*p = x
	case *string:
		*p = v
	case *bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s: %q is not true or false", f.Flag(), v)
		}
		*p = b
	default:
		panic("settings: field " + f.Name + " of an unknown type")
	}
	return nil
}

// Lookup returns the field of the flag name (without dashes), or nil.
func Lookup(name string) *Field {
	for i := range Table {
		if Table[i].Name == name {
			return &Table[i]
		}
	}
	return nil
}

// Flags defines a flag on fs for every setting, stored in s and defaulting
// to s's current values: fs.Parse then fills s in.
func Flags(fs *flag.FlagSet, s *Settings) {
	for i := range Table {
		f := &Table[i]
		switch p := f.ptr(s).(type) {
		case *int:
			fs.IntVar(p, f.Name, *p, f.usage())
		case *uint64:
			fs.Uint64Var(p, f.Name, *p, f.usage())
		case *float64:
			fs.Float64Var(p, f.Name, *p, f.usage())
		case *string:
			fs.StringVar(p, f.Name, *p, f.usage())
		case *bool:
			fs.BoolVar(p, f.Name, *p, f.usage())
		}
	}
}

// usage is the flag's line in the tool's help: the help text (the label is
// the page's; the flag's name says it on the command line).
func (f *Field) usage() string { return f.Help }

// positive is the check of a count that must be at least 1.
func positive(flag string, n int) error {
	if n <= 0 {
		return fmt.Errorf("%s must be positive, got %d", flag, n)
	}
	return nil
}

// Table lists every setting, in the order of the tool's help and the page's
// form. Its checks are those of Check, in this order.
var Table = []Field{
	{Name: "n", Label: "Pixels per domain (N)", Kind: Int,
		Help: "pixels sampled per domain and repetition (the paper: 10⁴)",
		ptr:  func(s *Settings) any { return &s.N },
		check: func(s *Settings) error {
			if s.N > MaxN {
				return fmt.Errorf("-n %d is larger than this tool handles (%d)", s.N, MaxN)
			}
			return positive("-n", s.N)
		}},
	{Name: "k", Label: "Repetitions (K)", Kind: Int,
		Help: "repetitions with fresh samples; the score is their mean ± std",
		ptr:  func(s *Settings) any { return &s.K },
		check: func(s *Settings) error {
			if s.K > MaxK {
				return fmt.Errorf("-k %d is larger than this tool handles (%d)", s.K, MaxK)
			}
			return positive("-k", s.K)
		}},
	{Name: "eps", Label: "Regularisation ε", Kind: Float,
		Help: "entropic regularisation ε, in units of the normalised cost",
		ptr:  func(s *Settings) any { return &s.Eps },
		check: func(s *Settings) error {
			if !(s.Eps > 0) || math.IsInf(s.Eps, 0) {
				return fmt.Errorf("--eps must be positive and finite, got %v", s.Eps)
			}
			if s.Eps < MinEps {
				return fmt.Errorf("--eps %v is below %v, the smallest normal float64, where 1/ε overflows (for the unregularised limit use --solver emd)", s.Eps, MinEps)
			}
			return nil
		}},
	{Name: "cost-norm", Label: "Cost normalisation", Kind: Choice, Choices: names(CostNorms),
		Help:  "divide the squared-distance cost by its max, mean or median first (none: the raw cost, as the paper)",
		ptr:   func(s *Settings) any { return (*string)(&s.CostNorm) },
		check: func(s *Settings) error { return oneOf("--cost-norm", string(s.CostNorm), names(CostNorms)) }},
	{Name: "transform", Label: "Feature transform", Kind: Choice, Choices: names(Transforms),
		Help:  "feature transform before the cost: none, softmax (logits) or l2 (unit rows)",
		ptr:   func(s *Settings) any { return (*string)(&s.Transform) },
		check: func(s *Settings) error { return oneOf("--transform", string(s.Transform), names(Transforms)) }},
	{Name: "solver", Label: "Solver", Kind: Choice, Choices: names(Solvers),
		Help:  "sinkhorn (entropic OT, in parallel) or emd (exact OT)",
		ptr:   func(s *Settings) any { return (*string)(&s.Solver) },
		check: func(s *Settings) error { return oneOf("--solver", string(s.Solver), names(Solvers)) }},
	{Name: "tol", Label: "Marginal tolerance", Kind: Float,
		Help: "stop when the L1 violation of the marginals is at most this",
		ptr:  func(s *Settings) any { return &s.Tol },
		check: func(s *Settings) error {
			if !(s.Tol > 0) || math.IsInf(s.Tol, 0) {
				return fmt.Errorf("--tol must be positive, got %v", s.Tol)
			}
			return nil
		}},
	{Name: "max-iter", Label: "Iteration budget", Kind: Int,
		Help:  "Sinkhorn iteration budget per repetition",
		ptr:   func(s *Settings) any { return &s.MaxIter },
		check: func(s *Settings) error { return positive("--max-iter", s.MaxIter) }},
	{Name: "score-tol", Label: "Score tolerance", Kind: Float,
		Help: "also stop once the score has settled to this (0: marginals only)",
		ptr:  func(s *Settings) any { return &s.ScoreTol },
		check: func(s *Settings) error {
			if !(s.ScoreTol >= 0) || math.IsInf(s.ScoreTol, 0) {
				return fmt.Errorf("--score-tol must be zero or positive, got %v", s.ScoreTol)
			}
			return nil
		}},
	{Name: "seed", Label: "Random seed", Kind: Uint,
		Help: "seed of the pixel sampling: the same seed gives the same score in the tool and the page",
		ptr:  func(s *Settings) any { return &s.Seed }},
	{Name: "ignore-index", Label: "Ignored label", Kind: Int,
		Help: "label value of pixels that are never sampled",
		ptr:  func(s *Settings) any { return &s.IgnoreIndex }},
	{Name: "layout", Label: "Feature layout", Kind: Choice, Choices: Layouts,
		Help:  "auto, nchw (channels first), nhwc (channels last), ncdhw and ndhwc (volumes) or nc (pixel rows)",
		ptr:   func(s *Settings) any { return &s.Layout },
		check: func(s *Settings) error { return oneOf("--layout", s.Layout, Layouts) }},
	{Name: "drop-nonfinite", Label: "Skip NaN/Inf pixels", Kind: Bool,
		Help: "skip sampled pixels whose features hold NaN or Inf instead of failing",
		ptr:  func(s *Settings) any { return &s.DropNonFinite }},
	{Name: "feature-key", Label: "Feature array name", Kind: String,
		Help: "array name of the features inside .npz/.safetensors bundles",
		ptr:  func(s *Settings) any { return &s.FeatureKey }},
	{Name: "label-key", Label: "Label array name", Kind: String,
		Help: "array name of the labels inside .npz/.safetensors bundles",
		ptr:  func(s *Settings) any { return &s.LabelKey }},
	{Name: "sampling", Label: "Pixel sampling", Kind: Choice, Choices: Samplings,
		Help:  "uniform over the valid pixels (the paper) or per-class, evenly over the classes present",
		ptr:   func(s *Settings) any { return &s.Sampling },
		check: func(s *Settings) error { return oneOf("--sampling", s.Sampling, Samplings) }},
	{Name: "metrics", Label: "Other scores", Kind: String,
		Help: "scores beside OTCE: all, or a list of otce,logme,leep,nce,hscore,gbc,zeroshot",
		ptr:  func(s *Settings) any { return &s.Metrics }},
	{Name: "hscore-rcond", Label: "H-score cutoff", Kind: Float,
		Help: "relative cutoff of H-score's pseudo-inverse (the authors' scripts: 1e-5)",
		ptr:  func(s *Settings) any { return &s.HScoreRcond },
		check: func(s *Settings) error {
			if !(s.HScoreRcond >= 0) || s.HScoreRcond >= 1 {
				return fmt.Errorf("--hscore-rcond must be in [0, 1), got %v", s.HScoreRcond)
			}
			return nil
		}},
	{Name: "gbc-gaussian", Label: "GBC Gaussians", Kind: Choice, Choices: Gaussians,
		Help:  "GBC's per-class Gaussians: spherical or diagonal",
		ptr:   func(s *Settings) any { return &s.GBCGaussian },
		check: func(s *Settings) error { return oneOf("--gbc-gaussian", s.GBCGaussian, Gaussians) }},
	{Name: "shared-classes", Label: "Shared classes", Kind: Bool,
		Help: "the features are logits over the target's own classes (channel c = label c): also report the zero-shot accuracy",
		ptr:  func(s *Settings) any { return &s.SharedClasses }},
}
