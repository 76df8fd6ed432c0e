package viz_test

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/godigits/digits/viz"
)

// A line plot of two loss curves; in a notebook, viz.Display(fig) shows it.
func ExampleLinePlot() {
	plot := viz.LinePlot{
		Title: "loss", XLabel: "epoch", YLabel: "loss", IntegerX: true,
		Series: []viz.Series{
			{Name: "MLP", X: []float64{1, 2, 3}, Y: []float64{0.9, 0.4, 0.3}},
			{Name: "CNN", X: []float64{1, 2, 3}, Y: []float64{0.7, 0.2, 0.1}},
		},
	}
	fig, err := plot.Figure()
	if err != nil {
		fmt.Println(err)
		return
	}
	img, err := png.Decode(bytes.NewReader(fig.PNG))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(fig.Alt)
	fmt.Println(img.Bounds().Dx(), "x", img.Bounds().Dy(), "pixels")
	// Output:
	// line plot "loss": loss against epoch, 2 series (MLP, CNN)
	// 1440 x 800 pixels
}

// A confusion matrix, with its one-line description.
func ExampleConfusionMatrix() {
	var confusion [10][10]int
	for d := range 10 {
		confusion[d][d] = 98
	}
	confusion[4][9] = 2 // Two 4s taken for 9s.
	fig, err := viz.ConfusionMatrix(confusion, "test set")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(fig.Alt)
	// Output: confusion matrix "test set": true digit against predicted digit, 982 images
}
