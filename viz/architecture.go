package viz

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/godigits/digits/mnist"
)

// Architecture draws a network from its own [mnist.Summary], so that the
// picture cannot drift from the code: one row per layer, from the input at
// the top to the output at the bottom, each with a shape drawn to scale
// and its name, kind, activation, output shape and parameter count, and
// arrows between them. A layer of feature maps [C, H, W] is drawn as a
// stack of squares (one per channel, up to 8) whose side follows H; a
// layer of n units as a bar whose length follows log n. Chapter 3
// (网络结构) draws the MLP and the CNN with it:
//
//	viz.Display(viz.Must(viz.Architecture(m.Summary(), "CNN")))
func Architecture(s mnist.Summary, title string) (Figure, error) {
	if err := checkText("title", title); err != nil {
		return Figure{}, err
	}
	if len(s.Input) == 0 {
		return Figure{}, fmt.Errorf("viz: the summary of %q has no input shape", title)
	}
	rows := []archRow{{name: "input", shape: s.Input}}
	for _, l := range s.Layers {
		if len(l.Shape) == 0 {
			return Figure{}, fmt.Errorf("viz: layer %q of %q has no output shape", l.Layer, title)
		}
		kind := l.Kind
		if l.Activation != mnist.NoActivation {
			kind += ", " + string(l.Activation)
		}
		rows = append(rows, archRow{name: string(l.Layer), kind: kind, shape: l.Shape, params: l.Params, hasParams: true})
	}
	for _, r := range rows {
		if err := checkText("layer", r.name+r.kind); err != nil {
			return Figure{}, err
		}
	}
	const (
		width      = 600
		glyphX     = 110 // Centre of the shapes.
		textX      = 200
		titleSpace = 40
		gap        = 22 // Between two shapes, for the arrow.
		bottom     = 44
	)
	height := titleSpace + bottom
	for i, r := range rows {
		height += int(math.Ceil(float64(r.rowHeight())))
		if i > 0 {
			height += gap
		}
	}
	var names []string
	for _, r := range rows {
		names = append(names, fmt.Sprintf("%s %s", r.name, shapeString(r.shape)))
	}
	alt := fmt.Sprintf("network diagram %q: %s; %s parameters", title, strings.Join(names, " -> "), thousands(s.Params))
	return render(width, height, alt, func(c draw.Canvas) {
		fillRect(c, c.Rectangle, white)
		top := vg.Length(height)
		c.FillText(aligned(textStyle(titleSize, black), -0.5, 0), vg.Point{X: width / 2, Y: top - 24}, title)
		y := top - titleSpace
		nameStyle := aligned(textStyle(labelSize, black), 0, -0.5)
		detailStyle := aligned(textStyle(tickSize, grey), 0, -0.5)
		for i, r := range rows {
			if i > 0 { // From the shape above to this one.
				above := (rows[i-1].rowHeight() - rows[i-1].glyphHeight()) / 2
				below := (r.rowHeight() - r.glyphHeight()) / 2
				arrow(c, vg.Point{X: glyphX, Y: y + gap + above - 3}, vg.Point{X: glyphX, Y: y - below + 3})
			}
			rh, gh := r.rowHeight(), r.glyphHeight()
			mid := y - rh/2
			r.drawGlyph(c, glyphX, mid-gh/2, layerColor(r))
			head := r.name
			if r.kind != "" {
				head += ": " + r.kind
			}
			c.FillText(nameStyle, vg.Point{X: textX, Y: mid + 8}, head)
			detail := "output " + shapeString(r.shape)
			if r.hasParams {
				detail += fmt.Sprintf(", %s parameters", thousands(r.params))
			}
			c.FillText(detailStyle, vg.Point{X: textX, Y: mid - 9}, detail)
			y -= rh + gap
		}
		c.FillText(aligned(textStyle(tickSize, black), 0, 0), vg.Point{X: textX, Y: 10},
			fmt.Sprintf("total: %s parameters", thousands(s.Params)))
	})
}

// archRow is one row of an architecture diagram.
type archRow struct {
	name, kind string
	shape      []int
	params     int
	hasParams  bool // Not the input.
}

// Sizes of the shapes of an architecture diagram, in pixels.
const (
	pixelsPerRow = 1.6 // Side of a feature map per row of pixels: 28 -> 45.
	slabOffset   = 4   // Between two squares of a stack.
	maxSlabs     = 8
	barHeight    = 16
)

// slabs returns how many squares stand for c channels.
func slabs(c int) int { return min(c, maxSlabs) }

// rowHeight returns the height of the row: its shape's, and at least
// the two lines of its text.
func (r archRow) rowHeight() vg.Length { return max(r.glyphHeight(), 36) }

// glyphHeight returns the height of the row's shape.
func (r archRow) glyphHeight() vg.Length {
	if len(r.shape) == 3 {
		return vg.Length(float64(r.shape[1])*pixelsPerRow) + vg.Length(slabs(r.shape[0])-1)*slabOffset
	}
	return barHeight
}

// drawGlyph draws the row's shape centred on x, from y upwards.
func (r archRow) drawGlyph(c draw.Canvas, x, y vg.Length, col color.RGBA) {
	if len(r.shape) == 3 {
		n := slabs(r.shape[0])
		side := vg.Length(float64(r.shape[1]) * pixelsPerRow)
		w := vg.Length(float64(r.shape[2]) * pixelsPerRow)
		total := w + vg.Length(n-1)*slabOffset
		for i := n - 1; i >= 0; i-- { // Back to front.
			sq := rect(x-total/2+vg.Length(i)*slabOffset, y+vg.Length(n-1-i)*slabOffset, w, side)
			fillRect(c, sq, faded(col, 0.25+0.5*float64(n-i)/float64(n)))
			strokeRect(c, sq, col, 1)
		}
		return
	}
	units := 1
	for _, d := range r.shape {
		units *= d
	}
	w := vg.Length(16 + 34*math.Log10(float64(max(units, 1))))
	bar := rect(x-w/2, y, w, barHeight)
	fillRect(c, bar, faded(col, 0.45))
	strokeRect(c, bar, col, 1)
}

// layerColor returns the colour of a row by what the layer does.
func layerColor(r archRow) color.RGBA {
	switch {
	case r.name == "input":
		return color.RGBA{R: 0x77, G: 0x77, B: 0x77, A: 0xff}
	case strings.HasPrefix(r.kind, "Conv"):
		return palette[0]
	case strings.HasPrefix(r.kind, "MaxPool"):
		return palette[2]
	case strings.HasPrefix(r.kind, "Flatten"):
		return palette[4]
	default:
		return palette[1]
	}
}

// arrow draws an arrow from a to b.
func arrow(c draw.Canvas, a, b vg.Point) {
	c.StrokeLine2(draw.LineStyle{Color: grey, Width: 1.5}, a.X, a.Y, b.X, b.Y+2)
	var head vg.Path
	head.Move(b)
	head.Line(vg.Point{X: b.X - 4, Y: b.Y + 7})
	head.Line(vg.Point{X: b.X + 4, Y: b.Y + 7})
	head.Close()
	c.SetColor(grey)
	c.Fill(head)
}

// shapeString writes the shape of one image, the batch left out: [20, 28, 28].
func shapeString(dims []int) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
