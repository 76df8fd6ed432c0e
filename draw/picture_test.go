package draw

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	"github.com/godigits/digits/mnist"
)

func TestPicture(t *testing.T) {
	a, err := Ask(smallOffCentreOne(), Model{Name: "A", Net: &fakeNet{digit: 1}}, Model{Name: "B<i>", Net: &fakeNet{digit: 4}})
	if err != nil {
		t.Fatal(err)
	}
	img := a.Picture()
	// Width: margin, the 112-pixel image, then per model two margins and a
	// panel of ten 14-pixel bars with 4-pixel gaps (176), and a margin.
	// Height: margin, a 10-pixel title, a 4-pixel gap, the 112-pixel image
	// and bars, a gap, the 10-pixel digits under the bars, a margin.
	const top = 8 + 10 + 4
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 8+112+2*(16+176)+8 || h != top+112+4+10+8 {
		t.Errorf("picture %dx%d, want %dx%d", w, h, 8+112+2*(16+176)+8, top+112+4+10+8)
	}
	// The image the models see, 4 times larger: its pixel (14, 14) at (8+56, top+56).
	if got, want := img.RGBAAt(8+4*14+1, top+4*14+1).R, a.Pixels[14*mnist.ImageSize+14]; got != want {
		t.Errorf("zoomed pixel (14, 14) = %d, want %d", got, want)
	}
	// Model B's predicted digit 4 (score 0.75) is a blue bar 84 pixels tall,
	// digit 5 (0.25) a grey one 28 pixels tall.
	left := 8 + 112 + 16 + (16 + 176) // Model B's panel.
	base := top + 112
	// Each panel has a title ("B<I>: 4 (75%)"): ink in the row above the bars.
	for i, x0 := range []int{8 + 112 + 16, left} {
		inked := 0
		for y := 8; y < 8+10; y++ {
			for x := x0; x < x0+176; x++ {
				if img.RGBAAt(x, y).R < 100 {
					inked++
				}
			}
		}
		if inked == 0 {
			t.Errorf("model %d's panel has no title", i+1)
		}
	}
	bar := func(d, y int) [3]uint8 {
		c := img.RGBAAt(left+d*18+7, y)
		return [3]uint8{c.R, c.G, c.B}
	}
	blue, grey, white := [3]uint8{31, 119, 180}, [3]uint8{170, 178, 189}, [3]uint8{255, 255, 255}
	if bar(4, base-84) != blue || bar(4, base-85) != white {
		t.Errorf("digit 4's bar: %v at its top, %v above, want blue then white", bar(4, base-84), bar(4, base-85))
	}
	if bar(5, base-28) != grey || bar(5, base-29) != white {
		t.Errorf("digit 5's bar: %v at its top, %v above, want grey then white", bar(5, base-28), bar(5, base-29))
	}

	data, err := a.PNG()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("PNG: %v", err)
	}
	html, err := a.HTML("Your drawing")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Your drawing: `, `data-model="A" data-digit="1"`, `B&lt;i&gt; sees <b>4</b> (75%)`, `<img alt="`, `src="data:image/png;base64,`} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q:\n%.400s", want, html)
		}
	}
	if got, want := a.Text(), "A sees 1 (75%), B<i> sees 4 (75%)"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}

// DrawStrokes paints the pixels within half the pen's width of the stroke:
// a single point is a disc, of area close to pi r^2.
func TestDrawStrokesDot(t *testing.T) {
	img := DrawStrokes(100, 100, 20, Stroke{{50, 50}})
	black := 0
	for _, v := range img.Pix {
		if v == 0 {
			black++
		}
	}
	if want := 314.0; black < int(want*0.95) || black > int(want*1.05) {
		t.Errorf("a 20-pixel dot paints %d pixels, want about %.0f (pi 10^2)", black, want)
	}
	if img.GrayAt(50, 50).Y != 0 || img.GrayAt(50, 39).Y != 255 || img.GrayAt(0, 0).Y != 255 {
		t.Error("the dot is not a disc of radius 10 around (50, 50) on white")
	}
}
