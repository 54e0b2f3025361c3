//go:build js && wasm

// Package blobfile reads a JS File or Blob as a dataset.File, inside a web
// worker: ReadAt reads blob.slice(off, off+len) with FileReaderSync, so a file
// of many gigabytes is read in the slabs the readers ask for and never whole.
package blobfile

import (
	"errors"
	"fmt"
	"io"
	"syscall/js"
)

// File is a File or Blob seen through io.ReaderAt.
type File struct {
	blob js.Value
	name string
	size int64
}

// New wraps a File or Blob. The name is the File's relative path when it came
// from a folder, else its name; name overrides both when not empty.
func New(blob js.Value, name string) *File {
	if name == "" {
		if p := blob.Get("webkitRelativePath"); p.Type() == js.TypeString && p.String() != "" {
			name = p.String()
		} else if n := blob.Get("name"); n.Type() == js.TypeString {
			name = n.String()
		}
	}
	return &File{blob: blob, name: name, size: int64(blob.Get("size").Float())}
}

// Name returns the file's name.
func (f *File) Name() string { return f.name }

// Size returns the file's size in bytes.
func (f *File) Size() int64 { return f.size }

var (
	reader   js.Value
	uint8Arr = js.Global().Get("Uint8Array")
)

// ReadAt implements io.ReaderAt.
func (f *File) ReadAt(p []byte, off int64) (n int, err error) {
	if off < 0 {
		return 0, fmt.Errorf("%s: negative offset", f.name)
	}
	if off >= f.size {
		return 0, io.EOF
	}
	end := off + int64(len(p))
	if end > f.size {
		end = f.size
	}
	if reader.IsUndefined() {
		ctor := js.Global().Get("FileReaderSync")
		if ctor.IsUndefined() {
			return 0, errors.New("FileReaderSync is not available (files can only be read inside a worker)")
		}
		reader = ctor.New()
	}
	defer func() {
		if r := recover(); r != nil {
			// FileReaderSync throws when the file changed or vanished on disk.
			n, err = 0, fmt.Errorf("%s: cannot read the file (was it changed or moved since it was chosen?): %v", f.name, r)
		}
	}()
	ab := reader.Call("readAsArrayBuffer", f.blob.Call("slice", float64(off), float64(end)))
	n = js.CopyBytesToGo(p, uint8Arr.New(ab))
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
