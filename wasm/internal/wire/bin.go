package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"unsafe"
)

// The binary form carries a value whose type holds no js.Value (ot.Op,
// ot.Reply, otce.Sample, report.Candidate, …) as one byte slice: building a
// JS object field by field costs a syscall/js call per field and per
// element of a slice of structs, which made a round of block operations
// cost milliseconds; one copy of one byte slice costs microseconds.
//
// Both ends are the same build, so the layout needs no schema: the exported
// fields of a struct in order; a pointer as a presence byte and its element;
// a slice or map as an int32 length (−1 for nil) and its elements (a slice
// of fixed-size numbers as its raw little-endian bytes); a string as a
// length and its bytes; every integer as 8 bytes, float32 as 4, float64 as
// 8, a bool as 1. Unexported fields are skipped, as the object form does.

// binaryable reports whether values of type t can take the binary form:
// no js.Value, interface, channel or function anywhere in it.
func binaryable(t reflect.Type) bool {
	if v, ok := binCache.Load(t); ok {
		return v.(bool)
	}
	ok := checkBinary(t, map[reflect.Type]bool{})
	binCache.Store(t, ok)
	return ok
}

var binCache sync.Map // reflect.Type → bool

// opaque marks the types that only the object form carries (js.Value, set
// by the js build).
var opaque = map[reflect.Type]bool{}

func checkBinary(t reflect.Type, seen map[reflect.Type]bool) bool {
	if opaque[t] {
		return false
	}
	if seen[t] {
		return true // recursive types: decided by the other fields
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return checkBinary(t.Elem(), seen)
	case reflect.Map:
		return checkBinary(t.Key(), seen) && checkBinary(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.IsExported() && !checkBinary(f.Type, seen) {
				return false
			}
		}
		return true
	}
	return false
}

// Marshal returns the binary form of v, a value of type T; Unmarshal of it
// needs a *T (a pointer to v's type: a **S if v is a *S). It fails if v
// holds a js.Value, an interface, a channel or a function (nil pointers,
// slices and maps of such types are fine: they are just absent).
func Marshal(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return nil, errors.New("wire: Marshal of nil")
	}
	return marshal(rv)
}

// errNoBinary is what appendValue panics with on a value without a binary
// form.
type errNoBinary struct{ t reflect.Type }

func (e errNoBinary) Error() string { return fmt.Sprintf("wire: %s has no binary form", e.t) }

func marshal(v reflect.Value) (b []byte, err error) {
	return marshalAppend(nil, v)
}

// marshalAppend appends the binary form of v to dst.
func marshalAppend(dst []byte, v reflect.Value) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(errNoBinary); ok {
				b, err = nil, e
				return
			}
			panic(r)
		}
	}()
	return appendValue(dst, v), nil
}

// Unmarshal fills the value ptr points to from its binary form.
func Unmarshal(b []byte, ptr any) (err error) {
	rv := reflect.ValueOf(ptr)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("wire: Unmarshal needs a non-nil pointer, got %T", ptr)
	}
	d := &binDecoder{b: b}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("wire: decoding %T: %v", ptr, r)
		}
	}()
	d.value(rv.Elem())
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d bytes left over", len(d.b))
	}
	if d.err != nil {
		return fmt.Errorf("wire: decoding %T: %w", ptr, d.err)
	}
	return nil
}

var le = binary.LittleEndian

