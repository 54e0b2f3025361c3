//go:build js && wasm

package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
	"honnef.co/go/js/dom/v2"
)

// setting is one field of the settings form, named as the CLI's flag.
type setting struct {
	flag    string
	help    string
	choices []string
	bool    bool
	get     func(s *report.Settings) string
	set     func(s *report.Settings, v string) error
	input   dom.Element
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func intField(flag, help string, p func(*report.Settings) *int) *setting {
	return &setting{flag: flag, help: help,
		get: func(s *report.Settings) string { return strconv.Itoa(*p(s)) },
		set: func(s *report.Settings, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s: %q is not an integer", flag, v)
			}
			*p(s) = n
			return nil
		}}
}

func floatField(flag, help string, p func(*report.Settings) *float64) *setting {
	return &setting{flag: flag, help: help,
		get: func(s *report.Settings) string { return fmtFloat(*p(s)) },
		set: func(s *report.Settings, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("%s: %q is not a number", flag, v)
			}
			*p(s) = f
			return nil
		}}
}

func choiceField(flag, help string, choices []string, p func(*report.Settings) *string) *setting {
	return &setting{flag: flag, help: help, choices: choices,
		get: func(s *report.Settings) string { return *p(s) },
		set: func(s *report.Settings, v string) error { *p(s) = v; return nil }}
}

func stringField(flag, help string, p func(*report.Settings) *string) *setting {
	return &setting{flag: flag, help: help,
		get: func(s *report.Settings) string { return *p(s) },
		set: func(s *report.Settings, v string) error { *p(s) = v; return nil }}
}

func settingFields() []*setting {
	return []*setting{
		intField("-n", "Pixels sampled per domain and repetition (the paper: 10⁴).", func(s *report.Settings) *int { return &s.N }),
		intField("-k", "Repetitions with fresh samples; the score is their mean ± std.", func(s *report.Settings) *int { return &s.K }),
		floatField("--eps", "Entropic regularisation ε, in units of the normalised cost.", func(s *report.Settings) *float64 { return &s.Eps }),
		choiceField("--cost-norm", "Divide the squared-distance cost by its none|max|mean|median first.", otce.CostNorms, func(s *report.Settings) *string { return &s.CostNorm }),
		choiceField("--transform", "Feature transform before the cost: none, softmax (logits) or l2 (unit rows).", otce.Transforms, func(s *report.Settings) *string { return &s.Transform }),
		choiceField("--solver", "sinkhorn (entropic OT, in parallel workers) or emd (exact OT).", otce.Solvers, func(s *report.Settings) *string { return &s.Solver }),
		floatField("--tol", "Stop when the L1 violation of the marginals is at most this.", func(s *report.Settings) *float64 { return &s.Tol }),
		intField("--max-iter", "Sinkhorn iteration budget per repetition.", func(s *report.Settings) *int { return &s.MaxIter }),
		floatField("--score-tol", "Also stop once the score has settled to this (0: marginals only).", func(s *report.Settings) *float64 { return &s.ScoreTol }),
		{flag: "--seed", help: "Seed of the pixel sampling: the same seed gives the same score here and in the CLI.",
			get: func(s *report.Settings) string { return strconv.FormatUint(s.Seed, 10) },
			set: func(s *report.Settings, v string) error {
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					return fmt.Errorf("--seed: %q is not a non-negative integer", v)
				}
				s.Seed = n
				return nil
			}},
		intField("--ignore-index", "Label value of pixels that are never sampled.", func(s *report.Settings) *int { return &s.IgnoreIndex }),
		choiceField("--layout", "Feature layout: auto, nchw (channels first), nhwc (channels last), ncdhw and ndhwc (volumes) or nc (pixel rows).", otce.Layouts, func(s *report.Settings) *string { return &s.Layout }),
		{flag: "--drop-nonfinite", bool: true, help: "Skip sampled pixels whose features hold NaN or Inf instead of failing.",
			get: func(s *report.Settings) string { return strconv.FormatBool(s.DropNonFinite) },
			set: func(s *report.Settings, v string) error { s.DropNonFinite = v == "true"; return nil }},
		stringField("--feature-key", "Array name of the features inside .npz/.safetensors bundles.", func(s *report.Settings) *string { return &s.FeatureKey }),
		stringField("--label-key", "Array name of the labels inside .npz/.safetensors bundles.", func(s *report.Settings) *string { return &s.LabelKey }),
		choiceField("--sampling", "Pixel sampling: uniform over the valid pixels (the paper) or per-class, evenly over the classes present.", otce.Samplings, func(s *report.Settings) *string { return &s.Sampling }),
		stringField("--metrics", "Scores beside OTCE: all, or a list of otce,logme,leep,nce,hscore,gbc,zeroshot.", func(s *report.Settings) *string { return &s.Metrics }),
		floatField("--hscore-rcond", "Relative cutoff of H-score's pseudo-inverse (the authors' scripts: 1e-5).", func(s *report.Settings) *float64 { return &s.HScoreRcond }),
		choiceField("--gbc-gaussian", "GBC's per-class Gaussians: spherical or diagonal.", otce.Gaussians, func(s *report.Settings) *string { return &s.GBCGaussian }),
		{flag: "--shared-classes", bool: true, help: "The features are logits over the target's own classes (channel c = label c): also report the zero-shot accuracy.",
			get: func(s *report.Settings) string { return strconv.FormatBool(s.SharedClasses) },
			set: func(s *report.Settings, v string) error { s.SharedClasses = v == "true"; return nil }},
	}
}

