package arrays

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
)

// npyFile returns an .npy file of the given format version with the given
// header dict text and data, padding the header as NumPy does.
func npyFile(version byte, dict string, data []byte) []byte {
	prefix := 10
	if version > 1 {
		prefix = 12
	}
	h := dict
	pad := 64 - (prefix+len(h)+1)%64
	if pad == 64 {
		pad = 0
	}
	h += strings.Repeat(" ", pad) + "\n"
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.WriteByte(version)
	b.WriteByte(0)
	if version > 1 {
		binary.Write(&b, binary.LittleEndian, uint32(len(h)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	}
	b.WriteString(h)
	b.Write(data)
	return b.Bytes()
}

// npyDict returns a header dict.
func npyDict(descr string, fortran bool, shape ...int) string {
	fo := "False"
	if fortran {
		fo = "True"
	}
	var s []string
	for _, d := range shape {
		s = append(s, fmt.Sprint(d))
	}
	t := "(" + strings.Join(s, ", ")
	if len(shape) == 1 {
		t += ","
	}
	t += ")"
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, fo, t)
}

// float32sLE returns the values as little-endian float32 bytes.
func float32sLE(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// zipMember is one member of a zip file built by makeZip.
type zipMember struct {
	name   string
	data   []byte
	method uint16
	// If lie is set, the zip directory says the member holds lie bytes
	// uncompressed, whatever data holds.
	lie uint64
	// If badCRC is set, the directory's CRC-32 is wrong.
	badCRC bool
}

// makeZip builds a zip file. Deflated members are compressed here so that
// the directory can state any uncompressed size.
func makeZip(t testing.TB, members ...zipMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		fh := &zip.FileHeader{Name: m.name, Method: m.method}
		raw := m.data
		if m.method == zip.Deflate {
			var c bytes.Buffer
			fw, _ := flate.NewWriter(&c, flate.BestSpeed)
			fw.Write(m.data)
			fw.Close()
			raw = c.Bytes()
		}
		fh.CRC32 = crc32.ChecksumIEEE(m.data)
		if m.badCRC {
			fh.CRC32 ^= 0x10
		}
		fh.CompressedSize64 = uint64(len(raw))
		fh.UncompressedSize64 = uint64(len(m.data))
		if m.lie != 0 {
			fh.UncompressedSize64 = m.lie
		}
		w, err := zw.CreateRaw(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(raw)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// read is one ReadAt call.
type read struct{ off, n int64 }

// countingReader records the reads made through it.
type countingReader struct {
	r     io.ReaderAt
	mu    sync.Mutex
	reads []read
	bytes int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.mu.Lock()
	c.reads = append(c.reads, read{off, int64(len(p))})
	c.bytes += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c *countingReader) reset() {
	c.mu.Lock()
	c.reads, c.bytes = nil, 0
	c.mu.Unlock()
}

// zeroReader reads as prefix followed by zeros, up to size bytes, without
// holding them.
type zeroReader struct {
	prefix []byte
	size   int64
}

func (z zeroReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= z.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off+int64(n) < z.size {
		i := off + int64(n)
		if i < int64(len(z.prefix)) {
			p[n] = z.prefix[i]
		} else {
			p[n] = 0
		}
		n++
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// errReader fails every read.
type errReader struct{}

func (errReader) ReadAt([]byte, int64) (int, error) { return 0, errDisk }

var errDisk = fmt.Errorf("disk on fire")
