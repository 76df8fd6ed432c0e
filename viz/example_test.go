package viz_test

import (
	"fmt"
	"strings"

	"github.com/godigits/digits/viz"
)

// A line plot of two loss curves; in a notebook, viz.Display(svg) shows it.
func ExampleLinePlot() {
	plot := viz.LinePlot{
		Title: "loss", XLabel: "epoch", YLabel: "loss",
		Series: []viz.Series{
			{Name: "MLP", X: []float64{0, 1, 2}, Y: []float64{0.9, 0.4, 0.3}},
			{Name: "CNN", X: []float64{0, 1, 2}, Y: []float64{0.7, 0.2, 0.1}},
		},
	}
	svg, err := plot.SVG()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(svg, "<svg"), strings.Count(svg, "<polyline"))
	// Output: true 2
}

// A confusion matrix that writes the count in each of its 11 non-zero cells.
func ExampleConfusionMatrix() {
	var confusion [10][10]int
	for d := range 10 {
		confusion[d][d] = 98
	}
	confusion[4][9] = 2 // Two 4s taken for 9s.
	svg, err := viz.ConfusionMatrix(confusion, "test set")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Count(svg, `class="cell"`), strings.Count(svg, `class="count"`))
	// Output: 100 11
}
