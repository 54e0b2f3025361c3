//go:build js && wasm

package main

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall/js"

	"github.com/otceseg/otceseg/core/heat"
	"github.com/otceseg/otceseg/core/maps"
	"github.com/otceseg/otceseg/wasm/internal/proto"
	"honnef.co/go/js/dom/v2"
)

// patchView is the "Where it fails" section's patch-wise maps: the
// authors' maps of OTCE and of the other scores over s×s patches of the
// feature grid (package maps, PatchesWith), computed by the sampler worker
// from the last maps' candidate (proto.Patch) and drawn with the CLI's
// colours (maps.PatchMap.Heat, heat.Cell) beside their colour bar. All the
// numbers come from the worker.
type patchView struct {
	v       *mapsView
	root    dom.Element
	stride  dom.Element // select: the stride s
	runBtn  dom.Element
	pick    dom.Element // select: which score's map
	status  dom.Element
	figure  dom.Element
	canvas  dom.Element
	bar     dom.Element // canvas: the colour bar
	top     dom.Element // the bar's labels
	bottom  dom.Element
	caption dom.Element

	pm   *maps.PatchMap // the last answer
	maxH float64        // the maps' colour scale, for OTCE
	gen  int            // the maps' generation pm belongs to
}

// patchStrides are the strides offered (the authors' default is 4).
var patchStrides = []int{1, 2, 3, 4, 6, 8, 16}

func newPatchView(v *mapsView) *patchView {
	p := &patchView{v: v}
	p.stride = el("select", attrs{"id": "maps-patch-stride", "aria-label": "Patch stride (feature pixels)"})
	for _, s := range patchStrides {
		o := el("option", attrs{"value": strconv.Itoa(s)}, fmt.Sprintf("%d×%d", s, s))
		if s == 4 {
			o.SetAttribute("selected", "")
		}
		p.stride.AppendChild(o)
	}
	p.runBtn = el("button", attrs{"type": "button", "id": "maps-patch-run"}, "Compute the patch maps")
	p.pick = el("select", attrs{"id": "maps-patch-score", "aria-label": "Score of the patch map"})
	p.status = el("p", attrs{"id": "maps-patch-status", "class": "status", "role": "status", "aria-live": "polite"})
	p.canvas = el("canvas", attrs{"id": "maps-patch-heat", "role": "img", "aria-label": "Patch map"})
	p.bar = el("canvas", attrs{"id": "maps-patch-bar", "aria-hidden": "true"})
	p.top = el("span", attrs{"id": "maps-patch-top"})
	p.bottom = el("span", attrs{"id": "maps-patch-bottom"})
	p.caption = el("figcaption", attrs{"id": "maps-patch-caption"})
	for _, c := range []dom.Element{p.canvas, p.bar} {
		setStyle(c, "image-rendering", "pixelated")
	}
	labels := el("div", p.top, p.bottom)
	setStyle(labels, "display", "flex")
	setStyle(labels, "flex-direction", "column")
	setStyle(labels, "justify-content", "space-between")
	row := el("div", p.canvas, p.bar, labels)
	setStyle(row, "display", "flex")
	setStyle(row, "gap", "6px")
	setStyle(row, "align-items", "stretch")
	p.figure = el("figure", attrs{"id": "maps-patch-figure", "hidden": ""},
		el("div", attrs{"class": "row"}, el("label", "Map ", p.pick)), row, p.caption)
	p.root = el("div", attrs{"id": "maps-patch", "hidden": ""},
		el("h3", "Patch-wise maps"),
		el("p", attrs{"class": "note"},
			"The authors' maps: the feature grid cut into s×s patches; each patch's target pixels (of all target images) scored against the source pixels of the same patch by OTCE (exact plan), and alone by the other scores asked for (LogME, LEEP, NCE, H-score, GBC). ",
			"As `otce map --patch s`; each score on its own colour scale, dark blue its best patch and yellow its worst."),
		el("div", attrs{"class": "row"}, el("label", "Stride ", p.stride), p.runBtn),
		p.status, p.figure)
	on(p.runBtn, "click", func(dom.Event) { go p.compute() })
	on(p.pick, "change", func(dom.Event) { p.draw() })
	return p
}

// reset forgets the patch maps (new maps, a new run): the view shows when
// the maps are ready.
func (p *patchView) reset(ready bool) {
	p.pm = nil
	show(p.root, ready)
	show(p.figure, false)
	clear(p.pick)
	clear(p.status)
	p.root.SetAttribute("data-state", "")
}