// fixedNumber reports whether a slice of k can be copied as raw bytes.
func fixedNumber(k reflect.Kind) bool {
	switch k {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// hostLittle: the raw-bytes copy of number slices assumes a little-endian
// host (wasm and amd64/arm64 are); elsewhere the elements go one by one.
var hostLittle = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 1 }()

func appendValue(b []byte, v reflect.Value) []byte {
	if opaque[v.Type()] {
		panic(errNoBinary{v.Type()})
	}
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return append(b, 1)
		}
		return append(b, 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return le.AppendUint64(b, uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return le.AppendUint64(b, v.Uint())
	case reflect.Float32:
		return le.AppendUint32(b, math.Float32bits(float32(v.Float())))
	case reflect.Float64:
		return le.AppendUint64(b, math.Float64bits(v.Float()))
	case reflect.String:
		b = le.AppendUint32(b, uint32(v.Len()))
		return append(b, v.String()...)
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, 0)
		}
		return appendValue(append(b, 1), v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return le.AppendUint32(b, math.MaxUint32)
		}
		b = le.AppendUint32(b, uint32(v.Len()))
		if hostLittle && fixedNumber(v.Type().Elem().Kind()) {
			return append(b, rawBytes(v)...)
		}
		for i := 0; i < v.Len(); i++ {
			b = appendValue(b, v.Index(i))
		}
		return b
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			b = appendValue(b, v.Index(i))
		}
		return b
	case reflect.Map:
		if v.IsNil() {
			return le.AppendUint32(b, math.MaxUint32)
		}
		b = le.AppendUint32(b, uint32(v.Len()))
		it := v.MapRange()
		for it.Next() {
			b = appendValue(b, it.Key())
			b = appendValue(b, it.Value())
		}
		return b
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				b = appendValue(b, v.Field(i))
			}
		}
		return b
	}
	panic(errNoBinary{v.Type()})
}

// rawBytes views the backing array of a slice of fixed-size numbers as bytes.
func rawBytes(v reflect.Value) []byte {
	n := v.Len() * int(v.Type().Elem().Size())
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(v.UnsafePointer()), n)
}

type binDecoder struct {
	b   []byte
	err error
}

var errShort = errors.New("truncated")

func (d *binDecoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = errShort
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *binDecoder) u64() uint64 {
	if p := d.take(8); p != nil {
		return le.Uint64(p)
	}
	return 0
}

func (d *binDecoder) u32() uint32 {
	if p := d.take(4); p != nil {
		return le.Uint32(p)
	}
	return 0
}

// length reads a slice or map length: −1 (nil) or at most what the rest of
// the input can hold at minElem bytes an element.
func (d *binDecoder) length(minElem int) int {
	n := d.u32()
	if d.err != nil {
		return 0
	}
	if n == math.MaxUint32 {
		return -1
	}
	if minElem > 0 && int64(n)*int64(minElem) > int64(len(d.b)) {
		d.err = errShort
		return 0
	}
	return int(n)
}

func (d *binDecoder) value(v reflect.Value) {
	if d.err != nil {
		return
	}
	if opaque[v.Type()] {
		d.err = fmt.Errorf("no binary form for %s", v.Type())
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		if p := d.take(1); p != nil {
			v.SetBool(p[0] != 0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(d.u64()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(d.u64())
	case reflect.Float32:
		v.SetFloat(float64(math.Float32frombits(d.u32())))
	case reflect.Float64:
		v.SetFloat(math.Float64frombits(d.u64()))
	case reflect.String:
		n := d.length(1)
		if n > 0 {
			v.SetString(string(d.take(n)))
		} else {
			v.SetString("")
		}
	case reflect.Pointer:
		p := d.take(1)
		if p == nil || p[0] == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		e := reflect.New(v.Type().Elem())
		d.value(e.Elem())
		v.Set(e)
	case reflect.Slice:
		et := v.Type().Elem()
		raw := hostLittle && fixedNumber(et.Kind())
		minElem := 0
		if raw {
			minElem = int(et.Size())
		}
		n := d.length(minElem)
		if d.err != nil || n < 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		if raw {
			copy(rawBytes(s), d.take(n*minElem))
		} else {
			for i := 0; i < n && d.err == nil; i++ {
				d.value(s.Index(i))
			}
		}
		v.Set(s)
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			d.value(v.Index(i))
		}
	case reflect.Map:
		n := d.length(0)
		if d.err != nil || n < 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), min(n, 1024))
		for i := 0; i < n && d.err == nil; i++ {
			k := reflect.New(v.Type().Key()).Elem()
			e := reflect.New(v.Type().Elem()).Elem()
			d.value(k)
			d.value(e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				d.value(v.Field(i))
			}
		}
	default:
		d.err = fmt.Errorf("no binary form for %s", v.Type())
	}
}
