package settings

import (
	"errors"
	"math"
	"strconv"
)

// The errors of ParseWhole; the tool's flags and the page's form say them.
var (
	ErrNotWhole = errors.New("not a whole number")
	ErrRange    = errors.New("out of range")
)

// ParseWhole reads a whole number as the integer settings take it, on the
// command line and on the page alike: a decimal integer ("10000"), or a
// whole number written as a float ("1e4", "10000.0", as a script's %g
// prints it). The error is ErrNotWhole for anything else ("ten", "1.5",
// "Inf", "NaN"), ErrRange for a whole number beyond the int64 range
// (|v| ≥ 2⁶³, "1e400").
func ParseWhole(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil {
		return n, nil
	}
	if errors.Is(err, strconv.ErrRange) {
		return 0, ErrRange
	}
	v, err := strconv.ParseFloat(s, 64)
	if errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0) {
		return 0, ErrRange
	}
	if err != nil || math.IsInf(v, 0) || v != math.Trunc(v) { // "Inf", "NaN" too
		return 0, ErrNotWhole
	}
	if math.Abs(v) >= 1<<63 {
		return 0, ErrRange
	}
	return int64(v), nil
}
