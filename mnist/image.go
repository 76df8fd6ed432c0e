package mnist

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // Registers the JPEG decoder for ReadImage and DecodeImage.
	_ "image/png"  // Registers the PNG decoder for ReadImage and DecodeImage.
	"io"
	"io/fs"
	"math"
	"os"
)

// MaxImagePixels bounds the decoded size (width times height) of a user's
// image: 40 megapixels, more than most phone cameras give. ReadImage and
// DecodeImage check it with image.DecodeConfig, which reads only the header,
// BEFORE decoding, so that a small file claiming a huge image cannot make
// them allocate gigabytes. Chapter 9 (动转静 / 部署, export and inference)
// introduces it.
const MaxImagePixels = 40_000_000

// Parameters of PrepareImage's framing. The box and the centre follow LeCun's
// MNIST page (http://yann.lecun.com/exdb/mnist/): "The original black and
// white (bilevel) images from NIST were size normalized to fit in a 20x20
// pixel box while preserving their aspect ratio. The resulting images contain
// grey levels as a result of the anti-aliasing technique used by the
// normalization algorithm. the images were centered in a 28x28 image by
// computing the center of mass of the pixels, and translating the image so
// as to position this point at the center of the 28x28 field."
const (
	// digitBox is the side of the box the digit is scaled to fit.
	digitBox = 20
	// comCenter is where the centre of mass lands, in pixel indices. On the
	// real MNIST test set the mean centre of mass, computed as
	// sum(v*x)/sum(v) over pixel indices x, is (14.01, 13.99).
	comCenter = 14
	// minContrast is the least difference between the ink and the
	// background, on a 0..1 luminance scale, for the image to hold a digit:
	// below it the image is blank, uniform or nothing but noise.
	minContrast = 0.08
	// noiseFloor is the ink level, as a fraction of the darkest ink, below
	// which a pixel counts as background: paper texture, shadows, JPEG
	// ringing. It also bounds the box the digit is cropped to.
	noiseFloor = 0.15
	// borderBins is the resolution of the histogram that finds the median
	// luminance of the border.
	borderBins = 1024
)

// supportedFormats names the formats the registered decoders read.
const supportedFormats = "PNG or JPEG"

// ReadImage reads a PNG or JPEG file (any size up to MaxImagePixels, colour
// or grey, dark ink on light paper or light on dark, with or without alpha)
// and returns it as NumPixels MNIST-style pixels: 28x28, row-major, 0 for the
// background and 255 for full ink, the digit scaled into a 20x20 box and
// centred by its centre of mass (see [PrepareImage]). Errors name the file:
// "mnist: photo.png: ...". Chapter 9 (动转静 / 部署, export and inference)
// introduces it, to predict the digit in a student's own photo or drawing.
func ReadImage(path string) ([]uint8, error) {
	if path == "" {
		return nil, errors.New(`mnist: "": an empty file name, not an image file`)
	}
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // Drop "open path:", the path is in the prefix.
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("mnist: %s: file not found: %w", path, err)
		}
		return nil, fmt.Errorf("mnist: %s: %w", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("mnist: %s: is a directory, not an image file", path)
	}
	img, err := decode(f)
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: %w", path, err)
	}
	pixels, err := prepare(img)
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: %w", path, err)
	}
	return pixels, nil
}

// DecodeImage is ReadImage from a reader: it decodes a PNG or JPEG image,
// the format detected from the content, checks its size against
// MaxImagePixels before decoding, and returns it as NumPixels MNIST-style
// pixels (see [PrepareImage]). Chapter 9 (动转静 / 部署, export and
// inference) introduces it.
func DecodeImage(r io.Reader) ([]uint8, error) {
	if r == nil {
		return nil, errors.New("mnist: nil reader")
	}
	img, err := decode(r)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	pixels, err := prepare(img)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	return pixels, nil
}

