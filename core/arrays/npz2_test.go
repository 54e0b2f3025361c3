package arrays

import (
	"archive/zip"
	"bytes"
	"testing"
)

// TestNPZAmbiguousAndDamaged: an .npz with two members of the same name is
// refused (NumPy reads the last, a reader of the first would disagree), and
// a member whose CRC-32 is wrong is an error when it is read whole: at
// opening for a stored member of at most 16 MiB, at the end of a pass for
// a deflated one.
func TestNPZAmbiguousAndDamaged(t *testing.T) {
	f4 := fixtureBytes(t, "f4.npy")
	for _, dup := range [][2]string{{"features.npy", "features.npy"}, {"features", "features.npy"}} {
		z := makeZip(t, zipMember{name: dup[0], data: f4, method: zip.Store}, zipMember{name: dup[1], data: f4, method: zip.Deflate})
		_, err := OpenNPZ(bytes.NewReader(z), int64(len(z)), "dup.npz")
		wantError(t, err, "dup.npz", `two members named "features"`)
	}
	z := makeZip(t, zipMember{name: "features.npy", data: f4, method: zip.Store, badCRC: true})
	b, err := OpenNPZ(bytes.NewReader(z), int64(len(z)), "crc.npz")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Array("features")
	wantError(t, err, "crc.npz:features", "damaged: CRC-32 of the member is")

	z = makeZip(t, zipMember{name: "features.npy", data: f4, method: zip.Deflate, badCRC: true})
	b, err = OpenNPZ(bytes.NewReader(z), int64(len(z)), "crc.npz")
	if err != nil {
		t.Fatal(err)
	}
	a, err := b.Array("features")
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float64, a.Len())
	err = a.ReadRange(0, dst)
	wantError(t, err, "crc.npz:features", "checksum")
	// A good deflated member reads whole without error.
	z = makeZip(t, zipMember{name: "features.npy", data: f4, method: zip.Deflate})
	b, _ = OpenNPZ(bytes.NewReader(z), int64(len(z)), "ok.npz")
	a, _ = b.Array("features")
	if err := a.ReadRange(0, dst); err != nil {
		t.Error(err)
	}
}
