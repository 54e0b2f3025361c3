//go:build js && wasm

package main

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall/js"

	"github.com/otceseg/otceseg/core/dataset"
	"github.com/otceseg/otceseg/core/heat"
	"github.com/otceseg/otceseg/core/maps"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
	"github.com/otceseg/otceseg/wasm/internal/proto"
	"honnef.co/go/js/dom/v2"
)

// mapsView is the "Where it fails" section: for a candidate of the last
// run, its transferability maps as the sampler worker computes them
// (proto.Maps, then proto.Map and proto.Pixel; package maps): the target
// images worst first, a chosen image's map of h drawn over its label map
// in the CLI's colours (package heat), and the per-class table. All the
// numbers come from the worker; this view only lays them out.
type mapsView struct {
	a       *app
	root    dom.Element
	pick    dom.Element // which candidate
	runBtn  dom.Element
	stopBtn dom.Element
	status  dom.Element
	images  dom.Element
	classes dom.Element
	figure  dom.Element
	caption dom.Element
	labels  dom.Element // canvas: the label map
	photo   dom.Element // img: the target's RGB image, when added
	photoIn dom.Element
	heat    dom.Element // canvas: the map of h, over it
	opacity dom.Element
	slice   dom.Element // volumes: which slice
	sliceLb dom.Element
	hover   dom.Element
	json    dom.Element
	patch   *patchView // the patch-wise maps

	files  []*proto.Files
	photos map[string]js.Value // the RGB images added, by stem
	url    string              // the object URL shown in photo
	s      report.Settings
	busy   bool

	mu    sync.Mutex
	info  *proto.MapsInfo // the tables, and the shown map
	stems map[int]string
	gen   int // bumped by a new run: older answers are dropped
	want  int // the pixel asked for next (−1: none)
	ask   bool
	// cx, cy: the pixel last pointed at (mouse or arrow keys).
	cx, cy int
}

