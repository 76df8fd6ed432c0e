package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// column returns the report's column of that name, or nil.
func (r *Report) column(name string) *Column {
	for _, c := range r.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// peers returns the columns of the other frameworks.
func (r *Report) peers() []*Column {
	var out []*Column
	for _, c := range r.Columns {
		if !strings.HasPrefix(c.Name, "gomlx") {
			out = append(out, c)
		}
	}
	return out
}

// WriteTable writes the report as Markdown tables: training throughput with
// the ratios of GoMLX to each peer, whole epochs and evaluation, and the
// check that every framework computed the same losses.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "%s, %d cores, %s; GoMLX %s, %s\n", r.Machine, r.Cores, r.Go, r.GoMLX, r.Backend)
	fmt.Fprintf(w, "CPU vector extensions: %s", orNone(r.CPUExtensions))
	if r.MaxISA != "" {
		mask := "CPUID not masked: precompiled kernels may still use AVX-512"
		switch {
		case r.CPUIDMasked:
			mask = "CPUID masked: no AVX-512 seen"
		case r.CPUExtensions != "" && !slices.Contains(strings.Fields(r.CPUExtensions), "avx512f"):
			mask = "the CPU has no AVX-512"
		}
		fmt.Fprintf(w, "; CAPPED AT %s for every framework but the pure-Go backend (%s; %s)", strings.ToUpper(r.MaxISA), mask, strings.Join(r.CapEnv, " "))
	}
	fmt.Fprintln(w)
	for _, c := range r.Columns {
		fmt.Fprintf(w, "- %s: %s %s", c.Name, c.Version, c.Device)
		if c.Threads > 0 {
			fmt.Fprintf(w, ", %d threads", c.Threads)
		}
		if c.Note != "" {
			fmt.Fprintf(w, ", %s", c.Note)
		}
		if c.Error != "" {
			fmt.Fprintf(w, ", ERROR: %s", c.Error)
		}
		fmt.Fprintln(w)
	}
	if r.Options.MaxSteps > 0 {
		fmt.Fprintf(w, "SMOKE RUN: epochs cut to %d steps; the figures are not throughput measurements.\n", r.Options.MaxSteps)
	}
	ours := r.column("gomlx")
	peers := r.peers()

	over := ""
	if r.Options.Epochs > 1 {
		over = fmt.Sprintf(", over %d epochs", r.Options.Epochs)
	}
	fmt.Fprintf(w, "\nTraining, images/s at steady state (after %d warm-up steps%s); ratio = gomlx / peer\n\n", r.Options.WarmupSteps, over)
	head := []string{"case"}
	for _, c := range r.Columns {
		head = append(head, c.Name)
	}
	for _, p := range peers {
		head = append(head, "vs "+p.Name)
	}
	rows := [][]string{head}
	for _, cs := range r.Cases {
		row := []string{cs.Name()}
		for _, c := range r.Columns {
			row = append(row, cell(c, cs.Name(), func(r Result) float64 { return r.SteadyImagesPS }, "%.0f"))
		}
		for _, p := range peers {
			row = append(row, ratio(ours, p, cs.Name(), func(r Result) float64 { return r.SteadyImagesPS }))
		}
		rows = append(rows, row)
	}
	writeMarkdown(w, rows)

	fmt.Fprintf(w, "\nWhole (first) epoch in seconds (from the first step, compilation included) / evaluation on valid, images/s\n\n")
	head = []string{"case"}
	for _, c := range r.Columns {
		head = append(head, c.Name)
	}
	rows = [][]string{head}
	for _, cs := range r.Cases {
		row := []string{cs.Name()}
		for _, c := range r.Columns {
			res, ok := c.Results[cs.Name()]
			switch {
			case !ok:
				row = append(row, "-")
			case res.Error != "":
				row = append(row, "error")
			default:
				epoch := fmt.Sprintf("%.2f", res.EpochS)
				if c.Name == "gomlx-go" || r.Options.MaxSteps > 0 {
					epoch = fmt.Sprintf("%.2f (%d steps)", res.EpochS, res.Steps)
				}
				row = append(row, fmt.Sprintf("%s / %.0f", epoch, res.EvalImagesPS))
			}
		}
		rows = append(rows, row)
	}
	writeMarkdown(w, rows)

	fmt.Fprintf(w, "\nSame computation: largest relative difference of the first %d losses from gomlx's; final eval accuracy\n\n", r.Options.LossSteps)
	head = []string{"case", "gomlx accuracy"}
	for _, p := range r.Columns[1:] {
		head = append(head, p.Name)
	}
	rows = [][]string{head}
	for _, cs := range r.Cases {
		o, ok := ours.Results[cs.Name()]
		if !ok || o.Error != "" {
			continue
		}
		row := []string{cs.Name(), fmt.Sprintf("%.2f%%", 100*o.EvalAccuracy)}
		for _, p := range r.Columns[1:] {
			res, ok := p.Results[cs.Name()]
			switch {
			case !ok:
				row = append(row, "-")
			case res.Error != "":
				row = append(row, "error: "+firstLine(res.Error))
			default:
				row = append(row, fmt.Sprintf("%.1e, %.2f%%", MaxRelDiff(o.Losses, res.Losses), 100*res.EvalAccuracy))
			}
		}
		rows = append(rows, row)
	}
	writeMarkdown(w, rows)
}

// MaxRelDiff returns the largest relative difference between the losses a
// and b, over the steps both have; +Inf when they have none in common.
func MaxRelDiff(a, b []float64) float64 {
	n := min(len(a), len(b))
	if n == 0 {
		return math.Inf(1)
	}
	worst := 0.0
	for i := range n {
		d := math.Abs(a[i]-b[i]) / math.Max(math.Abs(a[i]), 1e-12)
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		worst = math.Max(worst, d)
	}
	return worst
}

func cell(c *Column, name string, f func(Result) float64, format string) string {
	res, ok := c.Results[name]
	switch {
	case !ok:
		return "-"
	case res.Error != "":
		return "error"
	case f(res) == 0:
		return "-"
	}
	return fmt.Sprintf(format, f(res))
}

func ratio(ours, peer *Column, name string, f func(Result) float64) string {
	a, okA := ours.Results[name]
	b, okB := peer.Results[name]
	if !okA || !okB || a.Error != "" || b.Error != "" || f(a) == 0 || f(b) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", f(a)/f(b))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 60 {
		line = line[:60] + "..."
	}
	return line
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// writeMarkdown writes rows as a Markdown table, the first row as header,
// columns padded to line up.
func writeMarkdown(w io.Writer, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], len(c))
		}
	}
	line := func(row []string) {
		for i, c := range row {
			if i == 0 {
				fmt.Fprintf(w, "| %-*s ", widths[i], c)
			} else {
				fmt.Fprintf(w, "| %*s ", widths[i], c)
			}
		}
		fmt.Fprintln(w, "|")
	}
	line(rows[0])
	for i, width := range widths {
		if i == 0 {
			fmt.Fprintf(w, "|%s", strings.Repeat("-", width+2))
		} else {
			fmt.Fprintf(w, "|%s:", strings.Repeat("-", width+1))
		}
	}
	fmt.Fprintln(w, "|")
	for _, row := range rows[1:] {
		line(row)
	}
}
