package viz

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"strings"

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

// digitSide is the side of a 28x28 digit once drawn, in SVG units.
const (
	digitSide   = 56
	captionSize = 18
	gridPad     = 6
)

// DigitGrid returns an SVG picture of the digits in rows of cols, each with
// its caption below it. The pixels are embedded as one PNG so that the SVG
// stays small (a few KB per digit) and renders with sharp pixels.
func DigitGrid(digits []Digit, cols int) (string, error) {
	if len(digits) == 0 {
		return "", fmt.Errorf("viz: no digits to draw")
	}
	if cols <= 0 {
		cols = len(digits)
	}
	rows := (len(digits) + cols - 1) / cols
	cols = min(cols, len(digits))
	const side = 28
	img := image.NewGray(image.Rect(0, 0, cols*side, rows*side))
	for i, d := range digits {
		if len(d.Pixels) != side*side {
			return "", fmt.Errorf("viz: digit %d has %d pixels, want %d", i, len(d.Pixels), side*side)
		}
		x0, y0 := (i%cols)*side, (i/cols)*side
		for p, v := range d.Pixels {
			img.SetGray(x0+p%side, y0+p/side, color.Gray{Y: 255 - v}) // Dark ink on white.
		}
	}
	href, err := pngDataURI(img)
	if err != nil {
		return "", err
	}
	cell := digitSide + gridPad
	width, height := cols*cell+gridPad, rows*(cell+captionSize)+gridPad
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`,
		width, height, width, height)
	fmt.Fprintf(&sb, `<rect width="100%%" height="100%%" fill="white"/>`)
	// Each digit is the matching window of the one embedded PNG.
	fmt.Fprintf(&sb, `<defs><image id="digits" width="%d" height="%d" image-rendering="pixelated" style="image-rendering:pixelated" href="%s"/></defs>`,
		cols*digitSide, rows*digitSide, href)
	for i, d := range digits {
		c, r := i%cols, i/cols
		x, y := gridPad+c*cell, gridPad+r*(cell+captionSize)
		fmt.Fprintf(&sb, `<svg x="%d" y="%d" width="%d" height="%d" viewBox="%d %d %d %d"><use href="#digits"/></svg>`,
			x, y, digitSide, digitSide, c*digitSide, r*digitSide, digitSide, digitSide)
		fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#ccc"/>`, x, y, digitSide, digitSide)
		fill := "#222"
		if d.Wrong {
			fill = "#d62728"
		}
		fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="13" text-anchor="middle" fill="%s">%s</text>`,
			x+digitSide/2, y+digitSide+14, fill, html.EscapeString(d.Caption))
	}
	sb.WriteString(`</svg>`)
	return sb.String(), nil
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

// pngDataURI encodes img as PNG in a data: URI, so an SVG can embed its
// pixels without a separate file.
func pngDataURI(img image.Image) (string, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("viz: encoding pixels as PNG: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
