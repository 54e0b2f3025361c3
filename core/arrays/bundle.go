package arrays

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// Bundle is a multi-array container: an .npz or a .safetensors file. Its
// arrays are opened by name with [Bundle.Array].
type Bundle struct {
	name  string
	names []string             // sorted
	zip   map[string]*zip.File // .npz members by name without ".npy"
	st    map[string]*Array    // .safetensors tensors
	r     io.ReaderAt
	size  int64
}

// Names returns the names of the bundle's arrays, sorted. The names of .npz
// members are given without their ".npy" suffix, as NumPy gives them.
func (b *Bundle) Names() []string { return slices.Clone(b.names) }

// Array returns the array with the given name. For .npz files the name may
// be given with or without the ".npy" suffix of the member's file name.
// If there is no such array, the error lists the names there are.
func (b *Bundle) Array(name string) (*Array, error) {
	if b.zip != nil {
		f, ok := b.zip[name]
		if !ok {
			name = strings.TrimSuffix(name, ".npy")
			f, ok = b.zip[name]
		}
		if ok {
			return b.openMember(name, f)
		}
	} else if a, ok := b.st[name]; ok {
		c := *a
		c.Shape = slices.Clone(a.Shape)
		return &c, nil
	}
	return nil, fmt.Errorf("%s: no array %s (has: %s)", b.name, quote(name), listNames(b.names))
}

// listNames lists names for a message, shortening a long list.
func listNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	const limit = 20
	var sb strings.Builder
	for i, n := range names {
		if i == limit {
			fmt.Fprintf(&sb, ", and %d more", len(names)-limit)
			break
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		if len(n) > 60 || strings.ContainsAny(n, ", \n\r\t\"") {
			n = quote(n)
		}
		sb.WriteString(n)
	}
	return sb.String()
}

// OpenNPZ parses the directory of an .npz file, a zip archive of .npy files
// such as np.savez and np.savez_compressed write, of the given size read
// through r. The members are parsed when opened by [Bundle.Array].
//
// Members stored without compression are read directly at their offset in
// the file. Deflated members cannot be read at random, so the arrays of such
// members read them as a stream from the start, in one forward pass per call
// of Gather or ReadRange. No member is ever inflated past the length its
// .npy header implies, and a member whose header claims more data than the
// zip directory says the member holds is an error.
func OpenNPZ(r io.ReaderAt, size int64, name string) (*Bundle, error) {
	if size < 0 {
		return nil, fmt.Errorf("%s: negative file size %d", name, size)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("%s: not an .npz file: %v", name, err)
	}
	zr.RegisterDecompressor(zip.Deflate, newInflater)
	b := &Bundle{name: name, zip: make(map[string]*zip.File), r: r, size: size}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue // a directory
		}
		key := strings.TrimSuffix(f.Name, ".npy")
		if _, dup := b.zip[key]; dup {
			continue
		}
		b.zip[key] = f
		b.names = append(b.names, key)
	}
	slices.Sort(b.names)
	return b, nil
}

// openMember parses the .npy header of an .npz member.
func (b *Bundle) openMember(key string, f *zip.File) (*Array, error) {
	name := b.name + ":" + key
	switch f.Method {
	case zip.Store:
		off, err := f.DataOffset()
		if err != nil {
			return nil, fmt.Errorf("%s: bad zip entry: %v", name, err)
		}
		n := f.CompressedSize64
		if off < 0 || off > b.size || n > uint64(b.size-off) {
			return nil, fmt.Errorf("%s: truncated: member of %d bytes at offset %d runs past the end of the file (%d bytes)", name, n, off, b.size)
		}
		h, err := readNPYHeader(io.NewSectionReader(b.r, off, int64(n)), int64(n), name, "member")
		if err != nil {
			return nil, err
		}
		src := &atSource{r: b.r, base: off + h.dataOff}
		return newArray(name, h.shape, h.dtype, h.fortran, h.n, src), nil
	case zip.Deflate:
		usize := int64(min(f.UncompressedSize64, maxInt64))
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: bad zip entry: %v", name, err)
		}
		h, err := readNPYHeader(rc, usize, name, "member")
		if err != nil {
			rc.Close()
			return nil, err
		}
		data := h.n * int64(h.dtype.Size)
		open := func() (io.Reader, io.Closer, error) {
			rc, err := f.Open()
			if err != nil {
				return nil, nil, err
			}
			if _, err := io.CopyN(io.Discard, rc, h.dataOff); err != nil {
				rc.Close()
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, nil, err
			}
			return io.LimitReader(rc, data), rc, nil
		}
		src := &streamSource{open: open, r: io.LimitReader(rc, data), c: rc}
		return newArray(name, h.shape, h.dtype, h.fortran, h.n, src), nil
	}
	return nil, fmt.Errorf("%s: unsupported zip compression method %d", name, f.Method)
}

// inflateBuffer is the size of the reads of compressed data. The flate
// package's own buffer of 4 KiB would make many small reads, each costly
// when r is a browser Blob read in slices.
const inflateBuffer = 128 << 10

// inflater is a deflate decompressor reading through a large buffer. Closed
// inflaters go back to a pool, as archive/zip's own do.
type inflater struct {
	br *bufio.Reader
	fr io.ReadCloser // also a flate.Resetter
}

var inflaters sync.Pool

func newInflater(r io.Reader) io.ReadCloser {
	if f, ok := inflaters.Get().(*inflater); ok {
		f.br.Reset(r)
		if err := f.fr.(flate.Resetter).Reset(f.br, nil); err == nil {
			return f
		}
	}
	br := bufio.NewReaderSize(r, inflateBuffer)
	return &inflater{br: br, fr: flate.NewReader(br)}
}

func (f *inflater) Read(p []byte) (int, error) { return f.fr.Read(p) }

// Close returns f to the pool; f must not be used afterwards.
func (f *inflater) Close() error {
	f.br.Reset(nil)
	inflaters.Put(f)
	return nil
}
