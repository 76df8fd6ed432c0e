package viz

import (
	"fmt"
	"html"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/godigits/digits/mnist"
	"github.com/janpfeifer/gonb/gonbui"
)

// LiveTraining shows training progress in a notebook while the cell runs: a
// status line (epoch, batch, loss, images/s, time left, and QUICK MODE when
// epochs are cut short) and the loss curve, updated in place at most every
// Interval. When training ends it leaves one static final picture, so that
// the saved notebook holds one image, not hundreds. Chapter 7 (训练调试与优化)
// introduces it:
//
//	live := viz.NewLiveTraining("CNN")
//	defer live.Finish()
//	cfg.OnBatch = live.Update
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

	mu       sync.Mutex
	out      liveOutput // Where pictures go; nil means GoNB, when in a notebook.
	id       string     // The update block of the current run; "" before the first update.
	last     time.Time  // When the block was last updated.
	progress mnist.Progress
	updates  int
	steps    []float64 // Step and loss of each batch with a finite loss.
	losses   []float64
	finished bool
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
	if l.finished {
		l.finished, l.id = false, ""
	}
	l.progress = p
	l.updates++
	if !math.IsNaN(p.Loss) && !math.IsInf(p.Loss, 0) {
		l.steps = append(l.steps, float64(p.Step))
		l.losses = append(l.losses, p.Loss)
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
	out.displayHTML(l.htmlLocked()) // ... and show the final picture for good.
}

// HTML returns the current picture: the status line and, once a batch with
// a finite loss has been seen, an SVG loss curve (x: step, y: the loss of
// each batch, averaged over consecutive batches beyond 500 points).
func (l *LiveTraining) HTML() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.htmlLocked()
}

func (l *LiveTraining) htmlLocked() string {
	var sb strings.Builder
	sb.WriteString(`<div class="viz-live" style="font-family:sans-serif">`)
	fmt.Fprintf(&sb, `<div style="margin:4px 0;font-size:14px">%s</div>`, l.statusLocked())
	if len(l.losses) > 0 {
		xs, ys := thin(l.steps, l.losses, maxCurvePoints)
		plot := LinePlot{Title: l.Title, XLabel: "step", YLabel: "loss", Series: []Series{{X: xs, Y: ys}}}
		if svg, err := plot.SVG(); err != nil {
			fmt.Fprintf(&sb, `<div>%s</div>`, html.EscapeString(err.Error()))
		} else {
			sb.WriteString(svg)
		}
	}
	sb.WriteString(`</div>`)
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
