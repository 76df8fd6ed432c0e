package draw

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

// Layout of the answer's picture, in pixels: the 28x28 image the models see,
// magnified, then one panel of ten bars per model.
const (
	margin     = 8
	zoom       = 4                      // The 28x28 image is shown 112x112.
	plotHeight = mnist.ImageSize * zoom // Height of the image and of the bars.
	barWidth   = 14
	barGap     = 4
	panelWidth = mnist.NumClasses*(barWidth+barGap) - barGap
	labelGap   = 4                               // Between a panel's title and its bars, and under the bars.
	top        = margin + glyphHeight + labelGap // The top of the image and of the bars.
)

var (
	paper     = color.RGBA{255, 255, 255, 255}
	frameGrey = color.RGBA{160, 160, 160, 255}
	barGrey   = color.RGBA{170, 178, 189, 255}
	barBlue   = color.RGBA{31, 119, 180, 255} // The predicted digit.
	ink       = color.RGBA{40, 40, 40, 255}
)

// Picture draws the answer: the 28x28 image as the models see it (white ink
// on black, as in MNIST), then, for each model in order, its ten class
// probabilities as bars over the digits 0 to 9, the predicted digit's bar
// in blue, under a title such as "CNN: 7 (98%)".
func (a *Answer) Picture() *image.RGBA {
	width := margin + plotHeight + len(a.Models)*(2*margin+panelWidth) + margin
	height := top + plotHeight + labelGap + glyphHeight + margin
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	fill(img, img.Bounds(), paper)

	// The image the models see, with a grey frame.
	drawText(img, "input 28x28", margin, margin, plotHeight)
	fill(img, image.Rect(margin-1, top-1, margin+plotHeight+1, top+plotHeight+1), frameGrey)
	for y := range mnist.ImageSize {
		for x := range mnist.ImageSize {
			v := a.Pixels[y*mnist.ImageSize+x]
			r := image.Rect(margin+x*zoom, top+y*zoom, margin+(x+1)*zoom, top+(y+1)*zoom)
			fill(img, r, color.RGBA{v, v, v, 255})
		}
	}

	// One panel of bars per model; a bar's height is its probability.
	for i, m := range a.Models {
		left := margin + plotHeight + 2*margin + i*(2*margin+panelWidth)
		base := top + plotHeight
		drawText(img, fmt.Sprintf("%s: %d (%.0f%%)", m.Name, m.Digit, 100*m.Scores[m.Digit]), left, margin, panelWidth)
		fill(img, image.Rect(left, base, left+panelWidth, base+1), frameGrey)
		for d, s := range m.Scores {
			x := left + d*(barWidth+barGap)
			h := int(float32(plotHeight) * min(max(s, 0), 1))
			c := barGrey
			if d == m.Digit {
				c = barBlue
			}
			fill(img, image.Rect(x, base-h, x+barWidth, base), c)
			drawText(img, fmt.Sprint(d), x+(barWidth-3*glyphScale)/2, base+labelGap, barWidth)
		}
	}
	return img
}

// PNG encodes the answer's Picture as a PNG file.
func (a *Answer) PNG() ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, a.Picture()); err != nil {
		return nil, fmt.Errorf("draw: encoding the answer's picture: %w", err)
	}
	return buf.Bytes(), nil
}

// HTML is the answer as an HTML fragment: a caption line naming each
// model's digit, then the Picture as an <img> holding a PNG data URL, which
// notebook viewers show even in untrusted notebooks. title starts the
// caption, such as "Your drawing".
func (a *Answer) HTML(title string) (string, error) {
	data, err := a.PNG()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="digits-answer"><p class="digits-caption">%s: `, html.EscapeString(title))
	for i, m := range a.Models {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `<span class="digits-model" data-model="%s" data-digit="%d">%s sees <b>%d</b> (%.0f%%)</span>`,
			html.EscapeString(m.Name), m.Digit, html.EscapeString(m.Name), m.Digit, 100*m.Scores[m.Digit])
	}
	fmt.Fprintf(&b, `</p><img alt="%s" src="data:image/png;base64,%s"></div>`,
		html.EscapeString("The drawing as the models see it (28x28), and each model's probabilities for the digits 0 to 9: "+a.Text()),
		base64.StdEncoding.EncodeToString(data))
	return b.String(), nil
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}
