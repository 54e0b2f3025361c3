package main

import (
	"container/list"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/otceseg/otceseg/core/arrays"
	"github.com/otceseg/otceseg/core/dataset"
)

// Supported input extensions when a directory is given.
var inputExts = []string{".npy", ".npz", ".safetensors", ".png", ".nii", ".nii.gz"}

// expand turns paths (files or directories) into files, directories listed
// in name order with only the supported extensions kept.
func expand(paths []string) ([]dataset.File, error) {
	var out []dataset.File
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p, errText(err))
		}
		if !st.IsDir() {
			out = append(out, newLazyFile(p, st.Size()))
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p, errText(err))
		}
		n := 0
		for _, e := range ents {
			ext := arrays.Extension(e.Name())
			if e.IsDir() || !slices.Contains(inputExts, ext) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return nil, fmt.Errorf("%s: %v", filepath.Join(p, e.Name()), errText(err))
			}
			if !info.Mode().IsRegular() {
				continue
			}
			out = append(out, newLazyFile(filepath.Join(p, e.Name()), info.Size()))
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no .npy, .npz, .safetensors, .png, .nii or .nii.gz file in this folder", p)
		}
	}
	return out, nil
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// lazyFile is a dataset.File that keeps its descriptor open only while it is
// among the most recently used, so that folders of thousands of files do not
// exhaust the process's descriptors.
type lazyFile struct {
	path string
	size int64
	elem *list.Element
	f    *os.File
}

const maxOpen = 64

var (
	openMu  sync.Mutex
	openLRU = list.New()
)

func newLazyFile(path string, size int64) *lazyFile { return &lazyFile{path: path, size: size} }

func (l *lazyFile) Name() string { return l.path }
func (l *lazyFile) Size() int64  { return l.size }

func (l *lazyFile) ReadAt(p []byte, off int64) (int, error) {
	openMu.Lock()
	if l.f == nil {
		f, err := os.Open(l.path)
		if err != nil {
			openMu.Unlock()
			return 0, err
		}
		l.f = f
		l.elem = openLRU.PushFront(l)
		for openLRU.Len() > maxOpen {
			old := openLRU.Remove(openLRU.Back()).(*lazyFile)
			old.f.Close()
			old.f, old.elem = nil, nil
		}
	} else {
		openLRU.MoveToFront(l.elem)
	}
	f := l.f
	// Reads run under the lock: the descriptor may not be closed mid-read.
	defer openMu.Unlock()
	return f.ReadAt(p, off)
}
