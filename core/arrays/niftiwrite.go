package arrays

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"math"
)

// EncodeNIfTI encodes a volume as a single-file NIfTI-1 image (.nii), or a
// gzipped one (.nii.gz) when gz is set, with unit voxel sizes and no
// scaling. shape is (dim[1], …), as nibabel gives it, such as (X, Y, Z); data
// holds the elements in Fortran order (the first axis fastest) as a slice of
// uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32 or
// float64. [OpenNIfTI] reads the result back as an array of that shape.
func EncodeNIfTI(shape []int, data any, gz bool) ([]byte, error) {
	var code, size int
	var n int
	switch d := data.(type) {
	case []uint8:
		code, size, n = 2, 1, len(d)
	case []int8:
		code, size, n = 256, 1, len(d)
	case []int16:
		code, size, n = 4, 2, len(d)
	case []uint16:
		code, size, n = 512, 2, len(d)
	case []int32:
		code, size, n = 8, 4, len(d)
	case []uint32:
		code, size, n = 768, 4, len(d)
	case []int64:
		code, size, n = 1024, 8, len(d)
	case []uint64:
		code, size, n = 1280, 8, len(d)
	case []float32:
		code, size, n = 16, 4, len(d)
	case []float64:
		code, size, n = 64, 8, len(d)
	default:
		return nil, fmt.Errorf("EncodeNIfTI: unsupported data type %T", data)
	}
	if len(shape) < 1 || len(shape) > 7 {
		return nil, fmt.Errorf("EncodeNIfTI: %d dimensions, want 1 to 7", len(shape))
	}
	want := 1
	for _, d := range shape {
		if d < 1 || d > math.MaxInt16 {
			return nil, fmt.Errorf("EncodeNIfTI: dimension %d out of range [1, %d]", d, math.MaxInt16)
		}
		want *= d
	}
	if want != n {
		return nil, fmt.Errorf("EncodeNIfTI: shape %v holds %d elements, data %d", shape, want, n)
	}
	h := make([]byte, nifti1HeaderSize+4)
	le := binary.LittleEndian
	le.PutUint32(h[0:], nifti1HeaderSize)
	le.PutUint16(h[40:], uint16(len(shape)))
	for i, d := range shape {
		le.PutUint16(h[42+2*i:], uint16(d))
	}
	le.PutUint16(h[70:], uint16(code))
	le.PutUint16(h[72:], uint16(8*size))
	for i := range 8 {
		le.PutUint32(h[76+4*i:], math.Float32bits(1)) // pixdim
	}
	le.PutUint32(h[108:], math.Float32bits(nifti1HeaderSize+4))
	le.PutUint32(h[112:], math.Float32bits(1)) // scl_slope
	le.PutUint16(h[254:], 1)                   // sform_code: scanner
	for i, row := range [][4]float32{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}} {
		for j, v := range row {
			le.PutUint32(h[280+16*i+4*j:], math.Float32bits(v))
		}
	}
	copy(h[344:], "n+1\x00")
	var b bytes.Buffer
	b.Write(h)
	if err := binary.Write(&b, le, data); err != nil {
		return nil, err
	}
	if !gz {
		return b.Bytes(), nil
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b.Bytes())
	if err := w.Close(); err != nil {
		return nil, err
	}
	return z.Bytes(), nil
}
