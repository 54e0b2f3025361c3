//go:build js && wasm

package blobfile

import (
	"bytes"
	"io"
	"math/rand/v2"
	"syscall/js"
	"testing"
)

// memFile is a File over data whose reads (readRange) are counted, and
// the bytes they read.
func memFile(t *testing.T, name string, data []byte) (f *File, calls, read *int64) {
	t.Helper()
	u8 := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(u8, data)
	f = &File{name: name, size: int64(len(data)), lastEnd: -1}
	calls, read = new(int64), new(int64)
	f.read = func(off, end int64) js.Value {
		if off < 0 || end > int64(len(data)) || off >= end {
			t.Fatalf("read [%d, %d) of %d bytes", off, end, len(data))
		}
		*calls++
		*read += end - off
		return u8.Call("slice", float64(off), float64(end))
	}
	return f, calls, read
}

func testData(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// A forward pass in slabs reads ahead, twice as far each time up to
// aheadMax: a 40 MiB file in 4 MiB slabs takes 4 reads (4, 8, 16, 12 MiB)
// instead of 10 (SetAheadMax(-1)), and 6 up to 8 MiB (4, 8, 8, 8, 8, 4),
// and returns the file's bytes.
func TestForwardReadsAhead(t *testing.T) {
	for _, c := range []struct {
		max   int64
		reads int64
	}{{0, 4}, {-1, 10}, {8 << 20, 6}} {
		SetAheadMax(c.max)
		if n := forwardReads(t); n != c.reads {
			t.Errorf("read-ahead at most %d: %d reads, want %d", c.max, n, c.reads)
		}
	}
	SetAheadMax(0)
}

// forwardReads reads a 40 MiB file in 4 MiB slabs, checks the bytes and
// that none was read twice, and returns the number of reads.
func forwardReads(t *testing.T) int64 {
	data := testData(40 << 20)
	f, calls, read := memFile(t, "f", data)
	const slab = 4 << 20
	var got []byte
	buf := make([]byte, slab)
	for off := int64(0); off < f.size; off += slab {
		n, err := f.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("the bytes read differ from the file's")
	}
	if *read != int64(len(data)) {
		t.Errorf("%d bytes read in all, want %d", *read, len(data))
	}
	return *calls
}

// Reads that jump about read what they ask for only; any pattern of reads,
// from two files in turn, returns the files' bytes, and io.EOF exactly
// when a read passes the end.
func TestRandomReads(t *testing.T) {
	data := [][]byte{testData(3<<20 + 17), testData(1<<20 + 5)}
	var files []*File
	for i, d := range data {
		f, _, _ := memFile(t, string(rune('a'+i)), d)
		files = append(files, f)
	}
	r := rand.New(rand.NewPCG(3, 4))
	off := []int64{0, 0}
	for range 3000 {
		i := r.IntN(2)
		f, d := files[i], data[i]
		switch r.IntN(4) {
		case 0: // jump
			off[i] = r.Int64N(int64(len(d)))
		case 1: // a short gap
			off[i] += r.Int64N(seqGap + 1)
		}
		if off[i] >= int64(len(d)) {
			off[i] = 0
		}
		p := make([]byte, 1+r.IntN(600<<10))
		n, err := f.ReadAt(p, off[i])
		want := min(len(p), len(d)-int(off[i]))
		if n != want || !bytes.Equal(p[:n], d[off[i]:off[i]+int64(n)]) {
			t.Fatalf("file %d: read of %d bytes at %d: %d bytes, or wrong ones; want %d", i, len(p), off[i], n, want)
		}
		if (err == io.EOF) != (want < len(p)) || err != nil && err != io.EOF {
			t.Fatalf("file %d: read of %d bytes at %d of %d: error %v", i, len(p), off[i], len(d), err)
		}
		off[i] += int64(n)
	}
}

// Only one File keeps bytes read ahead, and none after Forget.
func TestOneHolder(t *testing.T) {
	a, _, _ := memFile(t, "a", testData(1<<20))
	b, _, _ := memFile(t, "b", testData(1<<20))
	buf := make([]byte, 1000)
	for _, f := range []*File{a, a, b, b} {
		if _, err := f.ReadAt(buf, f.lastEnd+1); err != nil {
			t.Fatal(err)
		}
	}
	if a.ahead.Type() == js.TypeObject || b.ahead.Type() != js.TypeObject || holder != b {
		t.Errorf("a's read-ahead kept (%v) or b's not (%v)", a.ahead.Type(), b.ahead.Type())
	}
	Forget()
	if b.ahead.Type() == js.TypeObject || holder != nil {
		t.Errorf("b's read-ahead kept after Forget (%v)", b.ahead.Type())
	}
}

// core/arrays' pass over a 40 MB file of d = 256 features (slabs of about
// 4 MiB, each starting a hundred bytes or so after the last one's end,
// logged from the CLI's sampling): the slabs that cross the end of the
// read-ahead take its bytes and read only the rest, so the file is read
// once, in 4 reads.
func TestSlabsAcrossTheReadAhead(t *testing.T) {
	data := testData(40960128)
	f, calls, read := memFile(t, "f", data)
	slabs := [][2]int64{{264, 4194196}, {4194612, 4194296}, {8388916, 4193912}, {12583224, 4194292}, {16777560, 4194148},
		{20971960, 4194244}, {25166284, 4194280}, {29360664, 4194292}, {33554980, 4194280}, {37749296, 3210792}}
	for _, s := range slabs {
		p := make([]byte, s[1])
		if n, err := f.ReadAt(p, s[0]); err != nil || n != len(p) || !bytes.Equal(p, data[s[0]:s[0]+s[1]]) {
			t.Fatalf("slab at %d: %d bytes, %v, or wrong ones", s[0], n, err)
		}
	}
	if *calls != 4 || *read > int64(len(data)) {
		t.Errorf("%d reads of %d bytes in all, want 4 of at most %d", *calls, *read, len(data))
	}
}
