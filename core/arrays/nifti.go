package arrays

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
)

const (
	nifti1HeaderSize = 348
	nifti2HeaderSize = 540
	gzipMagic        = "\x1f\x8b"
)

// niftiTypes maps the NIfTI datatype codes the package reads to element
// types. The byte order is set from the header.
var niftiTypes = map[int]DType{
	2:    {Kind: Uint, Size: 1},  // DT_UINT8
	4:    {Kind: Int, Size: 2},   // DT_INT16
	8:    {Kind: Int, Size: 4},   // DT_INT32
	16:   {Kind: Float, Size: 4}, // DT_FLOAT32
	64:   {Kind: Float, Size: 8}, // DT_FLOAT64
	256:  {Kind: Int, Size: 1},   // DT_INT8
	512:  {Kind: Uint, Size: 2},  // DT_UINT16
	768:  {Kind: Uint, Size: 4},  // DT_UINT32
	1024: {Kind: Int, Size: 8},   // DT_INT64
	1280: {Kind: Uint, Size: 8},  // DT_UINT64
}

// niftiTypeNames names the datatypes the package does not read.
var niftiTypeNames = map[int]string{
	0: "DT_UNKNOWN", 1: "DT_BINARY (1 bit)", 32: "DT_COMPLEX64", 128: "DT_RGB24",
	1536: "DT_FLOAT128", 1792: "DT_COMPLEX128", 2048: "DT_COMPLEX256", 2304: "DT_RGBA32",
}

// niftiHeader is what a NIfTI header says.
type niftiHeader struct {
	version      int // 1 or 2
	bigEndian    bool
	dtype        DType
	shape        []int
	n            int64
	voxOffset    int64
	slope, inter float64 // applied when scaled
	scaled       bool
}

// OpenNIfTI parses the header of a NIfTI-1 or NIfTI-2 single-file image
// (.nii), plain or gzipped (.nii.gz; recognised by its content, whatever the
// name), of the given size read through r, and returns the array it holds.
//
// # Axis order
//
// The array has the shape (dim[1], …, dim[dim[0]]), for a volume (X, Y, Z),
// and is stored in Fortran order (X fastest), exactly as nibabel presents it:
// its shape is that of img.get_fdata() and np.asanyarray(img.dataobj), and
// element (x, y, z) here is element [x, y, z] there. Trailing axes of
// length one are kept, as nibabel keeps them. The image orientation (qform,
// sform) is not applied: the voxels are taken in storage order.
//
// # Values
//
// The datatypes read are DT_UINT8, DT_INT8, DT_INT16, DT_UINT16, DT_INT32,
// DT_UINT32, DT_INT64, DT_UINT64, DT_FLOAT32 and DT_FLOAT64, in either byte
// order; others (DT_BINARY, complex, RGB, float128) are errors naming them.
// When scl_slope is finite and not zero, every value v is read as
// scl_slope·v + scl_inter, as nibabel does; otherwise the stored values are
// read unscaled. The array's DType is the stored type.
//
// # Reading
//
// A plain .nii is read at random through r, like an .npy file. A gzipped one
// cannot be: its data are inflated as a stream, in one forward pass per call
// of [Array.Gather] or [Array.ReadRange] (or fewer: successive calls that go
// forward continue the same pass), holding a slab of at most 4 MiB and the
// inflater's window, never the whole volume. A plain file must hold exactly
// the data its header describes; a gzipped one whose data end early gives a
// "truncated" error when the missing part is read.
func OpenNIfTI(r io.ReaderAt, size int64, name string) (*Array, error) {
	fail := func(format string, args ...any) (*Array, error) {
		return nil, Errorf(name, format, args...)
	}
	if size < 0 {
		return fail("negative file size %d", size)
	}
	var magic [2]byte
	if size >= 2 {
		if _, err := r.ReadAt(magic[:], 0); err != nil && err != io.EOF {
			return fail("reading header: %v", err)
		}
	}
	if string(magic[:]) == gzipMagic {
		return openNIfTIGzip(r, size, name)
	}
	h, err := readNIfTIHeader(io.NewSectionReader(r, 0, size), name, size)
	if err != nil {
		return nil, err
	}
	need := h.n * int64(h.dtype.Size) // no overflow: checked by readNIfTIHeader
	if h.voxOffset > size || need != size-h.voxOffset {
		return fail("header dims %s of %s claim %d bytes of data at offset %d, file holds %d",
			shapeString(h.shape), h.dtype, need, h.voxOffset, max(0, size-h.voxOffset))
	}
	return h.array(name, &atSource{r: r, base: h.voxOffset}), nil
}

