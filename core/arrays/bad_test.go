package arrays

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func fixtureBytes(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openNPYBytes(b []byte, name string) (*Array, error) {
	return OpenNPY(bytes.NewReader(b), int64(len(b)), name)
}

func TestBadNPY(t *testing.T) {
	f4 := fixtureBytes(t, "f4.npy") // 128 bytes of header, 96 of data
	data24 := make([]byte, 96)
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty.npy", nil, "not an .npy file: only 0 bytes"},
		{"short.npy", []byte("\x93NUM"), "not an .npy file: only 4 bytes"},
		{"magic.npy", append([]byte("\x93NUMPX"), f4[6:]...), "not an .npy file (bad magic)"},
		{"magic2.npy", []byte("PK\x03\x04 this is a zip"), "bad magic"},
		{"cut_prefix.npy", f4[:9], "not an .npy file: only 9 bytes"},
		{"cut_header.npy", f4[:60], "truncated: header claims 118 bytes of header, file holds 50"},
		{"cut_data.npy", f4[:200], "truncated: header claims 96 bytes of data, file holds 72"},
		{"cut_v2.npy", npyFile(2, npyDict("<f4", false, 3), nil)[:11], "too short for a version 2.0 header"},
		{"version.npy", append([]byte("\x93NUMPY\x04\x00"), f4[8:]...), "unsupported .npy format version 4.0"},
		{"minor.npy", append([]byte("\x93NUMPY\x01\x01"), f4[8:]...), "unsupported .npy format version 1.1"},
		{"c16.npy", npyFile(1, npyDict("<c16", false, 3), make([]byte, 48)), "unsupported dtype complex128 ('<c16')"},
		{"c8.npy", npyFile(1, npyDict(">c8", false, 3), make([]byte, 24)), "unsupported dtype complex64 ('>c8')"},
		{"object.npy", npyFile(1, npyDict("|O", false, 3), make([]byte, 24)), "unsupported dtype object ('|O')"},
		{"bytes.npy", npyFile(1, npyDict("|S5", false, 3), make([]byte, 15)), "unsupported dtype bytes ('|S5')"},
		{"datetime.npy", npyFile(1, npyDict("<M8[ns]", false, 3), make([]byte, 24)), "unsupported dtype datetime64 ('<M8[ns]')"},
		{"f16.npy", npyFile(1, npyDict("<f16", false, 3), make([]byte, 48)), "unsupported dtype float128 ('<f16')"},
		{"i3.npy", npyFile(1, npyDict("<i3", false, 3), make([]byte, 9)), "unsupported dtype int24 ('<i3')"},
		{"b2.npy", npyFile(1, npyDict("|b2", false, 3), make([]byte, 6)), "unsupported dtype bool ('|b2')"},
		{"weird.npy", npyFile(1, npyDict("<q4", false, 3), make([]byte, 12)), "unsupported dtype '<q4'"},
		{"nodescr.npy", npyFile(1, npyDict("", false, 3), nil), "unsupported dtype ''"},
		{"struct.npy", npyFile(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", make([]byte, 8)), "unsupported structured dtype"},
		{"huge.npy", npyFile(1, npyDict("<f4", false, 100000, 100000, 100000), nil), "truncated: header claims 4000000000000000 bytes of data, file holds 0"},
		{"huge2.npy", npyFile(1, npyDict("<f4", false, 100000, 100000, 100000), data24), "truncated: header claims 4000000000000000 bytes of data, file holds 96"},
		{"overflow.npy", npyFile(1, npyDict("<f8", false, 1<<40, 1<<40), nil), "more than 2^63 elements"},
		{"overflow2.npy", npyFile(1, npyDict("<f8", false, 1<<61), nil), "header claims more than 2^63 bytes of data"},
		{"bigdim.npy", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", nil), "bad integer"},
		{"negdim.npy", npyFile(1, npyDict("<f4", false, 2, -3), nil), "bad shape"},
		{"floatdim.npy", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }", nil), "malformed header"},
		{"notdict.npy", npyFile(1, "('<f4', False, (3,))", data24), "malformed header: not a dict"},
		{"nokey.npy", npyFile(1, "{'descr': '<f4', 'shape': (3,)}", data24), `no "fortran_order" key`},
		{"fo.npy", npyFile(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}", data24), "fortran_order is not True or False"},
		{"shape.npy", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': 3}", data24), "shape is not a tuple"},
		{"descr.npy", npyFile(1, "{'descr': 4, 'fortran_order': False, 'shape': (3,)}", data24), "descr is not a string"},
		{"garbage.npy", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} junk", data24), "malformed header"},
		{"unterminated.npy", npyFile(1, "{'descr': '<f4", data24), "unterminated string"},
		{"deep.npy", npyFile(1, strings.Repeat("[", 1000), nil), "nested too deeply"},
		{"nul.npy", npyFile(1, "\x00\x01\x02", nil), "malformed header"},
		{"longheader.npy", npyFile(2, "{"+strings.Repeat(" ", 2<<20)+"}", nil), "longer than the limit"},
	} {
		_, err := openNPYBytes(c.file, c.name)
		wantError(t, err, c.name, c.want)
	}
}

// TestHugeHeaderFailsFast checks that a header claiming a vast shape is
// rejected without allocating or reading what it claims.
func TestHugeHeaderFailsFast(t *testing.T) {
	file := npyFile(1, npyDict("<f4", false, 100000, 100000, 100000), make([]byte, 1200))
	cr := &countingReader{r: bytes.NewReader(file)}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := OpenNPY(cr, int64(len(file)), "a.npy")
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	wantError(t, err, "a.npy", "truncated: header claims 4000000000000000 bytes of data, file holds 1200")
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes", alloc)
	}
	if cr.bytes > int64(len(file)) {
		t.Errorf("read %d bytes", cr.bytes)
	}
	if elapsed > time.Second {
		t.Errorf("took %v", elapsed)
	}
	// Likewise a header length field claiming 4 GB in a small file.
	var b bytes.Buffer
	b.WriteString(npyMagic + "\x02\x00")
	binary.Write(&b, binary.LittleEndian, uint32(0xffffffff))
	b.WriteString("{}")
	runtime.ReadMemStats(&before)
	_, err = openNPYBytes(b.Bytes(), "h.npy")
	runtime.ReadMemStats(&after)
	wantError(t, err, "h.npy", "truncated: header claims 4294967295 bytes of header, file holds 2")
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes", alloc)
	}
	// And in a (virtual) file big enough to hold it.
	big := zeroReader{prefix: b.Bytes(), size: 5 << 30}
	_, err = OpenNPY(big, big.size, "big.npy")
	wantError(t, err, "big.npy", "header of 4294967295 bytes is longer than the limit")
}

func TestReadErrors(t *testing.T) {
	_, err := OpenNPY(errReader{}, 1000, "e.npy")
	wantError(t, err, "e.npy", "disk on fire")
	_, err = OpenNPZ(errReader{}, 1000, "e.npz")
	wantError(t, err, "e.npz", "disk on fire")
	_, err = OpenSafetensors(errReader{}, 1000, "e.safetensors")
	wantError(t, err, "e.safetensors", "disk on fire")
	_, err = DecodePNG(errReader{}, 1000, "e.png")
	wantError(t, err, "e.png", "disk on fire")
	_, err = OpenNPY(bytes.NewReader(nil), -1, "neg.npy")
	wantError(t, err, "neg.npy", "negative file size")

	// The file shrinks after it was opened.
	f4 := fixtureBytes(t, "f4.npy")
	a, err := OpenNPY(bytes.NewReader(f4[:150]), int64(len(f4)), "shrunk.npy")
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, a.ReadRange(0, make([]float64, 24)), "shrunk.npy", "truncated: data ends before the 24 elements")
	wantError(t, a.Gather([]int64{23}, make([]float64, 1)), "shrunk.npy", "truncated")
	a.src.(*atSource).r = errReader{}
	wantError(t, a.Gather([]int64{23}, make([]float64, 1)), "shrunk.npy", "reading data: disk on fire")
}

func TestGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 200 {
		b := make([]byte, rng.IntN(300))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		// Sometimes with a valid magic, to get past the first check.
		switch i % 4 {
		case 1:
			copy(b, npyMagic+"\x01\x00")
		case 2:
			copy(b, pngSignature)
		case 3:
			if len(b) >= 8 {
				binary.LittleEndian.PutUint64(b, uint64(rng.IntN(300)))
			}
		}
		for _, ext := range []string{".npy", ".npz", ".safetensors", ".png"} {
			name := fmt.Sprintf("garbage%d%s", i, ext)
			_, err := Open(bytes.NewReader(b), int64(len(b)), name, "features")
			if err == nil {
				t.Errorf("%s opened", name)
				continue
			}
			wantError(t, err, name, "")
		}
	}
}

func TestOpenExtensions(t *testing.T) {
	f4 := fixtureBytes(t, "f4.npy")
	r := bytes.NewReader(f4)
	for _, c := range []struct{ name, want string }{
		{"x.bin", `unsupported file type ".bin" (supported: .npy, .npz, .safetensors, .png, .nii, .nii.gz)`},
		{"dir.npy/x", "no file name extension (supported: .npy, .npz, .safetensors, .png, .nii, .nii.gz)"},
		{"x.npy.gz", `unsupported file type ".gz"`},
	} {
		_, err := Open(r, int64(len(f4)), c.name, "")
		wantError(t, err, c.name, c.want)
	}
	for _, name := range []string{`C:\data\X.Npy`, "/tmp/a.b/f4.npy", "f4.NPY"} {
		if _, err := Open(r, int64(len(f4)), name, ""); err != nil {
			t.Errorf("Open(%q): %v", name, err)
		}
	}
}

// safetensorsFile builds a .safetensors file from a header and data.
func safetensorsFile(header any, data []byte) []byte {
	h, _ := json.Marshal(header)
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(h)))
	b.Write(h)
	b.Write(data)
	return b.Bytes()
}

