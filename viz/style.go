package viz

import (
	"fmt"
	"image/color"

	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The look shared by every figure: Liberation Sans (embedded in gonum's
// plot module, so PNGs render the same on every machine), a few sizes, and
// the series colours.

// Font sizes, in pixels.
const (
	titleSize = 15
	labelSize = 13
	tickSize  = 12
	smallSize = 11
)

var (
	white = color.White
	black = color.Black
	grey  = color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}
	light = color.RGBA{R: 0xe5, G: 0xe5, B: 0xe5, A: 0xff}
	red   = color.RGBA{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff}
)

// palette holds the series colours: the Okabe-Ito palette (Okabe and Ito,
// "Color Universal Design", 2008), which stays distinct for readers with
// the common colour-vision deficiencies, ordered so that the first six are
// the ones that read well as thin lines on white (its yellow comes last).
var palette = []color.RGBA{
	{R: 0x00, G: 0x72, B: 0xb2, A: 0xff}, // Blue.
	{R: 0xe6, G: 0x9f, B: 0x00, A: 0xff}, // Orange.
	{R: 0x00, G: 0x9e, B: 0x73, A: 0xff}, // Bluish green.
	{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff}, // Vermillion.
	{R: 0xcc, G: 0x79, B: 0xa7, A: 0xff}, // Reddish purple.
	{R: 0x56, G: 0xb4, B: 0xe9, A: 0xff}, // Sky blue.
	{R: 0x00, G: 0x00, B: 0x00, A: 0xff}, // Black.
	{R: 0xf0, G: 0xe4, B: 0x42, A: 0xff}, // Yellow.
}

// seriesColor returns the colour of the i-th series.
func seriesColor(i int) color.RGBA { return palette[i%len(palette)] }

// faded returns c mixed with white, keeping frac of c: the raw curve behind
// a moving average.
func faded(c color.RGBA, frac float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(255 + (float64(v)-255)*frac + 0.5) }
	return color.RGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 0xff}
}

var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// textStyle returns the style of text of size pixels in Liberation Sans,
// aligned at its left and bottom.
func textStyle(size float64, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(sansFont, vg.Length(size)), Handler: plot.DefaultTextHandler}
}

// aligned returns sty with the given alignment.
func aligned(sty text.Style, x text.XAlignment, y text.YAlignment) text.Style {
	sty.XAlign, sty.YAlign = x, y
	return sty
}

// checkText returns an error naming what and the first character of s that
// the figures' font cannot draw (Chinese characters among them), instead of
// a picture with an empty box in its place: figures take ASCII and Latin
// text (Latin, Greek and Cyrillic letters, arrows and the usual symbols).
func checkText(what, s string) error {
	face := font.DefaultCache.Lookup(sansFont, tickSize)
	var buf sfnt.Buffer
	for _, r := range s {
		if r == '\n' || r == '\t' {
			continue
		}
		if i, err := face.Face.GlyphIndex(&buf, r); err != nil || i == 0 {
			return fmt.Errorf("viz: %s %q has the character %q (%U), which the figures' font cannot draw; use ASCII or Latin text (put Chinese in the notebook's Markdown)", what, s, r, r)
		}
	}
	return nil
}

// fillRect fills the rectangle r of c with col.
func fillRect(c draw.Canvas, r vg.Rectangle, col color.Color) {
	c.SetColor(col)
	c.Fill(r.Path())
}

// strokeRect draws the outline of r on c.
func strokeRect(c draw.Canvas, r vg.Rectangle, col color.Color, width vg.Length) {
	c.SetLineStyle(draw.LineStyle{Color: col, Width: width})
	c.Stroke(r.Path())
}

// rect returns the rectangle with corner (x, y) and size w x h.
func rect(x, y, w, h vg.Length) vg.Rectangle {
	return vg.Rectangle{Min: vg.Point{X: x, Y: y}, Max: vg.Point{X: x + w, Y: y + h}}
}
