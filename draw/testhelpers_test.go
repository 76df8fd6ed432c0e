package draw

import (
	"bytes"
	"image"
	"image/png"
	"sync"
	"testing"

	"github.com/godigits/digits/mnist"
)

// fakeNet is a Predictor that answers digit for every image and keeps the
// images it was asked about.
type fakeNet struct {
	digit int
	mu    sync.Mutex
	seen  [][]uint8
}

func (f *fakeNet) Predict(pixels ...[]uint8) ([]mnist.Prediction, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	preds := make([]mnist.Prediction, len(pixels))
	for i, p := range pixels {
		f.seen = append(f.seen, append([]uint8(nil), p...))
		preds[i].Digit = f.digit
		preds[i].Scores[f.digit] = 0.75
		preds[i].Scores[(f.digit+1)%mnist.NumClasses] = 0.25
	}
	return preds, nil
}

// last is the last image the fake was asked about.
func (f *fakeNet) last(t *testing.T) []uint8 {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seen) == 0 {
		t.Fatal("the model was never asked")
	}
	return f.seen[len(f.seen)-1]
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// smallOffCentreOne is a 1 drawn small in the top-left corner of the
// canvas: a stroke 60 pixels tall, 30 pixels from the left edge.
func smallOffCentreOne() image.Image {
	return DrawStrokes(CanvasSize, CanvasSize, PenWidth, Stroke{{30, 20}, {40, 80}})
}
