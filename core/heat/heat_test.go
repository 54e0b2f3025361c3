package heat

import (
	"image/color"
	"math"
	"testing"
)

// The ends and the middle of the scale are viridis's anchors (its 9-class
// palette: #440154, #21918c, #fde725); between two anchors the colour is
// their rounded linear mix.
func TestColour(t *testing.T) {
	for _, tc := range []struct {
		t    float64
		want color.RGBA
	}{
		{0, color.RGBA{0x44, 0x01, 0x54, 255}},
		{-3, color.RGBA{0x44, 0x01, 0x54, 255}},
		{math.NaN(), color.RGBA{0x44, 0x01, 0x54, 255}},
		{0.5, color.RGBA{0x21, 0x91, 0x8c, 255}},
		{1, color.RGBA{0xfd, 0xe7, 0x25, 255}},
		{7, color.RGBA{0xfd, 0xe7, 0x25, 255}},
		// Halfway between #440154 and #472d7b: (68+71)/2 = 69.5 → 70,
		// (1+45)/2 = 23, (84+123)/2 = 103.5 → 104.
		{1.0 / 16, color.RGBA{70, 23, 104, 255}},
	} {
		if got := Colour(tc.t); got != tc.want {
			t.Errorf("Colour(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
}

func TestCell(t *testing.T) {
	nan := float32(math.NaN())
	if got := Cell(nan, -1, 2); got != Ignored {
		t.Errorf("ignored pixel: %v", got)
	}
	if got := Cell(nan, 3, 2); got != Undefined {
		t.Errorf("undefined pixel: %v", got)
	}
	if got, want := Cell(1, 3, 2), Colour(0.5); got != want {
		t.Errorf("h = 1 of 2: %v, want %v", got, want)
	}
	if Label(-1) != Ignored || Label(0) == Label(1) || Label(0) != Label(9) {
		t.Error("label palette")
	}
}
