package arrays

import (
	"io"
	"strings"
)

// Open opens the array in a file of the given size read through r, choosing
// the reader by the extension of name, ignoring case: .npy ([OpenNPY]), .npz
// ([OpenNPZ]), .safetensors ([OpenSafetensors]) or .png ([DecodePNG]).
//
// For .npz and .safetensors files, member names the array, such as
// "features" or "labels"; it may be empty if the file holds a single array.
// For .npy, .png and NIfTI files, member is ignored.
func Open(r io.ReaderAt, size int64, name, member string) (*Array, error) {
	var b *Bundle
	var err error
	switch ext := extension(name); ext {
	case ".npy":
		return OpenNPY(r, size, name)
	case ".png":
		return DecodePNG(r, size, name)
	case ".nii", ".nii.gz":
		return OpenNIfTI(r, size, name)
	case ".npz":
		b, err = OpenNPZ(r, size, name)
	case ".safetensors":
		b, err = OpenSafetensors(r, size, name)
	default:
		if ext == "" {
			return nil, Errorf(name, "no file name extension (supported: "+Supported+")")
		}
		return nil, Errorf(name, "unsupported file type %s (supported: "+Supported+")", quote(ext))
	}
	if err != nil {
		return nil, err
	}
	return b.Member(member)
}

// OpenBundle opens an .npz or .safetensors file of the given size read
// through r, so that several of its arrays can be taken from one parse of
// its directory or header.
func OpenBundle(r io.ReaderAt, size int64, name string) (*Bundle, error) {
	switch extension(name) {
	case ".npz":
		return OpenNPZ(r, size, name)
	case ".safetensors":
		return OpenSafetensors(r, size, name)
	}
	return nil, Errorf(name, "not a bundle (.npz or .safetensors)")
}

// Member returns the array member as [Open] does: by name, or the only
// array when member is empty.
func (b *Bundle) Member(member string) (*Array, error) {
	if member == "" {
		if len(b.names) != 1 {
			return nil, Errorf(b.name, "holds %d arrays, name one (has: %s)", len(b.names), listNames(b.names))
		}
		member = b.names[0]
	}
	return b.Array(member)
}

// Supported lists the file name extensions that [Open] reads, for messages.
const Supported = ".npy, .npz, .safetensors, .png, .nii, .nii.gz"

// Extension returns the lower-cased extension of the last element of the
// slash- or backslash-separated path name, with its dot: the two last ones
// for a gzipped NIfTI file (".nii.gz"), the last one otherwise.
func Extension(name string) string { return extension(name) }

func extension(name string) string {
	base := name[strings.LastIndexAny(name, `/\`)+1:]
	i := strings.LastIndexByte(base, '.')
	if i < 0 {
		return ""
	}
	ext := strings.ToLower(base[i:])
	if ext == ".gz" && strings.HasSuffix(strings.ToLower(base[:i]), ".nii") && i > 4 {
		ext = ".nii.gz"
	}
	return ext
}