// compute asks the sampler for the patch maps of the chosen stride.
func (p *patchView) compute() {
	v := p.v
	if v.busy || v.a.running || v.a.pool == nil {
		return
	}
	v.mu.Lock()
	gen, info := v.gen, v.info
	v.mu.Unlock()
	if info == nil {
		return
	}
	s := atoiOr(value(p.stride), 4)
	v.setBusy(true)
	defer v.setBusy(false)
	p.root.SetAttribute("data-state", "computing")
	p.status.SetTextContent(fmt.Sprintf("Computing the patch maps of stride %d…", s))
	sampler := v.a.pool.workers[0]
	// Progress messages are handled in goroutines of their own: one that
	// runs after the answer must not overwrite the final status.
	var finished atomic.Bool
	sampler.setProgress(func(m proto.Progress) {
		if !finished.Load() && m.Phase == proto.PhasePatches {
			p.status.SetTextContent(fmt.Sprintf("Computing the patch maps of stride %d: patch %d of %d…", s, m.Image, m.Images))
		}
	})
	resp, err := call(context.Background(), sampler, &proto.Patch{Stride: s})
	finished.Store(true)
	sampler.setProgress(nil)
	v.mu.Lock()
	stale := v.gen != gen
	v.mu.Unlock()
	switch {
	case stale:
		p.status.SetTextContent("Cancelled: compute the maps again to see the patch maps.")
		p.root.SetAttribute("data-state", "cancelled")
		return
	case err != nil || resp.Patch == nil:
		if errors.Is(err, errWorkerLost) {
			v.a.dropPool()
		}
		p.status.SetTextContent("The patch maps failed: " + cmp.Or(err, errors.New("the sampler returned none")).Error())
		p.root.SetAttribute("data-state", "error")
		return
	}
	p.pm, p.maxH, p.gen = resp.Patch, info.MaxH, gen
	clear(p.pick)
	p.pick.AppendChild(el("option", attrs{"value": "otce"}, "OTCE"))
	for _, ps := range p.pm.Metrics {
		p.pick.AppendChild(el("option", attrs{"value": ps.Name}, scoreName(ps.Name)))
	}
	_, unmapped, _ := maps.PatchOptionsOf(v.s, s)
	msg := fmt.Sprintf("Patch maps of stride %d: %d×%d patches, %d score(s).", s, p.pm.Rows, p.pm.Cols, 1+len(p.pm.Metrics))
	if len(unmapped) > 0 {
		msg += " No patch map for " + strings.Join(unmapped, ", ") + "."
	}
	p.status.SetTextContent(msg)
	p.draw()
	p.root.SetAttribute("data-state", "ready")
}

// draw draws the chosen score's patch map and its colour bar.
func (p *patchView) draw() {
	pm := p.pm
	if pm == nil {
		return
	}
	name := cmp.Or(value(p.pick), "otce")
	ph, ok := pm.Heat(name, p.maxH)
	if !ok {
		return
	}
	n := pm.Rows * pm.Cols
	px := make([]byte, 4*n)
	for k := 0; k < n; k++ {
		c := heat.Cell(ph.H[k], ph.Labels[k], ph.Top)
		copy(px[4*k:], []byte{c.R, c.G, c.B, c.A})
	}
	zoom := max(1, min(384/max(pm.Cols, 1), 288/max(pm.Rows, 1)))
	putPixels(p.canvas, pm.Cols, pm.Rows, zoom, px)
	const barH = 64
	bp := make([]byte, 4*barH)
	for y := 0; y < barH; y++ {
		c := heat.Colour(float64(barH-1-y) / float64(barH-1))
		copy(bp[4*y:], []byte{c.R, c.G, c.B, c.A})
	}
	putPixels(p.bar, 1, barH, 1, bp)
	setStyle(p.bar, "width", "14px")
	setStyle(p.bar, "height", fmt.Sprintf("%dpx", max(pm.Rows*zoom, 60)))
	values, undefined, reason := pm.OTCE, 0, ""
	what := "−OTCE, the patch's H(Yt|Ys), from 0 (dark blue) to " + strconv.FormatFloat(p.maxH, 'f', 2, 64) + " (yellow, as the maps of h)"
	p.top.SetTextContent(strconv.FormatFloat(p.maxH, 'f', 2, 64))
	p.bottom.SetTextContent("0")
	for _, ps := range pm.Metrics {
		if ps.Name == name {
			values, undefined, reason = ps.Values, ps.Undefined, ps.Reason
			what = fmt.Sprintf("%s from its best patch %.4g (dark blue) to its worst %.4g (yellow)", scoreName(name), ph.Best, ph.Worst)
			p.top.SetTextContent(fmt.Sprintf("%.4g", ph.Worst))
			p.bottom.SetTextContent(fmt.Sprintf("%.4g", ph.Best))
		}
	}
	if name == "otce" {
		for _, v := range values {
			if math.IsNaN(v) {
				undefined++
			}
		}
	}
	nan := "no patch without a value"
	if undefined > 0 {
		nan = fmt.Sprintf("%d patch(es) without a value: grey where the patch has target pixels, black where it has none", undefined)
		if reason != "" {
			nan += " (" + reason + ")"
		}
	}
	p.canvas.SetAttribute("aria-label", fmt.Sprintf("Patch map of %s, %d×%d patches of stride %d", scoreName(name), pm.Rows, pm.Cols, pm.Stride))
	p.caption.SetTextContent(fmt.Sprintf("%s per %d×%d patch (%d×%d patches): %s; %s.", scoreName(name), pm.Stride, pm.Stride, pm.Rows, pm.Cols, what, nan))
	show(p.figure, true)
	// For the browser tests: the shown map's values as float32 bits (the
	// CLI's patch.npy / patch_<name>.npy).
	bits := make([]byte, 4*n)
	for k, x := range values {
		binary.LittleEndian.PutUint32(bits[4*k:], math.Float32bits(float32(x)))
	}
	u8 := js.Global().Get("Uint8Array").New(len(bits))
	js.CopyBytesToJS(u8, bits)
	js.Global().Set("otcePatch", js.ValueOf(map[string]any{
		"name": name, "stride": pm.Stride, "rows": pm.Rows, "cols": pm.Cols,
		"bits": js.Global().Get("Uint32Array").New(u8.Get("buffer")),
	}))
}
