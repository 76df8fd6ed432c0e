package draw

import (
	"image"
	"image/color"
	"math"
)

// The canvas the student draws on, in CSS pixels. The page's JavaScript
// uses the same numbers (see assets/canvas.js).
const (
	// CanvasSize is the side of the square canvas: ten times MNIST's 28
	// pixels, big enough for a mouse, a pen or a finger.
	CanvasSize = 280
	// PenWidth is the width of the pen's stroke. A digit drawn across most
	// of the canvas (about 200 pixels tall) is scaled by 20/200 into
	// MNIST's 20x20 box, which makes this stroke about 2 pixels wide: the
	// width of the strokes in the MNIST digits.
	PenWidth = 22
)

// Stroke is one line drawn without lifting the pen: the points the pointer
// went through, in canvas pixels.
type Stroke []image.Point

// DrawStrokes returns a white width x height image with the strokes drawn
// in black, penWidth wide, with round ends and joins: the picture the
// canvas holds after the same pointer moves (the browser anti-aliases the
// edges; this does not).
func DrawStrokes(width, height int, penWidth float64, strokes ...Stroke) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, width, height))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	r := penWidth / 2
	for _, s := range strokes {
		for i := range s {
			a, b := s[i], s[i]
			if i+1 < len(s) {
				b = s[i+1]
			}
			drawSegment(img, a, b, r)
		}
	}
	return img
}

// drawSegment paints black every pixel whose centre lies within r of the
// segment from a to b.
func drawSegment(img *image.Gray, a, b image.Point, r float64) {
	box := image.Rect(min(a.X, b.X)-int(r)-1, min(a.Y, b.Y)-int(r)-1,
		max(a.X, b.X)+int(r)+2, max(a.Y, b.Y)+int(r)+2).Intersect(img.Bounds())
	ax, ay := float64(a.X), float64(a.Y)
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	length2 := dx*dx + dy*dy
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			px, py := float64(x)+0.5-ax, float64(y)+0.5-ay
			t := 0.0
			if length2 > 0 {
				t = math.Max(0, math.Min(1, (px*dx+py*dy)/length2))
			}
			ex, ey := px-t*dx, py-t*dy
			if math.Hypot(ex, ey) <= r {
				img.SetGray(x, y, color.Gray{})
			}
		}
	}
}

// sampleSeven is a 7 drawn on the canvas with two strokes: the bar, then
// the stem down to the left.
var sampleSeven = []Stroke{
	{{80, 60}, {200, 60}},
	{{200, 60}, {170, 130}, {140, 220}},
}

// SampleDrawing is a 7 drawn with the canvas's pen on a CanvasSize canvas.
// The notebook cell answers for it when no page is connected (a headless
// run), so the saved notebook shows what the canvas answers.
func SampleDrawing() image.Image {
	return DrawStrokes(CanvasSize, CanvasSize, PenWidth, sampleSeven...)
}