// openNIfTIGzip opens a gzipped NIfTI file.
func openNIfTIGzip(r io.ReaderAt, size int64, name string) (*Array, error) {
	gz, err := newGunzip(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, Errorf(name, "not a gzip file: %v", shortRead(err))
	}
	h, err := readNIfTIHeader(gz, name, -1)
	gz.Close()
	if err != nil {
		return nil, err
	}
	data := h.n * int64(h.dtype.Size)
	open := func() (io.Reader, io.Closer, error) {
		gz, err := newGunzip(io.NewSectionReader(r, 0, size))
		if err != nil {
			return nil, nil, err
		}
		if _, err := io.CopyN(io.Discard, gz, h.voxOffset); err != nil {
			gz.Close()
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, nil, err
		}
		return io.LimitReader(gz, data), gz, nil
	}
	return h.array(name, &streamSource{open: open}), nil
}

// array returns the array the header describes, stored in src.
func (h *niftiHeader) array(name string, src source) *Array {
	a := newArray(loc{file: name}, h.shape, h.dtype, true, h.n, src)
	if h.scaled {
		dec, slope, inter := a.dec, h.slope, h.inter
		a.dec = func(b []byte) float64 { return dec(b)*slope + inter }
	}
	return a
}

// readNIfTIHeader reads and checks a NIfTI-1 or NIfTI-2 header at the
// start of r. size is the file's size, or -1 when unknown (gzipped).
func readNIfTIHeader(r io.Reader, name string, size int64) (*niftiHeader, error) {
	fail := func(format string, args ...any) (*niftiHeader, error) {
		return nil, Errorf(name, format, args...)
	}
	buf := make([]byte, nifti2HeaderSize)
	n, err := io.ReadFull(r, buf[:4])
	if err != nil {
		return fail("not a NIfTI file: only %d bytes", n)
	}
	h := &niftiHeader{}
	var bo binary.ByteOrder = binary.LittleEndian
	sizeof := int64(int32(bo.Uint32(buf)))
	if sizeof != nifti1HeaderSize && sizeof != nifti2HeaderSize {
		bo = binary.BigEndian
		sizeof = int64(int32(bo.Uint32(buf)))
		h.bigEndian = true
	}
	switch sizeof {
	case nifti1HeaderSize:
		h.version = 1
	case nifti2HeaderSize:
		h.version = 2
	default:
		return fail("not a NIfTI file: sizeof_hdr is %d, want 348 (NIfTI-1) or 540 (NIfTI-2)", int32(binary.LittleEndian.Uint32(buf)))
	}
	if size >= 0 && size < sizeof {
		return fail("truncated: %d bytes, too short for a NIfTI-%d header of %d", size, h.version, sizeof)
	}
	if m, err := io.ReadFull(r, buf[4:sizeof]); err != nil {
		return fail("truncated: %d bytes, too short for a NIfTI-%d header of %d", 4+m, h.version, sizeof)
	}
	var code int
	var dims [8]int64
	var voxOffset float64
	switch h.version {
	case 1:
		switch magic := string(buf[344:348]); magic {
		case "n+1\x00":
		case "ni1\x00":
			return fail("the header of a two-file NIfTI-1 pair (.hdr and .img): convert it to a single .nii or .nii.gz file")
		default:
			return fail("not a NIfTI-1 file: bad magic %s (want \"n+1\")", quote(magic))
		}
		for i := range dims {
			dims[i] = int64(int16(bo.Uint16(buf[40+2*i:])))
		}
		code = int(int16(bo.Uint16(buf[70:])))
		voxOffset = float64(math.Float32frombits(bo.Uint32(buf[108:])))
		h.slope = float64(math.Float32frombits(bo.Uint32(buf[112:])))
		h.inter = float64(math.Float32frombits(bo.Uint32(buf[116:])))
	case 2:
		switch magic := string(buf[4:12]); magic {
		case "n+2\x00\r\n\x1a\n":
		case "ni2\x00\r\n\x1a\n":
			return fail("the header of a two-file NIfTI-2 pair (.hdr and .img): convert it to a single .nii or .nii.gz file")
		default:
			return fail("not a NIfTI-2 file: bad magic %s", quote(magic))
		}
		code = int(int16(bo.Uint16(buf[12:])))
		for i := range dims {
			dims[i] = int64(bo.Uint64(buf[16+8*i:]))
		}
		voxOffset = float64(int64(bo.Uint64(buf[168:])))
		h.slope = math.Float64frombits(bo.Uint64(buf[176:]))
		h.inter = math.Float64frombits(bo.Uint64(buf[184:]))
	}
	dt, ok := niftiTypes[code]
	if !ok {
		what, known := niftiTypeNames[code]
		if !known {
			what = "code " + strconv.Itoa(code)
		}
		return fail("unsupported NIfTI datatype %s", what)
	}
	dt.BigEndian = h.bigEndian && dt.Size > 1
	h.dtype = dt
	nd := dims[0]
	if nd < 1 || nd > 7 {
		return fail("bad header: dim[0] (the number of dimensions) is %d, want 1 to 7", nd)
	}
	h.n = 1
	for i := 1; i <= int(nd); i++ {
		d := dims[i]
		if d < 1 {
			return fail("bad header: dim[%d] is %d", i, d)
		}
		if d > maxInt64/h.n || d > math.MaxInt {
			return fail("bad header: dims %v describe more than 2^63 elements", dims[1:nd+1])
		}
		h.n *= d
		h.shape = append(h.shape, int(d))
	}
	if h.n > maxInt64/int64(dt.Size) {
		return fail("bad header: dims %s describe more than 2^63 bytes", shapeString(h.shape))
	}
	minOffset := sizeof + 4 // the header and the extension flags
	switch {
	case voxOffset == 0:
		h.voxOffset = minOffset
	case voxOffset != math.Trunc(voxOffset) || voxOffset < float64(minOffset) || voxOffset > 1<<40:
		return fail("bad header: vox_offset %v is not a byte offset past the header (at least %d)", voxOffset, minOffset)
	default:
		h.voxOffset = int64(voxOffset)
	}
	if h.slope != 0 && !math.IsNaN(h.slope) && !math.IsInf(h.slope, 0) {
		if math.IsNaN(h.inter) || math.IsInf(h.inter, 0) {
			return fail("bad header: scl_slope %v with scl_inter %v", h.slope, h.inter)
		}
		h.scaled = h.slope != 1 || h.inter != 0
	}
	return h, nil
}

// shapeString formats a shape as NumPy does, such as (3, 4, 5).
func shapeString(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	if len(s) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// gunzip is a gzip decompressor reading through a large buffer (a browser
// Blob is read in few large slices). Closed ones go back to a pool.
type gunzip struct {
	br *bufio.Reader
	zr *gzip.Reader
}

var gunzips sync.Pool

// newGunzip starts inflating the gzip stream (possibly of many members) r.
func newGunzip(r io.Reader) (*gunzip, error) {
	g, ok := gunzips.Get().(*gunzip)
	if ok {
		g.br.Reset(r)
		if err := g.zr.Reset(g.br); err != nil {
			g.Close()
			return nil, err
		}
		return g, nil
	}
	br := bufio.NewReaderSize(r, inflateBuffer)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, err
	}
	return &gunzip{br: br, zr: zr}, nil
}

func (g *gunzip) Read(p []byte) (int, error) { return g.zr.Read(p) }

// Close returns g to the pool; g must not be used afterwards.
func (g *gunzip) Close() error {
	g.br.Reset(nil)
	gunzips.Put(g)
	return nil
}
