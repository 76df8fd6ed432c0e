package viz

import (
	"encoding/base64"
	"fmt"
	"html"
	"math"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/plot/vg/draw"

	"github.com/godigits/digits/mnist"
	"github.com/janpfeifer/gonb/gonbui"
)

// LiveTraining shows training progress in a notebook while the cell runs: a
// status line (epoch, batch, loss, images/s, time left, and QUICK MODE when
// epochs are cut short), a table of the finished epochs (mean loss, the
// accuracy of Valid when set, time) and the loss curve, updated in place at
// most every Interval. When training ends it leaves one static final
// picture, the curves as PNG inside HTML, so that the saved notebook holds
// one compact output, not hundreds, and shows it even where it is not
// trusted. Chapter 7 (训练调试与优化)
// introduces it:
//
//	live := viz.NewLiveTraining("CNN")
//	defer live.Finish()
//	cfg.OnBatch = live.Update
//	m, err := mnist.NewModel(backend, cfg)
//	...
//	live.Valid = func() (float64, error) { // Optional: accuracy after each epoch.
//		ev, err := m.Evaluate(validDS)
//		if err != nil {
//			return 0, err
//		}
//		return ev.Accuracy, nil
//	}
//	err = m.Train(trainDS)
//
// While training, the picture lives in one GoNB update block
// (gonbui.UpdateHTML). GoNB documents those blocks as transient, so Finish
// follows the idiom of UpdateHTML's documentation: it empties the block and
// shows the final picture once with gonbui.DisplayHTML, an ordinary output
// that every front-end saves with the notebook.
//
// Outside a notebook (a terminal, tests) Update only records the progress
// and Finish shows nothing; HTML still returns the picture. The methods may
// be called from several goroutines.
type LiveTraining struct {
	Title    string
	Interval time.Duration // Least time between two updates; 0 means 1s.
	// Valid, when set, is called at the end of every epoch (from the
	// training goroutine, inside Update when Progress.EpochDone), and the
	// accuracy in [0, 1] it returns goes into the table of epochs and an
	// accuracy curve. It must not call the LiveTraining's own methods.
	Valid func() (float64, error)

	mu       sync.Mutex
	out      liveOutput // Where pictures go; nil means GoNB, when in a notebook.
	id       string     // The update block of the current run; "" before the first update.
	last     time.Time  // When the block was last updated.
	progress mnist.Progress
	updates  int
	steps    []float64 // Position in epochs and loss of each batch with a finite loss.
	losses   []float64
	finished bool
	epochs   []EpochRow
	// The epoch in progress: sum and count of its finite losses, and the
	// run's elapsed time when it began.
	epochSum   float64
	epochCount int
	epochStart time.Duration
	validErr   error // The last error of Valid, shown under the table.
}

// EpochRow is one row of a [LiveTraining]'s table: an epoch (from 0), the
// mean of its batches' losses, the accuracy Valid returned (NaN without
// Valid, or when it failed) and the epoch's training time in seconds (Valid's
// own time left out; the first epoch's includes compiling the training
// step).
type EpochRow struct {
	Epoch    int // Counted from 0, as the training log counts ("epoch 0, batch 200").
	MeanLoss float64
	Valid    float64
	Seconds  float64
}

// liveOutput is where a LiveTraining sends its pictures: GoNB in a notebook,
// a recorder in tests.
type liveOutput interface {
	updateHTML(id, html string)
	displayHTML(html string)
}

// gonbOutput sends pictures to the notebook through gonbui.
type gonbOutput struct{}

func (gonbOutput) updateHTML(id, html string) { gonbui.UpdateHTML(id, html) }
func (gonbOutput) displayHTML(html string) {
	gonbui.DisplayHTML(html)
	gonbui.Sync() // The final picture must reach GoNB before the cell's program ends.
}

// maxCurvePoints is the most points the loss curve draws; beyond it
// consecutive batches are averaged.
const maxCurvePoints = 500

