package arrays

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// bigSafetensors is a .safetensors file of n empty tensors and a metadata
// string of meta bytes.
func bigSafetensors(n, meta int) []byte {
	var h bytes.Buffer
	h.WriteString(`{"__metadata__":{"note":"` + strings.Repeat("x", meta) + `"}`)
	for i := range n {
		fmt.Fprintf(&h, `,"t%07d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`, i)
	}
	h.WriteString("}")
	b := binary.LittleEndian.AppendUint64(nil, uint64(h.Len()))
	return append(b, h.Bytes()...)
}

// TestSafetensorsHeaderLinear: the header is parsed in one pass whose
// allocations grow linearly with its length (not timed: bytes allocated
// per header byte, at 1 and 4 MB), and a tensor named twice is refused.
func TestSafetensorsHeaderLinear(t *testing.T) {
	perByte := func(n, meta int) float64 {
		b := bigSafetensors(n, meta)
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		bd, err := OpenSafetensors(bytes.NewReader(b), int64(len(b)), "big.safetensors")
		runtime.ReadMemStats(&m1)
		if err != nil || len(bd.Names()) != n {
			t.Fatalf("%d tensors: %v", n, err)
		}
		return float64(m1.TotalAlloc-m0.TotalAlloc) / float64(len(b))
	}
	small, large := perByte(20000, 1<<20), perByte(80000, 4<<20)
	t.Logf("allocated per header byte: %.1f at 2 MB, %.1f at 9 MB", small, large)
	if large > 1.5*small || large > 12 {
		t.Errorf("allocations per header byte %.1f at 9 MB against %.1f at 2 MB", large, small)
	}
	dup := []byte(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}`)
	b := append(binary.LittleEndian.AppendUint64(nil, uint64(len(dup))), dup...)
	_, err := OpenSafetensors(bytes.NewReader(b), int64(len(b)), "dup.safetensors")
	wantError(t, err, "dup.safetensors", `tensor "a" appears twice`)
}
