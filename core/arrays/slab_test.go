package arrays

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// rampNPY returns an .npy file of n float32 elements, element i being i.
func rampNPY(n int) []byte {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return npyFile(1, npyDict("<f4", false, n), float32sLE(v))
}

func checkRamp(t *testing.T, idx []int64, got []float64) {
	t.Helper()
	for k, i := range idx {
		if got[k] != float64(i) {
			t.Fatalf("element %d = %v, want %d", i, got[k], i)
		}
	}
}

// checkForward checks that the reads go forward, each at most a slab.
func checkForward(t *testing.T, reads []read) {
	t.Helper()
	for i, r := range reads {
		if r.n > slabSize {
			t.Errorf("read %d of %d bytes", i, r.n)
		}
		if i > 0 && r.off < reads[i-1].off+reads[i-1].n {
			t.Errorf("read %d at %d goes back before %d", i, r.off, reads[i-1].off+reads[i-1].n)
		}
	}
}

func TestGatherSlabs(t *testing.T) {
	const n = 3_000_000
	file := rampNPY(n)
	cr := &countingReader{r: bytes.NewReader(file)}
	a, err := OpenNPY(cr, int64(len(file)), "ramp.npy")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))

	// Dense: one forward pass in whole slabs.
	idx := make([]int64, 200_000)
	for i := range idx {
		idx[i] = rng.Int64N(n)
	}
	got := make([]float64, len(idx))
	cr.reset()
	if err := a.Gather(idx, got); err != nil {
		t.Fatal(err)
	}
	checkRamp(t, idx, got)
	checkForward(t, cr.reads)
	if max := 4*n/slabSize + 2; len(cr.reads) > max {
		t.Errorf("%d reads, want at most %d", len(cr.reads), max)
	}

	// Sparse: one small read per element.
	idx = []int64{2_900_000, 5, 1_000_000, 2_000_000, 1_500_000, 5}
	got = make([]float64, len(idx))
	cr.reset()
	if err := a.Gather(idx, got); err != nil {
		t.Fatal(err)
	}
	checkRamp(t, idx, got)
	checkForward(t, cr.reads)
	if len(cr.reads) != 5 || cr.bytes != 20 {
		t.Errorf("reads %v, want 5 reads of 4 bytes", cr.reads)
	}

	// Near: coalesced into one read.
	idx = []int64{1000, 0, 10_000, 500}
	got = make([]float64, len(idx))
	cr.reset()
	if err := a.Gather(idx, got); err != nil {
		t.Fatal(err)
	}
	checkRamp(t, idx, got)
	if len(cr.reads) != 1 || cr.bytes != 40_004 {
		t.Errorf("reads %v, want one of 40004 bytes", cr.reads)
	}

	// Already sorted, with repeats.
	idx = []int64{0, 0, 1, 1, 1, 2_999_999, 2_999_999}
	got = make([]float64, len(idx))
	if err := a.Gather(idx, got); err != nil {
		t.Fatal(err)
	}
	checkRamp(t, idx, got)

	// ReadRange: consecutive slabs.
	dst := make([]float64, 1_000_000)
	cr.reset()
	if err := a.ReadRange(123_456, dst); err != nil {
		t.Fatal(err)
	}
	for i, v := range dst {
		if v != float64(123_456+i) {
			t.Fatalf("ReadRange: element %d = %v", 123_456+i, v)
		}
	}
	checkForward(t, cr.reads)
	if want := (4_000_000 + slabSize - 1) / slabSize; len(cr.reads) != want {
		t.Errorf("%d reads for 4 MB, want %d slabs of %d bytes", len(cr.reads), want, slabSize)
	}
}

