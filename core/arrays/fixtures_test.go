package arrays

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The fixtures in testdata are written by scripts/make_array_fixtures.py
// with NumPy; expected.json holds what NumPy says they contain.

type expectedArray struct {
	Shape   []int  `json:"shape"`
	DType   string `json:"dtype"`
	Fortran bool   `json:"fortran"`
	Values  []any  `json:"values"`
}

// floats converts the JSON values, where NaN and infinities are strings.
func (e expectedArray) floats(t *testing.T) []float64 {
	out := make([]float64, len(e.Values))
	for i, v := range e.Values {
		switch v := v.(type) {
		case float64:
			out[i] = v
		case string:
			switch v {
			case "nan":
				out[i] = math.NaN()
			case "inf":
				out[i] = math.Inf(1)
			case "-inf":
				out[i] = math.Inf(-1)
			default:
				t.Fatalf("bad expected value %q", v)
			}
		default:
			t.Fatalf("bad expected value %v", v)
		}
	}
	return out
}

// loadExpected returns expected.json: single arrays by file name, and the
// arrays of bundles by file name and member name.
func loadExpected(t *testing.T) (map[string]expectedArray, map[string]map[string]expectedArray) {
	t.Helper()
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	single := map[string]expectedArray{}
	bundles := map[string]map[string]expectedArray{}
	for name, r := range raw {
		switch filepath.Ext(name) {
		case ".npz", ".safetensors":
			var m map[string]expectedArray
			if err := json.Unmarshal(r, &m); err != nil {
				t.Fatal(name, err)
			}
			bundles[name] = m
		default:
			var e expectedArray
			if err := json.Unmarshal(r, &e); err != nil {
				t.Fatal(name, err)
			}
			single[name] = e
		}
	}
	return single, bundles
}

// openFixture opens a file of testdata as an io.ReaderAt.
func openFixture(t *testing.T, name string) (*os.File, int64) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return f, st.Size()
}

// same reports whether x and y are the same float64, NaN equal to NaN and
// 0 different from -0.
func same(x, y float64) bool {
	if math.IsNaN(x) || math.IsNaN(y) {
		return math.IsNaN(x) && math.IsNaN(y)
	}
	return math.Float64bits(x) == math.Float64bits(y)
}