// PrepareImage converts a decoded image, of at most MaxImagePixels, to
// NumPixels MNIST-style pixels, framed the way the MNIST digits are; a
// blank or uniform image is an error ("no digit found"). Chapter 9 (动转静 / 部署, export and
// inference) introduces it. The steps:
//
//  1. Grey: each pixel becomes its luminance in 0..1 (ITU-R BT.601 weights,
//     as image/color's GrayModel and JPEG's Y), transparent pixels
//     composited over white, so that black strokes on a transparent
//     background read as dark ink on light paper.
//  2. Polarity: the background is the median luminance of the image's
//     border. If it is light (above 0.5) the ink is what is darker than it,
//     else what is lighter (if that side shows no contrast, the other one
//     is tried): ink becomes bright, as in MNIST.
//  3. Contrast: the ink level is the distance from the background, scaled
//     so that the strongest ink is 1; levels below 0.15 are paper texture or
//     noise and become 0. If the strongest ink is less than 0.08 away from
//     the background, the image is blank or uniform: "no digit found".
//  4. Size: the image is cropped to the bounding box of the ink and scaled
//     with an area-averaging (box) filter in float, anti-aliased, so that
//     its longer side is 20 pixels and its aspect ratio is kept; LeCun's
//     MNIST page says the digits were "size normalized to fit in a 20x20
//     pixel box while preserving their aspect ratio", anti-aliased. The
//     result is stretched again so that its strongest pixel is full ink,
//     which keeps thin pen strokes on large photos visible.
//  5. Centre: the box is pasted into a 28x28 canvas so that its centre of
//     mass (intensity-weighted) falls on pixel (14, 14), the shift rounded
//     and clamped to keep the digit inside; LeCun's page: "centered in a
//     28x28 image by computing the center of mass of the pixels".
//  6. The levels are rounded to uint8, 0 for the background, 255 for ink.
//
// The image is read twice, row by row, without a copy of its pixels or any
// allocation per pixel, so a 12-megapixel photo takes a fraction of a
// second. The framing cannot undo a skewed or rotated photo, uneven
// lighting, or several digits in one picture: the student should crop the
// photo to one digit on plain paper.
func PrepareImage(img image.Image) ([]uint8, error) {
	pixels, err := prepare(img)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	return pixels, nil
}

// decode reads an image, checking its header before decoding its pixels.
// Its errors lack the "mnist: " prefix.
func decode(r io.Reader) (image.Image, error) {
	br := bufio.NewReader(r)
	if _, err := br.Peek(1); err != nil {
		if err == io.EOF {
			return nil, errors.New("the file is empty, not an image")
		}
		return nil, fmt.Errorf("cannot read the image: %w", err)
	}
	// DecodeConfig reads only the header; keep what it reads to give it to
	// Decode again.
	var header bytes.Buffer
	cfg, format, err := image.DecodeConfig(io.TeeReader(br, &header))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, fmt.Errorf("not a %s image (the supported formats): %w", supportedFormats, err)
		}
		return nil, fmt.Errorf("cannot read the image header: %w", err)
	}
	if err := checkSize(cfg.Width, cfg.Height, format); err != nil {
		return nil, err
	}
	img, format, err := image.Decode(io.MultiReader(&header, br))
	if err != nil {
		return nil, fmt.Errorf("cannot decode the %s image: %w", formatName(format), err)
	}
	return img, nil
}

// checkSize rejects images with no pixels or more than MaxImagePixels.
func checkSize(w, h int, format string) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("the %s image has zero size (%dx%d pixels)", formatName(format), w, h)
	}
	if n := int64(w) * int64(h); n > MaxImagePixels || n/int64(w) != int64(h) {
		return fmt.Errorf("the %s image is too large: %dx%d pixels (%.1f megapixels), more than the limit of %d (%d megapixels, MaxImagePixels)",
			formatName(format), w, h, float64(w)*float64(h)/1e6, MaxImagePixels, MaxImagePixels/1_000_000)
	}
	return nil
}

// formatName spells a format name from image.DecodeConfig as users know it.
func formatName(format string) string {
	switch format {
	case "png":
		return "PNG"
	case "jpeg":
		return "JPEG"
	case "":
		return "image"
	}
	return format
}

