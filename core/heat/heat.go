// Package heat holds the colours of the transferability maps, shared by the
// CLI's PNG heat maps (`otce map`) and the page's canvas, so that both draw
// a map alike: the viridis colour scale of h, the colours of ignored and
// undefined pixels, and a categorical palette for the label maps beneath.
package heat

import (
	"image/color"
	"math"
)

// viridisAnchors are nine evenly spaced colours of the viridis colormap
// (van der Walt and Smith, CC0; the hex values of its 9-class palette),
// between which Colour interpolates linearly: perceptually ordered from
// dark blue (h = 0, well predicted) to yellow (h large, badly predicted),
// readable in greyscale and by colour-blind readers.
var viridisAnchors = [9][3]uint8{
	{0x44, 0x01, 0x54}, {0x47, 0x2d, 0x7b}, {0x3b, 0x52, 0x8b}, {0x2c, 0x72, 0x8e}, {0x21, 0x91, 0x8c},
	{0x28, 0xae, 0x80}, {0x5e, 0xc9, 0x62}, {0xad, 0xdc, 0x30}, {0xfd, 0xe7, 0x25},
}

// Colour returns the colour of t in [0, 1] (clamped; NaN counts as 0):
// with t = k/8 + f/8 the anchors k and k+1 mixed as (1−f)·a + f·b,
// rounded.
func Colour(t float64) color.RGBA {
	t = math.Max(0, math.Min(1, t))
	if math.IsNaN(t) {
		t = 0
	}
	x := t * float64(len(viridisAnchors)-1)
	k := min(int(x), len(viridisAnchors)-2)
	f := x - float64(k)
	a, b := viridisAnchors[k], viridisAnchors[k+1]
	var c [3]uint8
	for i := range c {
		c[i] = uint8(math.Round(float64(a[i])*(1-f) + float64(b[i])*f))
	}
	return color.RGBA{c[0], c[1], c[2], 255}
}

// The colours of the pixels without h.
var (
	Ignored   = color.RGBA{0x1e, 0x1e, 0x1e, 255} // label = ignore index
	Undefined = color.RGBA{0xb0, 0xb0, 0xb0, 255} // valid label, h undefined
)

// Cell returns the colour of a map's pixel of value v and label value
// label (−1: ignored) on the scale [0, maxH]: Ignored or Undefined where v
// is NaN, else Colour(v/maxH). IsIgnored tells the two NaN cases apart
// for a caller that blends the map over an image.
func Cell(v float32, label int32, maxH float64) color.RGBA {
	switch {
	case IsIgnored(v, label):
		return Ignored
	case v != v:
		return Undefined
	}
	return Colour(float64(v) / maxH)
}

// IsIgnored reports whether a map's pixel is ignored: v is NaN and its
// label is −1.
func IsIgnored(v float32, label int32) bool { return v != v && label < 0 }

// labelPalette is Paul Tol's "muted" qualitative palette (nine colours
// distinguishable by colour-blind readers) for the label maps.
var labelPalette = [9]color.RGBA{
	{0x33, 0x22, 0x88, 255}, {0x88, 0xcc, 0xee, 255}, {0x44, 0xaa, 0x99, 255}, {0x11, 0x77, 0x33, 255}, {0x99, 0x99, 0x33, 255},
	{0xdd, 0xcc, 0x77, 255}, {0xcc, 0x66, 0x77, 255}, {0x88, 0x22, 0x55, 255}, {0xaa, 0x44, 0x99, 255},
}

// Label returns the colour of label value l in a label map (Ignored for
// a negative one): the palette's colours in turn.
func Label(l int32) color.RGBA {
	if l < 0 {
		return Ignored
	}
	return labelPalette[int(l)%len(labelPalette)]
}
