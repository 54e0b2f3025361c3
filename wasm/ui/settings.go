//go:build js && wasm

package main

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/core/settings"
	"honnef.co/go/js/dom/v2"
)

// setting is one field of the settings form: a row of settings.Table and
// its input element (id "set-" + the flag's name).
type setting struct {
	*settings.Field
	input dom.Element
}

func fieldID(f *settings.Field) string { return "set-" + f.Name }

// sentence is a help text of the table as the page shows it: a sentence.
func sentence(help string) string {
	if help == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(help)
	return string(unicode.ToUpper(r)) + help[n:] + "."
}

func (a *app) buildSettings() dom.Element {
	def := otce.DefaultSettings()
	a.settings = nil
	grid := el("div", attrs{"class": "settings"})
	row := func(label, flag string, input dom.Element, help string) {
		l := el("label", label+" ", el("code", attrs{"class": "flag"}, flag))
		if input.TagName() == "SELECT" || input.TagName() == "INPUT" {
			l.SetAttribute("for", input.ID())
		} else {
			linkLabel(l, input)
		}
		add(grid, l, input, el("span", attrs{"class": "help"}, help))
	}
	for i := range settings.Table {
		f := &setting{Field: &settings.Table[i]}
		a.settings = append(a.settings, f)
		id := fieldID(f.Field)
		switch f.Kind {
		case settings.Bool:
			f.input = el("input", attrs{"type": "checkbox", "id": id})
			setProp(f.input, "checked", f.Get(&def) == "true")
		case settings.Choice:
			f.input = el("select", attrs{"id": id})
			for _, c := range f.Choices {
				add(f.input, el("option", attrs{"value": c}, c))
			}
			setValue(f.input, f.Get(&def))
		default:
			f.input = field(f.Get(&def), 10, attrs{"id": id})
		}
		row(f.Label, f.Flag(), f.input, sentence(f.Help))
	}
	a.workers = field("0", 10, attrs{"id": "set-workers"})
	row("Web workers", "--workers", a.workers, "Web workers solving in parallel (0: this machine's processors, at most 8). Changes speed, never the score.")
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
		if f.Kind == settings.Bool {
			setProp(f.input, "checked", f.Get(&def) == "true")
		} else {
			setValue(f.input, f.Get(&def))
		}
	}
	setValue(a.workers, "0")
}

// readSettings reads and checks the form.
func (a *app) readSettings() (report.Settings, error) {
	s := otce.DefaultSettings()
	for _, f := range a.settings {
		v := strings.TrimSpace(value(f.input))
		if f.Kind == settings.Bool {
			v = strconv.FormatBool(prop(f.input, "checked").Bool())
		}
		if err := f.Set(&s, v); err != nil {
			return s, err
		}
	}
	if v := strings.TrimSpace(value(a.workers)); v != "" {
		if n, err := settings.ParseWhole(v); err != nil || n < 0 {
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
