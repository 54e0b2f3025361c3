//go:build js && wasm

// Package blobfile reads a JS File or Blob as a dataset.File, inside a web
// worker: ReadAt reads blob.slice(off, off+len) with FileReaderSync, so a file
// of many gigabytes is read in the slabs the readers ask for and never whole.
//
// A read of FileReaderSync costs a fixed time besides its bytes: reading a
// 40 MB file (d = 256 features of a 200×200 image) in Chromium took 120–170
// ms in slices of 4 MiB (core/arrays' slab) and about 50 ms in slices of 16
// MiB (e2e TestPingPong with OTCE_PINGPONG_FILE, loaded machine). So when
// the reads go forward through a file (each starting at most seqGap after
// the last one's end), a File reads ahead of what was asked, twice as far
// each time up to aheadMax, and answers the next reads from those bytes; a
// read elsewhere reads what it asks for only. The bytes read ahead stay in
// JavaScript (not in the worker's WebAssembly memory), for one File of the
// worker at a time. A read-ahead is at most twice the last read, so a run
// of forward reads reads at most about twice the bytes it asks for (the
// last read-ahead unused), and only through gaps that core/arrays reads
// through itself (seqGap is below its maxGap).
package blobfile

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"syscall/js"
	"time"
)

// File is a File or Blob seen through io.ReaderAt.
type File struct {
	blob js.Value
	name string
	size int64
	// read returns the bytes [off, end) of the file as a Uint8Array (nil:
	// FileReaderSync on blob; tests set their own).
	read func(off, end int64) js.Value

	// The read-ahead, under mu: the bytes [aheadOff, aheadOff+aheadLen)
	// (a Uint8Array, undefined for none); lastEnd is where the last read
	// ended (-1: none yet), window the bytes the last read from the file
	// read.
	ahead              js.Value
	aheadOff, aheadLen int64
	lastEnd, window    int64
}

const (
	// aheadMax is the most bytes a File reads at once ahead of a read.
	aheadMax = 16 << 20
	// seqGap is the largest gap after the last read's end for which a
	// read still counts as going forward (core/arrays skips gaps up to
	// a few kB between the elements it gathers).
	seqGap = 64 << 10
)

var (
	// mu guards every File's read-ahead and limit; holder is the File
	// whose read-ahead is kept: one at a time.
	mu     sync.Mutex
	holder *File
	// limit is the most bytes a File reads ahead (SetAheadMax).
	limit int64 = aheadMax
)

// Forget drops the bytes read ahead, whichever File holds them (the next
// read of that File reads again): a worker calls it when it is done
// reading for a while, so that up to aheadMax bytes of JavaScript memory do
// not stay with it through a solve.
func Forget() {
	mu.Lock()
	defer mu.Unlock()
	if holder != nil {
		holder.dropAhead()
	}
}

// SetAheadMax sets the most bytes a File reads ahead of a read going
// forward: n if positive, aheadMax if 0, none if negative (for tests and
// the benchmark, which compares the two).
func SetAheadMax(n int64) {
	mu.Lock()
	defer mu.Unlock()
	switch {
	case n > 0:
		limit = n
	case n == 0:
		limit = aheadMax
	default:
		limit = 0
	}
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
	return &File{blob: blob, name: name, size: int64(blob.Get("size").Float()), lastEnd: -1}
}

// Name returns the file's name.
func (f *File) Name() string { return f.name }

// Size returns the file's size in bytes.
func (f *File) Size() int64 { return f.size }

var (
	reader   js.Value
	uint8Arr = js.Global().Get("Uint8Array")
)

// Reads are the reads of every File of this worker since it started, for
// the benchmark: the reads from the files (ReadAt's calls that were not
// answered from a read-ahead), their bytes (read-ahead included), and
// their seconds (FileReaderSync and the copy into the Go memory).
type Reads struct {
	Calls   int64
	Bytes   int64
	Seconds float64
}

var readCalls, readBytes, readNanos atomic.Int64

// ReadsSoFar returns the reads of every File of this worker so far.
func ReadsSoFar() Reads {
	return Reads{Calls: readCalls.Load(), Bytes: readBytes.Load(), Seconds: float64(readNanos.Load()) / 1e9}
}

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
	mu.Lock()
	defer mu.Unlock()
	if f.ahead.Type() == js.TypeObject && off >= f.aheadOff && off < f.aheadOff+f.aheadLen {
		// From the read-ahead, as far as it goes; the rest is a read
		// forward from its end.
		upto := min(end, f.aheadOff+f.aheadLen)
		n = js.CopyBytesToGo(p, f.ahead.Call("subarray", float64(off-f.aheadOff), float64(upto-f.aheadOff)))
		f.lastEnd = upto
		if upto == end || n < int(upto-off) {
			return n, eofIf(n < len(p))
		}
		m, err := f.readFrom(p[n:end-off], upto)
		n += m
		if err != nil {
			return n, err
		}
		return n, eofIf(n < len(p))
	}
	n, err = f.readFrom(p[:end-off], off)
	if err != nil {
		return n, err
	}
	return n, eofIf(n < len(p))
}

// readFrom fills p, which ends within the file, from offset off of the
// file, reading ahead when the reads go forward (under mu).
func (f *File) readFrom(p []byte, off int64) (n int, err error) {
	end := off + int64(len(p))
	// Forward from the last read: read ahead, twice as far as last time.
	want := end - off
	if f.lastEnd >= 0 && off >= f.lastEnd && off-f.lastEnd <= seqGap {
		want = max(want, min(2*f.window, limit))
	}
	upto := min(f.size, off+want)
	f.dropAhead()
	defer func() {
		if r := recover(); r != nil {
			// FileReaderSync throws when the file changed or vanished on disk.
			n, err = 0, fmt.Errorf("%s: cannot read the file (was it changed or moved since it was chosen?): %v", f.name, r)
		}
	}()
	t0 := time.Now()
	u8, err := f.readRange(off, upto)
	if err != nil {
		return 0, err
	}
	n = js.CopyBytesToGo(p, u8)
	got := int64(u8.Length()) // less than asked if the file shrank
	readCalls.Add(1)
	readBytes.Add(got)
	readNanos.Add(int64(time.Since(t0)))
	f.lastEnd, f.window = end, upto-off
	if got > end-off {
		if holder != nil && holder != f {
			holder.dropAhead()
		}
		f.ahead, f.aheadOff, f.aheadLen, holder = u8, off, got, f
	}
	return n, nil
}

// eofIf returns io.EOF if short, nil otherwise.
func eofIf(short bool) error {
	if short {
		return io.EOF
	}
	return nil
}

// dropAhead forgets f's read-ahead (under mu).
func (f *File) dropAhead() {
	f.ahead, f.aheadOff, f.aheadLen = js.Undefined(), 0, 0
	if holder == f {
		holder = nil
	}
}

// readRange returns the bytes [off, end) of the file as a Uint8Array.
func (f *File) readRange(off, end int64) (js.Value, error) {
	if f.read != nil {
		return f.read(off, end), nil
	}
	if reader.IsUndefined() {
		ctor := js.Global().Get("FileReaderSync")
		if ctor.IsUndefined() {
			return js.Undefined(), errors.New("FileReaderSync is not available (files can only be read inside a worker)")
		}
		reader = ctor.New()
	}
	return uint8Arr.New(reader.Call("readAsArrayBuffer", f.blob.Call("slice", float64(off), float64(end)))), nil
}
