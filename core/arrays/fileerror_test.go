package arrays

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// TestFileError: the readers' errors are *FileError, found by errors.As
// through wrapping, naming the file (and a bundle's member) apart from the
// message, whose text stays "FILE: problem" or "FILE:MEMBER: problem".
func TestFileError(t *testing.T) {
	f4 := npyFile(1, npyDict("<f4", false, 2, 3), float32sLE(make([]float32, 6)))
	truncated := f4[:len(f4)-4]
	npz := makeZip(t, zipMember{name: "features.npy", data: truncated, method: zip.Store})
	for _, c := range []struct {
		what         string
		open         func() error
		file, member string
		msg          string
		is           error // an error the FileError wraps, or nil
	}{
		{"truncated .npy", func() error { _, err := openNPYBytes(truncated, "dir/a.npy"); return err },
			"dir/a.npy", "", "dir/a.npy: truncated: header claims 24 bytes of data, file holds 20", nil},
		{"unsupported type", func() error { _, err := Open(bytes.NewReader(f4), int64(len(f4)), "a.txt", ""); return err },
			"a.txt", "", `a.txt: unsupported file type ".txt" (supported: ` + Supported + ")", nil},
		{"npz member", func() error {
			_, err := Open(bytes.NewReader(npz), int64(len(npz)), "s.npz", "features")
			return err
		}, "s.npz", "features", "s.npz:features: truncated: header claims 24 bytes of data, member holds 20", nil},
		{"npz without the member", func() error {
			_, err := Open(bytes.NewReader(npz), int64(len(npz)), "s.npz", "labels")
			return err
		}, "s.npz", "", `s.npz: no array "labels" (has: features)`, nil},
		{"read error", func() error {
			a, err := OpenNPY(errAfter{bytes.NewReader(f4), int64(len(f4) - 24)}, int64(len(f4)), "b.npy")
			if err != nil {
				return err
			}
			return a.ReadRange(0, make([]float64, 6))
		}, "b.npy", "", "b.npy: truncated: data ends before the 6 elements the header claims", nil},
		{"Errorf wraps", func() error { return Errorf("c.png", "reading: %w", io.ErrUnexpectedEOF) },
			"c.png", "", "c.png: reading: unexpected EOF", io.ErrUnexpectedEOF},
	} {
		err := c.open()
		if err == nil {
			t.Errorf("%s: no error", c.what)
			continue
		}
		if err.Error() != c.msg {
			t.Errorf("%s: message %q, want %q", c.what, err, c.msg)
		}
		var fe *FileError
		if !errors.As(fmt.Errorf("source: %w", err), &fe) {
			t.Errorf("%s: %T is not a *FileError", c.what, err)
			continue
		}
		if fe.File != c.file || fe.Member != c.member {
			t.Errorf("%s: file %q member %q, want %q %q", c.what, fe.File, fe.Member, c.file, c.member)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: does not wrap %v", c.what, c.is)
		}
	}
	// An array's own errors name it as its messages do.
	a := NewMemory("m", []int{2}, []float64{1, 2})
	if err := a.Errorf("bad"); err.Error() != "m: bad" {
		t.Errorf("NewMemory's Errorf: %q", err)
	}
}

// errAfter fails every read at or past byte n as a truncated file does.
type errAfter struct {
	r io.ReaderAt
	n int64
}

func (e errAfter) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > e.n {
		return 0, io.ErrUnexpectedEOF
	}
	return e.r.ReadAt(p, off)
}