// prepare is PrepareImage without the "mnist: " prefix on its errors.
func prepare(img image.Image) ([]uint8, error) {
	if img == nil {
		return nil, errors.New("no image (nil)")
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("the image has zero size (%dx%d pixels)", max(w, 0), max(h, 0))
	}
	if err := checkSize(w, h, ""); err != nil {
		return nil, err
	}
	lr := newLumReader(img)
	row := make([]float32, w)

	// Step 2: the background is the median luminance of the border.
	bg := borderMedian(lr, row)

	// Steps 2 and 3, first pass: the strongest ink per row and per column,
	// for the contrast and the bounding box.
	rowMax := make([]float32, h)
	colMax := make([]float32, w)
	darkInk := bg > 0.5
	peak, otherPeak := inkPeaks(lr, row, bg, darkInk, rowMax, colMax)
	if peak < minContrast && otherPeak >= minContrast {
		darkInk = !darkInk
		clear(rowMax)
		clear(colMax)
		peak, _ = inkPeaks(lr, row, bg, darkInk, rowMax, colMax)
	}
	if peak < minContrast {
		return nil, fmt.Errorf("no digit found: the image is blank or uniform (ink contrast %.3f, below %.2f)", peak, minContrast)
	}

	// Step 4: the bounding box of the ink above the noise floor.
	cut := noiseFloor * peak
	x0, x1 := spanAbove(colMax, cut)
	y0, y1 := spanAbove(rowMax, cut)
	if x0 > x1 || y0 > y1 {
		return nil, errors.New("no digit found: no ink above the noise") // Unreachable: peak > cut.
	}
	cw, ch := x1-x0+1, y1-y0+1
	ow, oh := digitBox, digitBox
	if cw >= ch {
		oh = max(1, min(digitBox, int(math.Round(float64(ch)*digitBox/float64(cw)))))
	} else {
		ow = max(1, min(digitBox, int(math.Round(float64(cw)*digitBox/float64(ch)))))
	}

	// Second pass: area-averaging scale of the crop to ow x oh, separable:
	// each source pixel adds its ink, weighted by the part of the output
	// pixel it covers, to the output columns (then rows) it overlaps.
	xs, xoff := boxWeights(cw, ow)
	ys, yoff := boxWeights(ch, oh)
	box := make([]float32, ow*oh)
	hrow := make([]float32, ow)
	inv := 1 / peak
	for y := y0; y <= y1; y++ {
		lr.row(y, x0, x1+1, row)
		clear(hrow)
		for i, l := range row[:cw] {
			v := ink(l, bg, darkInk) * inv
			if v < noiseFloor {
				continue
			}
			for _, c := range xs[xoff[i]:xoff[i+1]] {
				hrow[c.to] += c.w * v
			}
		}
		for _, c := range ys[yoff[y-y0]:yoff[y-y0+1]] {
			out := box[c.to*ow : (c.to+1)*ow]
			for j, v := range hrow {
				out[j] += c.w * v
			}
		}
	}

	// Stretch so that the strongest pixel is full ink; find the centre of
	// mass.
	var top, mass, mx, my float64
	for _, v := range box {
		top = max(top, float64(v))
	}
	if top <= 0 {
		return nil, errors.New("no digit found: no ink left after scaling") // Unreachable.
	}
	for i, v := range box {
		v = min(1, float32(float64(v)/top))
		box[i] = v
		mass += float64(v)
		mx += float64(v) * float64(i%ow)
		my += float64(v) * float64(i/ow)
	}

	// Step 5: paste so that the centre of mass lands on (14, 14).
	dx := clampInt(int(math.Round(comCenter-mx/mass)), 0, ImageSize-ow)
	dy := clampInt(int(math.Round(comCenter-my/mass)), 0, ImageSize-oh)
	pixels := make([]uint8, NumPixels)
	for j := range oh {
		for i := range ow {
			pixels[(j+dy)*ImageSize+i+dx] = uint8(math.Round(float64(box[j*ow+i]) * 255))
		}
	}
	return pixels, nil
}

// ink is the ink level of a pixel of luminance l on background bg: how much
// darker (darkInk) or lighter it is, never negative.
func ink(l, bg float32, darkInk bool) float32 {
	d := l - bg
	if darkInk {
		d = -d
	}
	return max(d, 0)
}

// inkPeaks reads the whole image once and records the strongest ink of each
// row and column (relative to the image's bounds). It returns the strongest
// ink overall, and the strongest of the opposite polarity.
func inkPeaks(lr *lumReader, row []float32, bg float32, darkInk bool, rowMax, colMax []float32) (peak, otherPeak float32) {
	var lo, hi float32 = 1, 0
	for y := range rowMax {
		lr.row(y, 0, len(colMax), row)
		var m float32
		for x, l := range row {
			lo = min(lo, l)
			hi = max(hi, l)
			v := ink(l, bg, darkInk)
			m = max(m, v)
			if v > colMax[x] {
				colMax[x] = v
			}
		}
		rowMax[y] = m
		peak = max(peak, m)
	}
	if darkInk {
		return peak, max(hi-bg, 0)
	}
	return peak, max(bg-lo, 0)
}

// spanAbove returns the first and last index of m holding a value above
// cut, or (len(m), -1) if none does.
func spanAbove(m []float32, cut float32) (first, last int) {
	first, last = len(m), -1
	for i, v := range m {
		if v > cut {
			first = min(first, i)
			last = i
		}
	}
	return first, last
}

// borderMedian returns the median luminance of the pixels on the border of
// the image, from a histogram (no sort, so any border length is cheap).
func borderMedian(lr *lumReader, row []float32) float32 {
	var hist [borderBins]int
	n := 0
	add := func(ls []float32) {
		for _, l := range ls {
			hist[min(borderBins-1, int(l*borderBins))]++
			n++
		}
	}
	w, h := len(row), lr.h
	lr.row(0, 0, w, row)
	add(row)
	if h > 1 {
		lr.row(h-1, 0, w, row)
		add(row)
	}
	for y := 1; y < h-1; y++ {
		lr.row(y, 0, 1, row)
		add(row[:1])
		if w > 1 {
			lr.row(y, w-1, w, row)
			add(row[:1])
		}
	}
	seen := 0
	for i, c := range hist {
		seen += c
		if 2*seen >= n {
			return (float32(i) + 0.5) / borderBins
		}
	}
	return 1 // Unreachable: n > 0.
}

