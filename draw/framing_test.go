package draw

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/godigits/digits/mnist"
)

// A drawing reaches the models framed exactly as "digits predict" frames an
// image file: the pixels the model gets are those of mnist.PrepareImage,
// whether the drawing comes as an image (Ask) or as the canvas's PNG data
// URL (the notebook's path, answerDrawing).
func TestDrawingIsFramedAsPredictFramesAnImage(t *testing.T) {
	drawing := smallOffCentreOne()
	want, err := mnist.PrepareImage(drawing)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("Ask", func(t *testing.T) {
		net := &fakeNet{digit: 1}
		answer, err := Ask(drawing, Model{Name: "fake", Net: net})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(net.last(t), want) || !slices.Equal(answer.Pixels, want) {
			t.Error("the model got other pixels than mnist.PrepareImage gives for the drawing")
		}
	})
	t.Run("PNG data URL", func(t *testing.T) {
		net := &fakeNet{digit: 1}
		dataURL := pngDataURLPrefix + base64.StdEncoding.EncodeToString(encodePNG(t, drawing))
		answer, reply := answerDrawing(dataURL, []Model{{Name: "fake", Net: net}})
		if answer == nil {
			t.Fatalf("answerDrawing: no answer, reply %s", reply)
		}
		if !slices.Equal(net.last(t), want) {
			t.Error("the model got other pixels than mnist.PrepareImage gives for the drawing")
		}
		var r struct{ HTML string }
		if err := json.Unmarshal([]byte(reply), &r); err != nil || !strings.Contains(r.HTML, `data-digit="1"`) {
			t.Errorf("reply %.200s: want JSON {html} naming digit 1 (err %v)", reply, err)
		}
	})
}

// The small stroke in the corner ends up as MNIST digits are: its longer
// side 20 pixels (the 20x20 box), its centre of mass on pixel (14, 14)
// within the half pixel that the rounding of the shift allows (LeCun's
// MNIST page; mnist/image.go).
func TestSmallOffCentreStrokeIsCentred(t *testing.T) {
	net := &fakeNet{digit: 1}
	answer, err := Ask(smallOffCentreOne(), Model{Name: "fake", Net: net})
	if err != nil {
		t.Fatal(err)
	}
	var mass, mx, my float64
	x0, y0, x1, y1 := mnist.ImageSize, mnist.ImageSize, -1, -1
	for i, v := range answer.Pixels {
		if v == 0 {
			continue
		}
		x, y := i%mnist.ImageSize, i/mnist.ImageSize
		mass += float64(v)
		mx += float64(v) * float64(x)
		my += float64(v) * float64(y)
		x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
	}
	cx, cy := mx/mass, my/mass
	if math.Abs(cx-14) > 0.5 || math.Abs(cy-14) > 0.5 {
		t.Errorf("centre of mass (%.2f, %.2f), want (14, 14) within 0.5", cx, cy)
	}
	if h := y1 - y0 + 1; h != 20 {
		t.Errorf("the stroke is %d pixels tall, want 20 (the 20x20 box)", h)
	}
	if w := x1 - x0 + 1; w >= 20 {
		t.Errorf("the stroke is %d pixels wide, want less than its height", w)
	}
}

func TestAskErrors(t *testing.T) {
	blank := DrawStrokes(CanvasSize, CanvasSize, PenWidth)
	if _, err := Ask(blank, Model{Name: "fake", Net: &fakeNet{}}); err == nil || !strings.Contains(err.Error(), "no digit found") {
		t.Errorf("Ask(blank canvas): %v, want \"no digit found\"", err)
	}
	if _, err := Ask(smallOffCentreOne()); err == nil || !strings.Contains(err.Error(), "no model") {
		t.Errorf("Ask(no model): %v, want \"no model\"", err)
	}
	if _, err := AskPixels(make([]uint8, 10), Model{Name: "fake", Net: &fakeNet{}}); err == nil || !strings.Contains(err.Error(), "10 pixels") {
		t.Errorf("AskPixels(10 pixels): %v, want an error naming the 10 pixels", err)
	}
}

func TestAnswerDrawingRejectsBadData(t *testing.T) {
	models := []Model{{Name: "fake", Net: &fakeNet{}}}
	blankPNG := base64.StdEncoding.EncodeToString(encodePNG(t, DrawStrokes(CanvasSize, CanvasSize, PenWidth)))
	for _, tc := range []struct{ name, dataURL, want string }{
		{"not a data URL", "hello", "must be a PNG data URL"},
		{"JPEG data URL", "data:image/jpeg;base64,AAAA", "must be a PNG data URL"},
		{"bad base64", pngDataURLPrefix + "!!!!", "not valid base64"},
		{"not a PNG", pngDataURLPrefix + base64.StdEncoding.EncodeToString([]byte("GIF89a....")), "not a PNG"},
		{"blank canvas", pngDataURLPrefix + blankPNG, "no digit found"},
		{"too large", pngDataURLPrefix + strings.Repeat("A", 2*MaxDrawingBytes), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer, reply := answerDrawing(tc.dataURL, models)
			var r struct{ Error string }
			if err := json.Unmarshal([]byte(reply), &r); answer != nil || err != nil || !strings.Contains(r.Error, tc.want) {
				t.Errorf("reply %.200q, answer %v: want an {error} containing %q", reply, answer != nil, tc.want)
			}
		})
	}
}
