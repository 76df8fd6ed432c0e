package draw

import (
	"errors"
	"fmt"
	"image"
	"strings"

	"github.com/godigits/digits/mnist"
)

// Answer is what the models see in one drawing: the drawing framed as an
// MNIST digit, and each model's prediction for it.
type Answer struct {
	// Pixels is the 28x28 image the models see (mnist.NumPixels pixels,
	// row-major, 0 background, 255 ink), framed by mnist.PrepareImage.
	Pixels []uint8 `json:"-"`
	// Models holds one answer per model, in the order they were given.
	Models []ModelAnswer `json:"models"`
}

// ModelAnswer is one model's prediction for a drawing.
type ModelAnswer struct {
	Name string `json:"name"`
	// Digit is the predicted digit, the class of the highest score.
	Digit int `json:"digit"`
	// Scores holds the ten class probabilities (scores, for a regression
	// model), digit 0 first.
	Scores [mnist.NumClasses]float32 `json:"scores"`
}

// Ask frames the drawing as "digits predict" frames an image file
// (mnist.PrepareImage: polarity, 20x20 box, centre of mass) and asks every
// model what digit it sees. An empty drawing is an error ("no digit
// found"). Chapter 9 (动转静 / 部署) introduces it, behind the canvas.
func Ask(drawing image.Image, models ...Model) (*Answer, error) {
	pixels, err := mnist.PrepareImage(drawing)
	if err != nil {
		return nil, fmt.Errorf("draw: %w", err)
	}
	return AskPixels(pixels, models...)
}

// AskPixels asks every model what digit it sees in pixels, an image
// already framed as an MNIST digit (mnist.NumPixels values).
func AskPixels(pixels []uint8, models ...Model) (*Answer, error) {
	if len(models) == 0 {
		return nil, errors.New("draw: no model to ask: give at least one")
	}
	if len(pixels) != mnist.NumPixels {
		return nil, fmt.Errorf("draw: %d pixels, want %d (28x28)", len(pixels), mnist.NumPixels)
	}
	a := &Answer{Pixels: pixels}
	for _, m := range models {
		if m.Net == nil {
			return nil, fmt.Errorf("draw: model %q has no network (Net is nil)", m.Name)
		}
		preds, err := m.Net.Predict(pixels)
		if err != nil {
			return nil, fmt.Errorf("draw: model %q: %w", m.Name, err)
		}
		if len(preds) != 1 {
			return nil, fmt.Errorf("draw: model %q returned %d predictions for one image", m.Name, len(preds))
		}
		a.Models = append(a.Models, ModelAnswer{Name: m.Name, Digit: preds[0].Digit, Scores: preds[0].Scores})
	}
	return a, nil
}

// Text is the answer in one line, such as "MLP sees 7 (93%), CNN sees 7
// (99%)".
func (a *Answer) Text() string {
	parts := make([]string, len(a.Models))
	for i, m := range a.Models {
		parts[i] = fmt.Sprintf("%s sees %d (%.0f%%)", m.Name, m.Digit, 100*m.Scores[m.Digit])
	}
	return strings.Join(parts, ", ")
}

// checkModelNames rejects models without a name or with the same name, which
// the answer could not tell apart.
func checkModelNames(models []Model) error {
	if len(models) == 0 {
		return errors.New("draw: no model to ask: give at least one")
	}
	seen := map[string]bool{}
	for i, m := range models {
		if strings.TrimSpace(m.Name) == "" {
			return fmt.Errorf("draw: model %d has no name (Model.Name)", i+1)
		}
		if seen[m.Name] {
			return fmt.Errorf("draw: two models are named %q: give each its own name", m.Name)
		}
		seen[m.Name] = true
		if m.Net == nil {
			return fmt.Errorf("draw: model %q has no network (Net is nil)", m.Name)
		}
	}
	return nil
}
