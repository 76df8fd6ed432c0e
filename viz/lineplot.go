package viz

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Series is one line of a [LinePlot]: points (X[i], Y[i]) and a name for the
// legend.
type Series struct {
	Name string
	X, Y []float64
}

// LinePlot is a line chart of one or more series with axes, ticks and a
// legend. Chapter 3 (网络结构) uses it for the sigmoid curve and the loss
// curves of the MLP and the CNN.
type LinePlot struct {
	Title, XLabel, YLabel string
	Series                []Series
	Width, Height         int  // In pixels; 0 means 640 x 360.
	LogY                  bool // Logarithmic y axis (every y must be positive).
}

// palette holds the series colours (the "tab10" colours of matplotlib, which
// readers of the course know from the PaddlePaddle notebooks).
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

// SVG renders the plot as a self-contained SVG document.
func (p LinePlot) SVG() (string, error) {
	w, h := p.Width, p.Height
	if w == 0 || h == 0 {
		w, h = 640, 360
	}
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range p.Series {
		if len(s.X) != len(s.Y) {
			return "", fmt.Errorf("viz: series %q has %d x values and %d y values", s.Name, len(s.X), len(s.Y))
		}
		for i := range s.X {
			y := s.Y[i]
			if math.IsNaN(y) || math.IsInf(y, 0) || math.IsNaN(s.X[i]) || math.IsInf(s.X[i], 0) {
				return "", fmt.Errorf("viz: series %q has a non-finite point at %d", s.Name, i)
			}
			if p.LogY {
				if y <= 0 {
					return "", fmt.Errorf("viz: series %q has y=%g, not positive, on a logarithmic axis", s.Name, y)
				}
				y = math.Log10(y)
			}
			xmin, xmax = math.Min(xmin, s.X[i]), math.Max(xmax, s.X[i])
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
	}
	if math.IsInf(xmin, 1) {
		return "", fmt.Errorf("viz: the plot %q has no points", p.Title)
	}
	if xmax == xmin {
		xmin, xmax = xmin-1, xmax+1
	}
	if ymax == ymin {
		ymin, ymax = ymin-1, ymax+1
	}
	yticks := niceTicks(ymin, ymax, 6)
	xticks := niceTicks(xmin, xmax, 8)
	ymin, ymax = math.Min(ymin, yticks[0]), math.Max(ymax, yticks[len(yticks)-1])
	left, right, top, bottom := 64.0, 16.0, 36.0, 48.0
	pw, ph := float64(w)-left-right, float64(h)-top-bottom
	sx := func(x float64) float64 { return left + (x-xmin)/(xmax-xmin)*pw }
	sy := func(y float64) float64 { return top + (1-(y-ymin)/(ymax-ymin))*ph }

	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`, w, h, w, h)
	fmt.Fprintf(&sb, `<rect width="100%%" height="100%%" fill="white"/>`)
	fmt.Fprintf(&sb, `<text x="%g" y="22" font-size="15" text-anchor="middle">%s</text>`, left+pw/2, html.EscapeString(p.Title))
	for _, t := range yticks {
		y := sy(t)
		label := tickLabel(t)
		if p.LogY {
			label = tickLabel(math.Pow(10, t))
		}
		fmt.Fprintf(&sb, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#e5e5e5"/>`, left, left+pw, y, y)
		fmt.Fprintf(&sb, `<text x="%g" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`, left-6, y, label)
	}
	for _, t := range xticks {
		if t < xmin || t > xmax {
			continue
		}
		x := sx(t)
		fmt.Fprintf(&sb, `<line x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#e5e5e5"/>`, x, x, top, top+ph)
		fmt.Fprintf(&sb, `<text x="%.1f" y="%g" text-anchor="middle">%s</text>`, x, top+ph+16, tickLabel(t))
	}
	fmt.Fprintf(&sb, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#333"/>`, left, top, pw, ph)
	fmt.Fprintf(&sb, `<text x="%g" y="%d" text-anchor="middle">%s</text>`, left+pw/2, h-8, html.EscapeString(p.XLabel))
	fmt.Fprintf(&sb, `<text transform="translate(14 %g) rotate(-90)" text-anchor="middle">%s</text>`, top+ph/2, html.EscapeString(p.YLabel))
	for i, s := range p.Series {
		color := palette[i%len(palette)]
		var pts strings.Builder
		for j := range s.X {
			y := s.Y[j]
			if p.LogY {
				y = math.Log10(y)
			}
			fmt.Fprintf(&pts, "%.1f,%.1f ", sx(s.X[j]), sy(y))
		}
		fmt.Fprintf(&sb, `<polyline class="series" fill="none" stroke="%s" stroke-width="2" points="%s"/>`, color, strings.TrimSpace(pts.String()))
		if len(s.X) == 1 {
			fmt.Fprintf(&sb, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, sx(s.X[0]), sy(s.Y[0]), color)
		}
		// Legend, top right, one line per named series.
		if s.Name != "" {
			ly := top + 14 + float64(i)*18
			lx := left + pw - legendWidth(p.Series)
			fmt.Fprintf(&sb, `<line x1="%g" x2="%g" y1="%g" y2="%g" stroke="%s" stroke-width="3"/>`, lx, lx+22, ly, ly, color)
			fmt.Fprintf(&sb, `<text x="%g" y="%g" dominant-baseline="middle">%s</text>`, lx+28, ly, html.EscapeString(s.Name))
		}
	}
	sb.WriteString(`</svg>`)
	return sb.String(), nil
}

// legendWidth estimates the width of the legend box, from the longest
// series name at about 7 pixels a character of 12-pixel sans-serif text.
func legendWidth(series []Series) float64 {
	longest := 0
	for _, s := range series {
		longest = max(longest, len([]rune(s.Name)))
	}
	return float64(longest)*7 + 40
}

// niceTicks returns about n round tick values covering [lo, hi]: steps of 1,
// 2 or 5 times a power of ten (Heckbert, "Nice numbers for graph labels",
// Graphics Gems, 1990).
func niceTicks(lo, hi float64, n int) []float64 {
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []float64
	for t := math.Floor(lo/step) * step; t <= hi+step*1e-9; t += step {
		ticks = append(ticks, math.Round(t/step)*step)
	}
	if ticks[len(ticks)-1] < hi {
		ticks = append(ticks, ticks[len(ticks)-1]+step)
	}
	return ticks
}

func tickLabel(v float64) string {
	if v == 0 {
		return "0"
	}
	return strings.TrimSuffix(fmt.Sprintf("%.4g", v), ".0")
}
