package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // target RGB images may be JPEG
	"image/png"
	"math"
	"os"
	"strconv"

	"github.com/otceseg/otceseg/core/heat"
)

// render draws the PNG heat maps of `otce map`.
type render struct {
	maxH    float64 // h at the top of the colour scale
	zoom    int
	opacity float64 // of the map over an RGB image
}

// heat draws an h×w map, each cell sh×sw pixels (times the zoom): values
// (NaN: ignored when labels says −1 or labels is nil, else undefined), over
// photo when given (resampled to the map's size by nearest neighbour).
func (rd render) heat(h, w, sh, sw int, values []float32, labels []int32, photo image.Image) *image.RGBA {
	ph, pw := h*sh*rd.zoom, w*sw*rd.zoom
	img := image.NewRGBA(image.Rect(0, 0, pw, ph))
	var pb image.Rectangle
	if photo != nil {
		pb = photo.Bounds()
	}
	for y := 0; y < ph; y++ {
		for x := 0; x < pw; x++ {
			k := (y/(sh*rd.zoom))*w + x/(sw*rd.zoom)
			alpha := 1.0
			label := int32(-1)
			if labels != nil {
				label = labels[k]
			}
			c := heat.Cell(values[k], label, rd.maxH)
			if photo != nil && heat.IsIgnored(values[k], label) {
				alpha = 0
			}
			if photo != nil {
				alpha *= rd.opacity
				pr, pg, pbl, _ := photo.At(pb.Min.X+x*pb.Dx()/pw, pb.Min.Y+y*pb.Dy()/ph).RGBA()
				mix := func(a uint8, b uint32) uint8 {
					return uint8(math.Round(alpha*float64(a) + (1-alpha)*float64(b>>8)))
				}
				c = color.RGBA{mix(c.R, pr), mix(c.G, pg), mix(c.B, pbl), 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// image draws a 2-D map, over the RGB image photo (its file's bytes) when
// given, at the photo's size then.
func (rd render) image(h, w, sh, sw int, values []float32, labels []int32, photo []byte, name string) (*image.RGBA, error) {
	if photo == nil {
		return rd.heat(h, w, sh, sw, values, labels, nil), nil
	}
	p, _, err := image.Decode(bytes.NewReader(photo))
	if err != nil {
		return nil, fmt.Errorf("%s: not a PNG or JPEG image: %v", name, err)
	}
	b := p.Bounds()
	// The photo's size, rounded to whole feature cells of the zoomed map.
	zw, zh := max(1, b.Dx()*rd.zoom/w), max(1, b.Dy()*rd.zoom/h)
	r := render{maxH: rd.maxH, zoom: 1, opacity: rd.opacity}
	return r.heat(h, w, zh, zw, values, labels, p), nil
}

// withBar adds the colour bar at the right of img: the scale from 0
// (bottom) to maxH (top), labelled, the top marked "≥" by a bar above.
func (rd render) withBar(img *image.RGBA) *image.RGBA {
	return rd.withScale(img, strconv.FormatFloat(rd.maxH, 'f', 2, 64), "0", "h")
}

// withScale adds the colour bar at the right of img, its top (yellow)
// labelled top, its bottom (dark blue) bottom and its middle mid (the
// glyphs' characters: digits, '.', '-', 'h').
func (rd render) withScale(img *image.RGBA, top, bottom, mid string) *image.RGBA {
	const gap, barW, scale = 6, 14, 2
	textW := (4*max(len(top), len(bottom), len(mid)) - 1) * scale
	b := img.Bounds()
	h := max(b.Dy(), 60)
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()+gap+barW+4+textW+4, h))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(out, b, img, b.Min, draw.Src)
	x0 := b.Dx() + gap
	y0, y1 := 2, h-3
	for y := y0; y <= y1; y++ {
		c := heat.Colour(float64(y1-y) / float64(y1-y0))
		for x := x0; x < x0+barW; x++ {
			out.SetRGBA(x, y, c)
		}
	}
	ink := color.RGBA{0, 0, 0, 255}
	drawText(out, x0+barW+4, y0, scale, top, ink)
	drawText(out, x0+barW+4, y1-5*scale+1, scale, bottom, ink)
	drawText(out, x0+barW+4, (y0+y1)/2-5*scale/2, scale, mid, ink)
	return out
}

// glyphs is a 3×5 bitmap font for the colour bar's labels: five rows of
// three bits each, top row first.
var glyphs = map[rune][5]uint8{
	'0': {7, 5, 5, 5, 7}, '1': {2, 6, 2, 2, 7}, '2': {7, 1, 7, 4, 7}, '3': {7, 1, 7, 1, 7},
	'4': {5, 5, 7, 1, 1}, '5': {7, 4, 7, 1, 7}, '6': {7, 4, 7, 5, 7}, '7': {7, 1, 1, 1, 1},
	'8': {7, 5, 7, 5, 7}, '9': {7, 5, 7, 1, 7}, '.': {0, 0, 0, 0, 2}, '-': {0, 0, 7, 0, 0},
	'h': {4, 4, 7, 5, 5},
}

func drawText(img *image.RGBA, x, y, scale int, s string, c color.RGBA) {
	for _, r := range s {
		g := glyphs[r]
		for row := 0; row < 5; row++ {
			for col := 0; col < 3; col++ {
				if g[row]&(4>>col) == 0 {
					continue
				}
				for dy := 0; dy < scale; dy++ {
					for dx := 0; dx < scale; dx++ {
						img.SetRGBA(x+col*scale+dx, y+row*scale+dy, c)
					}
				}
			}
		}
		x += 4 * scale
	}
}

func writePNG(path string, img image.Image) error {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("%s: %v", path, errText(err))
	}
	return nil
}
