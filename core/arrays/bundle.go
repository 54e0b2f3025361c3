package arrays

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
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
	return nil, Errorf(b.name, "no array %s (has: %s)", quote(name), listNames(b.names))
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
//
// Two members of the same name (or "x" and "x.npy") are an error: NumPy
// reads the last, and two tools would disagree in silence. CRC-32s are
// checked where the member is read whole: a stored member of at most 16 MiB
// when it is opened, a deflated member at the end of every pass that reaches
// the end of its data (inflating at most 1 MiB more to reach the member's
// end). A larger stored member is read only where sampled, and a damaged
// byte outside what is read cannot be detected.
func OpenNPZ(r io.ReaderAt, size int64, name string) (*Bundle, error) {
	if size < 0 {
		return nil, Errorf(name, "negative file size %d", size)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, Errorf(name, "not an .npz file: %v", err)
	}
	zr.RegisterDecompressor(zip.Deflate, newInflater)
	b := &Bundle{name: name, zip: make(map[string]*zip.File), r: r, size: size}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue // a directory
		}
		key := strings.TrimSuffix(f.Name, ".npy")
		if g, dup := b.zip[key]; dup {
			// np.load keeps the last, a reader of the first would
			// disagree with it in silence.
			return nil, Errorf(name, "two members named %s (%s and %s): NumPy reads the last, other tools the first; write the file again", quote(key), quote(g.Name), quote(f.Name))
		}
		b.zip[key] = f
		b.names = append(b.names, key)
	}
	slices.Sort(b.names)
	return b, nil
}

// openMember parses the .npy header of an .npz member.
func (b *Bundle) openMember(key string, f *zip.File) (*Array, error) {
	at := loc{b.name, key}
	switch f.Method {
	case zip.Store:
		off, err := f.DataOffset()
		if err != nil {
			return nil, at.errorf("bad zip entry: %v", err)
		}
		n := f.CompressedSize64
		if off < 0 || off > b.size || n > uint64(b.size-off) {
			return nil, at.errorf("truncated: member of %d bytes at offset %d runs past the end of the file (%d bytes)", n, off, b.size)
		}
		if n <= maxCheckedMember {
			// A small member is read whole once to check its CRC.
			crc := crc32.NewIEEE()
			if _, err := io.Copy(crc, io.NewSectionReader(b.r, off, int64(n))); err != nil {
				return nil, at.errorf("reading: %v", err)
			}
			if crc.Sum32() != f.CRC32 {
				return nil, at.errorf("damaged: CRC-32 of the member is %08x, the zip directory says %08x", crc.Sum32(), f.CRC32)
			}
		}
		h, err := readNPYHeader(io.NewSectionReader(b.r, off, int64(n)), int64(n), at, "member")
		if err != nil {
			return nil, err
		}
		src := &atSource{r: b.r, base: off + h.dataOff}
		return newArray(at, h.shape, h.dtype, h.fortran, h.n, src), nil
	case zip.Deflate:
		usize := int64(min(f.UncompressedSize64, maxInt64))
		rc, err := f.Open()
		if err != nil {
			return nil, at.errorf("bad zip entry: %v", err)
		}
		h, err := readNPYHeader(rc, usize, at, "member")
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
			return newCRCAtEnd(rc, data, usize-h.dataOff-data), rc, nil
		}
		src := &streamSource{open: open, r: newCRCAtEnd(rc, data, usize-h.dataOff-data), c: rc}
		return newArray(at, h.shape, h.dtype, h.fortran, h.n, src), nil
	}
	return nil, at.errorf("unsupported zip compression method %d", f.Method)
}

// maxCheckedMember is the size up to which a stored (uncompressed) .npz
// member is read whole at opening to check its CRC-32; a larger one is read
// only where sampled, and its CRC cannot be checked.
const maxCheckedMember = 16 << 20

// maxCheckedTail bounds what is inflated past a deflated member's data to
// reach the end of the member, where archive/zip checks its CRC-32.
const maxCheckedTail = 1 << 20

// crcAtEnd reads a deflated member's data; when a pass reaches the data's
// end it inflates the rest of the member (normally nothing, at most
// maxCheckedTail bytes), so that archive/zip checks the member's CRC-32 and
// size, and a damaged member is an error rather than a score.
type crcAtEnd struct {
	lim  io.LimitedReader
	rc   io.Reader
	tail int64 // bytes of the member after the data
	done bool
}

func newCRCAtEnd(rc io.Reader, data, tail int64) *crcAtEnd {
	return &crcAtEnd{lim: io.LimitedReader{R: rc, N: data}, rc: rc, tail: tail}
}

func (c *crcAtEnd) Read(p []byte) (int, error) {
	n, err := c.lim.Read(p)
	if c.lim.N == 0 && !c.done {
		c.done = true
		if err == nil && c.tail <= maxCheckedTail {
			_, err = io.Copy(io.Discard, c.rc)
		}
		if err != nil && err != io.EOF {
			// Without its bytes, so that io.ReadFull reports the error.
			return 0, fmt.Errorf("damaged member: %v", err)
		}
	}
	return n, err
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