// contrib is the part w of a source pixel's value that goes to output
// pixel to.
type contrib struct {
	to int
	w  float32
}

// boxWeights returns, for an area-averaging scale of n source pixels to m
// output pixels, the contributions of each source pixel i:
// list[off[i]:off[i+1]]. Source pixel i covers [i*m/n, (i+1)*m/n) in output
// coordinates; its weight in output pixel o is the length of the overlap
// with [o, o+1), so the weights of each output pixel sum to 1 and a uniform
// source gives a uniform output.
func boxWeights(n, m int) (list []contrib, off []int) {
	scale := float64(m) / float64(n)
	off = make([]int, n+1)
	list = make([]contrib, 0, n+m)
	for i := range n {
		a, b := float64(i)*scale, float64(i+1)*scale
		for o := int(a); o < m && float64(o) < b; o++ {
			if w := math.Min(b, float64(o+1)) - math.Max(a, float64(o)); w > 1e-9 {
				list = append(list, contrib{o, float32(w)})
			}
		}
		off[i+1] = len(list)
	}
	return list, off
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }

// lumReader reads rows of an image as luminance in 0..1, composited over
// white, with fast paths for the types the PNG and JPEG decoders return.
type lumReader struct {
	img     image.Image
	min     image.Point
	h       int
	palette []float32 // Luminance of each colour of a paletted image.
}

func newLumReader(img image.Image) *lumReader {
	b := img.Bounds()
	lr := &lumReader{img: img, min: b.Min, h: b.Dy()}
	if p, ok := img.(*image.Paletted); ok {
		lr.palette = make([]float32, 256)
		for i := range lr.palette {
			var c color.Color = color.Transparent // Out-of-palette indices.
			if i < len(p.Palette) && p.Palette[i] != nil {
				c = p.Palette[i]
			}
			r, g, b, a := c.RGBA()
			lr.palette[i] = lum16(r, g, b, a)
		}
	}
	return lr
}

// lum16 is the luminance of a premultiplied 16-bit colour composited over
// white.
func lum16(r, g, b, a uint32) float32 {
	l := (0.299*float32(r) + 0.587*float32(g) + 0.114*float32(b) + float32(0xffff-a)) / 0xffff
	return min(max(l, 0), 1)
}

// row fills dst[:x1-x0] with the luminance of pixels x0..x1-1 of row y,
// both relative to the image's bounds.
func (lr *lumReader) row(y, x0, x1 int, dst []float32) {
	dst = dst[:x1-x0]
	ax0, ay := x0+lr.min.X, y+lr.min.Y
	switch img := lr.img.(type) {
	case *image.Gray:
		p := img.Pix[img.PixOffset(ax0, ay):]
		for i := range dst {
			dst[i] = float32(p[i]) / 255
		}
	case *image.YCbCr: // JPEG: Y is the BT.601 luma.
		p := img.Y[img.YOffset(ax0, ay):]
		for i := range dst {
			dst[i] = float32(p[i]) / 255
		}
	case *image.NRGBA:
		p := img.Pix[img.PixOffset(ax0, ay):]
		for i := range dst {
			q := p[4*i : 4*i+4 : 4*i+4]
			a := float32(q[3]) / 255
			l := (0.299*float32(q[0]) + 0.587*float32(q[1]) + 0.114*float32(q[2])) / 255
			dst[i] = min(1, a*l+1-a)
		}
	case *image.RGBA: // Premultiplied.
		p := img.Pix[img.PixOffset(ax0, ay):]
		for i := range dst {
			q := p[4*i : 4*i+4 : 4*i+4]
			l := (0.299*float32(q[0]) + 0.587*float32(q[1]) + 0.114*float32(q[2]) + 255 - float32(q[3])) / 255
			dst[i] = min(max(l, 0), 1)
		}
	case *image.Paletted:
		p := img.Pix[img.PixOffset(ax0, ay):]
		for i := range dst {
			dst[i] = lr.palette[p[i]]
		}
	case image.RGBA64Image: // Gray16, RGBA64, NRGBA64, CMYK, ...: no allocation.
		for i := range dst {
			c := img.RGBA64At(ax0+i, ay)
			dst[i] = lum16(uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A))
		}
	default:
		for i := range dst {
			r, g, b, a := img.At(ax0+i, ay).RGBA()
			dst[i] = lum16(r, g, b, a)
		}
	}
}
