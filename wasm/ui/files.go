//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"path"
	"sort"
	"syscall/js"

	"github.com/otceseg/otceseg/core/arrays"
	"honnef.co/go/js/dom/v2"
)

// isSupported reports whether the core reads the file (arrays.Extensions).
func isSupported(name string) bool { return arrays.IsSupported(name) }

// fileList is one input of a candidate (or the shared target labels): a file
// picker, a folder picker and a drop zone, with the chosen files listed and,
// next to each, its shape or the core's message about it.
type fileList struct {
	app     *app
	id      string
	root    dom.Element
	list    dom.Element
	files   []js.Value
	notes   map[string]note // by file name
	skipped int
	// demo is set while the list holds the demo's files: files the user
	// adds replace them instead of joining them.
	demo bool
}

type note struct {
	text string
	bad  bool
}

func fileName(f js.Value) string {
	if p := f.Get("webkitRelativePath"); p.Type() == js.TypeString && p.String() != "" {
		return p.String()
	}
	return f.Get("name").String()
}

func newFileList(a *app, id, title, hint string) *fileList {
	fl := &fileList{app: a, id: id, notes: map[string]note{}}
	files := el("input", attrs{"type": "file", "multiple": "", "id": id + "-files", "class": "visually-hidden", "aria-label": title + ": choose files"})
	folder := el("input", attrs{"type": "file", "webkitdirectory": "", "id": id + "-folder", "class": "visually-hidden", "aria-label": title + ": choose a folder"})
	clearBtn := el("button", attrs{"type": "button", "class": "link", "aria-label": "clear " + title}, "clear")
	fl.list = el("ul", attrs{"class": "files"})
	fl.root = el("div", attrs{"class": "drop", "id": id},
		el("div", attrs{"class": "drop-head"},
			el("span", attrs{"class": "drop-title"}, title),
			el("label", attrs{"class": "button small"}, "Files…", files),
			el("label", attrs{"class": "button small"}, "Folder…", folder),
			clearBtn),
		el("div", attrs{"class": "hint"}, hint+" Or drop files or a folder here."),
		fl.list)
	for _, in := range []dom.Element{files, folder} {
		in := in
		on(in, "change", func(dom.Event) {
			list := prop(in, "files")
			var fs []js.Value
			for i := 0; i < list.Length(); i++ {
				fs = append(fs, list.Index(i))
			}
			setValue(in, "")
			fl.add(fs)
		})
	}
	on(clearBtn, "click", func(dom.Event) { fl.set(nil) })
	on(fl.root, "dragover", func(ev dom.Event) {
		ev.PreventDefault()
		fl.root.Class().Add("over")
	})
	on(fl.root, "dragleave", func(dom.Event) { fl.root.Class().Remove("over") })
	on(fl.root, "drop", func(ev dom.Event) {
		ev.PreventDefault()
		fl.root.Class().Remove("over")
		// The entries must be taken now: the DataTransfer empties after the
		// event. Folders are read afterwards.
		items := ev.Underlying().Get("dataTransfer").Get("items")
		var entries []js.Value
		var plain []js.Value
		for i := 0; i < items.Length(); i++ {
			it := items.Index(i)
			if it.Get("kind").String() != "file" {
				continue
			}
			if fn := it.Get("webkitGetAsEntry"); fn.Type() == js.TypeFunction {
				if e := it.Call("webkitGetAsEntry"); e.Truthy() {
					entries = append(entries, e)
					continue
				}
			}
			if f := it.Call("getAsFile"); f.Truthy() {
				plain = append(plain, f)
			}
		}
		go func() {
			fs := plain
			for _, e := range entries {
				got, err := readEntry(context.Background(), e, "")
				if err != nil {
					fl.notes[e.Get("name").String()] = note{text: err.Error(), bad: true}
				}
				fs = append(fs, got...)
			}
			fl.add(fs)
		}()
	})
	fl.render()
	return fl
}

// readEntry reads a dropped FileSystemEntry: a file, or a folder recursively.
// Files keep their own names (pairing by stem ignores folders).
func readEntry(ctx context.Context, e js.Value, dir string) ([]js.Value, error) {
	promise := js.Global().Get("Promise")
	name := e.Get("name").String()
	if e.Get("isFile").Bool() {
		cb := js.FuncOf(func(_ js.Value, args []js.Value) any {
			e.Call("file", args[0], args[1])
			return nil
		})
		defer cb.Release()
		f, err := await(ctx, promise.New(cb))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path.Join(dir, name), err)
		}
		return []js.Value{f}, nil
	}
	if !e.Get("isDirectory").Bool() {
		return nil, nil
	}
	reader := e.Call("createReader")
	var out []js.Value
	for {
		cb := js.FuncOf(func(_ js.Value, args []js.Value) any {
			reader.Call("readEntries", args[0], args[1])
			return nil
		})
		batch, err := await(ctx, promise.New(cb))
		cb.Release()
		if err != nil {
			return out, fmt.Errorf("%s: %v", path.Join(dir, name), err)
		}
		if batch.Length() == 0 {
			break
		}
		for i := 0; i < batch.Length(); i++ {
			got, err := readEntry(ctx, batch.Index(i), path.Join(dir, name))
			if err != nil {
				return out, err
			}
			out = append(out, got...)
		}
	}
	return out, nil
}

