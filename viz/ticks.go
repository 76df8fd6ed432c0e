package viz

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// Axis ticks that a student reads without effort: on a linear axis, steps
// of 1, 2 or 5 times a power of ten (Heckbert, "Nice numbers for graph
// labels", Graphics Gems, 1990) written in one format for the whole axis
// (0, 0.5, 1, 1.5 or 0, 5000, 10000, never 5000 beside 1e+04); on a
// logarithmic axis, ticks at 1, 2 and 5 times powers of ten (0.1, 0.2, 0.5,
// 1, 2, 5), or at powers of ten alone when the range is wide.

// niceSteps are the mantissas of a tick step.
var niceSteps = []float64{1, 2, 5}

// linearStep returns the smallest step of 1, 2 or 5 times a power of ten,
// at least minStep (0 for none), that covers [lo, hi] in at most maxTicks
// intervals.
func linearStep(lo, hi float64, maxTicks int, minStep float64) float64 {
	span := hi - lo
	if span <= 0 || maxTicks < 1 {
		return math.Max(1, minStep)
	}
	raw := span / float64(maxTicks)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for {
		for _, m := range niceSteps {
			step := m * mag
			if step >= raw*(1-1e-9) && step >= minStep {
				return step
			}
		}
		mag *= 10
	}
}

// linearTicks returns the multiples of step in [lo, hi], rounded to the
// step so that 0.1+0.2 prints as 0.3.
func linearTicks(lo, hi, step float64) []float64 {
	var ticks []float64
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+step*1e-9; k++ {
		v := k * step
		if math.Abs(v) < step*1e-9 {
			v = 0 // Not -0.
		}
		ticks = append(ticks, roundTo(v, step))
	}
	return ticks
}

// roundTo rounds v to the decimals of step.
func roundTo(v, step float64) float64 {
	d := decimals(step)
	p := math.Pow(10, float64(d))
	return math.Round(v*p) / p
}

// decimals returns the number of decimals that writes every multiple of
// step exactly: 0 for 5 or 1000, 1 for 0.5, 2 for 0.05.
func decimals(step float64) int {
	return max(0, int(-math.Floor(math.Log10(step)+1e-9)))
}

// linearLabels writes the ticks, multiples of step, in one format: all
// with the decimals of the step, or in thousands ("250k") when the largest
// is 100,000 or more, in millions ("2.5M") when it is a million or more.
func linearLabels(ticks []float64, step float64) []string {
	largest := 0.0
	for _, t := range ticks {
		largest = math.Max(largest, math.Abs(t))
	}
	div, suffix := 1.0, ""
	switch {
	case largest >= 1e6:
		div, suffix = 1e6, "M"
	case largest >= 1e5:
		div, suffix = 1e3, "k"
	}
	d := decimals(step / div)
	labels := make([]string, len(ticks))
	for i, t := range ticks {
		labels[i] = strconv.FormatFloat(t/div, 'f', d, 64)
		if t != 0 {
			labels[i] += suffix
		}
	}
	return labels
}

// logTicks returns the ticks of a logarithmic axis over [lo, hi] (both
// positive): 1, 2 and 5 times the powers of ten when it spans at most three
// decades, powers of ten when it spans more, every other or fewer powers
// when it spans more than eight.
func logTicks(lo, hi float64) []float64 {
	first, last := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	decades := math.Log10(hi / lo)
	var ticks []float64
	mantissas := niceSteps
	every := 1
	if decades > 3 {
		mantissas = []float64{1}
		every = max(1, int(math.Ceil(decades/8)))
	}
	for e := first; e <= last; e++ {
		if e%every != 0 {
			continue
		}
		for _, m := range mantissas {
			v := m * math.Pow(10, float64(e))
			v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 1, 64), 64) // 2e-05, not 2.0000000000000003e-05.
			if v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
				ticks = append(ticks, v)
			}
		}
	}
	return ticks
}

// logRange widens [lo, hi] to the nearest values 1, 2 or 5 times a power of
// ten around it (to powers of ten when it spans more than three decades),
// so that a logarithmic axis has ticks at both ends.
func logRange(lo, hi float64) (float64, float64) {
	down := func(v float64) float64 {
		e := math.Pow(10, math.Floor(math.Log10(v)))
		for i := len(niceSteps) - 1; i >= 0; i-- {
			if niceSteps[i]*e <= v*(1+1e-9) {
				return niceSteps[i] * e
			}
		}
		return e
	}
	up := func(v float64) float64 {
		e := math.Pow(10, math.Floor(math.Log10(v)))
		for _, m := range append(niceSteps, 10) {
			if m*e >= v*(1-1e-9) {
				return m * e
			}
		}
		return 10 * e
	}
	lo, hi = down(lo), up(hi)
	if math.Log10(hi/lo) > 3 { // Ticks at powers of ten only (logTicks): widen to them.
		return math.Pow(10, math.Floor(math.Log10(lo)+1e-9)), math.Pow(10, math.Ceil(math.Log10(hi)-1e-9))
	}
	return lo, hi
}

// logLabels writes the ticks of a logarithmic axis in one format: plain
// numbers (0.001, 0.5, 20, 1000) between 0.0001 and 100,000, else all in
// powers of ten (1e-06, 1e+06).
func logLabels(ticks []float64) []string {
	labels := make([]string, len(ticks))
	plain := true
	for _, t := range ticks {
		if t < 1e-4 || t > 1e5 {
			plain = false
		}
	}
	for i, t := range ticks {
		if plain {
			labels[i] = strconv.FormatFloat(t, 'f', -1, 64)
		} else {
			labels[i] = fmt.Sprintf("%.0e", t)
		}
	}
	return labels
}

// linearTicker is a plot.Ticker of 1-2-5 steps; integer keeps to whole
// numbers (epochs).
type linearTicker struct {
	maxTicks int
	integer  bool
}

// Ticks implements plot.Ticker.
func (t linearTicker) Ticks(lo, hi float64) []plot.Tick {
	minStep := 0.0
	if t.integer {
		minStep = 1
	}
	step := linearStep(lo, hi, t.maxTicks, minStep)
	values := linearTicks(lo, hi, step)
	return toTicks(values, linearLabels(values, step))
}

// logTicker is a plot.Ticker for logarithmic axes.
type logTicker struct{}

// Ticks implements plot.Ticker.
func (logTicker) Ticks(lo, hi float64) []plot.Tick {
	values := logTicks(lo, hi)
	return toTicks(values, logLabels(values))
}

func toTicks(values []float64, labels []string) []plot.Tick {
	ticks := make([]plot.Tick, len(values))
	for i := range values {
		ticks[i] = plot.Tick{Value: values[i], Label: labels[i]}
	}
	return ticks
}
