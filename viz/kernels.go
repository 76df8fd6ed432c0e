package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Kernels draws a convolution layer's kernels, one small
// heat map per output channel, labelled by its index. weights is the layer's
// weight variable in the course's layout, dims = [out, in, kh, kw] (the CNN's
// first layer is [20, 1, 5, 5]). Only input channel 0 of each kernel is
// drawn: for the first layer that is the whole kernel; for deeper layers it
// is a sample. Colours diverge from white at 0 to blue for negative and red
// for positive weights, on one scale for the whole layer (its largest |w|),
// so tiles can be compared. Chapter 3 (网络结构) introduces it with the CNN.
func Kernels(weights []float32, dims []int, title string) (Figure, error) {
	if err := checkDims("kernels", weights, dims, "[out, in, kh, kw]"); err != nil {
		return Figure{}, err
	}
	out, in, kh, kw := dims[0], dims[1], dims[2], dims[3]
	maxAbs := 0.0
	for _, w := range weights {
		maxAbs = math.Max(maxAbs, math.Abs(float64(w)))
	}
	cols := min(out, 10)
	rows := (out + cols - 1) / cols
	img := image.NewNRGBA(image.Rect(0, 0, cols*kw, rows*kh))
	labels := make([]string, out)
	for o := range out {
		labels[o] = fmt.Sprint(o)
		x0, y0 := (o%cols)*kw, (o/cols)*kh
		kernel := weights[o*in*kh*kw:][:kh*kw] // Input channel 0.
		for i, w := range kernel {
			v := 0.0
			if maxAbs > 0 {
				v = float64(w) / maxAbs
			}
			img.SetNRGBA(x0+i%kw, y0+i/kw, diverging(v))
		}
	}
	note := fmt.Sprintf("input channel 0 of %d · blue < 0 < red · max |w| = %.4g", in, maxAbs)
	alt := fmt.Sprintf("%d convolution kernels of %dx%d, blue negative, red positive", out, kh, kw)
	return tileGrid(img, kw, kh, labels, cols, title, note, alt)
}

// FeatureMaps draws the activations of one image after a
// layer, one greyscale tile per channel labelled "ch 0", "ch 1", ...; maps
// has dims = [channels, h, w] (e.g. [20, 28, 28] after the CNN's first
// convolution). Each channel is scaled on its own, from its minimum (black)
// to its maximum (white); a constant channel is all black. Chapter 3
// (网络结构) introduces it with the CNN.
func FeatureMaps(maps []float32, dims []int, title string) (Figure, error) {
	if err := checkDims("feature maps", maps, dims, "[channels, h, w]"); err != nil {
		return Figure{}, err
	}
	channels, h, w := dims[0], dims[1], dims[2]
	cols := min(channels, 10)
	rows := (channels + cols - 1) / cols
	img := image.NewGray(image.Rect(0, 0, cols*w, rows*h))
	labels := make([]string, channels)
	for c := range channels {
		labels[c] = fmt.Sprintf("ch %d", c)
		m := maps[c*h*w:][:h*w]
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range m {
			lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
		}
		x0, y0 := (c%cols)*w, (c/cols)*h
		for i, v := range m {
			g := 0.0
			if hi > lo {
				g = (float64(v) - lo) / (hi - lo)
			}
			img.SetGray(x0+i%w, y0+i/w, color.Gray{Y: uint8(255*g + 0.5)})
		}
	}
	alt := fmt.Sprintf("%d feature maps of %dx%d, each from its min (black) to its max (white)", channels, h, w)
	return tileGrid(img, w, h, labels, cols, title, "each channel scaled from its min (black) to its max (white)", alt)
}

// checkDims checks that data holds the finite values of a tensor of shape
// dims, which must have as many axes as layout names.
func checkDims(what string, data []float32, dims []int, layout string) error {
	if len(dims) != strings.Count(layout, ",")+1 {
		return fmt.Errorf("viz: %s have dims %v, want %s", what, dims, layout)
	}
	size := 1
	for _, d := range dims {
		if d <= 0 {
			return fmt.Errorf("viz: %s have dims %v, want all positive", what, dims)
		}
		size *= d
		if size > len(data) {
			break // Too many already, and no overflow.
		}
	}
	if size != len(data) {
		return fmt.Errorf("viz: %s have %d values, but dims %v need %d", what, len(data), dims, size)
	}
	for i, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("viz: %s have a non-finite value %g at %d", what, v, i)
		}
	}
	return nil
}

// diverging maps v in [-1, 1] to blue (negative), white (0) and red
// (positive), the ends of ColorBrewer's RdBu scale.
func diverging(v float64) color.NRGBA {
	v = min(max(v, -1), 1)
	end := [3]float64{178, 24, 43} // Red.
	if v < 0 {
		end, v = [3]float64{33, 102, 172}, -v // Blue.
	}
	mix := func(to float64) uint8 { return uint8(255 + (to-255)*v + 0.5) }
	return color.NRGBA{R: mix(end[0]), G: mix(end[1]), B: mix(end[2]), A: 255}
}

// tileSide is the longer side of a tile once drawn, in pixels.
const tileSide = 56

// tileGrid draws the tiles of img, each tw x th pixels, laid out in rows
// of cols, each with its label below it, the title above and a note at the
// bottom. Each tile is drawn with sharp square pixels.
func tileGrid(img image.Image, tw, th int, labels []string, cols int, title, note, alt string) (Figure, error) {
	if err := checkText("title", title); err != nil {
		return Figure{}, err
	}
	rows := (len(labels) + cols - 1) / cols
	k := max(1, (tileSide*pngScale+max(tw, th)/2)/max(tw, th)) // PNG pixels per tile pixel.
	dw, dh := vg.Length(tw*k)/pngScale, vg.Length(th*k)/pngScale
	tiles := make([]image.Image, len(labels))
	for i := range labels {
		x0, y0 := (i%cols)*tw, (i/cols)*th
		tiles[i] = scaleUp(subImage(img, image.Rect(x0, y0, x0+tw, y0+th)), k)
	}
	const titleHeight, noteHeight = 30, 20
	cellW, cellH := dw+gridPad, dh+gridPad+captionSize
	noteStyle := textStyle(smallSize, grey)
	width := int(math.Ceil(math.Max(float64(vg.Length(cols)*cellW+gridPad), float64(noteStyle.Width(note)+2*gridPad))))
	height := int(math.Ceil(float64(titleHeight + vg.Length(rows)*cellH + gridPad + noteHeight)))
	return render(width, height, alt, func(c draw.Canvas) {
		fillRect(c, c.Rectangle, white)
		top := vg.Length(height)
		c.FillText(aligned(textStyle(titleSize, black), -0.5, 0), vg.Point{X: vg.Length(width) / 2, Y: top - 21}, title)
		for i, label := range labels {
			col, row := i%cols, i/cols
			x := gridPad + vg.Length(col)*cellW
			y := top - titleHeight - vg.Length(row)*cellH - dh
			r := rect(x, y, dw, dh)
			c.DrawImage(r, tiles[i])
			strokeRect(c, r, color.Gray{Y: 0xcc}, 1)
			c.FillText(aligned(textStyle(tickSize, color.Gray{Y: 0x22}), -0.5, -1), vg.Point{X: x + dw/2, Y: y - 2}, label)
		}
		c.FillText(noteStyle, vg.Point{X: gridPad, Y: 7}, note)
	})
}

// subImage returns the part r of img.
func subImage(img image.Image, r image.Rectangle) image.Image {
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(r)
}