func fieldID(flag string) string { return "set-" + strings.TrimLeft(flag, "-") }

func (a *app) buildSettings() dom.Element {
	def := otce.DefaultSettings()
	a.settings = settingFields()
	grid := el("div", attrs{"class": "settings"})
	row := func(flag string, input dom.Element, help string) {
		add(grid,
			el("label", attrs{"for": input.ID()}, settingWords[flag]+" ", el("code", attrs{"class": "flag"}, flag)),
			input,
			el("span", attrs{"class": "help"}, help))
	}
	for _, f := range a.settings {
		id := fieldID(f.flag)
		switch {
		case f.bool:
			f.input = el("input", attrs{"type": "checkbox", "id": id})
			setProp(f.input, "checked", f.get(&def) == "true")
		case f.choices != nil:
			f.input = el("select", attrs{"id": id})
			for _, c := range f.choices {
				add(f.input, el("option", attrs{"value": c}, c))
			}
			setValue(f.input, f.get(&def))
		default:
			f.input = el("input", attrs{"type": "text", "id": id, "value": f.get(&def), "spellcheck": "false", "size": "10"})
		}
		row(f.flag, f.input, f.help)
	}
	a.workers = el("input", attrs{"type": "text", "id": "set-workers", "value": "0", "size": "10"})
	row("--workers", a.workers, "Web workers solving in parallel (0: this machine's processors, at most 8). Changes speed, never the score.")
	reset := el("button", attrs{"type": "button", "class": "link", "id": "reset-settings"}, "reset to the defaults (the paper's)")
	on(reset, "click", func(dom.Event) { a.resetSettings(); a.settingsChanged() })
	on(grid, "input", func(dom.Event) { a.settingsChanged() })
	on(grid, "change", func(dom.Event) { a.settingsChanged() })
	return el("section", attrs{"id": "settingsbox"},
		el("h2", "2. Settings"),
		el("p", attrs{"class": "note"}, "The command-line tool's flags, with its defaults. ", reset),
		grid, a.setErr)
}

// settingsChanged marks the results as not current when the settings on
// the page no longer are the ones that made them (--workers aside: it never
// changes a score).
func (a *app) settingsChanged() {
	if a.running {
		return
	}
	s, err := a.readSettings()
	switch {
	case err != nil:
		a.results.markStale("the settings on the page have an error (" + err.Error() + "); these results were made by the settings below.")
	case settingsLine(s) != settingsLine(a.results.ranking.Settings):
		a.results.markStale("the settings have changed since this run; these results were made by the settings below.")
	default:
		a.results.unmarkStale()
	}
}

func (a *app) resetSettings() {
	def := otce.DefaultSettings()
	for _, f := range a.settings {
		if f.bool {
			setProp(f.input, "checked", f.get(&def) == "true")
		} else {
			setValue(f.input, f.get(&def))
		}
	}
	setValue(a.workers, "0")
}

// readSettings reads and checks the form.
func (a *app) readSettings() (report.Settings, error) {
	s := otce.DefaultSettings()
	for _, f := range a.settings {
		v := strings.TrimSpace(value(f.input))
		if f.bool {
			v = strconv.FormatBool(prop(f.input, "checked").Bool())
		}
		if err := f.set(&s, v); err != nil {
			return s, err
		}
	}
	if v := strings.TrimSpace(value(a.workers)); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			return s, fmt.Errorf("--workers: %q is not a non-negative integer", v)
		}
	}
	return s, otce.CheckSettings(s)
}

func (a *app) lockSettings(b bool) {
	a.lockInputs(b)
	for _, f := range a.settings {
		setDisabled(f.input, b)
	}
	setDisabled(a.workers, b)
}
