package arrays

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"sync"
)

const (
	// slabSize bounds the bytes read at once, and so the buffer Gather and
	// ReadRange hold. In the browser each read of a Blob slice costs some
	// 1.5 ms besides its bytes (measured with FileReaderSync in Chromium:
	// 8 MiB in 1 MiB slices 35 ms, in 4 MiB slices 18 ms, in 16 MiB 16 ms).
	slabSize = 4 << 20
	// maxGap is the largest run of unwanted bytes that Gather reads through
	// rather than starting a new read: one read of a little more is cheaper
	// than two reads (a Blob read's fixed cost is worth some 0.5 MiB of its
	// bytes), but reading a whole slab for two elements is not.
	maxGap = 256 << 10
)

// Array is an n-dimensional array whose elements stay in the file until
// read. Its methods may be called concurrently.
type Array struct {
	Name    string // for messages: the file name, or "file.npz:features"
	Shape   []int  // the length of each dimension; empty for a scalar
	DType   DType  // the type of the stored elements
	Fortran bool   // column-major (Fortran) storage: the first index varies fastest

	at  loc       // the file, and the member of a bundle: Name
	n   int64     // number of elements
	f64 []float64 // the elements, for NewMemory; otherwise nil
	src source    // where the stored elements are, when f64 is nil
	dec decoder
}

// source gives access to the stored bytes of an array's elements, byte 0
// being the first element's first byte.
type source interface {
	// session starts a sequence of reads; the caller calls close when done.
	session() session
}

type session interface {
	// slab returns the n bytes at offset off; the slice is only valid until
	// the next call. In one session, offsets never decrease.
	slab(off int64, n int) ([]byte, error)
	close()
}

// atSource reads from an io.ReaderAt, at base plus the offset.
type atSource struct {
	r    io.ReaderAt
	base int64
}

func (s *atSource) session() session {
	ss := &atSession{src: s}
	if b, ok := slabPool.Get().(*[]byte); ok {
		ss.buf = *b
	}
	return ss
}

// slabPool keeps the buffers of closed sessions for the next ones: a sample
// gathers from every image of a domain in turn, and a fresh slab each time
// would be allocated and cleared each time.
var slabPool sync.Pool

type atSession struct {
	src *atSource
	buf []byte
}

