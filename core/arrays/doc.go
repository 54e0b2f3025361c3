// Package arrays reads n-dimensional numeric arrays lazily from .npy, .npz
// and .safetensors files, and decodes PNG label maps.
//
// Every reader works over an [io.ReaderAt] and its size, so that a file of
// many gigabytes, or a browser Blob read in slices, is never loaded whole:
// opening a file parses only its header, and the elements are read on
// demand by [Array.Gather] and [Array.ReadRange], in slabs of bounded size
// sorted by their position in the file. A header may claim any shape; it is
// checked against the file size before anything is allocated or read.
//
// Elements of every supported type (IEEE 754 half, single and double
// precision floats, bfloat16, signed and unsigned integers of 1 to 8 bytes
// and booleans, in either byte order) are converted to float64. Integers
// beyond ±2⁵³ lose precision in that conversion.
//
// Errors are single lines that begin with the name of the file, such as
//
//	a.npy: truncated: header claims 4000000 bytes of data, file holds 1200
//
// and no input, however malformed, makes a reader panic.
//
// It is hand-written rather than built on github.com/sbinet/npyio, which reads
// whole arrays into memory from an io.Reader: we need lazy slab reads over
// io.ReaderAt of multi-GB files, big endian, float16, and bounded allocation.
package arrays