// add adds files, replacing any of the same name, and skipping types the core
// does not read (a folder often holds other files).
func (fl *fileList) add(fs []js.Value) {
	if fl.app.running {
		return // the inputs are locked while a run reads them
	}
	if fl.demo && len(fs) > 0 {
		fl.files, fl.notes, fl.skipped, fl.demo = nil, map[string]note{}, 0, false
	}
	byName := map[string]int{}
	for i, f := range fl.files {
		byName[fileName(f)] = i
	}
	var added []js.Value
	for _, f := range fs {
		n := fileName(f)
		if !isSupported(n) {
			fl.skipped++
			continue
		}
		delete(fl.notes, n)
		if i, ok := byName[n]; ok {
			fl.files[i] = f
		} else {
			byName[n] = len(fl.files)
			fl.files = append(fl.files, f)
		}
		added = append(added, f)
	}
	sort.SliceStable(fl.files, func(i, j int) bool { return fileName(fl.files[i]) < fileName(fl.files[j]) })
	fl.render()
	fl.app.changed()
	if len(added) > 0 && len(added) <= 64 {
		go fl.inspect(added)
	}
}

// setDemo puts the demo's files in the list.
func (fl *fileList) setDemo(fs []js.Value) {
	fl.set(fs)
	fl.demo = true
}

func (fl *fileList) set(fs []js.Value) {
	fl.demo = false
	fl.files = nil
	fl.notes = map[string]note{}
	fl.skipped = 0
	fl.add(fs)
}

// inspect shows each file's arrays, or the reader's error, as soon as it is
// chosen. A run's error about the file, shown since (showError: a run
// started at once can end before the inspection), stays.
func (fl *fileList) inspect(fs []js.Value) {
	infos, err := fl.app.inspect(fs)
	if err != nil {
		return
	}
	for _, fi := range infos {
		if fi.Error != "" {
			fl.notes[fi.Name] = note{text: fi.Error, bad: true}
		} else if !fl.notes[fi.Name].bad {
			fl.notes[fi.Name] = note{text: fi.Info}
		}
	}
	fl.render()
}

// showError puts a message of the core next to file, the file it is about
// (report.Candidate's ErrorFile, from the core's arrays.FileError: the name
// the worker's reader was given, which is fileName's). It reports whether
// the list holds the file.
func (fl *fileList) showError(file, msg string) bool {
	if file == "" {
		return false
	}
	for _, f := range fl.files {
		if n := fileName(f); n == file {
			fl.notes[n] = note{text: msg, bad: true}
			fl.render()
			return true
		}
	}
	return false
}

func (fl *fileList) clearErrors() {
	for k, n := range fl.notes {
		if n.bad {
			delete(fl.notes, k)
		}
	}
	fl.render()
}

const listed = 12

func (fl *fileList) render() {
	clear(fl.list)
	var total float64
	for i, f := range fl.files {
		total += f.Get("size").Float()
		n := fileName(f)
		nt, has := fl.notes[n]
		if i >= listed && !(has && nt.bad) {
			continue
		}
		li := el("li", attrs{"data-file": n}, el("span", attrs{"class": "fname"}, n))
		if has {
			cls := "finfo"
			if nt.bad {
				cls = "ferror"
				li.Class().Add("bad")
			}
			add(li, " ", el("span", attrs{"class": cls}, nt.text))
		}
		fl.list.AppendChild(li)
	}
	if len(fl.files) > listed {
		add(fl.list, el("li", attrs{"class": "more"}, fmt.Sprintf("… %d files in all", len(fl.files))))
	}
	if len(fl.files) > 0 {
		add(fl.list, el("li", attrs{"class": "more"}, fmt.Sprintf("%d file(s), %s", len(fl.files), size(total))))
	}
	if fl.skipped > 0 {
		add(fl.list, el("li", attrs{"class": "more"}, fmt.Sprintf("%d file(s) of other types skipped (reads %s)", fl.skipped, arrays.Supported)))
	}
	fl.root.Class().Remove("empty")
	if len(fl.files) == 0 {
		fl.root.Class().Add("empty")
	}
}

func size(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.0f kB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// isBundle reports whether every file is an .npz or .safetensors bundle,
// which may hold the labels next to the features.
func isBundle(fs []js.Value) bool {
	if len(fs) == 0 {
		return false
	}
	for _, f := range fs {
		if !arrays.IsBundle(fileName(f)) {
			return false
		}
	}
	return true
}
