package wire

import (
	"math"
	"reflect"
	"testing"

	"github.com/otceseg/otceseg/core/ot"
	"github.com/otceseg/otceseg/core/otce"
	"github.com/otceseg/otceseg/core/report"
)

type inner struct {
	Name  string
	Flags []bool
	skip  int // unexported: not carried
}

type sample struct {
	A   int
	B   int64
	C   uint32
	F32 float32
	F64 float64
	S   string
	P   *inner
	Nil *inner
	L   []inner
	PL  []*inner
	E   []float64 // empty, not nil
	N   []float64 // nil
	M   map[string]float64
	Arr [3]int16
	I8  []int8
	U64 []uint64
}

// TestBinaryRoundTrip checks that every kind the messages use comes back as
// it went, nil and empty told apart, NaN and ±Inf kept bit for bit.
func TestBinaryRoundTrip(t *testing.T) {
	in := &sample{
		A: -7, B: math.MinInt64, C: math.MaxUint32, F32: float32(math.Inf(-1)), F64: math.NaN(),
		S: "ε ≤ 0 — ünïcode", P: &inner{Name: "p", Flags: []bool{true, false}, skip: 3},
		L: []inner{{Name: "a"}, {Name: "", Flags: []bool{}}}, PL: []*inner{nil, {Name: "x"}},
		E: []float64{}, M: map[string]float64{"cost": 1.5, "iterate": math.Inf(1)},
		Arr: [3]int16{-1, 0, 32767}, I8: []int8{-128, 127}, U64: []uint64{math.MaxUint64},
	}
	b, err := Marshal(*in)
	if err != nil {
		t.Fatal(err)
	}
	var out sample
	if err := Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if math.Float64bits(out.F64) != math.Float64bits(in.F64) {
		t.Errorf("NaN: %x, want %x", math.Float64bits(out.F64), math.Float64bits(in.F64))
	}
	out.F64, in.F64 = 0, 0
	in.P.skip = 0
	if !reflect.DeepEqual(in, &out) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, *in)
	}
	if out.E == nil || out.N != nil {
		t.Errorf("nil and empty slices mixed up: E %#v, N %#v", out.E, out.N)
	}
}

// TestBinaryMessages round-trips the types the worker protocol carries.
func TestBinaryMessages(t *testing.T) {
	rep := &ot.Reply{ColSum: []float64{1, 2, math.Inf(1)}, Joint: []float64{0.5}, Hist: []uint32{1, 2}, MaxAt: 12, Rows: []int32{-1, 5}, Costs: []float32{1.25}}
	b, err := Marshal([]*ot.Reply{rep, nil})
	if err != nil {
		t.Fatal(err)
	}
	var got []*ot.Reply
	if err := Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1] != nil || !reflect.DeepEqual(got[0], rep) {
		t.Errorf("replies: %+v", got)
	}
	for _, v := range []any{&ot.Op{}, &ot.Solution{}, &otce.Sample{}, &report.Candidate{}, &ot.Problem{}} {
		if !binaryable(reflect.TypeOf(v)) {
			t.Errorf("%T has no binary form", v)
		}
	}
}

// TestBinaryCorrupt: a truncated or padded message is an error, never a
// panic or a huge allocation.
func TestBinaryCorrupt(t *testing.T) {
	b, _ := Marshal(sample{S: "abc", L: []inner{{Name: "x"}}, E: []float64{1, 2, 3}})
	for n := 0; n < len(b); n++ {
		var out sample
		if err := Unmarshal(b[:n], &out); err == nil {
			t.Fatalf("truncated at %d of %d: no error", n, len(b))
		}
	}
	var out sample
	if err := Unmarshal(append(b, 0), &out); err == nil {
		t.Error("a padded message: no error")
	}
	huge := []byte{0xfe, 0xff, 0xff, 0x7f} // a slice length of 2³¹−2 with nothing after it
	var fs []float64
	if err := Unmarshal(huge, &fs); err == nil {
		t.Error("a huge length with no data: no error")
	}
	if _, err := Marshal(make(chan int)); err == nil {
		t.Error("a channel has a binary form")
	}
}