// fortranNPY returns a Fortran-order int32 array of the given shape whose
// element with C-order flat index c is c.
func fortranNPY(shape ...int) ([]byte, int) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]byte, 4*n)
	m := make([]int, len(shape))
	for p := 0; p < n; p++ { // storage order: first index fastest
		c := 0
		for d := range shape {
			c = c*shape[d] + m[d]
		}
		binary.LittleEndian.PutUint32(data[4*p:], uint32(c))
		for d := range shape {
			m[d]++
			if m[d] < shape[d] {
				break
			}
			m[d] = 0
		}
	}
	return npyFile(1, npyDict("<i4", true, shape...), data), n
}

func TestFortranRanges(t *testing.T) {
	file, n := fortranNPY(300, 70, 5)
	z := makeZip(t, zipMember{name: "f.npy", data: file, method: zip.Deflate})
	for _, name := range []string{"f.npy", "f.npz"} {
		var a *Array
		var err error
		if name == "f.npy" {
			a, err = Open(bytes.NewReader(file), int64(len(file)), name, "")
		} else {
			a, err = Open(bytes.NewReader(z), int64(len(z)), name, "f")
		}
		if err != nil {
			t.Fatal(err)
		}
		if !a.Fortran {
			t.Fatal("not Fortran")
		}
		rng := rand.New(rand.NewPCG(7, 8))
		for _, m := range []int{1, 3, 350, 1000, n / 8, n/8 + 1, n / 2, n} {
			start := rng.IntN(n - m + 1)
			dst := make([]float64, m)
			if err := a.ReadRange(int64(start), dst); err != nil {
				t.Fatal(err)
			}
			for i, v := range dst {
				if v != float64(start+i) {
					t.Fatalf("%s: ReadRange(%d, %d): element %d = %v", name, start, m, start+i, v)
				}
			}
		}
		idx := make([]int64, 5000)
		for i := range idx {
			idx[i] = rng.Int64N(int64(n))
		}
		got := make([]float64, len(idx))
		if err := a.Gather(idx, got); err != nil {
			t.Fatal(err)
		}
		checkRamp(t, idx, got)
	}
}

// TestDeflatedPasses checks that successive forward reads of a deflated
// member inflate it once, and that going back works.
func TestDeflatedPasses(t *testing.T) {
	const n = 1 << 20
	v := make([]float32, n)
	rng := rand.New(rand.NewPCG(9, 10))
	for i := range v {
		v[i] = float32(i) // compresses a little
	}
	file := npyFile(1, npyDict("<f4", false, n), float32sLE(v))
	z := makeZip(t, zipMember{name: "features.npy", data: file, method: zip.Deflate})
	cr := &countingReader{r: bytes.NewReader(z)}
	b, err := OpenNPZ(cr, int64(len(z)), "d.npz")
	if err != nil {
		t.Fatal(err)
	}
	a, err := b.Array("features")
	if err != nil {
		t.Fatal(err)
	}
	cr.reset()
	dst := make([]float64, 10_000)
	for start := int64(0); start+int64(len(dst)) <= n; start += int64(len(dst)) {
		if err := a.ReadRange(start, dst); err != nil {
			t.Fatal(err)
		}
		if dst[0] != float64(start) || dst[len(dst)-1] != float64(start)+float64(len(dst)-1) {
			t.Fatalf("ReadRange(%d): %v...", start, dst[0])
		}
	}
	if cr.bytes > int64(len(z))+64<<10 {
		t.Errorf("read %d compressed bytes of %d: not one pass", cr.bytes, len(z))
	}
	// Backwards, and Gather in random order, still right.
	if err := a.ReadRange(5, dst[:3]); err != nil || dst[0] != 5 || dst[2] != 7 {
		t.Errorf("ReadRange after the end: %v %v", dst[:3], err)
	}
	idx := make([]int64, 100_000)
	for i := range idx {
		idx[i] = rng.Int64N(n)
	}
	got := make([]float64, len(idx))
	if err := a.Gather(idx, got); err != nil {
		t.Fatal(err)
	}
	checkRamp(t, idx, got)
}

