package arrays

import (
	"fmt"
	"io"
	"strings"
)

// Open opens the array in a file of the given size read through r, choosing
// the reader by the extension of name, ignoring case: .npy ([OpenNPY]), .npz
// ([OpenNPZ]), .safetensors ([OpenSafetensors]) or .png ([DecodePNG]).
//
// For .npz and .safetensors files, member names the array, such as
// "features" or "labels"; it may be empty if the file holds a single array.
// For .npy and .png files, member is ignored.
func Open(r io.ReaderAt, size int64, name, member string) (*Array, error) {
	var b *Bundle
	var err error
	switch ext := extension(name); ext {
	case ".npy":
		return OpenNPY(r, size, name)
	case ".png":
		return DecodePNG(r, size, name)
	case ".npz":
		b, err = OpenNPZ(r, size, name)
	case ".safetensors":
		b, err = OpenSafetensors(r, size, name)
	default:
		if ext == "" {
			return nil, fmt.Errorf("%s: no file name extension (supported: .npy, .npz, .safetensors, .png)", name)
		}
		return nil, fmt.Errorf("%s: unsupported file type %s (supported: .npy, .npz, .safetensors, .png)", name, quote(ext))
	}
	if err != nil {
		return nil, err
	}
	if member == "" {
		if len(b.names) != 1 {
			return nil, fmt.Errorf("%s: holds %d arrays, name one (has: %s)", name, len(b.names), listNames(b.names))
		}
		member = b.names[0]
	}
	return b.Array(member)
}

// extension returns the lower-cased extension of the last element of the
// slash- or backslash-separated path name, with its dot.
func extension(name string) string {
	base := name[strings.LastIndexAny(name, `/\`)+1:]
	i := strings.LastIndexByte(base, '.')
	if i < 0 {
		return ""
	}
	return strings.ToLower(base[i:])
}
