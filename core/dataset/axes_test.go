package dataset

import (
	"strings"
	"testing"
)

// TestAxisOrderWarning (issue 19 item 1): features saved in SimpleITK's
// (C, Z, Y, X) order against nibabel-read (X, Y, Z) labels are accepted —
// every per-axis ratio divides — but warned about, naming the axes and the
// reordering that makes the ratios equal; the right order, and an image,
// give no such warning.
func TestAxisOrderWarning(t *testing.T) {
	open := func(feat, lab []int) []string {
		t.Helper()
		f := NewMemFile("feats.npy", mustNPY(t, feat, "<f4", make([]float32, prodOf(feat))))
		l := NewMemFile("labels.nii.npy", mustNPY(t, lab, "|u1", make([]uint8, prodOf(lab))))
		opt := DefaultOptions()
		opt.Layout = "ncdhw"
		if len(feat) == 3 {
			opt.Layout = "nchw"
		}
		d, err := Open("t", []File{f}, []File{l}, opt)
		if err != nil {
			t.Fatalf("%v / %v: %v", feat, lab, err)
		}
		return d.Warnings
	}
	// Labels (X, Y, Z) = (64, 32, 16); a stride-4 network gives (16, 8, 4)
	// features, which SimpleITK's order writes as (Z, Y, X) = (4, 8, 16):
	// ratios (16, 4, 1).
	w := strings.Join(open([]int{3, 4, 8, 16}, []int{64, 32, 16}), "\n")
	for _, want := range []string{"(D, H, W) = (16, 4, 1) are unequal", "Read as (W, H, D), their grid 16x8x4 would be the labels' 64x32x16 divided by 4 on every axis", "SimpleITK's (C, Z, Y, X)"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q lacks %q", w, want)
		}
	}
	// Unequal ratios that no reordering makes equal: the warning still names them.
	w = strings.Join(open([]int{3, 8, 8, 8}, []int{16, 32, 8}), "\n")
	if !strings.Contains(w, "(D, H, W) = (2, 4, 1) are unequal") || strings.Contains(w, "Read as") {
		t.Errorf("warning %q", w)
	}
	if w := open([]int{3, 16, 8, 4}, []int{64, 32, 16}); len(w) != 0 {
		t.Errorf("the right order warned: %q", w)
	}
	if w := open([]int{3, 8, 16}, []int{32, 32}); len(w) != 0 {
		t.Errorf("an image warned: %q", w)
	}
}

func prodOf(shape []int) int {
	n := 1
	for _, x := range shape {
		n *= x
	}
	return n
}
