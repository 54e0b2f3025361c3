package arrays

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// EncodeNPY returns a version 1.0 .npy file holding data, a slice of fixed-size
// numbers (as encoding/binary writes them), little-endian and in C order,
// with the given shape and NumPy dtype descriptor (e.g. "<f4", "|u1"). It
// makes the demo dataset and test files.
func EncodeNPY(shape []int, descr string, data any) ([]byte, error) {
	dims := make([]string, len(shape))
	for i, s := range shape {
		dims[i] = fmt.Sprint(s)
	}
	sh := strings.Join(dims, ", ")
	if len(shape) == 1 {
		sh += ","
	}
	hdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, sh)
	hdr += strings.Repeat(" ", (64-(10+len(hdr)+1)%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	if err := binary.Write(&b, binary.LittleEndian, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
