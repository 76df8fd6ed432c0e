package draw

import "github.com/godigits/digits/mnist"

// Predictor is what the canvas needs of a network: the prediction for
// 28x28 images of mnist.NumPixels pixels. *mnist.Model is one.
type Predictor interface {
	Predict(pixels ...[]uint8) ([]mnist.Prediction, error)
}

// Model is a trained network under the name the canvas shows for it, such
// as "MLP" or "CNN". Chapter 9 compares the two side by side: the CNN cares
// less where and how the digit is written.
type Model struct {
	Name string
	Net  Predictor
}