func (s *atSession) slab(off int64, n int) ([]byte, error) {
	s.buf = grow(s.buf, n)
	b := s.buf[:n]
	m, err := s.src.r.ReadAt(b, s.src.base+off)
	if m == n {
		return b, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return nil, err
}

func (s *atSession) close() {
	if s.buf != nil {
		b := s.buf
		s.buf = nil
		slabPool.Put(&b)
	}
}

// grow returns buf if it can hold n bytes, or else a larger buffer: at
// least twice as large, up to a slab, so that a session reallocates a few
// times at most, and one reading a few elements allocates little.
func grow(buf []byte, n int) []byte {
	if cap(buf) >= n {
		return buf
	}
	return make([]byte, max(n, min(2*cap(buf), slabSize)))
}

// bytesSource holds the stored bytes in memory.
type bytesSource []byte

func (s bytesSource) session() session { return s }

func (s bytesSource) slab(off int64, n int) ([]byte, error) {
	if off < 0 || off > int64(len(s)) || int64(n) > int64(len(s))-off {
		return nil, io.ErrUnexpectedEOF
	}
	return s[off : off+int64(n)], nil
}

func (s bytesSource) close() {}

// streamSource reads a stream that cannot seek, such as a deflated zip
// member: reads go forward, skipping what is not wanted, and going back
// restarts the stream. The open stream is kept between sessions, so that
// successive calls that go forward make one pass in all.
type streamSource struct {
	mu   sync.Mutex
	open func() (io.Reader, io.Closer, error) // a new stream at offset 0, ending at the data's end
	r    io.Reader                            // nil when no stream is open
	c    io.Closer                            // closes r, releasing the inflater for reuse
	pos  int64                                // offset of the next byte of r
	buf  []byte
}

// drop closes the open stream, if any.
func (s *streamSource) drop() {
	if s.c != nil {
		s.c.Close()
	}
	s.r, s.c = nil, nil
}

func (s *streamSource) session() session {
	s.mu.Lock()
	return s
}

func (s *streamSource) close() { s.mu.Unlock() }

func (s *streamSource) slab(off int64, n int) ([]byte, error) {
	if s.r == nil || off < s.pos {
		s.drop()
		r, c, err := s.open()
		if err != nil {
			return nil, err
		}
		s.r, s.c, s.pos = r, c, 0
	}
	if skip := off - s.pos; skip > 0 {
		m, err := io.CopyN(io.Discard, s.r, skip)
		s.pos += m
		if err != nil {
			s.drop()
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	s.buf = grow(s.buf, n)
	b := s.buf[:n]
	m, err := io.ReadFull(s.r, b)
	s.pos += int64(m)
	if err != nil {
		s.drop()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

// NewMemory returns an Array of the given shape holding data, in C order,
// as float64. The array uses data and shape without copying them.
// NewMemory panics if a dimension is negative or if the product of shape
// is not len(data).
func NewMemory(name string, shape []int, data []float64) *Array {
	n, ok := elements(shape)
	if !ok || n != int64(len(data)) {
		panic(fmt.Sprintf("arrays.NewMemory: shape %v does not hold %d elements", shape, len(data)))
	}
	return &Array{
		Name:  name,
		Shape: shape,
		DType: DType{Kind: Float, Size: 8},
		n:     n,
		f64:   data,
	}
}

// newArray returns an array of the given shape and type stored in src.
// The caller has checked the type, and that src holds all the elements.
func newArray(at loc, shape []int, dt DType, fortran bool, n int64, src source) *Array {
	return &Array{
		Name:    at.String(),
		at:      at,
		Shape:   shape,
		DType:   dt,
		Fortran: fortran && len(shape) > 1,
		n:       n,
		src:     src,
		dec:     dt.decoder(),
	}
}

// elements returns the number of elements of an array of the given shape,
// and false if a dimension is negative or the number overflows int64.
func elements(shape []int) (int64, bool) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d == 0 {
			n = 0
			continue
		}
		if n > maxInt64/int64(d) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, true
}

const maxInt64 = 1<<63 - 1

// Len returns the number of elements, the product of the dimensions.
func (a *Array) Len() int64 { return a.n }

// Errorf returns a *FileError about the array: its message starts with the
// array's name, and the problem is fmt.Errorf(format, args...).
func (a *Array) Errorf(format string, args ...any) error {
	if a.at.file == "" { // an array of NewMemory, named by its caller
		return &FileError{File: a.Name, Err: fmt.Errorf(format, args...)}
	}
	return a.at.errorf(format, args...)
}

// readError describes a failed read of the array's data.
func (a *Array) readError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return a.Errorf("truncated: data ends before the %d elements the header claims", a.n)
	}
	return a.Errorf("reading data: %w", err)
}

// storage returns the position in storage order of the element with
// row-major (C order) flat index i, which must be in range.
func (a *Array) storage(i int64) int64 {
	if !a.Fortran {
		return i
	}
	// Split i into indices, last dimension fastest, and recombine them with
	// the first dimension fastest.
	var pos int64
	stride := a.n
	for d := len(a.Shape) - 1; d >= 0; d-- {
		dim := int64(a.Shape[d])
		stride /= dim
		pos += (i % dim) * stride
		i /= dim
	}
	return pos
}

// Gather reads the elements at the given row-major (C order) flat indices,
// converting them to float64, storing the element at idx[k] in dst[k].
// The indices may come in any order and may repeat; dst must be as long as
// idx.
//
// Gather sorts the wanted elements by their position in the file and reads
// them in one forward pass, in slabs of at most 4 MiB, reading through short
// gaps between wanted elements and skipping long ones. Besides the slab it
// allocates some 16 bytes per index to sort them (none for indices that come
// sorted, of a C-order array), whatever the size of the array. For a deflated
// member of an .npz file, the pass decompresses the member from the start
// (or from where the previous call stopped, when that is not beyond the first
// wanted element) up to the last wanted element; such passes over one member
// do not run concurrently.
func (a *Array) Gather(idx []int64, dst []float64) error {
	if len(dst) != len(idx) {
		return a.Errorf("Gather: %d indices but room for %d values", len(idx), len(dst))
	}
	for _, i := range idx {
		if i < 0 || i >= a.n {
			return a.indexError(i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	if a.f64 != nil {
		for k, i := range idx {
			dst[k] = a.f64[i]
		}
		return nil
	}
	// get(t) returns the storage position of the t-th wanted element in
	// storage order, and its k.
	var get func(t int) (int64, int)
	sorted := true
	if a.Fortran {
		sorted = false
	} else {
		for k := 1; k < len(idx); k++ {
			if idx[k] < idx[k-1] {
				sorted = false
				break
			}
		}
	}
	switch {
	case sorted:
		get = func(t int) (int64, int) { return idx[t], t }
	case bitLen(uint64(a.n-1))+bitLen(uint64(len(idx)-1)) <= 64:
		// Pack position and k into one key, position high, and sort those.
		kbits := bitLen(uint64(len(idx) - 1))
		keys := make([]uint64, len(idx))
		for k, i := range idx {
			keys[k] = uint64(a.storage(i))<<kbits | uint64(k)
		}
		keys = sortKeys(keys, kbits, bitLen(uint64(a.n-1)))
		mask := uint64(1)<<kbits - 1
		get = func(t int) (int64, int) { return int64(keys[t] >> kbits), int(keys[t] & mask) }
	default: // an array and a Gather too vast for 64-bit keys
		type item struct {
			pos int64
			k   int
		}
		items := make([]item, len(idx))
		for k, i := range idx {
			items[k] = item{a.storage(i), k}
		}
		slices.SortFunc(items, func(x, y item) int { return cmp.Compare(x.pos, y.pos) })
		get = func(t int) (int64, int) { return items[t].pos, items[t].k }
	}
	size := int64(a.DType.Size)
	s := a.src.session()
	defer s.close()
	for i := 0; i < len(idx); {
		// Extend the run while the next element fits in the slab and is
		// near enough.
		p, _ := get(i)
		first := p * size
		end := first + size
		j := i + 1
		for ; j < len(idx); j++ {
			p, _ := get(j)
			b := p * size
			if b+size-first > slabSize || b-end > maxGap {
				break
			}
			end = max(end, b+size)
		}
		buf, err := s.slab(first, int(end-first))
		if err != nil {
			return a.readError(err)
		}
		switch {
		case sorted && a.DType == float32LE:
			// The common case (C-order float32), without the calls.
			for t := i; t < j; t++ {
				dst[t] = float64(math.Float32frombits(binary.LittleEndian.Uint32(buf[idx[t]*4-first:])))
			}
		default:
			for t := i; t < j; t++ {
				p, k := get(t)
				dst[k] = a.dec(buf[p*size-first:])
			}
		}
		i = j
	}
	return nil
}

// float32LE is the dtype of most feature files.
var float32LE = DType{Kind: Float, Size: 4}

func (a *Array) indexError(i int64) error {
	return a.Errorf("index %d out of range [0, %d)", i, a.n)
}

// bitLen returns the number of bits needed to hold x.
func bitLen(x uint64) int { return bits.Len64(x) }

// sortKeys sorts keys by their bits [lo, lo+n), and returns them, in keys or
// in a new slice. For many keys, a radix sort beats a comparison sort
// severalfold.
func sortKeys(keys []uint64, lo, n int) []uint64 {
	if len(keys) < 1<<12 {
		slices.Sort(keys) // the bits below lo only break ties
		return keys
	}
	const digit = 11
	var count [1 << digit]int
	src, dst := keys, make([]uint64, len(keys))
	for shift := lo; shift < lo+n; shift += digit {
		clear(count[:])
		for _, x := range src {
			count[(x>>shift)&(1<<digit-1)]++
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for _, x := range src {
			d := (x >> shift) & (1<<digit - 1)
			dst[count[d]] = x
			count[d]++
		}
		src, dst = dst, src
	}
	return src
}

// ReadRange reads len(dst) consecutive elements in row-major (C order),
// starting at flat index start, converting them to float64. It suits label
// maps, whose images are consecutive runs of elements. For a Fortran-order
// array, whose C-order runs are scattered in the file, a range of more than
// an eighth of the array (or any range of a deflated .npz member) is read by
// one pass over the whole array, and a smaller one as by Gather.
func (a *Array) ReadRange(start int64, dst []float64) error {
	n := int64(len(dst))
	if start < 0 || start > a.n || n > a.n-start {
		return a.Errorf("ReadRange: elements [%d, %d) out of range [0, %d)", start, start+n, a.n)
	}
	if n == 0 {
		return nil
	}
	if a.f64 != nil {
		copy(dst, a.f64[start:])
		return nil
	}
	if a.Fortran {
		return a.readRangeFortran(start, dst)
	}
	size := int64(a.DType.Size)
	per := slabSize / size
	s := a.src.session()
	defer s.close()
	for done := int64(0); done < n; {
		m := min(per, n-done)
		buf, err := s.slab((start+done)*size, int(m*size))
		if err != nil {
			return a.readError(err)
		}
		out := dst[done : done+m]
		for t := range out {
			out[t] = a.dec(buf[int64(t)*size:])
		}
		done += m
	}
	return nil
}

// readRangeFortran reads a C-order range of a column-major array. A range
// that is a good part of the array, or any range of a stream, is read by
// one pass over the whole array; a small one by Gather, in chunks.
func (a *Array) readRangeFortran(start int64, dst []float64) error {
	n := int64(len(dst))
	if _, stream := a.src.(*streamSource); !stream && n < a.n/8 {
		const chunk = 1 << 16
		idx := make([]int64, min(n, chunk))
		for done := int64(0); done < n; done += int64(len(idx)) {
			idx = idx[:min(int64(len(idx)), n-done)]
			for t := range idx {
				idx[t] = start + done + int64(t)
			}
			if err := a.Gather(idx, dst[done:done+int64(len(idx))]); err != nil {
				return err
			}
		}
		return nil
	}
	// Walk storage order, first index fastest, keeping the C-order index c
	// of the current element.
	nd := len(a.Shape)
	m := make([]int, nd)
	cstride := make([]int64, nd)
	st := int64(1)
	for d := nd - 1; d >= 0; d-- {
		cstride[d] = st
		st *= int64(a.Shape[d])
	}
	end := start + n
	size := int64(a.DType.Size)
	per := slabSize / size
	s := a.src.session()
	defer s.close()
	var c, found int64
	for p := int64(0); p < a.n && found < n; {
		k := min(per, a.n-p)
		buf, err := s.slab(p*size, int(k*size))
		if err != nil {
			return a.readError(err)
		}
		for t := int64(0); t < k; t++ {
			if c >= start && c < end {
				dst[c-start] = a.dec(buf[t*size:])
				found++
			}
			for d := 0; d < nd; d++ {
				m[d]++
				c += cstride[d]
				if m[d] < a.Shape[d] {
					break
				}
				m[d] = 0
				c -= int64(a.Shape[d]) * cstride[d]
			}
		}
		p += k
	}
	return nil
}

// quote returns s quoted for a one-line message, shortened if long.
func quote(s string) string {
	const limit = 60
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "..."
	}
	return strconv.Quote(s)
}
