package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Surface draws a function of two variables over [X0, X1] x [Y0, Y1] as a
// heat map with contour lines, and paths on top of it: each path a Series
// of points, drawn with a marker at its start (a circle) and at its end (a
// cross), named in a legend beside the map. Chapter 5 (优化算法) draws the
// paths of SGD, Momentum, AdaGrad and Adam on a small 2-D loss surface
// with it.
type Surface struct {
	Title, XLabel, YLabel string
	F                     func(x, y float64) float64
	X0, X1, Y0, Y1        float64
	LogLevels             bool // Contour levels spaced logarithmically (F must be positive).
	Paths                 []Series
	Width, Height         int // In pixels; 0 means 720 x 480.
}

// Grid sizes: the heat map's pixels and the contour grid's points per side.
const (
	surfaceRaster  = 240
	surfacePoints  = 80
	surfaceLevels  = 12
	surfaceDefault = 480
)

// Figure draws the surface.
func (s Surface) Figure() (Figure, error) {
	for what, t := range map[string]string{"title": s.Title, "x label": s.XLabel, "y label": s.YLabel} {
		if err := checkText(what, t); err != nil {
			return Figure{}, err
		}
	}
	if s.F == nil {
		return Figure{}, fmt.Errorf("viz: the surface %q has no function F", s.Title)
	}
	if !(s.X0 < s.X1) || !(s.Y0 < s.Y1) {
		return Figure{}, fmt.Errorf("viz: the surface %q has the range [%g, %g] x [%g, %g], want X0 < X1 and Y0 < Y1", s.Title, s.X0, s.X1, s.Y0, s.Y1)
	}
	for _, p := range s.Paths {
		if err := checkSeries(p, false); err != nil {
			return Figure{}, err
		}
	}
	// Sample F on the contour grid, and check its values.
	g := &surfaceGrid{s: s, n: surfacePoints, z: make([]float64, surfacePoints*surfacePoints)}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range g.n {
		for j := range g.n {
			v := s.F(g.X(j), g.Y(i))
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return Figure{}, fmt.Errorf("viz: the surface %q has F(%g, %g) = %g, not finite", s.Title, g.X(j), g.Y(i), v)
			}
			if s.LogLevels && v <= 0 {
				return Figure{}, fmt.Errorf("viz: the surface %q has F(%g, %g) = %g, not positive, with LogLevels", s.Title, g.X(j), g.Y(i), v)
			}
			g.z[i*g.n+j] = v
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	levels := make([]float64, surfaceLevels)
	for k := range levels {
		f := (float64(k) + 0.5) / surfaceLevels
		if s.LogLevels {
			levels[k] = lo * math.Pow(hi/lo, f)
		} else {
			levels[k] = lo + (hi-lo)*f
		}
	}
	pl := newPlot(s.Title, s.XLabel, s.YLabel)
	pl.X.Tick.Marker = linearTicker{maxTicks: 8}
	pl.Y.Tick.Marker = linearTicker{maxTicks: 8}
	pl.Add(plotter.NewImage(s.raster(lo, hi), s.X0, s.Y0, s.X1, s.Y1))
	contour := plotter.NewContour(g, levels, nil)
	contour.LineStyles = []draw.LineStyle{{Width: 0.8}}
	contour.Palette = onePalette{color.RGBA{R: 255, G: 255, B: 255, A: 255}}
	pl.Add(contour)
	legend := newLegend()
	for i, p := range s.Paths {
		if len(p.X) == 0 {
			continue
		}
		col := seriesColor(i)
		line, err := plotter.NewLine(xys(p.X, p.Y))
		if err != nil {
			return Figure{}, fmt.Errorf("viz: path %q: %w", p.Name, err)
		}
		line.LineStyle = draw.LineStyle{Color: col, Width: 2}
		if p.Dashed {
			line.Dashes = []vg.Length{7, 4}
		}
		n := len(p.X) - 1
		ends, _ := plotter.NewScatter(plotter.XYs{{X: p.X[0], Y: p.Y[0]}})
		ends.GlyphStyle = draw.GlyphStyle{Color: col, Radius: 4, Shape: draw.CircleGlyph{}}
		last, _ := plotter.NewScatter(plotter.XYs{{X: p.X[n], Y: p.Y[n]}})
		last.GlyphStyle = draw.GlyphStyle{Color: col, Radius: 5, Shape: draw.CrossGlyph{}}
		pl.Add(line, ends, last)
		if p.Name != "" {
			legend.Add(p.Name, line, last)
		}
	}
	pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = s.X0, s.X1, s.Y0, s.Y1
	w, h := s.Width, s.Height
	if w <= 0 || h <= 0 {
		w, h = defaultWidth, surfaceDefault
	}
	alt := fmt.Sprintf("surface %q over [%g, %g] x [%g, %g], %d paths", s.Title, s.X0, s.X1, s.Y0, s.Y1, len(s.Paths))
	return render(w, h, alt, func(c draw.Canvas) {
		drawWithLegend(c, pl, &legend)
	})
}

// raster returns the heat map of F in bands between the contour levels: low values dark blue, high values
// light yellow (a perceptually ordered scale), on a logarithmic scale when
// LogLevels is set.
func (s Surface) raster(lo, hi float64) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, surfaceRaster, surfaceRaster))
	scale := func(v float64) float64 { return (v - lo) / (hi - lo) }
	if s.LogLevels {
		scale = func(v float64) float64 { return math.Log(v/lo) / math.Log(hi/lo) }
	}
	for i := range surfaceRaster {
		y := s.Y1 - (float64(i)+0.5)/surfaceRaster*(s.Y1-s.Y0) // Row 0 at the top.
		for j := range surfaceRaster {
			x := s.X0 + (float64(j)+0.5)/surfaceRaster*(s.X1-s.X0)
			v := s.F(x, y)
			f := 0.0
			if !math.IsNaN(v) && !math.IsInf(v, 0) && (!s.LogLevels || v > 0) {
				f = scale(v)
			}
			// One colour per band between contour levels: filled contours.
			band := min(math.Floor(f*surfaceLevels+0.5), surfaceLevels)
			img.Set(j, i, heat(band/surfaceLevels))
		}
	}
	return img
}

