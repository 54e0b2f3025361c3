package arrays

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Kind classifies element types.
type Kind uint8

// The element kinds.
const (
	Float Kind = iota + 1 // IEEE 754 binary floating point, or bfloat16
	Int                   // two's complement signed integer
	Uint                  // unsigned integer
	Bool                  // one byte, zero for false and anything else for true
)

// String returns the kind's name: "float", "int", "uint" or "bool".
func (k Kind) String() string {
	switch k {
	case Float:
		return "float"
	case Int:
		return "int"
	case Uint:
		return "uint"
	case Bool:
		return "bool"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// DType describes one element's storage.
type DType struct {
	Kind      Kind
	Size      int  // bytes per element: 1, 2, 4 or 8
	BigEndian bool // most significant byte first; always false when Size is 1
	BFloat16  bool // Kind Float, Size 2: bfloat16 instead of IEEE 754 half
}

// String returns the type's name as NumPy spells it, such as "float32",
// "int64", "uint16" or "bool", or "bfloat16", followed by " big-endian" when
// the bytes are stored most significant first.
func (d DType) String() string {
	var s string
	switch {
	case !d.valid():
		return "DType(kind=" + strconv.Itoa(int(d.Kind)) + ", size=" + strconv.Itoa(d.Size) + ")"
	case d.Kind == Bool:
		s = "bool"
	case d.BFloat16:
		s = "bfloat16"
	default:
		s = d.Kind.String() + strconv.Itoa(8*d.Size)
	}
	if d.BigEndian && d.Size > 1 {
		s += " big-endian"
	}
	return s
}

// valid reports whether the package can convert elements of type d.
func (d DType) valid() bool {
	switch d.Kind {
	case Float:
		if d.BFloat16 {
			return d.Size == 2
		}
		return d.Size == 2 || d.Size == 4 || d.Size == 8
	case Int, Uint:
		return !d.BFloat16 && (d.Size == 1 || d.Size == 2 || d.Size == 4 || d.Size == 8)
	case Bool:
		return !d.BFloat16 && d.Size == 1
	}
	return false
}

// decoder converts the first Size bytes of b to float64.
type decoder func(b []byte) float64

// decoder returns the conversion for d, which must be valid.
func (d DType) decoder() decoder {
	var bo binary.ByteOrder = binary.LittleEndian
	if d.BigEndian {
		bo = binary.BigEndian
	}
	switch d.Kind {
	case Bool:
		return func(b []byte) float64 {
			if b[0] != 0 {
				return 1
			}
			return 0
		}
	case Int:
		switch d.Size {
		case 1:
			return func(b []byte) float64 { return float64(int8(b[0])) }
		case 2:
			if d.BigEndian {
				return func(b []byte) float64 { return float64(int16(binary.BigEndian.Uint16(b))) }
			}
			return func(b []byte) float64 { return float64(int16(binary.LittleEndian.Uint16(b))) }
		case 4:
			if d.BigEndian {
				return func(b []byte) float64 { return float64(int32(binary.BigEndian.Uint32(b))) }
			}
			return func(b []byte) float64 { return float64(int32(binary.LittleEndian.Uint32(b))) }
		case 8:
			if d.BigEndian {
				return func(b []byte) float64 { return float64(int64(binary.BigEndian.Uint64(b))) }
			}
			return func(b []byte) float64 { return float64(int64(binary.LittleEndian.Uint64(b))) }
		}
	case Uint:
		switch d.Size {
		case 1:
			return func(b []byte) float64 { return float64(b[0]) }
		case 2:
			if d.BigEndian {
				return func(b []byte) float64 { return float64(binary.BigEndian.Uint16(b)) }
			}
			return func(b []byte) float64 { return float64(binary.LittleEndian.Uint16(b)) }
		case 4:
			if d.BigEndian {
				return func(b []byte) float64 { return float64(binary.BigEndian.Uint32(b)) }
			}
			return func(b []byte) float64 { return float64(binary.LittleEndian.Uint32(b)) }
		case 8:
			if d.BigEndian {
				return func(b []byte) float64 { return float64(binary.BigEndian.Uint64(b)) }
			}
			return func(b []byte) float64 { return float64(binary.LittleEndian.Uint64(b)) }
		}
	case Float:
		switch {
		case d.Size == 2 && d.BFloat16:
			return func(b []byte) float64 { return bfloat16ToFloat64(bo.Uint16(b)) }
		case d.Size == 2:
			return func(b []byte) float64 { return halfToFloat64(bo.Uint16(b)) }
		case d.Size == 4:
			if d.BigEndian {
				return func(b []byte) float64 { return float64(math.Float32frombits(binary.BigEndian.Uint32(b))) }
			}
			return func(b []byte) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) }
		case d.Size == 8:
			if d.BigEndian {
				return func(b []byte) float64 { return math.Float64frombits(binary.BigEndian.Uint64(b)) }
			}
			return func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
		}
	}
	return func([]byte) float64 { return math.NaN() } // not reached for valid types
}

// halfToFloat64 converts IEEE 754 binary16 bits to float64, exactly
// (every half-precision value, subnormals, infinities and NaN payloads
// included, is representable in float64).
func halfToFloat64(h uint16) float64 {
	sign := uint64(h>>15) << 63
	exp := int(h>>10) & 0x1f
	frac := uint64(h & 0x3ff)
	switch exp {
	case 0: // zero or subnormal: frac × 2⁻²⁴
		v := math.Ldexp(float64(frac), -24)
		if sign != 0 {
			v = -v
		}
		return v
	case 0x1f: // infinity or NaN
		return math.Float64frombits(sign | 0x7ff<<52 | frac<<42)
	}
	return math.Float64frombits(sign | uint64(exp-15+1023)<<52 | frac<<42)
}

// bfloat16ToFloat64 converts bfloat16 bits, the top half of a float32, to
// float64.
func bfloat16ToFloat64(b uint16) float64 {
	return float64(math.Float32frombits(uint32(b) << 16))
}
