//go:build js && wasm

// Package wire carries Go values across postMessage between the page and its
// workers.
//
// Encode walks a value by reflection over its exported fields, so that a field
// added to ot.Op, ot.Reply or report.Candidate travels without new code:
//
//   - []float64, []float32, []int32, []uint32 and []byte become typed arrays
//     over fresh ArrayBuffers filled with js.CopyBytesToJS; the buffers are
//     returned for the transfer list of postMessage (no copy in the browser);
//   - structs, pointers and slices of them recurse;
//   - int64 and uint64 become decimal strings (a JS number loses precision
//     beyond 2⁵³, and seeds are 64-bit);
//   - js.Value fields (File and Blob objects) pass through as they are;
//   - every other scalar, string, bool, slice or map goes through
//     github.com/norunners/vert.
//
// Decode is the inverse. Field names follow vert's rule: the js tag, else the
// json tag, else the Go name.
package wire

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall/js"

	"github.com/norunners/vert"
)

var (
	jsObject  = js.Global().Get("Object")
	jsArray   = js.Global().Get("Array")
	uint8Arr  = js.Global().Get("Uint8Array")
	typedCtor = map[reflect.Kind]js.Value{
		reflect.Float64: js.Global().Get("Float64Array"),
		reflect.Float32: js.Global().Get("Float32Array"),
		reflect.Int32:   js.Global().Get("Int32Array"),
		reflect.Uint32:  js.Global().Get("Uint32Array"),
		reflect.Uint8:   uint8Arr,
	}
	jsValueType = reflect.TypeOf(js.Value{})
)

func init() { opaque[jsValueType] = true }

// binKey is the property of the object that wraps a binary form (bin.go).
const binKey = "$bin"

// Encode returns v as a JS value and the ArrayBuffers to transfer with it.
// Post the value before the next call to Encode: a small binary form lives
// in an array that the next message of the same size reuses (see bufs).
//
// A value that holds no js.Value goes whole in the binary form (bin.go): an
// object {$bin: Uint8Array} that also repeats the top-level struct's bool,
// integer and string fields and has true for its non-nil pointer, slice
// and map fields, so that a receiver can route it (by ID, Ready, Progress)
// without decoding it. Any other value becomes a JS object field by field,
// where again every nested value whose type holds no js.Value goes in the
// binary form.
func Encode(v any) (js.Value, []any) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem() // Decode fills the innermost value
	}
	if rv.IsValid() {
		bufs.Lock()
		defer bufs.Unlock()
		if b, err := marshalAppend(bufs.enc[:0], rv); err == nil {
			bufs.enc = keep(b)
			u8, transfer := bufs.jsBytes(len(b))
			js.CopyBytesToJS(u8, b)
			o := jsObject.New()
			o.Set(binKey, u8)
			summarize(o, rv)
			if transfer {
				return o, []any{u8.Get("buffer")}
			}
			return o, nil
		}
	}
	e := &encoder{top: true}
	return e.value(rv), e.transfer
}

// Buffers reused across messages. A round of the Sinkhorn iteration posts
// the same sizes to every worker and back hundreds of times; allocating
// a fresh Go slice and a fresh ArrayBuffer for each message cost about
// 0.6 ms of the page's time a message at N = 10⁴ (mostly the ArrayBuffer's
// allocation and the garbage collector), against 0.05 ms with reuse.
//
// A binary form of at most copyMax bytes is therefore written into a
// Uint8Array kept for its length and posted by copy (postMessage clones it
// at once, so the array can take the next message); a larger one gets a
// fresh array that the caller transfers, so that no large buffer is held
// between runs.
var bufs buffers

// buffers holds the reused buffers: enc and dec for the binary forms
// encoded and decoded, js the Uint8Arrays by length.
type buffers struct {
	sync.Mutex
	enc, dec []byte
	js       map[int]js.Value
}

const (
	copyMax   = 1 << 20 // largest binary form posted from a reused array
	keepMax   = 4 << 20 // largest Go buffer kept between messages
	jsArrKept = 16      // reused arrays kept (by length)
)

// Drop lets go of the reused Go buffers: the next messages allocate them
// anew. A worker about to allocate large arrays calls it first, so that no
// buffer kept from earlier messages sits in the middle of the memory they
// need (a WebAssembly memory never shrinks, and a large array needs its
// pages in one piece).
func Drop() {
	bufs.Lock()
	bufs.enc, bufs.dec = nil, nil
	bufs.Unlock()
}