// NewLiveTraining returns a LiveTraining with the given title, updated at
// most once a second.
func NewLiveTraining(title string) *LiveTraining {
	return &LiveTraining{Title: title, Interval: time.Second}
}

// output returns where pictures go, or nil where they cannot be shown.
func (l *LiveTraining) output() liveOutput {
	if l.out != nil {
		return l.out
	}
	if gonbui.IsNotebook {
		return gonbOutput{}
	}
	return nil
}

// Update records the progress after one batch and, in a notebook, redraws
// the picture if Interval has passed since the last redraw. Its signature
// fits mnist.TrainConfig.OnBatch. On the last batch of the run
// (p.FullDone) it calls Finish. An Update after Finish starts a new picture,
// for a run continued in a later cell.
func (l *LiveTraining) Update(p mnist.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.finished { // A new run (a later Train call): its times start again from 0.
		l.finished, l.id = false, ""
		l.epochSum, l.epochCount, l.epochStart = 0, 0, 0
	}
	l.progress = p
	l.updates++
	if !math.IsNaN(p.Loss) && !math.IsInf(p.Loss, 0) {
		l.steps = append(l.steps, epochPosition(p))
		l.losses = append(l.losses, p.Loss)
		l.epochSum += p.Loss
		l.epochCount++
	}
	if p.EpochDone {
		l.endEpochLocked(p)
	}
	if p.FullDone {
		l.finishLocked()
		return
	}
	out := l.output()
	if out == nil {
		return
	}
	interval := l.Interval
	if interval <= 0 {
		interval = time.Second
	}
	if now := time.Now(); l.id == "" || now.Sub(l.last) >= interval {
		if l.id == "" {
			l.id = "viz_live_" + gonbui.UniqueId()
		}
		out.updateHTML(l.id, l.htmlLocked())
		l.last = now
	}
}

// epochPosition returns where a batch ends, in epochs: batch 50 of 100 in
// the second epoch ends at 1.5.
func epochPosition(p mnist.Progress) float64 {
	if p.Batches <= 0 {
		return float64(p.Step)
	}
	return float64(p.Epoch) + float64(p.Batch+1)/float64(p.Batches)
}

// endEpochLocked records the row of the epoch that p ends, calling Valid.
func (l *LiveTraining) endEpochLocked(p mnist.Progress) {
	row := EpochRow{Epoch: p.Epoch, MeanLoss: math.NaN(), Valid: math.NaN(), Seconds: (p.Elapsed - l.epochStart).Seconds()}
	if l.epochCount > 0 {
		row.MeanLoss = l.epochSum / float64(l.epochCount)
	}
	var validTime time.Duration
	if l.Valid != nil {
		start := time.Now()
		acc, err := l.Valid()
		if err != nil {
			l.validErr = err
		} else {
			row.Valid = acc
		}
		validTime = time.Since(start)
	}
	l.epochs = append(l.epochs, row)
	// The next epoch's time starts after Valid: it counts training only.
	l.epochSum, l.epochCount, l.epochStart = 0, 0, p.Elapsed+validTime
}

// Epochs returns the rows of the epochs finished so far, for notebook tests
// and for prose that quotes them.
func (l *LiveTraining) Epochs() []EpochRow {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]EpochRow(nil), l.epochs...)
}

// Finish replaces the live picture with a static one of the final state.
// Calling it again, or before any Update, does nothing.
func (l *LiveTraining) Finish() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.finishLocked()
}

func (l *LiveTraining) finishLocked() {
	if l.finished || l.updates == 0 {
		return
	}
	l.finished = true
	out := l.output()
	if out == nil {
		return
	}
	if l.id != "" {
		out.updateHTML(l.id, "") // Empty the transient block...
	}
	out.displayHTML(l.finalHTMLLocked()) // ... and show the final picture for good.
}

