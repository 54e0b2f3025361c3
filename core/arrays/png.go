package arrays

import (
	"bufio"
	"encoding/binary"
	"image"
	"image/png"
	"io"
)

const (
	pngSignature = "\x89PNG\r\n\x1a\n"
	// maxPNGPixels bounds the size of a label map.
	maxPNGPixels = 1 << 28
	// maxDeflateRatio is more than the largest ratio of inflated to deflated
	// bytes that the deflate format allows (1032:1).
	maxDeflateRatio = 1100
)

// DecodePNG decodes a PNG label map of the given size read through r to an
// Array of shape (height, width) in C order.
//
// The label of a pixel is its stored sample: the gray value of an 8- or
// 16-bit (or 1-, 2- or 4-bit) grayscale image, unscaled, or the palette index
// of a paletted image, like Cityscapes' *_labelTrainIds.png files. Colour
// images (RGB, RGBA, or grayscale with an alpha channel) are rejected, since
// a label map must be grayscale or paletted. The array's DType is uint8, or
// uint16 big-endian for 16-bit images.
//
// PNG cannot be read at random, so the whole image is decoded into memory.
// Before decoding, DecodePNG checks the dimensions in the header: at most 2²⁸
// pixels, and no more than the file's compressed data can hold.
func DecodePNG(r io.ReaderAt, size int64, name string) (*Array, error) {
	fail := func(format string, args ...any) (*Array, error) {
		return nil, Errorf(name, format, args...)
	}
	if size < 0 {
		return fail("negative file size %d", size)
	}
	// The signature, then the IHDR chunk: length, type, 13 bytes of data, CRC.
	var hdr [33]byte
	n, err := r.ReadAt(hdr[:min(size, int64(len(hdr)))], 0)
	if n < len(pngSignature) || string(hdr[:8]) != pngSignature {
		if n < int(min(size, 8)) && err != nil && err != io.EOF {
			return fail("reading header: %v", err)
		}
		return fail("not a PNG file (bad signature)")
	}
	if n < len(hdr) {
		if int64(n) < size && err != nil && err != io.EOF {
			return fail("reading header: %v", err)
		}
		return fail("truncated: %d bytes, too short for a PNG header", size)
	}
	if binary.BigEndian.Uint32(hdr[8:]) != 13 || string(hdr[12:16]) != "IHDR" {
		return fail("malformed PNG: no IHDR chunk at the start")
	}
	w, h := binary.BigEndian.Uint32(hdr[16:]), binary.BigEndian.Uint32(hdr[20:])
	depth, colour := hdr[24], hdr[25]
	if w == 0 || h == 0 {
		return fail("malformed PNG: image is %dx%d pixels", w, h)
	}
	if uint64(w)*uint64(h) > maxPNGPixels {
		return fail("image of %dx%d pixels is larger than the limit of 2^28 pixels", w, h)
	}
	switch colour {
	case 0, 3: // grayscale, paletted
	case 2:
		return fail("RGB colour PNG: a label map must be grayscale or paletted")
	case 4:
		return fail("grayscale PNG with alpha: a label map must be grayscale or paletted, without alpha")
	case 6:
		return fail("RGBA colour PNG: a label map must be grayscale or paletted")
	default:
		return fail("malformed PNG: unknown colour type %d", colour)
	}
	switch depth {
	case 1, 2, 4, 8:
	case 16:
		if colour == 3 {
			return fail("malformed PNG: paletted with bit depth 16")
		}
	default:
		return fail("malformed PNG: bit depth %d", depth)
	}
	raw := uint64(h) * (1 + (uint64(w)*uint64(depth)+7)/8)
	if raw > maxDeflateRatio*uint64(size) {
		return fail("truncated: header claims %dx%d pixels, more than a file of %d bytes can hold", w, h, size)
	}

	img, err := png.Decode(bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 64<<10))
	if err != nil {
		return fail("%v", err)
	}
	b := img.Bounds()
	if b.Dx() != int(w) || b.Dy() != int(h) {
		return fail("decoded image is %dx%d, header says %dx%d", b.Dx(), b.Dy(), w, h)
	}
	W, H := int(w), int(h)
	u8 := DType{Kind: Uint, Size: 1}
	var data []byte
	dt := u8
	switch m := img.(type) {
	case *image.Gray:
		data = pixels(m.Pix, m.Stride, W, H, 1)
		unscale(data, depth)
	case *image.Paletted:
		data = pixels(m.Pix, m.Stride, W, H, 1)
	case *image.Gray16:
		data = pixels(m.Pix, m.Stride, W, H, 2)
		dt = DType{Kind: Uint, Size: 2, BigEndian: true}
	case *image.NRGBA: // grayscale with a transparent value: take R
		data = make([]byte, W*H)
		for y := range H {
			row := m.Pix[y*m.Stride:]
			for x := range W {
				data[y*W+x] = row[4*x]
			}
		}
		unscale(data, depth)
	case *image.NRGBA64: // 16-bit grayscale with a transparent value
		data = make([]byte, 2*W*H)
		dt = DType{Kind: Uint, Size: 2, BigEndian: true}
		for y := range H {
			row := m.Pix[y*m.Stride:]
			for x := range W {
				copy(data[2*(y*W+x):], row[8*x:8*x+2])
			}
		}
	default:
		return fail("unexpected decoded image type %T", img)
	}
	shape := []int{H, W}
	return newArray(loc{file: name}, shape, dt, false, int64(W*H), bytesSource(data)), nil
}

// pixels returns the rows of pix as one slice, copying only when the rows
// are not contiguous.
func pixels(pix []byte, stride, w, h, bpp int) []byte {
	if stride == w*bpp {
		return pix[:w*h*bpp]
	}
	out := make([]byte, w*h*bpp)
	for y := range h {
		copy(out[y*w*bpp:(y+1)*w*bpp], pix[y*stride:])
	}
	return out
}

// unscale undoes image/png's scaling of 1-, 2- and 4-bit gray samples to
// 8 bits, giving back the stored sample.
func unscale(data []byte, depth uint8) {
	if depth >= 8 {
		return
	}
	f := byte(255 / (1<<depth - 1)) // 255, 85, 17
	for i, v := range data {
		data[i] = v / f
	}
}
