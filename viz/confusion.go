package viz

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ConfusionMatrix draws a confusion matrix, such as
// mnist.Evaluation.Confusion, as a heat map: one row per true digit, one
// column per predicted digit. Each cell is coloured by its share of its row
// (white for none, dark blue for all), so the diagonal shows each digit's
// accuracy and the off-diagonal cells which digits it is mistaken for; the
// count is written in every non-zero cell. Chapter 4 (损失函数) introduces
// it with accuracy; chapter 7 (训练调试与优化) uses it to find the digits a
// model confuses.
func ConfusionMatrix(confusion [10][10]int, title string) (Figure, error) {
	if err := checkText("title", title); err != nil {
		return Figure{}, err
	}
	total := 0
	var rowSums [10]int
	for t, row := range confusion {
		for p, n := range row {
			if n < 0 {
				return Figure{}, fmt.Errorf("viz: confusion[%d][%d] is %d, a negative count", t, p, n)
			}
			rowSums[t] += n
		}
		total += rowSums[t]
	}
	if total == 0 {
		return Figure{}, fmt.Errorf("viz: the confusion matrix %q counts no images", title)
	}
	const (
		cell          = 36
		left, top     = 64, 40
		right, bottom = 16, 52
		grid          = 10 * cell
	)
	width, height := left+grid+right, top+grid+bottom
	alt := fmt.Sprintf("confusion matrix %q: true digit against predicted digit, %d images", title, total)
	return render(width, height, alt, func(c draw.Canvas) {
		fillRect(c, c.Rectangle, white)
		y := func(v int) vg.Length { return vg.Length(height - v) } // From the top.
		c.FillText(aligned(textStyle(titleSize, black), -0.5, 0), vg.Point{X: left + grid/2, Y: y(24)}, title)
		for t, row := range confusion {
			for p, n := range row {
				frac := 0.0
				if rowSums[t] > 0 {
					frac = float64(n) / float64(rowSums[t])
				}
				x0, y0 := vg.Length(left+p*cell), y(top+(t+1)*cell)
				r := rect(x0, y0, cell, cell)
				fillRect(c, r, blues(frac))
				strokeRect(c, r, color.Gray{Y: 0xdd}, 0.5)
				if n == 0 {
					continue
				}
				fill, size := color.Color(color.Gray{Y: 0x22}), 11.0
				if frac > 0.5 {
					fill = white
				}
				if n >= 10000 {
					size = 9
				}
				c.FillText(aligned(textStyle(size, fill), -0.5, -0.5), vg.Point{X: x0 + cell/2, Y: y0 + cell/2}, fmt.Sprint(n))
			}
		}
		strokeRect(c, rect(left, y(top+grid), grid, grid), color.Gray{Y: 0x33}, 1)
		tick := textStyle(tickSize, black)
		for d := range 10 {
			c.FillText(aligned(tick, -1, -0.5), vg.Point{X: left - 6, Y: y(top + d*cell + cell/2)}, fmt.Sprint(d))
			c.FillText(aligned(tick, -0.5, -1), vg.Point{X: vg.Length(left + d*cell + cell/2), Y: y(top + grid + 4)}, fmt.Sprint(d))
		}
		label := textStyle(labelSize, black)
		c.FillText(aligned(label, -0.5, 0), vg.Point{X: left + grid/2, Y: y(height - 12)}, "predicted digit")
		label.Rotation = 1.5707963267948966
		c.FillText(aligned(label, -0.5, -1), vg.Point{X: 14, Y: y(top + grid/2)}, "true digit")
	})
}

// blues maps a fraction in [0, 1] to a colour from white to dark blue.
func blues(frac float64) color.RGBA {
	frac = min(max(frac, 0), 1)
	mix := func(to float64) uint8 { return uint8(255 + (to-255)*frac + 0.5) }
	return color.RGBA{R: mix(8), G: mix(48), B: mix(107), A: 255}
}