type stEntry struct {
	DType   string  `json:"dtype"`
	Shape   []int64 `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

func TestBadSafetensors(t *testing.T) {
	data := make([]byte, 64)
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty.safetensors", nil, "not a .safetensors file: only 0 bytes"},
		{"hlen.safetensors", []byte("\xff\xff\x00\x00\x00\x00\x00\x00{}"), "truncated: header claims 65535 bytes of header, file holds 2"},
		{"hlen2.safetensors", []byte("\xff\xff\xff\xff\xff\xff\xff\xff{}"), "truncated: header claims 18446744073709551615 bytes of header"},
		{"notjson.safetensors", []byte("\x04\x00\x00\x00\x00\x00\x00\x00abcd"), "header is not a JSON object"},
		{"badjson.safetensors", []byte("\x04\x00\x00\x00\x00\x00\x00\x00{\"a\""), "malformed header"},
		{"overlap.safetensors", safetensorsFile(map[string]any{
			"a": stEntry{"F32", []int64{4}, []int64{0, 16}},
			"b": stEntry{"F32", []int64{4}, []int64{8, 24}},
		}, data), `tensors "a" [0, 16] and "b" [8, 24] overlap`},
		{"same.safetensors", safetensorsFile(map[string]any{
			"a": stEntry{"U8", []int64{4}, []int64{0, 4}},
			"b": stEntry{"I8", []int64{4}, []int64{0, 4}},
		}, data), `tensors "a" [0, 4] and "b" [0, 4] overlap`},
		{"pastend.safetensors", safetensorsFile(map[string]any{
			"a": stEntry{"F64", []int64{10}, []int64{0, 80}},
		}, data), `truncated: tensor "a": data_offsets [0, 80] run past the end of the data (64 bytes)`},
		{"mismatch.safetensors", safetensorsFile(map[string]any{
			"a": stEntry{"F32", []int64{2, 3}, []int64{0, 16}},
		}, data), `tensor "a": data_offsets [0, 16] span 16 bytes, but shape [2 3] of float32 needs 24`},
		{"huge.safetensors", safetensorsFile(map[string]any{
			"a": stEntry{"F32", []int64{100000, 100000, 100000}, []int64{0, 64}},
		}, data), `span 64 bytes, but shape [100000 100000 100000] of float32 needs 4000000000000000`},
		{"overflow.safetensors", safetensorsFile(map[string]any{
			"a": stEntry{"F32", []int64{1 << 40, 1 << 40}, []int64{0, 64}},
		}, data), `shape [1099511627776 1099511627776] is too large`},
		{"reversed.safetensors", safetensorsFile(map[string]any{
			"a": stEntry{"U8", []int64{0}, []int64{8, 4}},
		}, data), `bad data_offsets [8, 4]`},
		{"negative.safetensors", safetensorsFile(map[string]any{
			"a": stEntry{"U8", []int64{4}, []int64{-4, 0}},
		}, data), `bad data_offsets [-4, 0]`},
		{"triple.safetensors", safetensorsFile(map[string]any{
			"a": stEntry{"U8", []int64{4}, []int64{0, 4, 8}},
		}, data), `data_offsets [0 4 8] is not a pair`},
		{"negshape.safetensors", safetensorsFile(map[string]any{
			"a": stEntry{"U8", []int64{-4}, []int64{0, 4}},
		}, data), `tensor "a": bad shape [-4]`},
		{"dtype.safetensors", safetensorsFile(map[string]any{
			"a": stEntry{"F8_E4M3", []int64{4}, []int64{0, 4}},
		}, data), `tensor "a": unsupported dtype "F8_E4M3"`},
		{"missing.safetensors", safetensorsFile(map[string]any{
			"a": map[string]any{"dtype": "U8", "shape": []int{4}},
		}, data), `tensor "a": entry lacks dtype, shape or data_offsets`},
		{"entry.safetensors", safetensorsFile(map[string]any{
			"a": []int{1, 2},
		}, data), `tensor "a": malformed entry`},
		{"floatshape.safetensors", safetensorsFile(map[string]any{
			"a": map[string]any{"dtype": "U8", "shape": []float64{2.5}, "data_offsets": []int{0, 4}},
		}, data), `tensor "a": malformed entry`},
	} {
		_, err := OpenSafetensors(bytes.NewReader(c.file), int64(len(c.file)), c.name)
		wantError(t, err, c.name, c.want)
	}

	// A header length within a (virtual) 300 MB file but over the limit.
	var pre [8]byte
	binary.LittleEndian.PutUint64(pre[:], 200_000_000)
	big := zeroReader{prefix: pre[:], size: 300_000_000}
	_, err := OpenSafetensors(big, big.size, "big.safetensors")
	wantError(t, err, "big.safetensors", "header of 200000000 bytes is longer than the limit of 100000000")

	// Zero-length tensors may share an offset; the file need not be padded.
	ok := safetensorsFile(map[string]any{
		"__metadata__": map[string]string{"x": "y"},
		"a":            stEntry{"U8", []int64{0, 5}, []int64{4, 4}},
		"b":            stEntry{"U8", []int64{4}, []int64{0, 4}},
		"c":            stEntry{"BOOL", []int64{}, []int64{4, 5}},
	}, []byte{1, 2, 3, 4, 7})
	b, err := OpenSafetensors(bytes.NewReader(ok), int64(len(ok)), "ok.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(b.Names(), ","); got != "a,b,c" {
		t.Errorf("Names() = %s", got)
	}
	c, err := b.Array("c")
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float64, 1)
	if err := c.ReadRange(0, v); err != nil || v[0] != 1 || c.Len() != 1 || len(c.Shape) != 0 {
		t.Errorf("scalar bool: %v %v %v %v", v, err, c.Len(), c.Shape)
	}
	// Array returns independent copies.
	c.Shape = append(c.Shape, 99)
	if c2, _ := b.Array("c"); len(c2.Shape) != 0 {
		t.Errorf("Array returned a shared shape")
	}
}

func TestBadNPZ(t *testing.T) {
	stored := fixtureBytes(t, "stored.npz")
	f4 := fixtureBytes(t, "f4.npy")
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty.npz", nil, "not an .npz file: zip: not a valid zip file"},
		{"cut.npz", stored[:len(stored)-30], "not an .npz file"},
		{"npy.npz", f4, "not an .npz file"},
	} {
		_, err := OpenNPZ(bytes.NewReader(c.file), int64(len(c.file)), c.name)
		wantError(t, err, c.name, c.want)
	}

	z := makeZip(t,
		zipMember{name: "a.npy", data: f4, method: zip.Store},
		zipMember{name: "b.npy", data: []byte("not an npy"), method: zip.Deflate},
		zipMember{name: "c.npy", data: f4[:150], method: zip.Deflate},
		zipMember{name: "d.npy", data: f4[:150], method: zip.Store},
		zipMember{name: "dir/", method: zip.Store},
		zipMember{name: "e", data: f4, method: 12}, // bzip2
		zipMember{name: "f.npy", data: f4, method: zip.Deflate, lie: 100},
	)
	b, err := OpenNPZ(bytes.NewReader(z), int64(len(z)), "z.npz")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(b.Names(), ","); got != "a,b,c,d,e,f" {
		t.Errorf("Names() = %s", got)
	}
	for _, c := range []struct{ member, want string }{
		{"b", "z.npz:b: not an .npy file (bad magic)"},
		{"c.npy", "z.npz:c: truncated: header claims 96 bytes of data, member holds 22"},
		{"d", "z.npz:d: truncated: header claims 96 bytes of data, member holds 22"},
		{"e", "z.npz:e: unsupported zip compression method 12"},
		{"f", "z.npz:f: truncated: header claims 118 bytes of header, member holds 90"},
		{"features", `z.npz: no array "features" (has: a, b, c, d, e, f)`},
	} {
		_, err := b.Array(c.member)
		wantError(t, err, "z.npz", c.want)
	}
	if _, err := b.Array("a.npy"); err != nil {
		t.Error(err)
	}
	_, err = Open(bytes.NewReader(z), int64(len(z)), "z.npz", "")
	wantError(t, err, "z.npz", "holds 6 arrays, name one (has: a, b, c, d, e, f)")

	// A stored member whose directory entry runs past the end of the file.
	cut := makeZip(t, zipMember{name: "a.npy", data: f4, method: zip.Store})
	i := bytes.Index(cut, f4)
	cut = append(cut[:i+100:i+100], cut[i+len(f4):]...) // drop the member's tail, keep the directory
	if b, err := OpenNPZ(bytes.NewReader(cut), int64(len(cut)), "cut.npz"); err == nil {
		_, err = b.Array("a")
		wantError(t, err, "cut.npz", "")
	}
}

// TestNPZBomb checks that a deflated member is never inflated past what its
// .npy header implies, and that reading stops.
func TestNPZBomb(t *testing.T) {
	// A small array followed by 4 MB of noise and 64 MB of zeros, which
	// deflate to some 4 MB.
	hdr := npyFile(1, npyDict("<f4", false, 10), float32sLE([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}))
	noise := make([]byte, 4<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	bomb := append(append(hdr, noise...), make([]byte, 64<<20)...)
	z := makeZip(t, zipMember{name: "features.npy", data: bomb, method: zip.Deflate})
	cr := &countingReader{r: bytes.NewReader(z)}
	start := time.Now()
	a, err := Open(cr, int64(len(z)), "bomb.npz", "features")
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float64, 10)
	if err := a.ReadRange(0, v); err != nil || v[9] != 10 {
		t.Fatalf("ReadRange: %v %v", v, err)
	}
	if err := a.Gather([]int64{9, 0, 5}, v[:3]); err != nil || v[0] != 10 || v[1] != 1 || v[2] != 6 {
		t.Fatalf("Gather: %v %v", v, err)
	}
	if cr.bytes > 3*inflateBuffer {
		t.Errorf("read %d of %d compressed bytes for 40 bytes of data", cr.bytes, len(z))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}

	// The same stream, with a header claiming more than the member holds.
	hdr = npyFile(1, npyDict("<f4", false, 1<<30), nil)
	z = makeZip(t, zipMember{name: "features.npy", data: append(hdr, make([]byte, 1<<20)...), method: zip.Deflate})
	_, err = Open(bytes.NewReader(z), int64(len(z)), "bomb2.npz", "features")
	wantError(t, err, "bomb2.npz:features", "truncated: header claims 4294967296 bytes of data, member holds 1048576")

	// A directory that claims the member holds what the header claims,
	// while the stream is shorter: reading fails at the stream's end.
	z = makeZip(t, zipMember{name: "features.npy", data: append(hdr, make([]byte, 1<<20)...), method: zip.Deflate, lie: 1 << 40})
	a, err = Open(bytes.NewReader(z), int64(len(z)), "bomb3.npz", "features")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Gather([]int64{7}, v[:1]); err != nil || v[0] != 0 {
		t.Errorf("Gather: %v %v", v[0], err)
	}
	wantError(t, a.Gather([]int64{1<<30 - 1}, v[:1]), "bomb3.npz:features", "truncated")
	wantError(t, a.ReadRange(1<<30-10, v[:10]), "bomb3.npz:features", "truncated")
	// And the array still reads after the failure.
	if err := a.Gather([]int64{7}, v[:1]); err != nil {
		t.Errorf("Gather after failure: %v", err)
	}
}

func TestBadPNG(t *testing.T) {
	gray := fixtureBytes(t, "gray8.png")
	ihdr := func(w, h uint32, depth, colour byte) []byte {
		b := append([]byte(nil), gray...)
		binary.BigEndian.PutUint32(b[16:], w)
		binary.BigEndian.PutUint32(b[20:], h)
		b[24], b[25] = depth, colour
		return b
	}
	notIHDR := append([]byte(nil), gray...)
	copy(notIHDR[12:16], "IDAT")
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty.png", nil, "not a PNG file (bad signature)"},
		{"sig.png", []byte("\x89PNG\r\n\x1a"), "not a PNG file (bad signature)"},
		{"npy.png", fixtureBytes(t, "f4.npy"), "not a PNG file (bad signature)"},
		{"short.png", gray[:20], "truncated: 20 bytes, too short for a PNG header"},
		{"cut.png", gray[:len(gray)-20], "png: "},
		{"notihdr.png", notIHDR, "malformed PNG: no IHDR chunk at the start"},
		{"rgb.png", fixtureBytes(t, "bad_rgb.png"), "RGB colour PNG: a label map must be grayscale or paletted"},
		{"rgba.png", fixtureBytes(t, "bad_rgba.png"), "RGBA colour PNG: a label map must be grayscale or paletted"},
		{"ga.png", ihdr(7, 5, 8, 4), "grayscale PNG with alpha: a label map must be grayscale or paletted"},
		{"ct.png", ihdr(7, 5, 8, 5), "unknown colour type 5"},
		{"depth.png", ihdr(7, 5, 3, 0), "bit depth 3"},
		{"p16.png", ihdr(7, 5, 16, 3), "paletted with bit depth 16"},
		{"zero.png", ihdr(0, 5, 8, 0), "image is 0x5 pixels"},
		{"huge.png", ihdr(1<<15, 1<<14, 8, 0), "image of 32768x16384 pixels is larger than the limit of 2^28 pixels"},
		{"big.png", ihdr(10000, 10000, 8, 0), "truncated: header claims 10000x10000 pixels, more than a file of 106 bytes can hold"},
		{"crc.png", ihdr(7, 6, 8, 0), "png: invalid format"},
	} {
		_, err := DecodePNG(bytes.NewReader(c.file), int64(len(c.file)), c.name)
		wantError(t, err, c.name, c.want)
	}
}
