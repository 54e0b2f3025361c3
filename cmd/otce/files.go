package main

import (
	"container/list"
	"fmt"
	"io/fs"
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
// in name order with only the supported extensions kept. Symbolic links are
// followed (Hugging Face caches, DVC and hand-made splits are folders of
// links); an entry with a supported extension that is not a readable file
// — a dangling link, a loop of links, a named pipe — is an error naming it,
// never dropped in silence.
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
			full := filepath.Join(p, e.Name())
			info, err := os.Stat(full) // follows links
			if err != nil {
				if e.Type()&fs.ModeSymlink != 0 {
					return nil, fmt.Errorf("%s: a symbolic link that leads to no file: %v", full, errText(err))
				}
				return nil, fmt.Errorf("%s: %v", full, errText(err))
			}
			if info.IsDir() {
				continue // a folder (or a link to one) named like a file
			}
			if !info.Mode().IsRegular() {
				return nil, fmt.Errorf("%s: not a regular file but %s", full, fileKind(info.Mode()))
			}
			out = append(out, newLazyFile(full, info.Size()))
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no .npy, .npz, .safetensors, .png, .nii or .nii.gz file in this folder", p)
		}
	}
	return out, nil
}

// fileKind names a file mode that is not a regular file's.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
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
