package draw_test

import (
	"github.com/godigits/digits/draw"
	"github.com/godigits/digits/mnist"
)

// sevens is a stand-in for a trained model: it sees a 7 in everything.
type sevens struct{}

func (sevens) Predict(pixels ...[]uint8) ([]mnist.Prediction, error) {
	preds := make([]mnist.Prediction, len(pixels))
	for i := range preds {
		preds[i].Digit = 7
		preds[i].Scores[7] = 0.9
		preds[i].Scores[1] = 0.1
	}
	return preds, nil
}

// Outside a notebook, Show only prints its answer for the sample drawing.
// In chapter 9 the models are the trained MLP and CNN.
func ExampleShow() {
	err := draw.Show(draw.Model{Name: "MLP", Net: sevens{}}, draw.Model{Name: "CNN", Net: sevens{}})
	if err != nil {
		panic(err)
	}
	// Output:
	// Sample drawing of a 7: MLP sees 7 (90%), CNN sees 7 (90%)
}
