package e2e

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	imgpng "image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// mapsSameAsCLI (issue 15, "the page's map of an image equals the CLI's
// .npy, whatever the number of workers"): the page's "Where it fails"
// view, computed in the sampler worker, against `otce map` on the same
// files and settings. The per-image and per-class tables equal maps.json's
// (the same float64 values), and each target image's map equals the CLI's
// <stem>.npy bit for bit (float32; NaN where the CLI's is NaN), with one
// worker solving alone and with two whose row blocks are spread over the
// pool (otceLocalSolveMax = 0, so the potentials come through OpPotentials
// on the other worker's blocks), also when the other worker gave its cost
// rows to the sampler and got them back for the kernel (otceGatherMin = 1).
func (h *harness) mapsSameAsCLI(fx fixture) {
	const n, k = 500, 3
	args := []string{"-n", fmt.Sprint(n), "-k", fmt.Sprint(k)}
	for flag, fs := range map[string][]string{"--source-features": fx.sf, "--source-labels": fx.sl, "--target-features": fx.tf, "--target-labels": fx.tl} {
		for _, f := range fs {
			args = append(args, flag, f)
		}
	}
	cli, dir := h.cliMaps(args...)
	if len(cli.Images) != 2 || len(cli.Classes) == 0 {
		h.t.Fatalf("maps.json has %d images and %d classes, want 2 and some", len(cli.Images), len(cli.Classes))
	}
	h.load()
	h.setSetting("set-n", fmt.Sprint(n))
	h.setSetting("set-k", fmt.Sprint(k))
	h.setCandidate(1, "fixture", fx)
	h.setFiles("target-labels-files", fx.tl)
	for _, c := range []struct {
		w      int
		gather bool // the other worker's cost rows gathered in the sampler (schedule.Gather)
	}{{1, false}, {2, false}, {2, true}} {
		w := c.w
		if w == 2 {
			eval[bool](h, `(globalThis.otceLocalSolveMax = 0, true)`)
		}
		where := fmt.Sprintf("%d worker(s)", w)
		if c.gather {
			eval[bool](h, `(globalThis.otceGatherMin = 1, true)`)
			where += ", the rows gathered"
		}
		h.setSetting("set-workers", fmt.Sprint(w))
		h.click("run")
		h.waitState(3*time.Minute, "done")
		h.click("maps-run")
		h.waitMaps()
		h.pageMapsEqual(cli, dir, where)
	}
	eval[bool](h, `(delete globalThis.otceGatherMin, true)`)
	// Pointing at the map explains the pixel (maps.PixelAt in the sampler),
	// and so do the arrow keys on the focused map; its h is the map's.
	eval[bool](h, `(() => { const c = document.getElementById("maps-heat"), r = c.getBoundingClientRect();
		c.dispatchEvent(new MouseEvent("mousemove", {bubbles: true, clientX: r.left + r.width*10.5/20, clientY: r.top + r.height*10.5/20})); return true; })()`)
	h.pointedAt("Pixel (row 10, column 10): ", 10*20+10)
	eval[bool](h, `(() => { const c = document.getElementById("maps-heat"); c.focus();
		c.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight", bubbles: true}));
		c.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowDown", bubbles: true})); return true; })()`)
	h.pointedAt("Pixel (row 11, column 11): ", 11*20+11)
	// Every control of the view has a name.
	unnamed := eval[[]string](h, `[...document.querySelectorAll("#maps input, #maps select, #maps button, #maps canvas[tabindex]")].filter(e =>
		!(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !(e.tagName === "BUTTON" && e.textContent.trim())).map(e => e.outerHTML.slice(0, 80))`)
	for _, u := range unnamed {
		h.t.Errorf("no label: %s", u)
	}
	// An RGB image of the same stem goes under its map, in place of the
	// label map; an image without one keeps its label map.
	png := filepath.Join(h.t.TempDir(), "tgt_0.png")
	writeRGB(h, png, 80, 80)
	h.setFiles("maps-photos", []string{png})
	for _, c := range []struct {
		index int
		photo bool
	}{{1, false}, {0, true}} {
		eval[bool](h, `(delete globalThis.otceMap, true)`)
		h.click(fmt.Sprintf("maps-img-%d", c.index))
		deadline := time.Now().Add(time.Minute)
		for !eval[bool](h, fmt.Sprintf(`!!globalThis.otceMap && otceMap.image === %d && (document.getElementById("maps-photo").hidden || document.getElementById("maps-photo").complete)`, c.index)) {
			if time.Now().After(deadline) {
				h.t.Fatalf("image %d was not shown", c.index)
			}
			time.Sleep(100 * time.Millisecond)
		}
		got := eval[string](h, `(() => { const p = document.getElementById("maps-photo"), l = document.getElementById("maps-labels");
			return (p.hidden ? "no photo" : "photo " + p.naturalWidth) + ", " + (l.hidden ? "no labels" : "labels") + ": " + document.getElementById("maps-caption").textContent; })()`)
		want := "no photo, labels: "
		if c.photo {
			want = "photo 80, no labels: "
		}
		if !strings.HasPrefix(got, want) || c.photo != strings.Contains(got, "over the RGB image tgt_0.png") {
			h.t.Errorf("image %d: %q, want %q… (the RGB image named %v)", c.index, got, want, c.photo)
		}
	}
	eval[bool](h, `(delete globalThis.otceLocalSolveMax, true)`)
	h.screenshot("maps.png")
	// Other files: the maps of the run's files are withdrawn.
	h.setFiles("cand-1-tf-files", fx.tf[:1])
	deadline := time.Now().Add(30 * time.Second)
	for !eval[bool](h, `document.getElementById("maps").hidden`) {
		if time.Now().After(deadline) {
			h.t.Fatal("the maps stayed on the page after the files changed")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// mapsVolumesSameAsCLI: the volumetric demo's first candidate mapped in
// the page equals `otce map --demo 1 --volumes` (tables and every volume's
// D×H×W map, bit for bit), and the slice slider walks the slices.
func (h *harness) mapsVolumesSameAsCLI() {
	const n, k = 400, 2
	cli, dir := h.cliMaps("--demo", "1", "--volumes", "-n", fmt.Sprint(n), "-k", fmt.Sprint(k))
	h.load()
	h.do(chromedp.SetValue(chromedp.ID("demo-kind"), "volumes"))
	// Load demo puts the demo's own N in the settings: ours after it.
	h.loadDemo()
	h.setSetting("set-n", fmt.Sprint(n))
	h.setSetting("set-k", fmt.Sprint(k))
	h.click("run")
	h.waitState(5*time.Minute, "done")
	h.do(chromedp.SetValue(chromedp.ID("maps-candidate"), "0"))
	h.click("maps-run")
	h.waitMaps()
	h.pageMapsEqual(cli, dir, "volumes")
	d := eval[int](h, `otceMap.d`)
	if d < 2 || eval[bool](h, `document.getElementById("maps-slice").closest("label").hidden`) {
		h.t.Fatalf("a volume of %d slices, and the slice slider is hidden", d)
	}
	caption := eval[string](h, `(() => { const s = document.getElementById("maps-slice"); s.value = "1"; s.dispatchEvent(new Event("input")); return document.getElementById("maps-caption").textContent; })()`)
	if !strings.Contains(caption, fmt.Sprintf("slice 2 of %d", d)) {
		h.t.Errorf("after moving the slider to the second slice the caption says %q", caption)
	}
	h.screenshot("maps-volumes.png")
}

// mapsTables is what the tests compare of maps.json and of the page's
// copy of it (#maps-json).
type mapsTables struct {
	MaxH   float64 `json:"colour_scale_max_h"`
	Images []struct {
		Stem      string   `json:"stem"`
		Index     int      `json:"index"`
		Valid     int      `json:"valid"`
		Defined   int      `json:"defined"`
		Undefined int      `json:"undefined"`
		MeanH     *float64 `json:"mean_h"`
		OTCE      *float64 `json:"otce"`
	} `json:"images"`
	Classes []struct {
		Label int     `json:"label"`
		Mass  float64 `json:"mass"`
		CE    float64 `json:"ce"`
		Share float64 `json:"share"`
		Reps  int     `json:"repetitions"`
	} `json:"classes"`
}

// cliMaps runs `otce map` with args into a new folder and returns its
// maps.json and the folder.
func (h *harness) cliMaps(args ...string) (mapsTables, string) {
	h.t.Helper()
	dir := h.t.TempDir()
	args = append([]string{"map", "--quiet", "--out", dir}, args...)
	if out, err := exec.Command(h.cli, args...).CombinedOutput(); err != nil {
		h.t.Fatalf("otce %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "maps.json"))
	if err != nil {
		h.t.Fatal(err)
	}
	var cli mapsTables
	if err := json.Unmarshal(raw, &cli); err != nil {
		h.t.Fatalf("maps.json: %v", err)
	}
	return cli, dir
}

// pageMapsEqual checks the page's tables against the CLI's maps.json and
// the page's map of every image against the CLI's <stem>.npy in dir.
func (h *harness) pageMapsEqual(cli mapsTables, dir, label string) {
	h.t.Helper()
	show := func(x *float64) string {
		if x == nil {
			return "null"
		}
		return fmt.Sprintf("%.17g", *x)
	}
	var page mapsTables
	if err := json.Unmarshal([]byte(eval[string](h, `document.getElementById("maps-json").textContent`)), &page); err != nil {
		h.t.Fatalf("%s: the page's tables: %v", label, err)
	}
	if page.MaxH != cli.MaxH || len(page.Images) != len(cli.Images) || len(page.Classes) != len(cli.Classes) {
		h.t.Fatalf("%s: page tables %+v, CLI %+v", label, page, cli)
	}
	for i, c := range cli.Images {
		p := page.Images[i]
		if p.Stem != c.Stem || p.Index != c.Index || p.Valid != c.Valid || p.Defined != c.Defined || p.Undefined != c.Undefined ||
			show(p.MeanH) != show(c.MeanH) || show(p.OTCE) != show(c.OTCE) {
			h.t.Errorf("%s: image %d (worst first): page %+v mean h %s, CLI %+v mean h %s", label, i, p, show(p.MeanH), c, show(c.MeanH))
		}
	}
	for i, c := range cli.Classes {
		if p := page.Classes[i]; p != c {
			h.t.Errorf("%s: class row %d: page %+v, CLI %+v", label, i, p, c)
		}
	}
	// The worst images (up to 12) have thumbnails in their rows.
	if got, want := eval[int](h, `document.querySelectorAll("#maps-images-table button canvas.maps-thumb").length`), min(len(cli.Images), 12); got != want {
		h.t.Errorf("%s: %d thumbnails, want %d", label, got, want)
	}
	for _, im := range cli.Images {
		want := readNPYBits(h, filepath.Join(dir, im.Stem+".npy"))
		eval[bool](h, `(delete globalThis.otceMap, true)`)
		h.click(fmt.Sprintf("maps-img-%d", im.Index))
		deadline := time.Now().Add(time.Minute)
		for eval[int](h, `globalThis.otceMap ? otceMap.image : -1`) != im.Index || eval[string](h, `document.getElementById("maps").dataset.state`) != "ready" {
			if time.Now().After(deadline) {
				h.t.Fatalf("%s: the map of %s was not shown (%s)", label, im.Stem, eval[string](h, `document.getElementById("maps-status").textContent`))
			}
			time.Sleep(100 * time.Millisecond)
		}
		got := eval[[]uint32](h, `Array.from(otceMap.bits)`)
		if len(got) != len(want) {
			h.t.Fatalf("%s: %s: the page's map has %d values, the CLI's %d", label, im.Stem, len(got), len(want))
		}
		diff, nans := 0, 0
		for p := range want {
			gn, wn := math.IsNaN(float64(math.Float32frombits(got[p]))), math.IsNaN(float64(math.Float32frombits(want[p])))
			if gn && wn {
				nans++
				continue
			}
			if got[p] != want[p] {
				if diff == 0 {
					h.t.Errorf("%s: %s pixel %d: page %v, CLI %v", label, im.Stem, p, math.Float32frombits(got[p]), math.Float32frombits(want[p]))
				}
				diff++
			}
		}
		if diff > 0 {
			h.t.Errorf("%s: %s: %d of %d pixels differ from the CLI's .npy", label, im.Stem, diff, len(want))
		}
		if nans == len(want) {
			h.t.Errorf("%s: %s: every pixel is NaN", label, im.Stem)
		}
		h.t.Logf("%s: %s: %d values the same bits as the CLI's .npy (%d NaN)", label, im.Stem, len(want)-diff, nans)
	}
}

// waitMaps waits until the maps view has its tables and a map.
func (h *harness) waitMaps() {
	h.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		switch eval[string](h, `document.getElementById("maps").dataset.state || ""`) {
		case "ready":
			return
		case "error":
			h.t.Fatalf("maps: %s", eval[string](h, `document.getElementById("maps-status").textContent`))
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("the maps did not come (%s)", eval[string](h, `document.getElementById("maps-status").textContent`))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readNPYBits reads a little-endian float32 .npy file (version 1 or 2) as
// the bits of its values.
func readNPYBits(h *harness, path string) []uint32 {
	h.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(b) < 12 || string(b[1:6]) != "NUMPY" {
		h.t.Fatalf("%s: not a .npy file", path)
	}
	off := 10 + int(binary.LittleEndian.Uint16(b[8:]))
	if b[6] >= 2 {
		off = 12 + int(binary.LittleEndian.Uint32(b[8:]))
	}
	if !strings.Contains(string(b[:off]), "'<f4'") || (len(b)-off)%4 != 0 {
		h.t.Fatalf("%s: not little-endian float32", path)
	}
	out := make([]uint32, (len(b)-off)/4)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[off+4*i:])
	}
	return out
}

// pointedAt waits until the maps view explains the pixel named by prefix
// (feature pixel p of the shown map) and checks its h against the map's.
func (h *harness) pointedAt(prefix string, p int) {
	h.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		txt := eval[string](h, `document.getElementById("maps-hover").textContent`)
		if strings.HasPrefix(txt, prefix+"class ") && strings.Contains(txt, "coupled with source classes") {
			want := float64(math.Float32frombits(eval[uint32](h, fmt.Sprintf(`otceMap.bits[%d]`, p))))
			var got float64
			if i := strings.Index(txt, "h = "); i < 0 {
				h.t.Errorf("no h in %q", txt)
			} else if _, err := fmt.Sscanf(txt[i+4:], "%f", &got); err != nil || math.Abs(got-want) > 1e-4 {
				h.t.Errorf("%q: h %v, the map's %v (%v)", txt, got, want, err)
			}
			h.t.Logf("pointed at: %s (the map's h %.6f)", txt, want)
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("pointing at the map: %q, want %q…", txt, prefix)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeRGB writes a w×h PNG of a colour gradient.
func writeRGB(h *harness, path string, w, ht int) {
	h.t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, ht))
	for y := 0; y < ht; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(3 * x), uint8(3 * y), 128, 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	if err := imgpng.Encode(f, img); err != nil {
		h.t.Fatal(err)
	}
}

// mapsCancel: Cancel the maps stops the sampler mid-solve (the workers are
// terminated, as the run's Cancel does), says so, and the next maps, on
// fresh workers, come as usual.
func (h *harness) mapsCancel(fx fixture) {
	h.load()
	h.setSetting("set-n", "500")
	h.setSetting("set-k", "40")
	h.setCandidate(1, "fixture", fx)
	h.setFiles("target-labels-files", fx.tl)
	h.click("run")
	h.waitState(5*time.Minute, "done")
	h.click("maps-run")
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(eval[string](h, `document.getElementById("maps-status").textContent`), "repetition") {
		if eval[string](h, `document.getElementById("maps").dataset.state`) == "ready" {
			h.t.Skip("the maps were done before they could be cancelled")
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("the maps showed no progress: %q", eval[string](h, `document.getElementById("maps-status").textContent`))
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.click("maps-cancel")
	deadline = time.Now().Add(time.Minute)
	for eval[string](h, `document.getElementById("maps").dataset.state`) != "cancelled" {
		if s := eval[string](h, `document.getElementById("maps").dataset.state`); s == "ready" || s == "error" || time.Now().After(deadline) {
			h.t.Fatalf("after Cancel the maps are %q: %s", s, eval[string](h, `document.getElementById("maps-status").textContent`))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := eval[string](h, `document.getElementById("maps-status").textContent`); st != "The maps were cancelled." {
		h.t.Errorf("after Cancel the status says %q", st)
	}
	if eval[bool](h, `document.getElementById("maps-run").disabled || !document.getElementById("maps-cancel").disabled || document.getElementById("run").disabled`) {
		h.t.Error("after Cancel the buttons are not back")
	}
	h.click("maps-run")
	h.waitMaps()
	if n := eval[int](h, `document.querySelectorAll("#maps-images-table tbody tr").length`); n != 2 {
		h.t.Errorf("the maps after a cancelled one list %d images", n)
	}
}

// mapsPatchSameAsCLI (issue 15 item 4 in the page): the "Where it fails"
// view's patch-wise maps, computed by the sampler worker (proto.Patch),
// equal `otce map --patch` on the same files and settings: for OTCE and
// every other score mapped per patch, the page's map is the CLI's
// patch.npy / patch_<name>.npy bit for bit (float32; NaN where the CLI's
// is NaN), at the authors' stride 4 and at stride 1 (patches of one
// feature pixel over the two images: some hold one class or none, NaN).
func (h *harness) mapsPatchSameAsCLI(fx fixture) {
	const n, k = 500, 1
	h.load()
	h.setSetting("set-n", fmt.Sprint(n))
	h.setSetting("set-k", fmt.Sprint(k))
	h.setCandidate(1, "fixture", fx)
	h.setFiles("target-labels-files", fx.tl)
	h.click("run")
	h.waitState(3*time.Minute, "done")
	h.click("maps-run")
	h.waitMaps()
	for _, stride := range []int{4, 1} {
		args := []string{"-n", fmt.Sprint(n), "-k", fmt.Sprint(k), "--patch", fmt.Sprint(stride)}
		for flag, fs := range map[string][]string{"--source-features": fx.sf, "--source-labels": fx.sl, "--target-features": fx.tf, "--target-labels": fx.tl} {
			for _, f := range fs {
				args = append(args, flag, f)
			}
		}
		_, dir := h.cliMaps(args...)
		var cli struct {
			Patch struct {
				Rows, Cols int
				Metrics    []struct {
					Name      string `json:"name"`
					Undefined int    `json:"undefined"`
				} `json:"metrics"`
			} `json:"patch"`
		}
		raw, err := os.ReadFile(filepath.Join(dir, "maps.json"))
		if err != nil {
			h.t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &cli); err != nil {
			h.t.Fatal(err)
		}
		names := []string{"otce"}
		undefined := 0
		for _, m := range cli.Patch.Metrics {
			names = append(names, m.Name)
			undefined += m.Undefined
		}
		if len(names) < 3 || cli.Patch.Rows == 0 {
			h.t.Fatalf("stride %d: maps.json maps %v over %d×%d patches: want OTCE and the other scores", stride, names, cli.Patch.Rows, cli.Patch.Cols)
		}
		if stride == 1 && undefined == 0 {
			h.t.Errorf("stride 1: no undefined patch in maps.json: the test no longer covers NaN patches")
		}
		h.do(chromedp.SetValue(chromedp.ID("maps-patch-stride"), fmt.Sprint(stride)))
		eval[bool](h, `(delete globalThis.otcePatch, true)`)
		h.click("maps-patch-run")
		deadline := time.Now().Add(3 * time.Minute)
		for eval[string](h, `document.getElementById("maps-patch").dataset.state || ""`) != "ready" {
			if st := eval[string](h, `document.getElementById("maps-patch").dataset.state || ""`); st == "error" || time.Now().After(deadline) {
				h.t.Fatalf("stride %d: the patch maps are %q: %s", stride, st, eval[string](h, `document.getElementById("maps-patch-status").textContent`))
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got := eval[[]string](h, `[...document.getElementById("maps-patch-score").options].map(o => o.value)`); strings.Join(got, ",") != strings.Join(names, ",") {
			h.t.Errorf("stride %d: the page offers the maps %v, the CLI wrote %v", stride, got, names)
		}
		for _, name := range names {
			file := "patch.npy"
			if name != "otce" {
				file = "patch_" + name + ".npy"
			}
			want := readNPYBits(h, filepath.Join(dir, file))
			eval[bool](h, fmt.Sprintf(`(() => { const s = document.getElementById("maps-patch-score"); s.value = %q; s.dispatchEvent(new Event("change")); return true; })()`, name))
			if got := eval[string](h, `globalThis.otcePatch ? otcePatch.name + " " + otcePatch.stride + " " + otcePatch.rows + "×" + otcePatch.cols : "none"`); got != fmt.Sprintf("%s %d %d×%d", name, stride, cli.Patch.Rows, cli.Patch.Cols) {
				h.t.Fatalf("stride %d: the page shows %q, want %s at %d×%d", stride, got, name, cli.Patch.Rows, cli.Patch.Cols)
			}
			got := eval[[]uint32](h, `Array.from(otcePatch.bits)`)
			if len(got) != len(want) {
				h.t.Fatalf("stride %d %s: the page's map has %d values, the CLI's %d", stride, name, len(got), len(want))
			}
			diff, nans := 0, 0
			for p := range want {
				if math.IsNaN(float64(math.Float32frombits(got[p]))) && math.IsNaN(float64(math.Float32frombits(want[p]))) {
					nans++
					continue
				}
				if got[p] != want[p] {
					if diff == 0 {
						h.t.Errorf("stride %d %s patch %d: page %v, CLI %v", stride, name, p, math.Float32frombits(got[p]), math.Float32frombits(want[p]))
					}
					diff++
				}
			}
			if diff > 0 || nans == len(want) {
				h.t.Errorf("stride %d %s: %d of %d patches differ from the CLI's %s (%d NaN)", stride, name, diff, len(want), file, nans)
			}
			h.t.Logf("stride %d %s: %d patches the same bits as the CLI's %s (%d NaN)", stride, name, len(want)-diff, file, nans)
		}
	}
	h.screenshot("maps-patch.png")
}