// HTML returns the current picture: the status line, the table of
// finished epochs and, once a batch with a finite loss has been seen, the
// loss curve as SVG (x: epochs, y on a logarithmic axis: the loss of each
// batch, averaged over consecutive batches beyond 500 points, faint, and
// its moving average) and, with Valid, the accuracy after each epoch.
func (l *LiveTraining) HTML() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.htmlLocked()
}

func (l *LiveTraining) htmlLocked() string {
	return l.pictureLocked(renderSVG, func(f Figure) string { return f.SVG })
}

// finalHTMLLocked returns the picture left when training ends: the status
// line, the table and the curves as PNG images inside the HTML, which
// notebooks show even when they do not trust them (they drop SVG).
func (l *LiveTraining) finalHTMLLocked() string {
	return l.pictureLocked(render, func(f Figure) string {
		return fmt.Sprintf(`<div><img src="data:image/png;base64,%s" width="%d" height="%d" alt="%s"></div>`,
			base64.StdEncoding.EncodeToString(f.PNG), f.width, f.height, html.EscapeString(f.Alt))
	})
}

// pictureLocked returns the status line, the table and the curves, each
// curve drawn with renderer and written into the HTML by embed.
func (l *LiveTraining) pictureLocked(renderer func(int, int, string, func(draw.Canvas)) (Figure, error), embed func(Figure) string) string {
	var sb strings.Builder
	sb.WriteString(`<div class="viz-live" style="font-family:sans-serif">`)
	fmt.Fprintf(&sb, `<div style="margin:4px 0;font-size:14px">%s</div>`, l.statusLocked())
	sb.WriteString(l.tableLocked())
	for _, f := range l.figuresLocked(renderer) {
		if f.err != nil {
			fmt.Fprintf(&sb, `<div>%s</div>`, html.EscapeString(f.err.Error()))
			continue
		}
		sb.WriteString(embed(f.fig))
	}
	sb.WriteString(`</div>`)
	return sb.String()
}

// liveFigure is a figure of the live picture, or why it could not be drawn.
type liveFigure struct {
	fig Figure
	err error
}

// Sizes of the live picture's plots, in pixels.
const liveWidth, liveHeight, accuracyHeight = 640, 300, 220

// figuresLocked draws the loss curve and, with Valid, the accuracy curve,
// with render (SVG and PNG) or renderSVG.
func (l *LiveTraining) figuresLocked(renderer func(int, int, string, func(draw.Canvas)) (Figure, error)) []liveFigure {
	if len(l.losses) == 0 {
		return nil
	}
	xs, ys := thin(l.steps, l.losses, maxCurvePoints)
	smooth := min(max(len(xs)/25, 2), 50)
	positive := true
	for _, y := range ys {
		positive = positive && y > 0
	}
	// A logarithmic axis shows the fall of the loss over the whole run, not
	// only the first batches.
	loss := LinePlot{Title: l.Title, XLabel: "epoch", YLabel: "loss", Width: liveWidth, Height: liveHeight,
		IntegerX: true, LogY: positive, Series: []Series{{Name: "batch loss", X: xs, Y: ys, Smooth: smooth}}}
	if len(xs) <= fewPoints {
		loss.Series[0].Smooth = 0
	}
	fig, err := loss.figure(renderer)
	figs := []liveFigure{{fig, err}}
	var ex, ey []float64
	for _, r := range l.epochs {
		if !math.IsNaN(r.Valid) {
			ex, ey = append(ex, float64(r.Epoch)), append(ey, 100*r.Valid) // In percent, as the table.
		}
	}
	if len(ex) > 0 {
		acc := LinePlot{Title: "Validation accuracy after each epoch", XLabel: "epoch", YLabel: "accuracy (%)", Width: liveWidth, Height: accuracyHeight,
			IntegerX: true, Series: []Series{{Name: "valid", X: ex, Y: ey}}}
		fig, err := acc.figure(renderer)
		figs = append(figs, liveFigure{fig, err})
	}
	return figs
}

