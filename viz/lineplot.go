package viz

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one line of a [LinePlot] (or a path on a [Surface]): points
// (X[i], Y[i]) and a name for the legend.
type Series struct {
	Name string
	X, Y []float64
	// Smooth, when above 1, draws the moving average over this many points
	// bold, the raw curve faint behind it; the legend names the window,
	// e.g. "adam (mean of 50)". Per-batch losses are too noisy to compare
	// optimizers without it.
	Smooth int
	Dashed bool
}

// LinePlot is a line chart of one or more series with axes, ticks at
// round numbers and a legend beside the data, never on it. Chapter 3
// (网络结构) uses it for the sigmoid curve and the loss curves of the MLP
// and the CNN; chapter 5 (优化算法) compares optimizers with Smooth.
type LinePlot struct {
	Title, XLabel, YLabel string
	Series                []Series
	Width, Height         int      // In pixels; 0 means 720 x 400.
	LogY                  bool     // Logarithmic y axis (every y must be positive).
	IntegerX              bool     // Ticks on whole numbers only (epochs).
	YMin, YMax            *float64 // Optional fixed range of y (nil: from the data).
	// Markers draws a marker at every point. Markers are drawn anyway for
	// a series of few points (at most fewPoints).
	Markers bool
}

const (
	defaultWidth, defaultHeight = 720, 400
	fewPoints                   = 30
)

// Figure draws the plot.
func (p LinePlot) Figure() (Figure, error) {
	return p.figure(render)
}

// figure draws the plot with render or renderSVG.
func (p LinePlot) figure(renderer func(int, int, string, func(draw.Canvas)) (Figure, error)) (Figure, error) {
	w, h := p.size()
	pl, legend, err := p.build()
	if err != nil {
		return Figure{}, err
	}
	return renderer(w, h, p.alt(), func(c draw.Canvas) { drawWithLegend(c, pl, legend) })
}

func (p LinePlot) size() (int, int) {
	if p.Width <= 0 || p.Height <= 0 {
		return defaultWidth, defaultHeight
	}
	return p.Width, p.Height
}

// alt describes the plot in one line.
func (p LinePlot) alt() string {
	var sb strings.Builder
	sb.WriteString("line plot")
	if p.Title != "" {
		fmt.Fprintf(&sb, " %q", p.Title)
	}
	if p.YLabel != "" && p.XLabel != "" {
		fmt.Fprintf(&sb, ": %s against %s,", p.YLabel, p.XLabel)
	} else {
		sb.WriteString(":")
	}
	var names []string
	for _, s := range p.Series {
		if s.Name != "" {
			names = append(names, s.Name)
		}
	}
	fmt.Fprintf(&sb, " %d series", len(p.Series))
	if len(names) > 0 {
		fmt.Fprintf(&sb, " (%s)", strings.Join(names, ", "))
	}
	return sb.String()
}

// check validates the plot's data and text.
func (p LinePlot) check() error {
	for what, s := range map[string]string{"title": p.Title, "x label": p.XLabel, "y label": p.YLabel} {
		if err := checkText(what, s); err != nil {
			return err
		}
	}
	if len(p.Series) == 0 {
		return fmt.Errorf("viz: the plot %q has no series", p.Title)
	}
	if p.YMin != nil && p.YMax != nil && !(*p.YMin < *p.YMax) {
		return fmt.Errorf("viz: the plot %q has YMin %g not below YMax %g", p.Title, *p.YMin, *p.YMax)
	}
	if p.LogY && p.YMin != nil && *p.YMin <= 0 {
		return fmt.Errorf("viz: the plot %q has YMin %g, not positive, on a logarithmic axis", p.Title, *p.YMin)
	}
	points := 0
	for _, s := range p.Series {
		if err := checkSeries(s, p.LogY); err != nil {
			return err
		}
		points += len(s.X)
	}
	if points == 0 {
		return fmt.Errorf("viz: the plot %q has no points", p.Title)
	}
	return nil
}

