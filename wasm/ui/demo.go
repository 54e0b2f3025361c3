//go:build js && wasm

package main

import (
	"path"
	"syscall/js"

	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/otce"
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