// tableLocked returns the table of finished epochs as HTML, or "" before
// the first.
func (l *LiveTraining) tableLocked() string {
	if len(l.epochs) == 0 {
		return ""
	}
	valid := l.Valid != nil
	var sb strings.Builder
	const cell = `style="padding:2px 10px;text-align:right"`
	sb.WriteString(`<table class="viz-epochs" style="border-collapse:collapse;font-size:13px;margin:4px 0">`)
	fmt.Fprintf(&sb, `<tr><th %s>epoch</th><th %s>mean loss</th>`, cell, cell)
	if valid {
		fmt.Fprintf(&sb, `<th %s>valid accuracy</th>`, cell)
	}
	fmt.Fprintf(&sb, `<th %s>time</th></tr>`, cell)
	for i, r := range l.epochs {
		fmt.Fprintf(&sb, `<tr><td %s>%d</td><td %s>%.4f</td>`, cell, r.Epoch, cell, r.MeanLoss)
		if valid {
			acc := "-"
			if !math.IsNaN(r.Valid) {
				acc = fmt.Sprintf("%.2f%%", 100*r.Valid)
			}
			fmt.Fprintf(&sb, `<td %s>%s</td>`, cell, acc)
		}
		mark := ""
		if i == 0 {
			mark = "*"
		}
		fmt.Fprintf(&sb, `<td %s>%.1f s%s</td></tr>`, cell, r.Seconds, mark)
	}
	sb.WriteString(`</table>`)
	sb.WriteString(`<div style="font-size:12px;color:#555">* the first epoch's time includes compiling the training step.</div>`)
	if l.validErr != nil {
		fmt.Fprintf(&sb, `<div style="font-size:12px;color:#d55e00">Valid failed: %s</div>`, html.EscapeString(l.validErr.Error()))
	}
	return sb.String()
}

// statusLocked returns the status line as HTML.
func (l *LiveTraining) statusLocked() string {
	if l.updates == 0 {
		return "waiting for the first batch"
	}
	p := l.progress
	var parts []string
	if p.Quick {
		parts = append(parts, `<b style="color:#d62728">QUICK MODE</b>`)
	}
	switch {
	case p.FullDone:
		epochs := fmt.Sprintf("%d epochs", p.Epochs)
		if p.Epochs == 1 {
			epochs = "1 epoch"
		}
		parts = append(parts, fmt.Sprintf("done: %s, %d steps in %s", epochs, p.Step, p.Elapsed.Round(time.Second)))
	case l.finished:
		parts = append(parts, fmt.Sprintf("stopped at epoch %d/%d, batch %d/%d", p.Epoch+1, p.Epochs, p.Batch+1, p.Batches))
	default:
		parts = append(parts, fmt.Sprintf("epoch %d/%d", p.Epoch+1, p.Epochs), fmt.Sprintf("batch %d/%d", p.Batch+1, p.Batches))
	}
	parts = append(parts, fmt.Sprintf("loss %.4f", p.Loss), fmt.Sprintf("%.0f images/s", p.ImagesPerSecond))
	if !p.FullDone && !l.finished {
		parts = append(parts, fmt.Sprintf("%s left", p.Remaining.Round(time.Second)))
	}
	return strings.Join(parts, " · ")
}

// thin returns at most n points for the curve of (xs, ys): the points
// themselves if there are few enough, else the means of runs of consecutive
// points.
func thin(xs, ys []float64, n int) ([]float64, []float64) {
	if len(xs) <= n {
		return xs, ys
	}
	run := (len(xs) + n - 1) / n
	var tx, ty []float64
	for i := 0; i < len(xs); i += run {
		j := min(i+run, len(xs))
		var sx, sy float64
		for k := i; k < j; k++ {
			sx, sy = sx+xs[k], sy+ys[k]
		}
		tx, ty = append(tx, sx/float64(j-i)), append(ty, sy/float64(j-i))
	}
	return tx, ty
}
