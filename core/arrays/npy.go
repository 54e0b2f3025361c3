package arrays

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

const (
	npyMagic = "\x93NUMPY"
	// maxHeaderLen bounds the header of an .npy file. NumPy's own headers
	// are a few hundred bytes; NumPy refuses to read more than 10000 by
	// default.
	maxHeaderLen = 1 << 20
)

// npyHeader is what an .npy header says.
type npyHeader struct {
	dtype   DType
	shape   []int
	fortran bool
	n       int64 // number of elements
	dataOff int64 // where the data starts: the length of the header
}

// OpenNPY parses the header of an .npy file of the given size read through
// r, and returns the array it describes; the data are read on demand by the
// array's methods. The name is used in error messages and as the array's
// name.
//
// OpenNPY supports format versions 1.0, 2.0 and 3.0; the dtypes float16,
// float32, float64 ('<f2', '<f4', '<f8'), int8 to int64, uint8 to uint64 and
// bool ('|b1'), in little ('<'), big ('>'), native ('=', taken as little) or
// not applicable ('|') byte order; and C or Fortran order. It rejects other
// dtypes, such as complex, object, string and structured dtypes, naming
// them, and any header whose shape needs more data than the file holds.
func OpenNPY(r io.ReaderAt, size int64, name string) (*Array, error) {
	if size < 0 {
		return nil, Errorf(name, "negative file size %d", size)
	}
	h, err := readNPYHeader(io.NewSectionReader(r, 0, size), size, loc{file: name}, "file")
	if err != nil {
		return nil, err
	}
	src := &atSource{r: r, base: h.dataOff}
	return newArray(loc{file: name}, h.shape, h.dtype, h.fortran, h.n, src), nil
}

// readNPYHeader reads an .npy header from the start of r, which holds size
// bytes in all; what is the noun for r in messages ("file", "member").
// It checks that the data the header describes fit in size.
func readNPYHeader(r io.Reader, size int64, at loc, what string) (npyHeader, error) {
	var h npyHeader
	fail := func(format string, args ...any) (npyHeader, error) {
		return h, at.errorf(format, args...)
	}
	readFull := func(p []byte) error {
		_, err := io.ReadFull(r, p)
		return err
	}
	var pre [12]byte
	if size < 10 {
		if size >= 6 {
			if err := readFull(pre[:6]); err == nil && string(pre[:6]) != npyMagic {
				return fail("not an .npy file (bad magic)")
			}
		}
		return fail("not an .npy file: only %d bytes", size)
	}
	if err := readFull(pre[:10]); err != nil {
		return fail("reading header: %v", shortRead(err))
	}
	if string(pre[:6]) != npyMagic {
		return fail("not an .npy file (bad magic)")
	}
	major, minor := pre[6], pre[7]
	var hlen, prefix int64
	switch major {
	case 1:
		hlen, prefix = int64(binary.LittleEndian.Uint16(pre[8:10])), 10
	case 2, 3:
		if size < 12 {
			return fail("truncated: %d bytes, too short for a version %d.%d header", size, major, minor)
		}
		if err := readFull(pre[10:12]); err != nil {
			return fail("reading header: %v", shortRead(err))
		}
		hlen, prefix = int64(binary.LittleEndian.Uint32(pre[8:12])), 12
	default:
		return fail("unsupported .npy format version %d.%d", major, minor)
	}
	if minor != 0 {
		return fail("unsupported .npy format version %d.%d", major, minor)
	}
	if hlen > size-prefix {
		return fail("truncated: header claims %d bytes of header, %s holds %d", hlen, what, size-prefix)
	}
	if hlen > maxHeaderLen {
		return fail("header of %d bytes is longer than the limit of %d", hlen, maxHeaderLen)
	}
	text := make([]byte, hlen)
	if err := readFull(text); err != nil {
		return fail("reading header: %v", shortRead(err))
	}
	h.dataOff = prefix + hlen
	if err := h.parse(string(text)); err != nil {
		return fail("%v", err)
	}
	need, ok := int64(0), true
	if h.n > 0 {
		ok = h.n <= maxInt64/int64(h.dtype.Size)
		need = h.n * int64(h.dtype.Size)
	}
	if !ok || need > size-h.dataOff {
		claim := strconv.FormatInt(need, 10)
		if !ok {
			claim = "more than 2^63"
		}
		return fail("truncated: header claims %s bytes of data, %s holds %d", claim, what, size-h.dataOff)
	}
	return h, nil
}

// shortRead turns the EOF of a read that the size said would succeed into
// a plain message.
func shortRead(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of data")
	}
	return err
}

// parse interprets the header text, a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
func (h *npyHeader) parse(text string) error {
	p := pyParser{s: text}
	v, err := p.parse()
	if err != nil {
		return fmt.Errorf("malformed header: %v", err)
	}
	d, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("malformed header: not a dict: %s", quote(text))
	}
	for _, key := range []string{"descr", "fortran_order", "shape"} {
		if _, ok := d[key]; !ok {
			return fmt.Errorf("malformed header: no %q key: %s", key, quote(text))
		}
	}
	switch descr := d["descr"].(type) {
	case string:
		dt, err := parseDescr(descr)
		if err != nil {
			return err
		}
		h.dtype = dt
	case []any:
		return fmt.Errorf("unsupported structured dtype %s", quote(text))
	default:
		return fmt.Errorf("malformed header: descr is not a string: %s", quote(text))
	}
	fo, ok := d["fortran_order"].(bool)
	if !ok {
		return fmt.Errorf("malformed header: fortran_order is not True or False: %s", quote(text))
	}
	h.fortran = fo
	shape, ok := d["shape"].([]any)
	if !ok {
		return fmt.Errorf("malformed header: shape is not a tuple: %s", quote(text))
	}
	h.shape = make([]int, len(shape))
	for i, v := range shape {
		x, ok := v.(int64)
		if !ok || x < 0 || x > math.MaxInt {
			return fmt.Errorf("malformed header: bad shape: %s", quote(text))
		}
		h.shape[i] = int(x)
	}
	n, ok := elements(h.shape)
	if !ok {
		return fmt.Errorf("truncated: header claims shape %v, more than 2^63 elements", h.shape)
	}
	h.n = n
	return nil
}