// checkSeries checks that s has as many x as y values, all finite (and
// positive on a logarithmic axis), and a name the font can draw.
func checkSeries(s Series, logY bool) error {
	if err := checkText("series name", s.Name); err != nil {
		return err
	}
	if len(s.X) != len(s.Y) {
		return fmt.Errorf("viz: series %q has %d x values and %d y values", s.Name, len(s.X), len(s.Y))
	}
	for i := range s.X {
		if x, y := s.X[i], s.Y[i]; math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
			return fmt.Errorf("viz: series %q has a non-finite point (%g, %g) at %d", s.Name, x, y, i)
		}
		if logY && s.Y[i] <= 0 {
			return fmt.Errorf("viz: series %q has y=%g at %d, not positive, on a logarithmic axis", s.Name, s.Y[i], i)
		}
	}
	return nil
}

// build returns the gonum plot of the series, and the legend to draw
// beside it.
func (p LinePlot) build() (*plot.Plot, *plot.Legend, error) {
	if err := p.check(); err != nil {
		return nil, nil, err
	}
	pl := newPlot(p.Title, p.XLabel, p.YLabel)
	pl.X.Tick.Marker = linearTicker{maxTicks: 8, integer: p.IntegerX}
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = light, light
	pl.Add(grid)
	legend := newLegend()
	for i, s := range p.Series {
		col := seriesColor(i)
		line := draw.LineStyle{Color: col, Width: 2}
		if s.Dashed {
			line.Dashes = []vg.Length{7, 4}
		}
		name := s.Name
		var thumbs []plot.Thumbnailer
		if len(s.X) == 0 {
			continue
		}
		if s.Smooth > 1 {
			raw, err := plotter.NewLine(xys(s.X, s.Y))
			if err != nil {
				return nil, nil, fmt.Errorf("viz: series %q: %w", s.Name, err)
			}
			raw.LineStyle = draw.LineStyle{Color: faded(col, 0.35), Width: 1, Dashes: line.Dashes}
			pl.Add(raw)
			if name != "" {
				name = fmt.Sprintf("%s (mean of %d)", name, s.Smooth)
			}
		}
		xs, ys := s.X, s.Y
		if s.Smooth > 1 {
			// The mean starts once it has a full window (fewer points at
			// the start would show a step where the first point leaves it).
			start := min(s.Smooth, len(s.Y)) - 1
			xs, ys = s.X[start:], movingAverage(s.Y, s.Smooth)[start:]
		}
		l, err := plotter.NewLine(xys(xs, ys))
		if err != nil {
			return nil, nil, fmt.Errorf("viz: series %q: %w", s.Name, err)
		}
		l.LineStyle = line
		pl.Add(l)
		thumbs = append(thumbs, l)
		if p.Markers || len(s.X) <= fewPoints {
			sc, err := plotter.NewScatter(xys(xs, ys))
			if err != nil {
				return nil, nil, fmt.Errorf("viz: series %q: %w", s.Name, err)
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: 3.5, Shape: markerShape(i)}
			pl.Add(sc)
			thumbs = append(thumbs, sc)
		}
		if name != "" {
			if err := checkText("series name", name); err != nil {
				return nil, nil, err
			}
			legend.Add(name, thumbs...)
		}
	}
	p.setY(pl)
	return pl, &legend, nil
}

// setY sets the y axis: its scale, ticks and range.
func (p LinePlot) setY(pl *plot.Plot) {
	lo, hi := pl.Y.Min, pl.Y.Max
	if p.YMin != nil {
		lo = *p.YMin
	}
	if p.YMax != nil {
		hi = *p.YMax
	}
	if p.LogY {
		pl.Y.Scale = plot.LogScale{}
		pl.Y.Tick.Marker = logTicker{}
		if hi <= lo {
			lo, hi = lo/2, hi*2
		}
		wlo, whi := logRange(lo, hi)
		if p.YMin == nil {
			lo = wlo
		}
		if p.YMax == nil {
			hi = whi
		}
	} else {
		pl.Y.Tick.Marker = linearTicker{maxTicks: 6}
		if hi <= lo {
			lo, hi = lo-1, hi+1
		}
		// Widen the range to the ticks around the data, so that the data
		// sits between two labelled ticks.
		step := linearStep(lo, hi, 6, 0)
		if p.YMin == nil {
			lo = math.Floor(lo/step+1e-9) * step
		}
		if p.YMax == nil {
			hi = math.Ceil(hi/step-1e-9) * step
		}
	}
	pl.Y.Min, pl.Y.Max = lo, hi
	if pl.X.Min == pl.X.Max {
		pl.X.Min, pl.X.Max = pl.X.Min-1, pl.X.Max+1
	}
}

