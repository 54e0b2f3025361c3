package dataset

import "bytes"

// MemFile is a File held in memory.
type MemFile struct {
	*bytes.Reader
	name string
}

// NewMemFile returns a File named name holding data.
func NewMemFile(name string, data []byte) *MemFile {
	return &MemFile{Reader: bytes.NewReader(data), name: name}
}

// Name returns the file's name.
func (f *MemFile) Name() string { return f.name }
