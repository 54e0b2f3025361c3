//go:build js && wasm

package main

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/otce"
	"honnef.co/go/js/dom/v2"
)

type demoCandidate struct {
	name           string
	accuracy       *float64
	sf, sl, tf, tl []js.Value
}

// demoCandidates turns the core's built-in demo (in-memory files, the same
// as `otce demo`, or `otce demo --volumes` when volumes is set) into JS File
// objects, so that the demo takes the same path as the user's own files.
func demoCandidates(volumes bool) ([]demoCandidate, error) {
	var out []demoCandidate
	cache := map[dataset.File]js.Value{}
	conv := func(fs []dataset.File) ([]js.Value, error) {
		var vs []js.Value
		for _, f := range fs {
			if v, ok := cache[f]; ok {
				vs = append(vs, v)
				continue
			}
			b := make([]byte, f.Size())
			if _, err := f.ReadAt(b, 0); err != nil {
				return nil, err
			}
			u8 := js.Global().Get("Uint8Array").New(len(b))
			js.CopyBytesToJS(u8, b)
			v := js.Global().Get("File").New(js.Global().Get("Array").New(u8), path.Base(f.Name()),
				map[string]any{"type": "application/octet-stream"})
			cache[f] = v
			vs = append(vs, v)
		}
		return vs, nil
	}
	cands := otce.DemoCandidates()
	if volumes {
		cands = otce.DemoVolumeCandidates()
	}
	for _, c := range cands {
		d := demoCandidate{name: c.Name, accuracy: c.Accuracy}
		var err error
		if d.sf, err = conv(c.SourceFeatures); err != nil {
			return nil, err
		}
		if d.sl, err = conv(c.SourceLabels); err != nil {
			return nil, err
		}
		if d.tf, err = conv(c.TargetFeatures); err != nil {
			return nil, err
		}
		if d.tl, err = conv(c.TargetLabels); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// demoN puts the demo's own N (otce.DemoN, as `otce demo` uses) in the
// settings when the demo is loaded, with a note under the settings that
// says why; the note shows while N is the demo's.
func (a *app) demoN() {
	var n dom.Element
	for _, f := range a.settings {
		if f.Flag() == "-n" {
			n = f.input
		}
	}
	if n == nil {
		return
	}
	setValue(n, strconv.Itoa(otce.DemoN))
	note := byID("demo-n-note")
	if note == nil {
		note = el("p", attrs{"id": "demo-n-note", "class": "note", "role": "status"},
			fmt.Sprintf("The demo uses N = %d so that it runs in seconds: it has some 1350 to 1500 valid pixels (voxels) per domain, and at the paper's N = 10⁴ every repetition would use all of them (identical repetitions, std 0). The paper's N = 10⁴ is the default for your own files: set -n back, or reset to the defaults.", otce.DemoN))
		grid := n.ParentElement()
		grid.ParentElement().InsertBefore(note, grid.NextSibling())
		update := func(dom.Event) { show(note, strings.TrimSpace(value(n)) == strconv.Itoa(otce.DemoN)) }
		for _, ev := range []string{"input", "change", "click"} {
			on(grid.ParentElement(), ev, update)
		}
	}
	show(note, true)
	a.settingsChanged()
}