// keep returns b emptied for reuse, or nil when it is too large to keep.
func keep(b []byte) []byte {
	if cap(b) > keepMax {
		return nil
	}
	return b[:0]
}

// jsBytes returns a Uint8Array of n bytes, and whether the caller must
// transfer its buffer (a fresh one) rather than post it by copy (a reused
// one, overwritten by the next Encode of the same length).
func (b *buffers) jsBytes(n int) (js.Value, bool) {
	if n > copyMax {
		return uint8Arr.New(n), true
	}
	if u8, ok := b.js[n]; ok {
		return u8, false
	}
	if b.js == nil || len(b.js) >= jsArrKept {
		b.js = map[int]js.Value{}
	}
	u8 := uint8Arr.New(n)
	b.js[n] = u8
	return u8, false
}

// summarize sets on o the routing fields of the top-level struct of v.
func summarize(o js.Value, v reflect.Value) {
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		if !f.IsExported() {
			continue
		}
		switch fv.Kind() {
		case reflect.Bool:
			o.Set(name(f), fv.Bool())
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32:
			o.Set(name(f), int(fv.Int()))
		case reflect.String:
			if fv.Len() > 0 {
				o.Set(name(f), fv.String())
			}
		case reflect.Pointer, reflect.Slice, reflect.Map:
			if !fv.IsNil() {
				o.Set(name(f), true)
			}
		}
	}
}

// Transfer turns a transfer list into the JS array postMessage takes.
func Transfer(list []any) js.Value {
	a := jsArray.New(len(list))
	for i, b := range list {
		a.SetIndex(i, b)
	}
	return a
}

type encoder struct {
	transfer []any
	top      bool // the next struct is the top-level one
}

func (e *encoder) value(v reflect.Value) js.Value {
	if !v.IsValid() {
		return js.Null()
	}
	if v.Type() == jsValueType {
		return v.Interface().(js.Value)
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Struct, reflect.Slice, reflect.Map:
		if !e.top && binaryable(v.Type()) && !typedSlice(v.Type()) {
			if (v.Kind() != reflect.Struct) && v.IsNil() {
				return js.Null()
			}
			b := appendValue(nil, v)
			u8 := uint8Arr.New(len(b))
			js.CopyBytesToJS(u8, b)
			e.transfer = append(e.transfer, u8.Get("buffer"))
			o := jsObject.New()
			o.Set(binKey, u8)
			return o
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return js.Null()
		}
		return e.value(v.Elem())
	case reflect.Struct:
		e.top = false
		o := jsObject.New()
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			o.Set(name(f), e.value(v.Field(i)))
		}
		return o
	case reflect.Slice:
		if v.IsNil() {
			return js.Null()
		}
		if ctor, ok := typedCtor[v.Type().Elem().Kind()]; ok && v.Type().Elem().PkgPath() == "" {
			return e.typed(v, ctor)
		}
		switch v.Type().Elem().Kind() {
		case reflect.Struct, reflect.Pointer, reflect.Slice, reflect.Interface, reflect.Int64, reflect.Uint64:
			a := jsArray.New(v.Len())
			for i := 0; i < v.Len(); i++ {
				a.SetIndex(i, e.value(v.Index(i)))
			}
			return a
		}
		return vert.ValueOf(v.Interface()).JSValue()
	case reflect.Int64:
		return js.ValueOf(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint64:
		return js.ValueOf(strconv.FormatUint(v.Uint(), 10))
	// Named scalar types (ot.OpKind) go as their underlying type; vert
	// (js.ValueOf) keeps NaN and ±Inf as numbers.
	case reflect.Float64, reflect.Float32:
		return vert.ValueOf(v.Float()).JSValue()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32:
		return vert.ValueOf(int(v.Int())).JSValue()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uintptr:
		return vert.ValueOf(float64(v.Uint())).JSValue()
	case reflect.Bool:
		return vert.ValueOf(v.Bool()).JSValue()
	case reflect.String:
		return vert.ValueOf(v.String()).JSValue()
	}
	return vert.ValueOf(v.Interface()).JSValue()
}

func (e *encoder) typed(v reflect.Value, ctor js.Value) js.Value {
	b := rawBytes(v)
	u8 := uint8Arr.New(len(b))
	if len(b) > 0 {
		js.CopyBytesToJS(u8, b)
	}
	buf := u8.Get("buffer")
	e.transfer = append(e.transfer, buf)
	if ctor.Equal(uint8Arr) {
		return u8
	}
	return ctor.New(buf)
}

