package arrays

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"slices"
)

// maxSafetensorsHeader bounds the JSON header of a .safetensors file, as the
// reference implementation does.
const maxSafetensorsHeader = 100_000_000

var safetensorsDTypes = map[string]DType{
	"F16":  {Kind: Float, Size: 2},
	"BF16": {Kind: Float, Size: 2, BFloat16: true},
	"F32":  {Kind: Float, Size: 4},
	"F64":  {Kind: Float, Size: 8},
	"I8":   {Kind: Int, Size: 1},
	"I16":  {Kind: Int, Size: 2},
	"I32":  {Kind: Int, Size: 4},
	"I64":  {Kind: Int, Size: 8},
	"U8":   {Kind: Uint, Size: 1},
	"U16":  {Kind: Uint, Size: 2},
	"U32":  {Kind: Uint, Size: 4},
	"U64":  {Kind: Uint, Size: 8},
	"BOOL": {Kind: Bool, Size: 1},
}

// OpenSafetensors parses the header of a .safetensors file of the given size
// read through r: an 8-byte little-endian header length, a JSON object
// mapping each tensor's name to its dtype, shape and data_offsets (relative
// to the end of the header), then the tensors' data. The "__metadata__"
// entry is ignored.
//
// The dtypes F16, BF16, F32, F64, I8, I16, I32, I64, U8, U16, U32, U64 and
// BOOL are supported. OpenSafetensors rejects a header longer than the file
// or than 100 MB, a tensor named twice, and tensors whose data_offsets
// overlap, run past the end of the file, or do not span shape × itemsize
// bytes. The header is parsed in one pass, entry by entry, in time linear
// in its length.
func OpenSafetensors(r io.ReaderAt, size int64, name string) (*Bundle, error) {
	fail := func(format string, args ...any) (*Bundle, error) {
		return nil, Errorf(name, format, args...)
	}
	if size < 0 {
		return fail("negative file size %d", size)
	}
	if size < 8 {
		return fail("not a .safetensors file: only %d bytes", size)
	}
	var pre [8]byte
	if _, err := r.ReadAt(pre[:], 0); err != nil && err != io.EOF {
		return fail("reading header: %v", err)
	}
	hlen := binary.LittleEndian.Uint64(pre[:])
	if hlen > uint64(size-8) {
		return fail("truncated: header claims %d bytes of header, file holds %d", hlen, size-8)
	}
	if hlen > maxSafetensorsHeader {
		return fail("header of %d bytes is longer than the limit of %d", hlen, maxSafetensorsHeader)
	}
	text := make([]byte, hlen)
	if n, err := r.ReadAt(text, 8); n < len(text) {
		return fail("reading header: %v", shortRead(err))
	}
	if t := bytes.TrimLeft(text, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return fail("not a .safetensors file: header is not a JSON object")
	}
	dataStart := 8 + int64(hlen)
	dataLen := size - dataStart
	b := &Bundle{name: name, st: make(map[string]*Array), r: r, size: size}
	type span struct {
		name       string
		begin, end int64
	}
	var spans []span
	// One pass over the header, entry by entry: no copy of the text per
	// entry, memory a small multiple of the header's length.
	dec := json.NewDecoder(bytes.NewReader(text))
	malformed := func(err error) (*Bundle, error) {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fail("malformed header: %v", err)
	}
	if _, err := dec.Token(); err != nil { // the '{' checked above
		return malformed(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return malformed(err)
		}
		key, _ := tok.(string) // object keys are strings
		if key == "__metadata__" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return malformed(err)
			}
			continue
		}
		if _, dup := b.st[key]; dup {
			return fail("tensor %s appears twice in the header (readers disagree on which one counts)", quote(key))
		}
		var t struct {
			DType   *string  `json:"dtype"`
			Shape   *[]int64 `json:"shape"`
			Offsets *[]int64 `json:"data_offsets"`
		}
		if err := dec.Decode(&t); err != nil {
			if _, syntax := err.(*json.SyntaxError); syntax || err == io.EOF || err == io.ErrUnexpectedEOF {
				return malformed(err)
			}
			return fail("tensor %s: malformed entry: %v", quote(key), err)
		}
		if t.DType == nil || t.Shape == nil || t.Offsets == nil {
			return fail("tensor %s: entry lacks dtype, shape or data_offsets", quote(key))
		}
		dt, ok := safetensorsDTypes[*t.DType]
		if !ok {
			return fail("tensor %s: unsupported dtype %s", quote(key), quote(*t.DType))
		}
		shape := make([]int, len(*t.Shape))
		for i, d := range *t.Shape {
			if d < 0 || d > math.MaxInt {
				return fail("tensor %s: bad shape %v", quote(key), *t.Shape)
			}
			shape[i] = int(d)
		}
		n, ok := elements(shape)
		if !ok || (n > 0 && n > maxInt64/int64(dt.Size)) {
			return fail("tensor %s: shape %v is too large", quote(key), shape)
		}
		need := n * int64(dt.Size)
		if len(*t.Offsets) != 2 {
			return fail("tensor %s: data_offsets %v is not a pair", quote(key), *t.Offsets)
		}
		begin, end := (*t.Offsets)[0], (*t.Offsets)[1]
		if begin < 0 || end < begin {
			return fail("tensor %s: bad data_offsets [%d, %d]", quote(key), begin, end)
		}
		if end > dataLen {
			return fail("truncated: tensor %s: data_offsets [%d, %d] run past the end of the data (%d bytes)", quote(key), begin, end, dataLen)
		}
		if end-begin != need {
			return fail("tensor %s: data_offsets [%d, %d] span %d bytes, but shape %v of %v needs %d", quote(key), begin, end, end-begin, shape, dt, need)
		}
		spans = append(spans, span{key, begin, end})
		src := &atSource{r: r, base: dataStart + begin}
		b.st[key] = newArray(loc{name, key}, shape, dt, false, n, src)
		b.names = append(b.names, key)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail("malformed header: data after the JSON object")
	}
	slices.SortFunc(spans, func(x, y span) int {
		return cmp.Or(cmp.Compare(x.begin, y.begin), cmp.Compare(x.end, y.end), cmp.Compare(x.name, y.name))
	})
	var last span
	for _, s := range spans {
		if s.begin == s.end {
			continue
		}
		if s.begin < last.end {
			return fail("tensors %s [%d, %d] and %s [%d, %d] overlap", quote(last.name), last.begin, last.end, quote(s.name), s.begin, s.end)
		}
		last = s
	}
	slices.Sort(b.names)
	return b, nil
}
