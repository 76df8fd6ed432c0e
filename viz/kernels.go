package viz

import (
	"fmt"
	"html"
	"image"
	"image/color"
	"math"
	"strings"
)

// Kernels returns an SVG picture of a convolution layer's kernels, one small
// heat map per output channel, labelled by its index. weights is the layer's
// weight variable in the course's layout, dims = [out, in, kh, kw] (the CNN's
// first layer is [20, 1, 5, 5]). Only input channel 0 of each kernel is
// drawn: for the first layer that is the whole kernel; for deeper layers it
// is a sample. Colours diverge from white at 0 to blue for negative and red
// for positive weights, on one scale for the whole layer (its largest |w|),
// so tiles can be compared. Chapter 3 (网络结构) introduces it with the CNN.
func Kernels(weights []float32, dims []int, title string) (string, error) {
	if err := checkDims("kernels", weights, dims, "[out, in, kh, kw]"); err != nil {
		return "", err
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
	return tileGrid(img, kw, kh, labels, cols, title, note)
}

// FeatureMaps returns an SVG picture of the activations of one image after a
// layer, one greyscale tile per channel labelled "ch 0", "ch 1", ...; maps
// has dims = [channels, h, w] (e.g. [20, 28, 28] after the CNN's first
// convolution). Each channel is scaled on its own, from its minimum (black)
// to its maximum (white); a constant channel is all black. Chapter 3
// (网络结构) introduces it with the CNN.
func FeatureMaps(maps []float32, dims []int, title string) (string, error) {
	if err := checkDims("feature maps", maps, dims, "[channels, h, w]"); err != nil {
		return "", err
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
	return tileGrid(img, w, h, labels, cols, title, "each channel scaled from its min (black) to its max (white)")
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

// tileSide is the longer side of a tile once drawn, in SVG units.
const tileSide = 56.0

// tileGrid returns an SVG picture of the tiles of img, each tw x th pixels,
// laid out in rows of cols, each with its label below it, the title above
// and a note at the bottom. The pixels are embedded as one PNG, drawn sharp.
func tileGrid(img image.Image, tw, th int, labels []string, cols int, title, note string) (string, error) {
	href, err := pngDataURI(img)
	if err != nil {
		return "", err
	}
	rows := (len(labels) + cols - 1) / cols
	scale := tileSide / float64(max(tw, th))
	dw, dh := float64(tw)*scale, float64(th)*scale
	const titleHeight, noteHeight = 30.0, 20.0
	cellW, cellH := dw+gridPad, dh+gridPad+captionSize
	width := math.Max(float64(cols)*cellW+gridPad, 7*float64(len(note))) // Room for the note.
	height := titleHeight + float64(rows)*cellH + gridPad + noteHeight
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%.6g" height="%.6g" viewBox="0 0 %.6g %.6g" font-family="sans-serif">`,
		width, height, width, height)
	sb.WriteString(`<rect width="100%" height="100%" fill="white"/>`)
	fmt.Fprintf(&sb, `<text x="%.6g" y="21" font-size="15" text-anchor="middle">%s</text>`, width/2, html.EscapeString(title))
	fmt.Fprintf(&sb, `<defs><image id="tiles" width="%.6g" height="%.6g" preserveAspectRatio="none" image-rendering="pixelated" style="image-rendering:pixelated" href="%s"/></defs>`,
		float64(cols)*dw, float64(rows)*dh, href)
	for i, label := range labels {
		c, r := i%cols, i/cols
		x, y := gridPad+float64(c)*cellW, titleHeight+float64(r)*cellH
		fmt.Fprintf(&sb, `<svg class="tile" x="%.6g" y="%.6g" width="%.6g" height="%.6g" viewBox="%.6g %.6g %.6g %.6g"><use href="#tiles"/></svg>`,
			x, y, dw, dh, float64(c)*dw, float64(r)*dh, dw, dh)
		fmt.Fprintf(&sb, `<rect x="%.6g" y="%.6g" width="%.6g" height="%.6g" fill="none" stroke="#ccc"/>`, x, y, dw, dh)
		fmt.Fprintf(&sb, `<text x="%.6g" y="%.6g" font-size="12" text-anchor="middle" fill="#222">%s</text>`,
			x+dw/2, y+dh+14, html.EscapeString(label))
	}
	fmt.Fprintf(&sb, `<text x="%.6g" y="%.6g" font-size="11" fill="#555">%s</text>`, float64(gridPad), height-7, html.EscapeString(note))
	sb.WriteString(`</svg>`)
	return sb.String(), nil
}