func compareValues(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range got {
		if !same(got[i], want[i]) {
			if bad < 5 {
				t.Errorf("%s: [%d] = %v, want %v", what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d values differ", what, bad)
	}
}

// checkArray compares an array with what NumPy wrote: metadata, all values
// by ReadRange, random subranges, and Gather with random, repeated and
// reversed indices.
func checkArray(t *testing.T, a *Array, e expectedArray, name string) {
	t.Helper()
	want := e.floats(t)
	if a.Name != name {
		t.Errorf("Name = %q, want %q", a.Name, name)
	}
	if !slices.Equal(a.Shape, e.Shape) {
		t.Errorf("%s: Shape = %v, want %v", name, a.Shape, e.Shape)
	}
	if got := a.DType.String(); got != e.DType {
		t.Errorf("%s: DType = %q, want %q", name, got, e.DType)
	}
	if a.Fortran != e.Fortran {
		t.Errorf("%s: Fortran = %v, want %v", name, a.Fortran, e.Fortran)
	}
	n := int64(len(want))
	if a.Len() != n {
		t.Fatalf("%s: Len = %d, want %d", name, a.Len(), n)
	}
	all := make([]float64, n)
	if err := a.ReadRange(0, all); err != nil {
		t.Fatalf("%s: ReadRange: %v", name, err)
	}
	compareValues(t, name+" ReadRange all", all, want)

	rng := rand.New(rand.NewPCG(1, uint64(n)))
	for range 20 {
		if n == 0 {
			break
		}
		start := rng.Int64N(n)
		m := 1 + rng.Int64N(n-start)
		if rng.IntN(2) == 0 {
			m = min(m, 2) // small ranges take other paths for Fortran arrays
		}
		got := make([]float64, m)
		if err := a.ReadRange(start, got); err != nil {
			t.Fatalf("%s: ReadRange(%d, %d): %v", name, start, m, err)
		}
		compareValues(t, fmt.Sprintf("%s ReadRange(%d, %d)", name, start, m), got, want[start:start+m])
	}

	if n > 0 {
		idx := make([]int64, 3*n+5)
		for i := range idx {
			idx[i] = rng.Int64N(n)
		}
		idx[0], idx[1] = n-1, n-1
		for i := int64(0); i < n; i++ { // every element once, backwards
			idx = append(idx, n-1-i)
		}
		got := make([]float64, len(idx))
		if err := a.Gather(idx, got); err != nil {
			t.Fatalf("%s: Gather: %v", name, err)
		}
		exp := make([]float64, len(idx))
		for k, i := range idx {
			exp[k] = want[i]
		}
		compareValues(t, name+" Gather", got, exp)
	}
	if err := a.Gather(nil, nil); err != nil {
		t.Errorf("%s: Gather of nothing: %v", name, err)
	}
	// Out of range reads are errors naming the file.
	for _, i := range []int64{-1, n} {
		err := a.Gather([]int64{0, i}[1:], make([]float64, 1))
		wantError(t, err, name, "out of range")
	}
	wantError(t, a.ReadRange(n, make([]float64, 1)), name, "out of range")
	wantError(t, a.ReadRange(-1, make([]float64, 1)), name, "out of range")
	wantError(t, a.Gather([]int64{0}, nil), name, "indices")
}

// wantError checks that err is a one-line error naming the file and
// saying what.
func wantError(t *testing.T, err error, name, what string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one saying %q", name, what)
		return
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, name+":") {
		t.Errorf("error %q does not start with the file name %q", msg, name)
	}
	if !strings.Contains(msg, what) {
		t.Errorf("error %q does not say %q", msg, what)
	}
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("error %q is not one line", msg)
	}
}

func TestNPYFixtures(t *testing.T) {
	single, _ := loadExpected(t)
	count := 0
	for name, e := range single {
		if filepath.Ext(name) != ".npy" {
			continue
		}
		count++
		t.Run(name, func(t *testing.T) {
			f, size := openFixture(t, name)
			a, err := OpenNPY(f, size, name)
			if err != nil {
				t.Fatal(err)
			}
			checkArray(t, a, e, name)
			// Open picks the same reader, whatever the case of the extension.
			upper := strings.TrimSuffix(name, ".npy") + ".NPY"
			b, err := Open(f, size, upper, "ignored")
			if err != nil {
				t.Fatal(err)
			}
			checkArray(t, b, e, upper)
		})
	}
	if count < 30 {
		t.Errorf("only %d .npy fixtures", count)
	}
}

// TestVariantsAgree checks that big-endian, Fortran-order and version 2.0
// and 3.0 files read as the same values as the plain file.
func TestVariantsAgree(t *testing.T) {
	readAll := func(name string) (*Array, []float64) {
		f, size := openFixture(t, name)
		a, err := OpenNPY(f, size, name)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float64, a.Len())
		if err := a.ReadRange(0, v); err != nil {
			t.Fatal(err)
		}
		return a, v
	}
	variants := map[string][]string{
		"f2.npy": {"f2_be.npy", "f2_fortran.npy"},
		"f4.npy": {"f4_be.npy", "f4_fortran.npy", "f4_v2.npy"},
		"f8.npy": {"f8_be.npy", "f8_fortran.npy", "f8_v3.npy"},
		"i2.npy": {"i2_be.npy", "i2_fortran.npy"},
		"i4.npy": {"i4_be.npy", "i4_be_fortran.npy"},
		"i8.npy": {"i8_be.npy"},
		"u1.npy": {"u1_fortran.npy"},
		"u2.npy": {"u2_be.npy", "u2_v3_fortran.npy"},
		"u4.npy": {"u4_be.npy"},
		"u8.npy": {"u8_be.npy"},
	}
	for plain, vs := range variants {
		pa, want := readAll(plain)
		for _, v := range vs {
			va, got := readAll(v)
			if !slices.Equal(va.Shape, pa.Shape) || va.DType.Kind != pa.DType.Kind || va.DType.Size != pa.DType.Size {
				t.Errorf("%s is %v %v, %s is %v %v", v, va.Shape, va.DType, plain, pa.Shape, pa.DType)
			}
			compareValues(t, v+" vs "+plain, got, want)
			idx := []int64{5, 0, 23, 5, 17}
			g1, g2 := make([]float64, len(idx)), make([]float64, len(idx))
			if err := va.Gather(idx, g1); err != nil {
				t.Fatal(err)
			}
			if err := pa.Gather(idx, g2); err != nil {
				t.Fatal(err)
			}
			compareValues(t, v+" Gather vs "+plain, g1, g2)
		}
	}
}

