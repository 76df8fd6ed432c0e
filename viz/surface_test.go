package viz

import (
	"math"
	"strings"
	"testing"
)

// bowl is a stretched quadratic, the usual surface for comparing
// optimizers: minimum 0 at the origin.
func bowl(x, y float64) float64 { return x*x/20 + y*y }

// descend returns the path of gradient descent on bowl from (x, y).
func descend(x, y, lr float64, steps int) Series {
	var s Series
	for range steps {
		s.X, s.Y = append(s.X, x), append(s.Y, y)
		x, y = x-lr*x/10, y-lr*2*y
	}
	return s
}

func TestSurface(t *testing.T) {
	sgd := descend(-7, 2, 0.4, 30)
	sgd.Name = "SGD"
	fast := descend(-7, 2, 0.9, 30)
	fast.Name, fast.Dashed = "Momentum", true
	positive := func(x, y float64) float64 { return bowl(x, y) + 0.01 }
	f, err := Surface{Title: "a bowl", XLabel: "x", YLabel: "y", F: positive, X0: -10, X1: 10, Y0: -5, Y1: 5,
		LogLevels: true, Paths: []Series{sgd, fast}}.Figure()
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, f, defaultWidth, surfaceDefault)
	checkContains(t, f.SVG, ">SGD<", ">Momentum<", ">a bowl<", ">-10<", ">10<", "data:image/png;base64,")
	if !strings.Contains(f.Alt, "2 paths") {
		t.Errorf("got description %q", f.Alt)
	}
	// No golden file: gonum's contour paths come out in a varying order.
}

func TestSurfaceErrors(t *testing.T) {
	tests := []struct {
		name    string
		s       Surface
		wantErr string
	}{
		{"no function", Surface{Title: "s", X0: 0, X1: 1, Y0: 0, Y1: 1}, `the surface "s" has no function F`},
		{"empty range", Surface{F: bowl, X0: 1, X1: 1, Y0: 0, Y1: 1}, "want X0 < X1 and Y0 < Y1"},
		{"log of zero", Surface{F: func(x, y float64) float64 { return bowl(x, y) - 0.5 }, X0: -1, X1: 1, Y0: -1, Y1: 1, LogLevels: true}, "not positive, with LogLevels"},
		{"NaN", Surface{F: func(x, y float64) float64 { return math.NaN() }, X0: 0, X1: 1, Y0: 0, Y1: 1}, "not finite"},
		{"bad path", Surface{F: bowl, X0: 0, X1: 1, Y0: 0, Y1: 1, Paths: []Series{{Name: "p", X: []float64{1}}}}, `series "p" has 1 x values and 0 y values`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.s.Figure()
			checkErr(t, err, tc.wantErr)
		})
	}
}

func TestHeat(t *testing.T) {
	// The ends of the scale are viridis's first and last colours.
	if c := heat(0); c.R != 68 || c.G != 1 || c.B != 84 {
		t.Errorf("got %v at 0", c)
	}
	if c := heat(1); c.R != 253 || c.G != 231 || c.B != 37 {
		t.Errorf("got %v at 1", c)
	}
}
