//go:build js && wasm

// Command ui is the page of the browser app: it holds the settings and the
// candidates' files, coordinates the web workers that score them (the
// solver's reduce between half-iterations runs here, the rows of the kernel
// in the workers), and draws the progress, the results and the charts.
package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/otceseg/otceseg/core/settings"
	"github.com/otceseg/otceseg/wasm/internal/proto"
	"honnef.co/go/js/dom/v2"
)

type app struct {
	target   *fileList // target labels, shared
	candBox  dom.Element
	cands    []*candidate
	nextID   int
	settings []*setting
	workers  dom.Element // the --workers input
	setErr   dom.Element
	runBtn   dom.Element
	stopBtn  dom.Element
	demoBtn  dom.Element
	demoKind dom.Element // which demo: "images" or "volumes"
	status   dom.Element
	progress *progressView
	results  *resultsView
	maps     *mapsView
	confirm  *confirmView

	poolMu sync.Mutex
	pool   *pool
	poolN  int

	running bool
	cancel  context.CancelFunc
}

type candidate struct {
	id       int
	demo     bool // the demo's, as loaded
	root     dom.Element
	name     dom.Element
	acc      dom.Element
	sf, sl   *fileList
	tf       *fileList
	msg      dom.Element
	progress dom.Element
}

func main() {
	// The page allocates a few hundred kilobytes of replies per round of
	// block operations and holds little: collect less often (measured at
	// N = 10⁴: decoding the replies took 0.76 s instead of 1.38 s a run).
	debug.SetGCPercent(400)
	a := &app{}
	a.build()
	setState("idle")
	// Start the workers now, while the user picks files: they compile and
	// warm up (warm) before the first run needs them.
	go a.ensurePool(context.Background(), a.workerCount())
	select {}
}

func setState(s string) {
	doc.(dom.HTMLDocument).Body().SetAttribute("data-state", s)
}

func (a *app) build() {
	main := byID("app")
	clear(main)

	a.target = newFileList(a, "target-labels", "Target labels",
		"The label maps of your target images or volumes (.png, .npy, .nii, .nii.gz, or inside the bundles), shared by every candidate.")
	a.candBox = el("div", attrs{"id": "candidates"})
	addBtn := el("button", attrs{"type": "button", "id": "add-candidate"}, "Add candidate")
	a.demoBtn = el("button", attrs{"type": "button", "id": "load-demo"}, "Load demo")
	a.demoKind = el("select", attrs{"id": "demo-kind", "aria-label": "Demo data"},
		el("option", attrs{"value": "images"}, "2-D images"),
		el("option", attrs{"value": "volumes"}, "3-D volumes (NIfTI)"))
	accIn := el("input", attrs{"type": "file", "accept": ".csv,text/csv", "id": "accuracy-csv", "class": "visually-hidden"})
	a.status = el("p", attrs{"id": "status", "class": "status", "role": "status", "aria-live": "polite"})
	a.runBtn = el("button", attrs{"type": "button", "id": "run", "class": "primary"}, "Run")
	a.stopBtn = el("button", attrs{"type": "button", "id": "cancel", "disabled": ""}, "Cancel")
	a.progress = newProgressView()
	a.results = newResultsView()
	a.maps = newMapsView(a)
	a.setErr = el("p", attrs{"class": "error", "id": "settings-error", "hidden": ""})
	a.confirm = newConfirmView()

	add(main,
		el("section", attrs{"id": "inputs"},
			el("h2", "1. Files"),
			el("p", attrs{"class": "note"},
				"Each candidate is a pretrained model: its features of your source images with their labels, and its features of your target images. ",
				"Features are .npy, .npz or .safetensors arrays (N×C pixels, C×H×W, H×W×C, volumes C×D×H×W, D×H×W×C, or batches); labels are .png, NIfTI (.nii, .nii.gz) or integer arrays. ",
				"Many per-image files are paired by name, as in the command-line tool. Nothing is uploaded: the files are read here, in this tab."),
			a.target.root,
			a.candBox,
			el("div", attrs{"class": "row"},
				addBtn, a.demoBtn, a.demoKind,
				el("label", attrs{"class": "button"}, "Accuracies from CSV…", accIn),
				el("span", attrs{"class": "hint"}, "A CSV of name,accuracy lines fills the known transfer accuracies."))),
		a.buildSettings(),
		el("section", attrs{"id": "runbox"},
			el("h2", "3. Run"),
			el("div", attrs{"class": "row"}, a.runBtn, a.stopBtn),
			a.status,
			a.progress.root),
		a.results.root,
		a.maps.root,
		a.confirm.root)

	a.addCandidate()
	on(addBtn, "click", func(dom.Event) { a.addCandidate() })
	on(a.demoBtn, "click", func(dom.Event) { go a.loadDemo() })
	on(a.runBtn, "click", func(dom.Event) { a.start() })
	on(a.stopBtn, "click", func(dom.Event) { a.stop() })
	on(accIn, "change", func(dom.Event) {
		list := prop(accIn, "files")
		if list.Length() == 0 {
			return
		}
		f := list.Index(0)
		setValue(accIn, "")
		go a.loadAccuracies(f)
	})
	a.status.SetTextContent("Add the files of your candidates, or try the demo.")
}

