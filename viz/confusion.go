package viz

import (
	"fmt"
	"html"
	"strings"
)

// ConfusionMatrix returns an SVG heat map of a confusion matrix, such as
// mnist.Evaluation.Confusion: one row per true digit, one column per
// predicted digit. Each cell is coloured by its share of its row (white for
// none, dark blue for all), so the diagonal shows each digit's accuracy and
// the off-diagonal cells which digits it is mistaken for; the count is
// written in every non-zero cell, and hovering a cell tells its share.
// Chapter 4 (损失函数) introduces it with accuracy; chapter 7
// (训练调试与优化) uses it to find the digits a model confuses.
func ConfusionMatrix(confusion [10][10]int, title string) (string, error) {
	total := 0
	var rowSums [10]int
	for t, row := range confusion {
		for p, n := range row {
			if n < 0 {
				return "", fmt.Errorf("viz: confusion[%d][%d] is %d, a negative count", t, p, n)
			}
			rowSums[t] += n
		}
		total += rowSums[t]
	}
	if total == 0 {
		return "", fmt.Errorf("viz: the confusion matrix %q counts no images", title)
	}
	const (
		cell          = 36
		left, top     = 64, 40
		right, bottom = 16, 52
		grid          = 10 * cell
	)
	width, height := left+grid+right, top+grid+bottom
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`,
		width, height, width, height)
	sb.WriteString(`<rect width="100%" height="100%" fill="white"/>`)
	fmt.Fprintf(&sb, `<text x="%d" y="24" font-size="15" text-anchor="middle">%s</text>`, left+grid/2, html.EscapeString(title))
	for t, row := range confusion {
		for p, n := range row {
			frac := 0.0
			if rowSums[t] > 0 {
				frac = float64(n) / float64(rowSums[t])
			}
			x, y := left+p*cell, top+t*cell
			fmt.Fprintf(&sb, `<rect class="cell" x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#ddd"><title>true %d, predicted %d: %d (%.1f%% of the %d)</title></rect>`,
				x, y, cell, cell, blues(frac), t, p, n, 100*frac, t)
			if n == 0 {
				continue
			}
			fill, size := "#222", 11
			if frac > 0.5 {
				fill = "white"
			}
			if n >= 10000 {
				size = 9
			}
			fmt.Fprintf(&sb, `<text class="count" x="%d" y="%d" font-size="%d" text-anchor="middle" dominant-baseline="central" fill="%s">%d</text>`,
				x+cell/2, y+cell/2, size, fill, n)
		}
	}
	fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`, left, top, grid, grid)
	for d := range 10 {
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" dominant-baseline="central">%d</text>`, left-6, top+d*cell+cell/2, d)
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="middle">%d</text>`, left+d*cell+cell/2, top+grid+16, d)
	}
	fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="middle">predicted digit</text>`, left+grid/2, height-10)
	fmt.Fprintf(&sb, `<text transform="translate(18 %d) rotate(-90)" text-anchor="middle">true digit</text>`, top+grid/2)
	sb.WriteString(`</svg>`)
	return sb.String(), nil
}

// blues maps a fraction in [0, 1] to a colour from white to dark blue.
func blues(frac float64) string {
	frac = min(max(frac, 0), 1)
	mix := func(to float64) int { return int(255 + (to-255)*frac + 0.5) }
	return fmt.Sprintf("#%02x%02x%02x", mix(8), mix(48), mix(107))
}