// TestConcurrent runs Gather on one array from several goroutines, for the
// race detector.
func TestConcurrent(t *testing.T) {
	const n = 200_000
	file := rampNPY(n)
	z := makeZip(t,
		zipMember{name: "s.npy", data: file, method: zip.Store},
		zipMember{name: "d.npy", data: file, method: zip.Deflate})
	b, err := OpenNPZ(bytes.NewReader(z), int64(len(z)), "c.npz")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"s", "d"} {
		a, err := b.Array(m)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(g), 1))
				for range 5 {
					idx := make([]int64, 1000)
					for i := range idx {
						idx[i] = rng.Int64N(n)
					}
					got := make([]float64, len(idx))
					if err := a.Gather(idx, got); err != nil {
						t.Error(err)
						return
					}
					for k, i := range idx {
						if got[k] != float64(i) {
							t.Errorf("%s: element %d = %v", m, i, got[k])
							return
						}
					}
				}
			})
		}
		wg.Wait()
	}
}

// raceEnabled is set when the race detector, which slows everything, is on.
var raceEnabled bool

// TestGatherSpeed gathers 10⁶ scattered elements from a 40 MB file on disk.
func TestGatherSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 40 MB file")
	}
	const n = 10_000_000
	path := filepath.Join(t.TempDir(), "big.npy")
	if err := os.WriteFile(path, rampNPY(n), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	a, err := OpenNPY(f, st.Size(), "big.npy")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	idx := make([]int64, 1_000_000)
	for i := range idx {
		idx[i] = rng.Int64N(n)
	}
	got := make([]float64, len(idx))
	start := time.Now()
	if err := a.Gather(idx, got); err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	checkRamp(t, idx, got)
	t.Logf("Gather of %d elements from %d: %v", len(idx), n, d)
	if d > 3*time.Second && !raceEnabled {
		t.Errorf("Gather took %v", d)
	}
}

func BenchmarkGather(b *testing.B) {
	const n = 10_000_000
	file := rampNPY(n)
	a, err := OpenNPY(bytes.NewReader(file), int64(len(file)), "big.npy")
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	idx := make([]int64, 1_000_000)
	for i := range idx {
		idx[i] = rng.Int64N(n)
	}
	got := make([]float64, len(idx))
	for b.Loop() {
		if err := a.Gather(idx, got); err != nil {
			b.Fatal(err)
		}
	}
}

// patternReader reads as a header followed by byte (off % 251) at offset
// off, up to size bytes, without holding them.
type patternReader struct {
	header []byte
	size   int64
}

func (r patternReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for ; n < len(p) && off+int64(n) < r.size; n++ {
		o := off + int64(n)
		if o < int64(len(r.header)) {
			p[n] = r.header[o]
		} else {
			p[n] = byte(o % 251)
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// TestPetabyte gathers from a (virtual) file of 2^50 bytes, enough for
// positions and indices not to fit together in 64-bit sort keys.
func TestPetabyte(t *testing.T) {
	const n = 1 << 50
	hdr := npyFile(1, npyDict("|u1", false, 1<<25, 1<<25), nil)
	cr := &countingReader{r: patternReader{hdr, int64(len(hdr)) + n}}
	a, err := OpenNPY(cr, int64(len(hdr))+n, "pb.npy")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, m := range []int{100, 1 << 15} { // 50+15 bits > 64
		idx := make([]int64, m)
		for i := range idx {
			idx[i] = rng.Int64N(n)
		}
		idx[1] = n - 1
		got := make([]float64, m)
		cr.reset()
		if err := a.Gather(idx, got); err != nil {
			t.Fatal(err)
		}
		for k, i := range idx {
			if want := float64((int64(len(hdr)) + i) % 251); got[k] != want {
				t.Fatalf("element %d = %v, want %v", i, got[k], want)
			}
		}
		checkForward(t, cr.reads)
		if len(cr.reads) != m {
			t.Errorf("%d reads for %d scattered elements", len(cr.reads), m)
		}
	}
}
