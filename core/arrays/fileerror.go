package arrays

import "fmt"

// FileError is an error about one file, or one array of a bundle: its
// message is the file's name, the member's key after a colon for an array
// of an .npz or .safetensors bundle, and the problem
// ("a_features.npy: truncated: …", "src.npz:features: truncated: …").
// As image/png's FormatError and os.PathError, it lets a caller find the
// file a message is about without parsing the message: errors.As finds it
// through any wrapping ("source: %w").
type FileError struct {
	File   string // the file's name, as the reader was given it
	Member string // the bundle's array the error is about, or "" for the file itself
	Err    error  // the problem
}

// Error returns "FILE: problem", or "FILE:MEMBER: problem".
func (e *FileError) Error() string {
	return loc{e.File, e.Member}.String() + ": " + e.Err.Error()
}

// Unwrap returns the problem, so that errors.Is sees through a FileError
// (to io.ErrUnexpectedEOF, say).
func (e *FileError) Unwrap() error { return e.Err }

// Errorf returns a *FileError about the file: the problem is
// fmt.Errorf(format, args...), which may wrap an error with %w.
func Errorf(file, format string, args ...any) error {
	return loc{file: file}.errorf(format, args...)
}

// loc is where an array is: a file, and the array's key in a bundle ("" for
// a file of one array).
type loc struct{ file, member string }

// String is the name of messages: "file", or "file:member".
func (l loc) String() string {
	if l.member == "" {
		return l.file
	}
	return l.file + ":" + l.member
}

// errorf returns a *FileError about the array at l.
func (l loc) errorf(format string, args ...any) error {
	return &FileError{File: l.file, Member: l.member, Err: fmt.Errorf(format, args...)}
}