func (a *app) addCandidate() *candidate {
	a.nextID++
	id := a.nextID
	c := &candidate{id: id}
	pre := fmt.Sprintf("cand-%d", id)
	c.name = field(fmt.Sprintf("model-%d", id), 16, attrs{"id": pre + "-name"})
	c.acc = field("", 8, attrs{"inputmode": "decimal", "id": pre + "-acc", "placeholder": "optional"})
	c.sf = newFileList(a, pre+"-sf", "Source features", "The model's features of the source images.")
	c.sl = newFileList(a, pre+"-sl", "Source labels", "The source images' label maps (not needed when the feature bundles hold them).")
	c.tf = newFileList(a, pre+"-tf", "Target features", "The model's features of the target images.")
	c.msg = el("p", attrs{"class": "error", "id": pre + "-error", "hidden": ""})
	c.progress = el("div", attrs{"class": "cand-progress", "id": pre + "-progress"})
	remove := el("button", attrs{"type": "button", "class": "link", "title": "remove this candidate", "aria-label": fmt.Sprintf("remove candidate %d", id)}, "remove")
	c.root = el("div", attrs{"class": "candidate", "id": pre},
		el("div", attrs{"class": "cand-head"},
			el("span", linkLabel(el("label", attrs{"id": pre + "-name-label"}, "Name"), c.name), " ", c.name),
			el("span", linkLabel(el("label", attrs{"id": pre + "-acc-label"}, "Known accuracy"), c.acc), " ", c.acc),
			remove),
		el("div", attrs{"class": "cand-files"}, c.sf.root, c.sl.root, c.tf.root),
		c.msg, c.progress)
	drop := func() {
		c.root.Remove()
		for i, x := range a.cands {
			if x == c {
				a.cands = append(a.cands[:i], a.cands[i+1:]...)
				break
			}
		}
		// The demo's target labels go with its last candidate: they would
		// join the user's own and fail the pairing.
		for _, x := range a.cands {
			if x.demo {
				return
			}
		}
		if a.target.demo {
			a.target.set(nil)
		}
	}
	on(remove, "click", func(dom.Event) {
		if a.running {
			return
		}
		// A candidate with files of the user's is removed after a question.
		n := 0
		for _, fl := range []*fileList{c.sf, c.sl, c.tf} {
			if !fl.demo {
				n += len(fl.files)
			}
		}
		if n == 0 {
			drop()
			return
		}
		a.confirm.ask(fmt.Sprintf("Remove the candidate %s and its %d file(s) from the page? (Your files on disk stay as they are.)", strings.TrimSpace(value(c.name)), n),
			"Remove", drop)
	})
	a.candBox.AppendChild(c.root)
	a.cands = append(a.cands, c)
	return c
}

// changed is called when files change: results on the page are then of
// other files.
func (a *app) changed() {
	a.results.markStaleFiles("the files have changed since this run; these results were made from the earlier ones, with the settings below.")
	// The maps are offered for the run's files: gone with them.
	if !a.maps.busy {
		a.maps.clear()
	}
}

// ensurePool returns a pool of n workers, starting one if needed.
func (a *app) ensurePool(ctx context.Context, n int) (*pool, error) {
	a.poolMu.Lock()
	defer a.poolMu.Unlock()
	if a.pool != nil && a.poolN == n && a.pool.alive() {
		return a.pool, nil
	}
	if a.pool != nil {
		a.pool.terminate()
		a.pool = nil
	}
	p, err := newPool(ctx, n)
	if err != nil {
		return nil, err
	}
	a.pool, a.poolN = p, n
	warm(p)
	return p, nil
}

// warm has every worker of a new pool score the built-in demo once (see
// proto.Warm), in the background: a request that comes meanwhile waits
// behind it. The body's data-warm attribute counts the pools warmed.
func warm(p *pool) {
	go func() {
		t0 := time.Now()
		all(context.Background(), p, nil, func(int) *proto.Warm { return &proto.Warm{} })
		body := doc.(dom.HTMLDocument).Body()
		n, _ := strconv.Atoi(body.GetAttribute("data-warm"))
		body.SetAttribute("data-warm", strconv.Itoa(n+1))
		js.Global().Set("otceWarmSeconds", time.Since(t0).Seconds())
	}()
}

// dropPool terminates the workers (Cancel, or a worker was lost).
func (a *app) dropPool() {
	a.poolMu.Lock()
	defer a.poolMu.Unlock()
	if a.pool != nil {
		a.pool.terminate()
		a.pool = nil
	}
}

// inspect opens the headers of files in a worker.
func (a *app) inspect(fs []js.Value) ([]proto.FileInfo, error) {
	a.poolMu.Lock()
	p := a.pool
	a.poolMu.Unlock()
	if p == nil {
		var err error
		if p, err = a.ensurePool(context.Background(), a.workerCount()); err != nil {
			return nil, err
		}
	}
	w := p.workers[len(p.workers)-1]
	resp, err := call(context.Background(), w, &proto.Inspect{Files: fs})
	if err != nil {
		return nil, err
	}
	return resp.Files, nil
}