// parseDescr parses a NumPy array-protocol type string such as '<f4'.
func parseDescr(descr string) (DType, error) {
	s := descr
	var dt DType
	if s != "" && strings.IndexByte("<>|=", s[0]) >= 0 {
		dt.BigEndian = s[0] == '>'
		s = s[1:]
	}
	if s == "?" {
		s = "b1"
	}
	if s == "" {
		return dt, fmt.Errorf("unsupported dtype %s", pyQuote(descr))
	}
	size, err := strconv.Atoi(s[1:])
	if err != nil || s[1] == '+' || s[1] == '-' {
		size = -1
	}
	switch s[0] {
	case 'f':
		dt.Kind = Float
	case 'i':
		dt.Kind = Int
	case 'u':
		dt.Kind = Uint
	case 'b':
		dt.Kind = Bool
	}
	dt.Size = size
	if size == 1 {
		dt.BigEndian = false
	}
	if dt.Kind != 0 && dt.valid() {
		return dt, nil
	}
	var what string
	switch s[0] {
	case 'f':
		what = "float"
	case 'i':
		what = "int"
	case 'u':
		what = "uint"
	case 'c':
		what = "complex"
	case 'b':
		what = "bool"
	case 'O':
		what = "object"
	case 'S', 'a':
		what = "bytes"
	case 'U':
		what = "str"
	case 'V':
		what = "void"
	case 'M':
		what = "datetime64"
	case 'm':
		what = "timedelta64"
	}
	if what == "" {
		return dt, fmt.Errorf("unsupported dtype %s", pyQuote(descr))
	}
	if strings.IndexByte("fiuc", s[0]) >= 0 && size > 0 && size < 1<<20 {
		what += strconv.Itoa(8 * size)
	}
	return dt, fmt.Errorf("unsupported dtype %s (%s)", what, pyQuote(descr))
}

// pyQuote quotes s the way Python prints a short plain string, 'like this',
// falling back to Go quoting for anything else.
func pyQuote(s string) string {
	if len(s) <= 40 {
		plain := true
		for i := 0; i < len(s); i++ {
			if s[i] < ' ' || s[i] > '~' || s[i] == '\'' || s[i] == '\\' {
				plain = false
				break
			}
		}
		if plain {
			return "'" + s + "'"
		}
	}
	return quote(s)
}

// pyParser parses the subset of Python literals found in .npy headers:
// dicts, tuples, lists, strings, integers, True, False and None.
type pyParser struct {
	s string
	i int
}

const maxDepth = 16

func (p *pyParser) parse() (any, error) {
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, p.errorf("unexpected %s", p.rest())
	}
	return v, nil
}

func (p *pyParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: "+format, append([]any{p.i}, args...)...)
}

// rest quotes what follows the current position, for messages.
func (p *pyParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20]
	}
	return strconv.Quote(r)
}

func (p *pyParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, p.errorf("nested too deeply")
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, p.errorf("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.dict(depth)
	case c == '(':
		return p.seq(depth, ')')
	case c == '[':
		return p.seq(depth, ']')
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || c == '+' || (c >= '0' && c <= '9'):
		return p.int()
	}
	for _, w := range []struct {
		word string
		v    any
	}{{"True", true}, {"False", false}, {"None", nil}} {
		if strings.HasPrefix(p.s[p.i:], w.word) {
			p.i += len(w.word)
			return w.v, nil
		}
	}
	return nil, p.errorf("unexpected %s", p.rest())
}

func (p *pyParser) dict(depth int) (any, error) {
	p.i++ // {
	d := make(map[string]any)
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return d, nil
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, p.errorf("dict key is not a string")
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errorf("expected ':'")
		}
		p.i++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d[key] = v
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return d, nil
		}
		return nil, p.errorf("expected ',' or '}'")
	}
}

func (p *pyParser) seq(depth int, close byte) (any, error) {
	p.i++ // ( or [
	var s []any
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == close {
			p.i++
			if s == nil {
				s = []any{}
			}
			return s, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		s = append(s, v)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == close {
			p.i++
			return s, nil
		}
		return nil, p.errorf("expected ',' or %q", close)
	}
}

func (p *pyParser) str() (any, error) {
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch c {
		case q:
			return b.String(), nil
		case '\\':
			if p.i >= len(p.s) {
				return nil, p.errorf("unterminated string")
			}
			c = p.s[p.i]
			p.i++
		case '\n':
			return nil, p.errorf("unterminated string")
		}
		b.WriteByte(c)
	}
	return nil, p.errorf("unterminated string")
}

func (p *pyParser) int() (any, error) {
	start := p.i
	if p.s[p.i] == '-' || p.s[p.i] == '+' {
		p.i++
	}
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	text := p.s[start:p.i]
	if p.i < len(p.s) && (p.s[p.i] == 'L' || p.s[p.i] == 'l') { // Python 2 long
		p.i++
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		p.i = start
		return nil, p.errorf("bad integer %s", p.rest())
	}
	return v, nil
}