func TestBundleFixtures(t *testing.T) {
	_, bundles := loadExpected(t)
	for name, members := range bundles {
		t.Run(name, func(t *testing.T) {
			f, size := openFixture(t, name)
			var b *Bundle
			var err error
			if filepath.Ext(name) == ".npz" {
				b, err = OpenNPZ(f, size, name)
			} else {
				b, err = OpenSafetensors(f, size, name)
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for m := range members {
				want = append(want, m)
			}
			slices.Sort(want)
			if got := b.Names(); !slices.Equal(got, want) {
				t.Errorf("Names() = %v, want %v", got, want)
			}
			for m, e := range members {
				a, err := b.Array(m)
				if err != nil {
					t.Fatal(err)
				}
				checkArray(t, a, e, name+":"+m)
				if filepath.Ext(name) == ".npz" {
					a, err := b.Array(m + ".npy")
					if err != nil {
						t.Fatal(err)
					}
					checkArray(t, a, e, name+":"+m)
				}
				a, err = Open(f, size, name, m)
				if err != nil {
					t.Fatal(err)
				}
				checkArray(t, a, e, name+":"+m)
			}
			_, err = b.Array("nonesuch")
			wantError(t, err, name, `no array "nonesuch" (has: `+strings.Join(want, ", ")+")")
			if len(members) > 1 {
				_, err = Open(f, size, name, "")
				wantError(t, err, name, "name one")
			}
		})
	}
}

func TestPNGFixtures(t *testing.T) {
	single, _ := loadExpected(t)
	count := 0
	for name, e := range single {
		if filepath.Ext(name) != ".png" {
			continue
		}
		count++
		t.Run(name, func(t *testing.T) {
			f, size := openFixture(t, name)
			a, err := DecodePNG(f, size, name)
			if err != nil {
				t.Fatal(err)
			}
			checkArray(t, a, e, name)
			if a, err = Open(f, size, name, ""); err != nil {
				t.Fatal(err)
			}
			checkArray(t, a, e, name)
		})
	}
	if count < 6 {
		t.Errorf("only %d .png fixtures", count)
	}
}

func TestUnsupportedFixtures(t *testing.T) {
	for name, what := range map[string]string{
		"bad_c16.npy":    "unsupported dtype complex128 ('<c16')",
		"bad_object.npy": "unsupported dtype object ('|O')",
		"bad_str.npy":    "unsupported dtype str ('<U2')",
		"bad_struct.npy": "unsupported structured dtype",
		"bad_rgb.png":    "RGB colour PNG: a label map must be grayscale or paletted",
		"bad_rgba.png":   "RGBA colour PNG: a label map must be grayscale or paletted",
	} {
		f, size := openFixture(t, name)
		_, err := Open(f, size, name, "")
		wantError(t, err, name, what)
	}
}

// TestHalf checks float16 conversion against NumPy's table of every 37th
// bit pattern, and a few values exactly.
func TestHalf(t *testing.T) {
	for bits, want := range map[uint16]float64{
		0x0000: 0, 0x8000: math.Copysign(0, -1), 0x3c00: 1, 0xc000: -2,
		0x7bff: 65504, 0x0001: 0x1p-24, 0x03ff: 0x3ffp-24, 0x0400: 0x1p-14,
		0x3555: 0.333251953125, 0x7c00: math.Inf(1), 0xfc00: math.Inf(-1),
	} {
		if got := halfToFloat64(bits); !same(got, want) {
			t.Errorf("halfToFloat64(%#04x) = %v, want %v", bits, got, want)
		}
	}
	for _, bits := range []uint16{0x7c01, 0x7e00, 0xfe00, 0x7fff} {
		if got := halfToFloat64(bits); !math.IsNaN(got) {
			t.Errorf("halfToFloat64(%#04x) = %v, want NaN", bits, got)
		}
	}
	// NumPy's table: the stored bits are i*37, the values NumPy's conversion.
	single, _ := loadExpected(t)
	want := single["f2_table.npy"].floats(t)
	if len(want) != (65536+36)/37 {
		t.Fatalf("f2_table.npy has %d values", len(want))
	}
	for i, w := range want {
		if got := halfToFloat64(uint16(37 * i)); !same(got, w) {
			t.Errorf("halfToFloat64(%#04x) = %v, NumPy says %v", 37*i, got, w)
		}
	}
}

func TestBFloat16(t *testing.T) {
	for bits, want := range map[uint16]float64{
		0x3f80: 1, 0xc020: -2.5, 0x4049: 3.140625, 0x7f80: math.Inf(1),
		0x0001: 0x1p-133, 0x8000: math.Copysign(0, -1),
	} {
		if got := bfloat16ToFloat64(bits); !same(got, want) {
			t.Errorf("bfloat16ToFloat64(%#04x) = %v, want %v", bits, got, want)
		}
	}
	if got := bfloat16ToFloat64(0x7fc0); !math.IsNaN(got) {
		t.Errorf("bfloat16ToFloat64(0x7fc0) = %v, want NaN", got)
	}
}

func TestDTypeString(t *testing.T) {
	for _, c := range []struct {
		d    DType
		want string
	}{
		{DType{Float, 4, false, false}, "float32"},
		{DType{Float, 2, false, false}, "float16"},
		{DType{Float, 2, true, true}, "bfloat16 big-endian"},
		{DType{Int, 8, false, false}, "int64"},
		{DType{Uint, 2, true, false}, "uint16 big-endian"},
		{DType{Uint, 1, true, false}, "uint8"},
		{DType{Bool, 1, false, false}, "bool"},
		{DType{Int, 3, false, false}, "DType(kind=2, size=3)"},
		{DType{}, "DType(kind=0, size=0)"},
	} {
		if got := c.d.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestNewMemory(t *testing.T) {
	data := []float64{0, 1, 2, 3, 4, 5}
	a := NewMemory("mem", []int{2, 3}, data)
	e := expectedArray{Shape: []int{2, 3}, DType: "float64"}
	for _, v := range data {
		e.Values = append(e.Values, v)
	}
	checkArray(t, a, e, "mem")
	defer func() {
		if recover() == nil {
			t.Error("NewMemory with a wrong shape did not panic")
		}
	}()
	NewMemory("mem", []int{4, 2}, data)
}

func TestEncodeNPYRoundTrip(t *testing.T) {
	want := []float32{1, -2.5, 3, 4, 5, 6}
	b, err := EncodeNPY([]int{2, 3}, "<f4", want)
	if err != nil {
		t.Fatal(err)
	}
	a, err := OpenNPY(bytes.NewReader(b), int64(len(b)), "x.npy")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float64, 6)
	if err := a.ReadRange(0, got); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != float64(want[i]) || a.Shape[0] != 2 || a.Shape[1] != 3 {
			t.Fatalf("round trip: %v %v", a.Shape, got)
		}
	}
}