// newPlot returns a gonum plot in the figures' style.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	pl := plot.New()
	pl.Title.Text = title
	pl.Title.TextStyle = aligned(textStyle(titleSize, black), -0.5, -1)
	pl.Title.Padding = 8
	for _, ax := range []*plot.Axis{&pl.X, &pl.Y} {
		ax.Label.TextStyle = aligned(textStyle(labelSize, black), -0.5, 0)
		ax.Tick.Label = textStyle(tickSize, black)
		ax.Label.Padding = 4
		ax.LineStyle.Color = grey
		ax.Tick.LineStyle.Color = grey
	}
	pl.X.Label.Text, pl.Y.Label.Text = xLabel, yLabel
	pl.X.Tick.Label = aligned(pl.X.Tick.Label, -0.5, -1)
	pl.Y.Tick.Label = aligned(pl.Y.Tick.Label, -1, -0.5)
	return pl
}

// newLegend returns an empty legend in the figures' style: icons on the
// left, names after them, entries from the top.
func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = textStyle(tickSize, black)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = 24
	l.Padding = 4
	return l
}

// legendGap is the space between the plot and its legend, and around the
// legend.
const legendGap = 12

// drawWithLegend draws the plot and its legend on c: the legend in a strip
// to the right of the plot, or below it when names are too long to leave
// the plot most of the width. Either way it is outside the data area, and
// its size comes from the font's measure of each name, so it is never
// clipped.
func drawWithLegend(c draw.Canvas, pl *plot.Plot, legend *plot.Legend) {
	fillRect(c, c.Rectangle, white)
	if legend == nil || legendEmpty(legend, c) {
		pl.Draw(c)
		return
	}
	r := legend.Rectangle(c)
	lw, lh := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
	full := c.Rectangle
	if lw+2*legendGap <= 0.4*(full.Max.X-full.Min.X) {
		plotArea, strip := c, c
		plotArea.Max.X = full.Max.X - lw - 2*legendGap
		strip.Min.X = plotArea.Max.X + legendGap
		strip.Max.X = full.Max.X - legendGap
		// Top of the legend level with the top of the data area.
		strip.Max.Y = full.Max.Y - titleHeight(pl)
		pl.Draw(plotArea)
		legend.Draw(strip)
		return
	}
	plotArea, strip := c, c
	plotArea.Min.Y = full.Min.Y + lh + legendGap
	strip.Max.Y = plotArea.Min.Y - legendGap/2
	strip.Min.X = full.Min.X + legendGap
	pl.Draw(plotArea)
	legend.Draw(strip)
}

// titleHeight returns the height the plot's title takes above its data.
func titleHeight(pl *plot.Plot) vg.Length {
	if pl.Title.Text == "" {
		return 4
	}
	return pl.Title.TextStyle.Height(pl.Title.Text) + pl.Title.Padding + 4
}

func legendEmpty(l *plot.Legend, c draw.Canvas) bool {
	r := l.Rectangle(c)
	return r.Max.Y-r.Min.Y <= 0
}

// xys returns the points of xs and ys as gonum's XYs.
func xys(xs, ys []float64) plotter.XYs {
	pts := make(plotter.XYs, len(xs))
	for i := range xs {
		pts[i].X, pts[i].Y = xs[i], ys[i]
	}
	return pts
}

// movingAverage returns the trailing mean of ys over window points: the
// i-th value is the mean of ys[i-window+1 .. i], over fewer points at the
// start.
func movingAverage(ys []float64, window int) []float64 {
	out := make([]float64, len(ys))
	sum := 0.0
	for i, y := range ys {
		sum += y
		if i >= window {
			sum -= ys[i-window]
		}
		out[i] = sum / float64(min(i+1, window))
	}
	return out
}

// markerShape returns the marker of the i-th series: a different shape for
// each, so that series stay apart without colour.
func markerShape(i int) draw.GlyphDrawer {
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.CrossGlyph{}}
	return shapes[i%len(shapes)]
}