// workerCount is the --workers setting: 0 means the number of logical
// processors, capped at 8.
func (a *app) workerCount() int {
	w, err := settings.ParseWhole(strings.TrimSpace(value(a.workers))) // as readSettings
	n := int(min(max(w, 0), 1<<20))
	if err != nil || n <= 0 {
		n = js.Global().Get("navigator").Get("hardwareConcurrency").Int()
		if n <= 0 {
			n = 4
		}
		if n > 8 {
			n = 8
		}
	}
	if n > 64 {
		n = 64
	}
	return n
}

// loadAccuracies reads a CSV of name,accuracy lines.
func (a *app) loadAccuracies(f js.Value) {
	text, err := await(context.Background(), f.Call("text"))
	if err != nil {
		a.status.SetTextContent("Cannot read " + f.Get("name").String() + ": " + err.Error())
		return
	}
	r := csv.NewReader(strings.NewReader(text.String()))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	set, unknown := 0, []string{}
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			a.status.SetTextContent(fmt.Sprintf("%s: %v", f.Get("name").String(), err))
			return
		}
		if len(rec) < 2 {
			continue
		}
		name := strings.TrimSpace(rec[0])
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err != nil {
			if line == 1 {
				continue // a header
			}
			a.status.SetTextContent(fmt.Sprintf("%s: line %d: accuracy %q is not a number", f.Get("name").String(), line, rec[1]))
			return
		}
		found := false
		for _, c := range a.cands {
			if strings.TrimSpace(value(c.name)) == name {
				setValue(c.acc, strconv.FormatFloat(v, 'g', -1, 64))
				found = true
			}
		}
		if found {
			set++
		} else {
			unknown = append(unknown, name)
		}
	}
	msg := fmt.Sprintf("Accuracies set for %d candidate(s).", set)
	if len(unknown) > 0 {
		msg += " No candidate named " + strings.Join(unknown, ", ") + "."
	}
	a.status.SetTextContent(msg)
}

// accuracy parses a candidate's accuracy field.
func (c *candidate) accuracy() (*float64, error) {
	s := strings.TrimSpace(value(c.acc))
	if s == "" {
		return nil, nil
	}
	s = strings.TrimSuffix(s, "%")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("accuracy %q is not a number", value(c.acc))
	}
	return &v, nil
}

func (c *candidate) setError(msg string) {
	c.msg.SetTextContent(msg)
	show(c.msg, msg != "")
}

// hasWork reports whether the page holds files or entries of the user's
// (not the demo's, which the demo can give back at any time).
func (a *app) hasWork() bool {
	lists := []*fileList{a.target}
	for _, c := range a.cands {
		lists = append(lists, c.sf, c.sl, c.tf)
		if !c.demo && strings.TrimSpace(value(c.acc)) != "" {
			return true
		}
	}
	for _, fl := range lists {
		if len(fl.files) > 0 && !fl.demo {
			return true
		}
	}
	return false
}

// loadDemo replaces the candidates and the target labels with the built-in
// demo's, after asking when that would discard the user's files. It does
// not run them: the user presses Run, with the settings on the page.
func (a *app) loadDemo() {
	if a.running {
		return
	}
	if !a.hasWork() {
		a.replaceWithDemo()
		return
	}
	n := 0
	for _, c := range a.cands {
		if len(c.sf.files)+len(c.sl.files)+len(c.tf.files) > 0 && !c.sf.demo {
			n++
		}
	}
	a.confirm.ask(fmt.Sprintf("Load the demo? It replaces your %d candidate(s) with files and the %d target label file(s) on the page.",
		n, len(a.target.files)), "Replace with the demo", func() { go a.replaceWithDemo() })
}

// replaceWithDemo puts the demo's candidates and target labels on the page.
func (a *app) replaceWithDemo() {
	if a.running {
		return
	}
	doc.(dom.HTMLDocument).Body().SetAttribute("data-demo", "")
	demo, err := demoCandidates(value(a.demoKind) == "volumes")
	if err != nil {
		a.status.SetTextContent("Cannot build the demo: " + err.Error())
		return
	}
	for _, c := range a.cands {
		c.root.Remove()
	}
	a.cands = nil
	var tl []js.Value
	for _, d := range demo {
		c := a.addCandidate()
		c.demo = true
		setValue(c.name, d.name)
		if d.accuracy != nil {
			setValue(c.acc, strconv.FormatFloat(*d.accuracy, 'g', -1, 64))
		}
		c.sf.setDemo(d.sf)
		c.sl.setDemo(d.sl)
		c.tf.setDemo(d.tf)
		if tl == nil {
			tl = d.tl
		}
	}
	a.target.setDemo(tl)
	a.demoN()
	a.results.markStaleFiles("the demo's candidates replaced the earlier ones; these results are of those, with the settings below.")
	a.status.SetTextContent(fmt.Sprintf("Demo loaded: %d candidates with known accuracies. Press Run to score them with the settings below; files you add to a list replace the demo's.", len(demo)))
	doc.(dom.HTMLDocument).Body().SetAttribute("data-demo", "loaded")
}
