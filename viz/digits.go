package viz

import (
	"fmt"
	"image"
	"image/color"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/godigits/digits/mnist"
)

// Digit is one image to draw: 28x28 raw pixels (0 background, 255 ink),
// with a caption under it. Wrong marks the caption in red, for predictions
// that missed.
type Digit struct {
	Pixels  []uint8
	Caption string
	Wrong   bool
}

// Sizes of a digit grid, in pixels.
const (
	digitSide   = 56 // A 28x28 digit, drawn twice as large.
	captionSize = 18
	gridPad     = 6
)

// DigitGrid draws the digits in rows of cols (all in one row when cols is
// 0 or less), each with its caption below it, in red when Wrong. Chapter 2
// (数据处理) introduces it to look at the data set; later chapters show
// predictions with it.
func DigitGrid(digits []Digit, cols int) (Figure, error) {
	if len(digits) == 0 {
		return Figure{}, fmt.Errorf("viz: no digits to draw")
	}
	if cols <= 0 {
		cols = len(digits)
	}
	rows := (len(digits) + cols - 1) / cols
	cols = min(cols, len(digits))
	const side = 28
	tiles := make([]image.Image, len(digits))
	wrong := 0
	for i, d := range digits {
		if len(d.Pixels) != side*side {
			return Figure{}, fmt.Errorf("viz: digit %d has %d pixels, want %d", i, len(d.Pixels), side*side)
		}
		if err := checkText(fmt.Sprintf("caption of digit %d", i), d.Caption); err != nil {
			return Figure{}, err
		}
		img := image.NewGray(image.Rect(0, 0, side, side))
		for p, v := range d.Pixels {
			img.SetGray(p%side, p/side, color.Gray{Y: 255 - v}) // Dark ink on white.
		}
		tiles[i] = scaleUp(img, digitSide*pngScale/side) // One image pixel per PNG pixel: no blur.
		if d.Wrong {
			wrong++
		}
	}
	cell := digitSide + gridPad
	width, height := cols*cell+gridPad, rows*(cell+captionSize)+gridPad
	alt := fmt.Sprintf("%d digits in %d rows of %d, with captions", len(digits), rows, cols)
	if wrong > 0 {
		alt += fmt.Sprintf(", %d marked wrong", wrong)
	}
	return render(width, height, alt, func(c draw.Canvas) {
		fillRect(c, c.Rectangle, white)
		for i, d := range digits {
			col, row := i%cols, i/cols
			x := vg.Length(gridPad + col*cell)
			top := vg.Length(height - gridPad - row*(cell+captionSize))
			r := rect(x, top-digitSide, digitSide, digitSide)
			c.DrawImage(r, tiles[i])
			strokeRect(c, r, color.Gray{Y: 0xcc}, 1)
			fill := color.Color(color.Gray{Y: 0x22})
			if d.Wrong {
				fill = red
			}
			c.FillText(aligned(textStyle(13, fill), -0.5, -1), vg.Point{X: x + digitSide/2, Y: top - digitSide - 3}, d.Caption)
		}
	})
}

// scaleUp returns img with each pixel repeated k times in each direction,
// so that both the PNG and the SVG show sharp square pixels.
func scaleUp(img image.Image, k int) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
	for y := range b.Dy() * k {
		for x := range b.Dx() * k {
			out.Set(x, y, img.At(b.Min.X+x/k, b.Min.Y+y/k))
		}
	}
	return out
}

// DatasetDigits returns the first n images of ds as digits captioned with
// their labels, ready for [DigitGrid].
func DatasetDigits(ds *mnist.Dataset, n int) []Digit {
	n = min(n, ds.Len())
	digits := make([]Digit, n)
	for i := range digits {
		digits[i] = Digit{Pixels: ds.Image(i), Caption: fmt.Sprintf("label %d", ds.Labels[i])}
	}
	return digits
}