// heat maps f in [0, 1] to a colour from dark blue through teal to light
// yellow, the end and middle colours of matplotlib's viridis.
func heat(f float64) color.RGBA {
	f = min(max(f, 0), 1)
	stops := [][3]float64{{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}
	pos := f * float64(len(stops)-1)
	k := min(int(pos), len(stops)-2)
	t := pos - float64(k)
	mix := func(a, b float64) uint8 { return uint8(a + (b-a)*t + 0.5) }
	a, b := stops[k], stops[k+1]
	return color.RGBA{R: mix(a[0], b[0]), G: mix(a[1], b[1]), B: mix(a[2], b[2]), A: 255}
}

// onePalette is a gonum palette of one colour, for contour lines.
type onePalette []color.Color

func (p onePalette) Colors() []color.Color { return p }

// surfaceGrid is F sampled on an n x n grid, as gonum's plotter.GridXYZ.
type surfaceGrid struct {
	s Surface
	n int
	z []float64
}

func (g *surfaceGrid) Dims() (c, r int)   { return g.n, g.n }
func (g *surfaceGrid) Z(c, r int) float64 { return g.z[r*g.n+c] }
func (g *surfaceGrid) X(c int) float64 {
	return g.s.X0 + float64(c)/float64(g.n-1)*(g.s.X1-g.s.X0)
}
func (g *surfaceGrid) Y(r int) float64 {
	return g.s.Y0 + float64(r)/float64(g.n-1)*(g.s.Y1-g.s.Y0)
}
