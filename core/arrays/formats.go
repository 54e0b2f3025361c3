package arrays

import "slices"

// Extensions lists the file name extensions that [Open] reads: the one list
// of supported file types (the page filters dropped files by it, and
// [Supported] spells it for messages; TestExtensions keeps the two equal).
var Extensions = []string{".npy", ".npz", ".safetensors", ".png", ".nii", ".nii.gz"}

// IsSupported reports whether [Open] reads files named name (by extension,
// ignoring case).
func IsSupported(name string) bool { return slices.Contains(Extensions, extension(name)) }

// IsBundle reports whether name is a multi-array container, an .npz or a
// .safetensors file, which may hold the labels next to the features.
func IsBundle(name string) bool {
	ext := extension(name)
	return ext == ".npz" || ext == ".safetensors"
}
