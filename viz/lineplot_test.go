package viz

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// curve returns n points of a decaying loss with a deterministic wiggle.
func curve(n int, scale float64, wiggle float64) ([]float64, []float64) {
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range n {
		xs[i] = float64(i)
		ys[i] = scale*math.Exp(-float64(i)/float64(n)*3)*(1+wiggle*math.Sin(float64(i)*1.7)) + 0.02
	}
	return xs, ys
}

func fptr(v float64) *float64 { return &v }

// The golden SVGs under testdata/ were looked at as PNG when written; a
// change in them is a change in the pictures (go test ./viz -update).
func TestLinePlotGolden(t *testing.T) {
	x, y := curve(200, 2.3, 0)
	xn, yn := curve(1000, 2.3, 0.4)
	var six []Series
	for i, name := range []string{"sgd", "momentum", "adagrad", "adam", "rmsprop", "a much longer series name"} {
		xs, ys := curve(100, 2.3/float64(i+1), 0)
		six = append(six, Series{Name: name, X: xs, Y: ys, Dashed: i == 5})
	}
	epochs := []float64{1, 2, 3}
	tests := []struct {
		name      string
		plot      LinePlot
		wantTicks []string // Tick labels the SVG must hold.
	}{
		{"linear", LinePlot{Title: "Training loss", XLabel: "step", YLabel: "loss",
			Series: []Series{{Name: "MLP", X: x, Y: y}}}, []string{">0.0<", ">0.5<", ">2.5<", ">150<"}},
		{"log", LinePlot{Title: "Training loss", XLabel: "step", YLabel: "loss", LogY: true,
			Series: []Series{{Name: "MLP", X: x, Y: y}}}, []string{">0.1<", ">0.2<", ">0.5<", ">1<", ">2<", ">5<"}},
		{"six series", LinePlot{Title: "Optimizers", XLabel: "step", YLabel: "loss", Series: six},
			[]string{">a much longer series name<", ">momentum<"}},
		{"smooth", LinePlot{Title: "Noisy", XLabel: "step", YLabel: "loss", LogY: true,
			Series: []Series{{Name: "momentum", X: xn, Y: yn, Smooth: 50}}}, []string{">momentum (mean of 50)<", ">800<"}},
		{"epochs", LinePlot{Title: "Accuracy", XLabel: "epoch", YLabel: "accuracy", IntegerX: true, YMin: fptr(0.9), YMax: fptr(1),
			Series: []Series{{Name: "MLP", X: epochs, Y: []float64{0.92, 0.95, 0.96}}, {Name: "CNN", X: epochs, Y: []float64{0.97, 0.98, 0.99}}}},
			[]string{">1<", ">2<", ">3<", ">0.90<", ">1.00<"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.plot.Figure()
			if err != nil {
				t.Fatal(err)
			}
			checkPNG(t, f, defaultWidth, defaultHeight)
			checkContains(t, f.SVG, tc.wantTicks...)
			for _, bad := range []string{">1.5<", ">2.5<", ">0.3162<", ">3.162<", "e+0"} {
				if tc.plot.IntegerX || tc.plot.LogY {
					if strings.Contains(f.SVG, bad) {
						t.Errorf("got tick %s in the SVG, want none", bad)
					}
				}
			}
			golden(t, "lineplot-"+strings.ReplaceAll(tc.name, " ", "-")+".svg", f.SVG)
		})
	}
}

// TestLegendOutsideData checks that the legend is drawn right of the data
// area, or below it, and inside the picture, for 1 to 6 series with short
// and long names: each name starts in the right 40% of the picture (the
// strip) or in the rows at its bottom, and ends inside it.
func TestLegendOutsideData(t *testing.T) {
	for n := 1; n <= 6; n++ {
		for _, long := range []bool{false, true} {
			var series []Series
			for i := range n {
				x, y := curve(50, 1, 0)
				name := fmt.Sprintf("s%d", i)
				if long {
					name = fmt.Sprintf("momentum %d with a long name (mean of 50)", i)
				}
				series = append(series, Series{Name: name, X: x, Y: y})
			}
			p := LinePlot{XLabel: "step", YLabel: "loss", Series: series}
			f := Must(p.Figure())
			checkPNG(t, f, defaultWidth, defaultHeight)
			for _, s := range series {
				i := strings.Index(f.SVG, ">"+s.Name+"<")
				if i < 0 {
					t.Fatalf("%d series, long=%v: got no legend entry %q", n, long, s.Name)
				}
				x, y := textPosition(t, f.SVG[:i])
				right := x >= 0.6*defaultWidth         // In the strip right of the data.
				below := -y <= float64(n)*18+legendGap // In the rows under the axis (y from the bottom).
				if !right && !below {
					t.Errorf("%d series, long=%v: legend entry %q at (%g, %g), want it right of or below the data", n, long, s.Name, x, -y)
				}
				if w := textStyle(tickSize, black).Width(s.Name); x+float64(w) > defaultWidth {
					t.Errorf("%d series, long=%v: legend entry %q ends at %g, past the picture's width", n, long, s.Name, x+float64(w))
				}
			}
		}
	}
}