// Decode fills the value ptr points to from j.
func Decode(j js.Value, ptr any) (err error) {
	rv := reflect.ValueOf(ptr)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("wire: Decode needs a non-nil pointer, got %T", ptr)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("wire: decoding %T: %v", ptr, r)
		}
	}()
	if u8 := j.Get(binKey); u8.Type() == js.TypeObject {
		bufs.Lock()
		defer bufs.Unlock()
		b := bufs.dec[:0]
		if n := u8.Length(); cap(b) >= n {
			b = b[:n]
		} else {
			b = make([]byte, n)
		}
		js.CopyBytesToGo(b, u8)
		bufs.dec = keep(b) // Unmarshal copies what it keeps
		inner := rv.Elem()
		for inner.Kind() == reflect.Pointer {
			if inner.IsNil() {
				inner.Set(reflect.New(inner.Type().Elem()))
			}
			inner = inner.Elem()
		}
		return Unmarshal(b, inner.Addr().Interface())
	}
	return decode(j, rv.Elem())
}

func decode(j js.Value, v reflect.Value) error {
	if v.Type() == jsValueType {
		v.Set(reflect.ValueOf(j))
		return nil
	}
	if j.IsNull() || j.IsUndefined() {
		v.Set(reflect.Zero(v.Type()))
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Struct, reflect.Slice, reflect.Map:
		if j.Type() == js.TypeObject && binaryable(v.Type()) && !typedSlice(v.Type()) {
			if u8 := j.Get(binKey); u8.Type() == js.TypeObject {
				b := make([]byte, u8.Length())
				js.CopyBytesToGo(b, u8)
				return Unmarshal(b, v.Addr().Interface())
			}
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if err := decode(j, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if err := decode(j.Get(name(f)), v.Field(i)); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		}
		return nil
	case reflect.Slice:
		et := v.Type().Elem()
		if _, ok := typedCtor[et.Kind()]; ok && et.PkgPath() == "" {
			n := j.Length()
			s := reflect.MakeSlice(v.Type(), n, n)
			if n > 0 {
				u8 := uint8Arr.New(j.Get("buffer"), j.Get("byteOffset"), j.Get("byteLength"))
				js.CopyBytesToGo(rawBytes(s), u8)
			}
			v.Set(s)
			return nil
		}
		switch et.Kind() {
		case reflect.Struct, reflect.Pointer, reflect.Slice, reflect.Interface, reflect.Int64, reflect.Uint64:
			n := j.Length()
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := 0; i < n; i++ {
				if err := decode(j.Index(i), s.Index(i)); err != nil {
					return fmt.Errorf("[%d]: %w", i, err)
				}
			}
			v.Set(s)
			return nil
		}
	case reflect.Int64:
		x, err := strconv.ParseInt(j.String(), 10, 64)
		if err != nil {
			return err
		}
		v.SetInt(x)
		return nil
	case reflect.Uint64:
		x, err := strconv.ParseUint(j.String(), 10, 64)
		if err != nil {
			return err
		}
		v.SetUint(x)
		return nil
	case reflect.Float64, reflect.Float32:
		v.SetFloat(j.Float())
		return nil
	case reflect.Int, reflect.Int32, reflect.Int16, reflect.Int8:
		f := j.Float()
		if f != math.Trunc(f) {
			return fmt.Errorf("want an integer, got %v", f)
		}
		v.SetInt(int64(f))
		return nil
	}
	p := reflect.New(v.Type())
	if err := (vert.Value{Value: j}).AssignTo(p.Interface()); err != nil {
		return err
	}
	v.Set(p.Elem())
	return nil
}

func name(f reflect.StructField) string {
	for _, key := range []string{"js", "json"} {
		if tag, ok := f.Tag.Lookup(key); ok {
			if n, _, _ := strings.Cut(tag, ","); n != "" && n != "-" {
				return n
			}
		}
	}
	return f.Name
}

// typedSlice reports whether t is a slice that the object form carries as a
// typed array already (one copy, no per-element cost).
func typedSlice(t reflect.Type) bool {
	if t.Kind() != reflect.Slice {
		return false
	}
	_, ok := typedCtor[t.Elem().Kind()]
	return ok && t.Elem().PkgPath() == ""
}