func newMapsView(a *app) *mapsView {
	v := &mapsView{a: a, want: -1}
	v.pick = el("select", attrs{"id": "maps-candidate", "aria-label": "Candidate to map"})
	v.runBtn = el("button", attrs{"type": "button", "id": "maps-run"}, "Compute the maps")
	v.stopBtn = el("button", attrs{"type": "button", "id": "maps-cancel", "disabled": ""}, "Cancel the maps")
	v.status = el("p", attrs{"id": "maps-status", "class": "status", "role": "status", "aria-live": "polite"})
	v.images = el("div", attrs{"id": "maps-images"})
	v.classes = el("div", attrs{"id": "maps-classes"})
	v.caption = el("figcaption", attrs{"id": "maps-caption"})
	v.labels = el("canvas", attrs{"id": "maps-labels", "aria-hidden": "true"})
	v.heat = el("canvas", attrs{"id": "maps-heat", "role": "img", "tabindex": "0", "aria-label": "Map of h", "aria-describedby": "maps-keys"})
	v.opacity = el("input", attrs{"type": "range", "id": "maps-opacity", "min": "0", "max": "100", "value": "70", "aria-label": "Opacity of the map over the label map"})
	v.slice = el("input", attrs{"type": "range", "id": "maps-slice", "min": "0", "max": "0", "value": "0", "aria-label": "Slice of the volume"})
	v.sliceLb = el("label", attrs{"hidden": ""}, "Slice ", v.slice)
	v.hover = el("p", attrs{"id": "maps-hover", "class": "note", "aria-live": "polite"}, "Point at the map to see a pixel's class, h and the source classes it is coupled with.")
	keys := el("p", attrs{"id": "maps-keys", "class": "hint"}, "Or focus the map and move over its pixels with the arrow keys.")
	v.json = el("pre", attrs{"id": "maps-json"})
	v.photo = el("img", attrs{"id": "maps-photo", "alt": "", "hidden": ""})
	v.photoIn = el("input", attrs{"type": "file", "multiple": "", "accept": ".png,.jpg,.jpeg,image/png,image/jpeg", "id": "maps-photos", "class": "visually-hidden", "aria-label": "Target RGB images (optional): choose files"})
	stack := el("div", attrs{"id": "maps-stack"}, v.labels, v.photo, v.heat)
	// Through the CSSOM: the page's Content-Security-Policy (style-src
	// 'self') refuses style attributes.
	setStyle(stack, "position", "relative")
	for _, c := range []dom.Element{v.labels, v.photo, v.heat} {
		setStyle(c, "position", "absolute")
		setStyle(c, "left", "0")
		setStyle(c, "top", "0")
		setStyle(c, "image-rendering", "pixelated")
	}
	setStyle(v.heat, "opacity", "0.7")
	v.figure = el("figure", attrs{"id": "maps-figure", "hidden": ""},
		stack, v.caption,
		el("div", attrs{"class": "row"}, el("label", "Map opacity ", v.opacity), v.sliceLb),
		v.hover, keys)
	v.patch = newPatchView(v)
	v.root = el("section", attrs{"id": "maps", "hidden": ""},
		el("h2", "5. Where it fails"),
		el("p", attrs{"class": "note"},
			"For one candidate: each target pixel's h, how badly its label is predicted by the source classes the coupling sends to it (the mean of h over the sampled pixels is the repetition's H(Yt|Ys) = −OTCE), averaged over the repetitions. ",
			"The images are listed worst first (OTCE_img = −mean h); dark blue is well predicted, yellow badly, grey undefined (the pixel's class is in no target sample). Computed in the workers, as `otce map` does; nothing is uploaded."),
		el("div", attrs{"class": "row"}, v.pick, v.runBtn, v.stopBtn,
			el("label", attrs{"class": "button"}, "Target RGB images…", v.photoIn),
			el("span", attrs{"class": "hint"}, "Optional: the maps are drawn over them instead of the label maps (paired by stem; read here, not uploaded).")),
		v.status,
		v.images,
		v.figure,
		v.patch.root,
		el("h3", "By target class"),
		el("p", attrs{"class": "note"}, "Each target class's share of H(Yt|Ys), and where its mass went: P(source class | target class)."),
		v.classes,
		el("details", el("summary", "JSON (the per-image and per-class tables of `otce map`'s maps.json)"), v.json))
	on(v.runBtn, "click", func(dom.Event) { go v.compute() })
	// The workers are terminated, which stops even a long solve; the next
	// run or map starts fresh ones.
	on(v.stopBtn, "click", func(dom.Event) {
		if v.busy {
			v.mu.Lock()
			v.gen++
			v.info = nil // the sampler's repetitions go with it
			v.mu.Unlock()
			show(v.figure, false)
			v.patch.reset(false)
			v.a.dropPool()
		}
	})
	on(v.opacity, "input", func(dom.Event) {
		setStyle(v.heat, "opacity", fmt.Sprintf("%.2f", float64(atoiOr(value(v.opacity), 70))/100))
	})
	on(v.slice, "input", func(dom.Event) { v.draw() })
	on(v.photoIn, "change", func(dom.Event) {
		list := prop(v.photoIn, "files")
		v.photos = map[string]js.Value{}
		for i := 0; i < list.Length(); i++ {
			f := list.Index(i)
			v.photos[dataset.Stem(f.Get("name").String())] = f
		}
		v.draw()
	})
	on(v.heat, "mousemove", func(ev dom.Event) {
		e := ev.Underlying()
		v.point(e.Get("offsetX").Float(), e.Get("offsetY").Float())
	})
	on(v.heat, "keydown", func(ev dom.Event) {
		dx, dy := 0, 0
		switch ev.Underlying().Get("key").String() {
		case "ArrowLeft":
			dx = -1
		case "ArrowRight":
			dx = 1
		case "ArrowUp":
			dy = -1
		case "ArrowDown":
			dy = 1
		default:
			return
		}
		ev.PreventDefault()
		v.step(dx, dy)
	})
	return v
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// clear forgets the maps (a new run starts: the sampler drops them too).
func (v *mapsView) clear() {
	v.mu.Lock()
	v.gen++
	v.info, v.stems = nil, nil
	v.mu.Unlock()
	v.files = nil
	show(v.root, false)
	show(v.figure, false)
	v.patch.reset(false)
	for _, e := range []dom.Element{v.pick, v.images, v.classes, v.json, v.status} {
		clear(e)
	}
	v.root.SetAttribute("data-state", "")
}

// offer lists the candidates of a finished run that scored.
func (v *mapsView) offer(files []*proto.Files, s report.Settings) {
	v.clear()
	v.files, v.s = files, s
	for i, f := range files {
		v.pick.AppendChild(el("option", attrs{"value": strconv.Itoa(i)}, f.Name))
	}
	show(v.root, len(files) > 0)
}

// setBusy disables the run and the maps' buttons while the sampler works.
func (v *mapsView) setBusy(b bool) {
	v.busy = b
	setDisabled(v.runBtn, b)
	setDisabled(v.patch.runBtn, b)
	setDisabled(v.stopBtn, !b)
	setDisabled(v.pick, b)
	setDisabled(v.a.runBtn, b)
	setDisabled(v.a.demoBtn, b)
}

// compute asks the sampler for the chosen candidate's maps.
func (v *mapsView) compute() {
	if v.busy || v.a.running {
		return
	}
	i := atoiOr(value(v.pick), -1)
	if i < 0 || i >= len(v.files) {
		return
	}
	f := v.files[i]
	v.setBusy(true)
	defer v.setBusy(false)
	v.mu.Lock()
	v.gen++
	gen := v.gen
	v.info = nil
	v.mu.Unlock()
	show(v.figure, false)
	v.patch.reset(false)
	clear(v.images)
	clear(v.classes)
	clear(v.json)
	v.root.SetAttribute("data-state", "computing")
	v.status.SetTextContent(fmt.Sprintf("Computing the maps of %s…", f.Name))
	ctx := context.Background()
	p, err := v.a.ensurePool(ctx, v.a.workerCount())
	if err != nil {
		v.fail(err)
		return
	}
	sampler := p.workers[0]
	// Progress messages are handled in goroutines of their own: one that
	// runs after the answer must not overwrite the final status.
	var finished atomic.Bool
	sampler.setProgress(func(m proto.Progress) {
		if finished.Load() {
			return
		}
		switch m.Phase {
		case otce.PhaseIterations, otce.PhaseSampling:
			v.status.SetTextContent(fmt.Sprintf("Computing the maps of %s: repetition %d of %d…", f.Name, m.Rep+1, v.s.K))
		case proto.PhaseMaps:
			v.status.SetTextContent(fmt.Sprintf("Computing the maps of %s: target image %d of %d…", f.Name, m.Image+1, m.Images))
		}
	})
	resp, err := call(ctx, sampler, &proto.Maps{Score: proto.Score{Settings: v.s, Files: f, Workers: len(p.workers),
		LocalMax: localLimit(), ExactOnPool: exactOnPool(), SplitMinRows: splitMinRows(), GatherMin: gatherMin(), IterateHereMax: iterateHereMax(), ReadAheadMax: readAheadMax(), SwapCost: swapCost(), Overlap: overlapWanted(), HandOverMax: handOverMax()}, Image: -1})
	finished.Store(true)
	sampler.setProgress(nil)
	v.mu.Lock()
	cancelled := v.gen != gen
	v.mu.Unlock()
	switch {
	case cancelled:
		v.status.SetTextContent("The maps were cancelled.")
		v.root.SetAttribute("data-state", "cancelled")
		return
	case err != nil:
		if errors.Is(err, errWorkerLost) {
			v.a.dropPool()
		}
		v.fail(err)
		return
	case resp.Result != nil && resp.Result.Error != "":
		v.fail(errors.New(resp.Result.Error))
		return
	case resp.Maps == nil || resp.Maps.Map == nil:
		v.fail(errors.New("the sampler returned no map"))
		return
	}
	v.mu.Lock()
	if v.gen != gen {
		v.mu.Unlock()
		return
	}
	v.info = resp.Maps
	v.stems = map[int]string{}
	for _, im := range resp.Maps.Images {
		v.stems[im.Index] = im.Stem
	}
	v.mu.Unlock()
	v.status.SetTextContent(fmt.Sprintf("Maps of %s: OTCE %.4f ± %.4f over %d target image(s).", f.Name, resp.Result.OTCEMean, resp.Result.OTCEStd, len(resp.Maps.Images)))
	v.drawTables()
	v.draw()
	v.patch.reset(true)
	v.root.SetAttribute("data-state", "ready")
}

func (v *mapsView) fail(err error) {
	v.status.SetTextContent("The maps failed: " + err.Error())
	v.root.SetAttribute("data-state", "error")
}

// showImage asks the sampler for the map of target image k.
func (v *mapsView) showImage(k int) {
	if v.busy || v.a.running {
		return
	}
	v.mu.Lock()
	gen := v.gen
	ok := v.info != nil
	v.mu.Unlock()
	p := v.a.pool
	if !ok || p == nil {
		return
	}
	v.setBusy(true)
	defer v.setBusy(false)
	v.root.SetAttribute("data-state", "computing")
	resp, err := call(context.Background(), p.workers[0], &proto.Map{Image: k})
	v.mu.Lock()
	cancelled := v.gen != gen
	v.mu.Unlock()
	if cancelled {
		v.status.SetTextContent("Cancelled: compute the maps again to see them.")
		v.root.SetAttribute("data-state", "cancelled")
		return
	}
	if err != nil || resp.Map == nil {
		v.fail(cmp.Or(err, errors.New("the sampler returned no map")))
		return
	}
	v.mu.Lock()
	if v.gen != gen || v.info == nil {
		v.mu.Unlock()
		return
	}
	v.info.Image, v.info.Map = k, resp.Map
	v.mu.Unlock()
	setValue(v.slice, "0")
	v.draw()
	v.root.SetAttribute("data-state", "ready")
}

// drawTables lays out the per-image and per-class tables.
func (v *mapsView) drawTables() {
	info := v.info
	clear(v.images)
	clear(v.classes)
	thumbs := map[int]*maps.Map{}
	for _, t := range info.Thumbs {
		thumbs[t.Image] = t.Map
	}
	tb := el("tbody")
	for rank, im := range info.Images {
		btn := el("button", attrs{"type": "button", "class": "link", "id": fmt.Sprintf("maps-img-%d", im.Index), "aria-label": "Show the map of " + im.Stem})
		if t := thumbs[im.Index]; t != nil {
			c := el("canvas", attrs{"class": "maps-thumb", "aria-hidden": "true"})
			setStyle(c, "image-rendering", "pixelated")
			setStyle(c, "vertical-align", "middle")
			setStyle(c, "margin-right", "0.5em")
			putPixels(c, t.W, t.H, max(1, 48/max(t.W, t.H)), heatPixels(t, 0, info.MaxH, false))
			btn.AppendChild(c)
		}
		add(btn, im.Stem)
		k := im.Index
		on(btn, "click", func(dom.Event) { go v.showImage(k) })
		tb.AppendChild(el("tr", attrs{"data-stem": im.Stem},
			el("td", strconv.Itoa(rank+1)), el("td", btn),
			el("td", attrs{"data-value": strconv.FormatFloat(im.OTCE, 'g', -1, 64)}, num4(im.OTCE)),
			el("td", num4(im.MeanH)), el("td", strconv.Itoa(im.Defined)), el("td", strconv.Itoa(im.Undefined))))
	}
	v.images.AppendChild(el("table", attrs{"id": "maps-images-table"},
		el("caption", "Target images, worst first"),
		el("thead", el("tr", el("th", "#"), el("th", "image"), el("th", "OTCE_img"), el("th", "mean h"), el("th", "pixels"), el("th", "undefined"))),
		tb))
	cb := el("tbody")
	for _, row := range info.Classes {
		var to []string
		for _, s := range row.Sources[:min(3, len(row.Sources))] {
			to = append(to, fmt.Sprintf("%d: %.2f", s.Label, s.P))
		}
		cb.AppendChild(el("tr",
			el("td", strconv.Itoa(row.Label)), el("td", fmt.Sprintf("%.1f%%", 100*row.Share)),
			el("td", fmt.Sprintf("%.3f", row.Mass)), el("td", fmt.Sprintf("%.3f", row.MeanH)),
			el("td", strings.Join(to, ", "))))
	}
	v.classes.AppendChild(el("table", attrs{"id": "maps-classes-table"},
		el("caption", "Target classes, largest part of H(Yt|Ys) first"),
		el("thead", el("tr", el("th", "class"), el("th", "share"), el("th", "P(b)"), el("th", "mean h"), el("th", "its mass went to (source class: P(a|b))"))),
		cb))
	// The tables in maps.json's form (a NaN, an image without a defined
	// pixel, is null there).
	type line struct {
		maps.ImageScore
		MeanH *float64 `json:"mean_h"`
		OTCE  *float64 `json:"otce"`
	}
	fin := func(x float64) *float64 {
		if math.IsNaN(x) {
			return nil
		}
		return &x
	}
	var lines []line
	for _, im := range info.Images {
		lines = append(lines, line{ImageScore: im, MeanH: fin(im.MeanH), OTCE: fin(im.OTCE)})
	}
	b, err := json.MarshalIndent(struct {
		MaxH    float64         `json:"colour_scale_max_h"`
		Images  []line          `json:"images"`
		Classes []maps.ClassRow `json:"classes"`
	}{info.MaxH, lines, info.Classes}, "", "  ")
	if err == nil {
		v.json.SetTextContent(string(b))
	}
}

// draw draws the shown map: its label map, the map of h over it (the
// CLI's colours, heat.Cell), one slice of a volume at a time.
func (v *mapsView) draw() {
	v.mu.Lock()
	info := v.info
	v.mu.Unlock()
	if info == nil || info.Map == nil {
		return
	}
	m := info.Map
	show(v.sliceLb, m.D > 1)
	v.slice.SetAttribute("max", strconv.Itoa(m.D-1))
	z := min(max(atoiOr(value(v.slice), 0), 0), m.D-1)
	stem := v.stems[info.Image]
	// Over the RGB image of the same stem when the user added one (2-D
	// maps), where ignored pixels are left clear, as in the CLI's PNGs.
	photo, hasPhoto := v.photos[stem]
	hasPhoto = hasPhoto && m.D <= 1
	n := m.H * m.W
	hp, lp := heatPixels(m, z, info.MaxH, hasPhoto), make([]byte, 4*n)
	for k := 0; k < n; k++ {
		l := heat.Label(m.Labels[z*n+k])
		copy(lp[4*k:], []byte{l.R, l.G, l.B, l.A})
	}
	// As large as fits the section's width (a narrow window too), at most
	// 512×384, in whole screen pixels per feature pixel.
	avail := 512
	if cw := v.root.Underlying().Get("clientWidth").Int(); cw > 0 {
		avail = min(avail, cw)
	}
	zoom := max(1, min(avail/max(m.W, 1), 384/max(m.H, 1)))
	putPixels(v.labels, m.W, m.H, zoom, lp)
	putPixels(v.heat, m.W, m.H, zoom, hp)
	stack := byID("maps-stack")
	setStyle(stack, "width", fmt.Sprintf("%dpx", m.W*zoom))
	setStyle(stack, "height", fmt.Sprintf("%dpx", m.H*zoom))
	urls := js.Global().Get("URL")
	if v.url != "" {
		urls.Call("revokeObjectURL", v.url)
		v.url = ""
	}
	under := "its label map"
	if hasPhoto {
		v.url = urls.Call("createObjectURL", photo).String()
		v.photo.SetAttribute("src", v.url)
		setStyle(v.photo, "width", fmt.Sprintf("%dpx", m.W*zoom))
		setStyle(v.photo, "height", fmt.Sprintf("%dpx", m.H*zoom))
		under = "the RGB image " + photo.Get("name").String()
	}
	show(v.photo, hasPhoto)
	show(v.labels, !hasPhoto)
	where := ""
	if m.D > 1 {
		where = fmt.Sprintf(", slice %d of %d", z+1, m.D)
	}
	v.heat.SetAttribute("aria-label", fmt.Sprintf("Map of h over the target image %s%s (%d×%d feature pixels)", stem, where, m.H, m.W))
	v.caption.SetTextContent(fmt.Sprintf("%s%s: h on the feature grid (%d×%d) over %s, colour scale 0 (dark blue) to %.2f (yellow) = log of the target classes; grey: undefined; black: ignored.", stem, where, m.H, m.W, under, info.MaxH))
	show(v.figure, true)
	// For the browser tests: the shown map's values, as float32 bits.
	bits := make([]byte, 4*len(m.Values))
	for k, x := range m.Values {
		binary.LittleEndian.PutUint32(bits[4*k:], math.Float32bits(x))
	}
	u8 := js.Global().Get("Uint8Array").New(len(bits))
	js.CopyBytesToJS(u8, bits)
	js.Global().Set("otceMap", js.ValueOf(map[string]any{
		"image": info.Image, "stem": stem, "d": m.D, "h": m.H, "w": m.W,
		"bits": js.Global().Get("Uint32Array").New(u8.Get("buffer")),
	}))
}

// heatPixels returns the RGBA pixels of slice z of a map in the CLI's
// colours (heat.Cell), ignored pixels clear when clearIgnored.
func heatPixels(m *maps.Map, z int, maxH float64, clearIgnored bool) []byte {
	n := m.H * m.W
	px := make([]byte, 4*n)
	for k := 0; k < n; k++ {
		v, l := m.Values[z*n+k], m.Labels[z*n+k]
		c := heat.Cell(v, l, maxH)
		if clearIgnored && heat.IsIgnored(v, l) {
			c.A = 0
		}
		copy(px[4*k:], []byte{c.R, c.G, c.B, c.A})
	}
	return px
}

// putPixels draws w×h RGBA pixels on a canvas shown zoom times larger.
func putPixels(c dom.Element, w, h, zoom int, px []byte) {
	c.SetAttribute("width", strconv.Itoa(w))
	c.SetAttribute("height", strconv.Itoa(h))
	setStyle(c, "width", fmt.Sprintf("%dpx", w*zoom))
	setStyle(c, "height", fmt.Sprintf("%dpx", h*zoom))
	u8 := js.Global().Get("Uint8ClampedArray").New(len(px))
	js.CopyBytesToJS(u8, px)
	img := js.Global().Get("ImageData").New(u8, w, h)
	c.Underlying().Call("getContext", "2d").Call("putImageData", img, 0, 0)
}

// point shows what the map says at a point of the canvas (CSS pixels):
// the pixel's class and h at once, its source-class mixture from the
// sampler (maps.PixelAt), one request in flight at a time.
func (v *mapsView) point(x, y float64) {
	v.mu.Lock()
	info := v.info
	if info == nil || info.Map == nil {
		v.mu.Unlock()
		return
	}
	m := info.Map
	cw := v.heat.Underlying().Get("clientWidth").Float()
	ch := v.heat.Underlying().Get("clientHeight").Float()
	if cw <= 0 || ch <= 0 {
		v.mu.Unlock()
		return
	}
	px, py := int(x*float64(m.W)/cw), int(y*float64(m.H)/ch)
	if px < 0 || py < 0 || px >= m.W || py >= m.H {
		v.mu.Unlock()
		return
	}
	v.cx, v.cy = px, py
	v.mu.Unlock()
	v.explain()
}

// step moves the keyboard's cursor over the map's pixels by (dx, dy).
func (v *mapsView) step(dx, dy int) {
	v.mu.Lock()
	info := v.info
	if info == nil || info.Map == nil {
		v.mu.Unlock()
		return
	}
	v.cx = min(max(v.cx+dx, 0), info.Map.W-1)
	v.cy = min(max(v.cy+dy, 0), info.Map.H-1)
	v.mu.Unlock()
	v.explain()
}

// explain asks about the pixel under the cursor (cx, cy) of the shown
// slice.
func (v *mapsView) explain() {
	v.mu.Lock()
	if v.info == nil || v.info.Map == nil {
		v.mu.Unlock()
		return
	}
	m := v.info.Map
	z := min(max(atoiOr(value(v.slice), 0), 0), m.D-1)
	v.want = (z*m.H+v.cy)*m.W + v.cx
	start := !v.ask
	v.ask = true
	v.mu.Unlock()
	if start {
		go v.askPixels()
	}
}

// askPixels asks the sampler about the last pixel pointed at until none
// is left.
func (v *mapsView) askPixels() {
	for {
		v.mu.Lock()
		p, info, gen := v.want, v.info, v.gen
		v.want = -1
		if p < 0 || info == nil || v.busy || v.a.pool == nil {
			v.ask = false
			v.mu.Unlock()
			return
		}
		v.mu.Unlock()
		resp, err := call(context.Background(), v.a.pool.workers[0], &proto.Pixel{Image: info.Image, Pixel: p})
		v.mu.Lock()
		stale := v.gen != gen || v.info != info
		v.mu.Unlock()
		if stale {
			continue
		}
		if err != nil || resp.Pixel == nil {
			v.hover.SetTextContent("This pixel could not be explained: " + cmp.Or(err, errors.New("no answer")).Error())
			continue
		}
		v.hover.SetTextContent(pixelLine(info.Map, p, *resp.Pixel))
	}
}

// pixelLine says what a map says about pixel p.
func pixelLine(m *maps.Map, p int, px maps.Pixel) string {
	y, x := (p/m.W)%m.H, p%m.W
	at := fmt.Sprintf("Pixel (row %d, column %d", y, x)
	if m.D > 1 {
		at += fmt.Sprintf(", slice %d", p/(m.H*m.W)+1)
	}
	at += ")"
	if px.Label < 0 {
		return at + ": ignored (no label)."
	}
	h := "undefined (its class is in no target sample, or a source class it is coupled with never meets it)"
	if !math.IsNaN(px.H) {
		h = fmt.Sprintf("%.4f", px.H)
	}
	type src struct {
		l int
		q float64
	}
	var ss []src
	for l, q := range px.Mixture {
		if q >= 0.005 {
			ss = append(ss, src{l, q})
		}
	}
	slices.SortFunc(ss, func(a, b src) int { return cmp.Or(cmp.Compare(b.q, a.q), cmp.Compare(a.l, b.l)) })
	var parts []string
	for _, s := range ss[:min(5, len(ss))] {
		parts = append(parts, fmt.Sprintf("%d: %.0f%%", s.l, 100*s.q))
	}
	return fmt.Sprintf("%s: class %d, h = %s; coupled with source classes %s.", at, px.Label, h, strings.Join(parts, ", "))
}

// setStyle sets a CSS property of e through the CSSOM (which the page's
// Content-Security-Policy allows, unlike a style attribute).
func setStyle(e dom.Element, name, value string) {
	e.Underlying().Get("style").Call("setProperty", name, value)
}