// textPosition returns the x and y attributes of the last <text> element
// opened in svg; -y is the height above the picture's bottom (gonum's SVG
// flips the y axis).
func textPosition(t *testing.T, svg string) (float64, float64) {
	t.Helper()
	i := strings.LastIndex(svg, "<text ")
	var x, y float64
	if _, err := fmt.Sscanf(svg[i:], `<text x="%g" y="%g"`, &x, &y); err != nil {
		t.Fatalf("got text element %.60q: %v", svg[i:], err)
	}
	return x, y
}

func TestLinePlotErrors(t *testing.T) {
	tests := []struct {
		name    string
		plot    LinePlot
		wantErr string
	}{
		{"no series", LinePlot{Title: "empty"}, `the plot "empty" has no series`},
		{"no points", LinePlot{Title: "t", Series: []Series{{Name: "a"}}}, `the plot "t" has no points`},
		{"lengths", LinePlot{Series: []Series{{Name: "a", X: []float64{1}, Y: []float64{1, 2}}}}, `series "a" has 1 x values and 2 y values`},
		{"NaN", LinePlot{Series: []Series{{Name: "a", X: []float64{1, 2}, Y: []float64{1, math.NaN()}}}}, `series "a" has a non-finite point (2, NaN) at 1`},
		{"log of zero", LinePlot{LogY: true, Series: []Series{{Name: "a", X: []float64{1}, Y: []float64{0}}}}, `y=0 at 0, not positive, on a logarithmic axis`},
		{"range", LinePlot{YMin: fptr(1), YMax: fptr(0), Series: []Series{{X: []float64{1}, Y: []float64{1}}}}, "YMin 1 not below YMax 0"},
		{"Chinese title", LinePlot{Title: "损失", Series: []Series{{X: []float64{1}, Y: []float64{1}}}}, "title \"损失\" has the character '损'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.plot.Figure()
			checkErr(t, err, tc.wantErr)
		})
	}
}

func TestMovingAverage(t *testing.T) {
	got := movingAverage([]float64{1, 3, 5, 7}, 2) // Trailing means, by hand.
	want := []float64{1, 2, 4, 6}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestLinePlotMarkers(t *testing.T) {
	few := LinePlot{Series: []Series{{X: []float64{0, 1, 2}, Y: []float64{1, 2, 3}}}}
	x, y := curve(100, 1, 0)
	many := LinePlot{Series: []Series{{X: x, Y: y}}}
	forced := many
	forced.Markers = true
	// Each marker is one circle path in the SVG (gonum writes circles as
	// arcs of radius 3.5: "A3.5,3.5" twice in a path), one more in the
	// legend when the series is named.
	for _, tc := range []struct {
		name string
		p    LinePlot
		want int
	}{{"few points", few, 3}, {"many points", many, 0}, {"forced", forced, 100}} {
		svg := Must(tc.p.Figure()).SVG
		if got := strings.Count(svg, "A3.5,3.5") / 2; got != tc.want {
			t.Errorf("%s: got %d marker arcs, want %d", tc.name, got, tc.want)
		}
	}
}

// TestLinePlotEdgeCases draws plots at the edges of the data: each must
// give a picture of the asked size.
func TestLinePlotEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		plot LinePlot
	}{
		{"one point, epochs", LinePlot{IntegerX: true, Series: []Series{{Name: "one", X: []float64{1}, Y: []float64{0.5}}}}},
		{"flat", LinePlot{Series: []Series{{Name: "flat", X: []float64{1, 2}, Y: []float64{3, 3}}}}},
		{"flat, log", LinePlot{LogY: true, Series: []Series{{Name: "flat", X: []float64{1, 2}, Y: []float64{3, 3}}}}},
		{"window longer than the series", LinePlot{Series: []Series{{Name: "short", X: []float64{1, 2}, Y: []float64{3, 4}, Smooth: 50}}}},
		{"millions", LinePlot{Series: []Series{{Name: "big", X: []float64{-3, 2}, Y: []float64{-1e6, 4e6}}}}},
		{"small", LinePlot{Width: 300, Height: 200, Series: []Series{{X: []float64{0, 1}, Y: []float64{1, 2}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.plot.Figure()
			if err != nil {
				t.Fatal(err)
			}
			w, h := tc.plot.size()
			checkPNG(t, f, w, h)
		})
	}
}
