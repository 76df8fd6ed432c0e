package viz

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/godigits/digits/mnist"
)

// recorder is a liveOutput that keeps what would be sent to the notebook.
type recorder struct {
	updates  []string // "id: html".
	displays []string
}

func (r *recorder) updateHTML(id, html string) { r.updates = append(r.updates, id+": "+html) }
func (r *recorder) displayHTML(html string)    { r.displays = append(r.displays, html) }

// progresses returns the progress of a run of epochs of batches each.
func progresses(epochs, batches int, quick bool) []mnist.Progress {
	var ps []mnist.Progress
	for e := range epochs {
		for b := range batches {
			step := e*batches + b + 1
			ps = append(ps, mnist.Progress{
				Epoch: e, Epochs: epochs, Batch: b, Batches: batches, Step: step,
				Loss: 2.3 / float64(step), ImagesPerSecond: 1234, Elapsed: time.Duration(step) * time.Second,
				Remaining: time.Duration(epochs*batches-step) * time.Second, Quick: quick,
				EpochDone: b == batches-1, FullDone: b == batches-1 && e == epochs-1,
			})
		}
	}
	return ps
}

func TestLiveTrainingHTML(t *testing.T) {
	tests := []struct {
		name     string
		progress []mnist.Progress
		wantIn   []string
		wantOut  []string
	}{
		{"middle of epoch 2", progresses(3, 10, false)[:15],
			[]string{"epoch 2/3", "batch 5/10", "loss 0.1533", "1234 images/s", "15s left", "<svg", "<table"}, []string{"QUICK MODE", "Valid"}},
		{"quick", progresses(3, 10, true)[:2], []string{"QUICK MODE", "epoch 1/3", "batch 2/10"}, []string{"<table"}},
		{"done", progresses(2, 5, false), []string{"done: 2 epochs, 10 steps in 10s"}, []string{"left"}},
		{"10,000 batches", progresses(1, 10000, false)[:9999], []string{"epoch 1/1", "batch 9999/10000"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			live := NewLiveTraining("MLP")
			for _, p := range tc.progress {
				live.Update(p)
			}
			got := live.HTML()
			if n := strings.Count(got, "<svg "); n != 1 {
				t.Errorf("got %d SVG pictures, want 1", n)
			}
			for _, want := range tc.wantIn {
				if !strings.Contains(got, want) {
					t.Errorf("got HTML without %q", want)
				}
			}
			for _, unwanted := range tc.wantOut {
				if strings.Contains(got, unwanted) {
					t.Errorf("got HTML with %q, want none", unwanted)
				}
			}
		})
	}
}

func TestLiveTrainingBeforeAnyBatch(t *testing.T) {
	live := NewLiveTraining("MLP")
	rec := &recorder{}
	live.out = rec
	live.Finish()
	if got := live.HTML(); !strings.Contains(got, "waiting for the first batch") || strings.Contains(got, "<svg") {
		t.Errorf("got %q, want a waiting status and no curve", got)
	}
	if len(rec.updates)+len(rec.displays) != 0 {
		t.Errorf("got %d updates and %d displays, want none", len(rec.updates), len(rec.displays))
	}
}

func TestLiveTrainingNotebook(t *testing.T) {
	tests := []struct {
		name         string
		interval     time.Duration
		progress     []mnist.Progress
		finishes     int
		wantUpdates  int // Including the one that empties the block at the end.
		wantDisplays int
		wantFinal    string
	}{
		{"throttled, finished by the last batch", time.Hour, progresses(2, 50, false), 2, 2, 1, "done: 2 epochs"},
		{"every batch", time.Nanosecond, progresses(1, 5, false), 1, 5, 1, "done: 1 epoch, 5 steps"},
		{"interrupted", time.Hour, progresses(3, 10, true)[:12], 2, 2, 1, "stopped at epoch 2/3, batch 2/10"},
		{"never finished", time.Hour, progresses(3, 10, false)[:12], 0, 1, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			live := &LiveTraining{Title: "CNN", Interval: tc.interval, out: rec}
			for _, p := range tc.progress {
				live.Update(p)
			}
			for range tc.finishes {
				live.Finish()
			}
			if len(rec.updates) != tc.wantUpdates || len(rec.displays) != tc.wantDisplays {
				t.Fatalf("got %d updates and %d displays, want %d and %d",
					len(rec.updates), len(rec.displays), tc.wantUpdates, tc.wantDisplays)
			}
			id, _, _ := strings.Cut(rec.updates[0], ": ")
			for _, u := range rec.updates {
				if gotID, _, _ := strings.Cut(u, ": "); gotID != id {
					t.Errorf("got updates to blocks %q and %q, want one block", id, gotID)
				}
			}
			if tc.wantDisplays == 0 {
				return
			}
			if last := rec.updates[len(rec.updates)-1]; last != id+": " {
				t.Errorf("got last update %.40q, want the block emptied", last)
			}
			final := rec.displays[0]
			if !strings.Contains(final, tc.wantFinal) || !strings.Contains(final, `<img src="data:image/png;base64,`) {
				t.Errorf("got final picture %.200q, want one with %q and a PNG curve", final, tc.wantFinal)
			}
			if strings.Contains(final, "<svg") {
				t.Errorf("got SVG in the final picture, want PNG only (untrusted notebooks drop SVG)")
			}
		})
	}
}

func TestLiveTrainingContinued(t *testing.T) {
	rec := &recorder{}
	live := &LiveTraining{Interval: time.Hour, out: rec}
	for _, p := range progresses(1, 3, false) {
		live.Update(p)
	}
	more := progresses(2, 3, false)[3:]
	for _, p := range more {
		p.Elapsed -= 3 * time.Second // The second Train call counts its time from 0.
		live.Update(p)
	}
	if len(rec.displays) != 2 {
		t.Fatalf("got %d final pictures, want 2", len(rec.displays))
	}
	first, _, _ := strings.Cut(rec.updates[0], ": ")
	second, _, _ := strings.Cut(rec.updates[len(rec.updates)-1], ": ")
	if first == second {
		t.Errorf("got both runs in block %q, want a new block for the second", first)
	}
	rows := live.Epochs()
	if len(rows) != 2 || rows[1].Epoch != 2 || rows[1].Seconds != 3 {
		t.Errorf("got rows %+v, want epochs 1 and 2, the second of 3 s", rows)
	}
}

func TestLiveTrainingOutsideNotebook(t *testing.T) {
	live := NewLiveTraining("MLP") // No notebook in tests: nothing is shown.
	for _, p := range progresses(2, 3, false)[:4] {
		live.Update(p)
	}
	live.Finish()
	live.Finish()
	if got := live.HTML(); !strings.Contains(got, "stopped at epoch 2/2, batch 1/3") {
		t.Errorf("got %.200q, want the stopped status", got)
	}
}

func TestThin(t *testing.T) {
	xs := make([]float64, 1001)
	for i := range xs {
		xs[i] = float64(i)
	}
	tests := []struct {
		name                string
		n                   int
		wantLen             int
		wantFirst, wantLast float64
	}{
		{"few enough", 2000, 1001, 0, 1000},
		{"runs of three, a short last one", 500, 334, 1, 999.5},
		{"one run", 1, 1, 500, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx, ty := thin(xs, xs, tc.n)
			if len(tx) != tc.wantLen || len(ty) != tc.wantLen {
				t.Fatalf("got %d and %d points, want %d", len(tx), len(ty), tc.wantLen)
			}
			if tx[0] != tc.wantFirst || ty[len(ty)-1] != tc.wantLast {
				t.Errorf("got first %g and last %g, want %g and %g", tx[0], ty[len(ty)-1], tc.wantFirst, tc.wantLast)
			}
		})
	}
}

func TestLiveTrainingEpochs(t *testing.T) {
	accs := []float64{0.9, 0.95}
	calls := 0
	rec := &recorder{}
	live := &LiveTraining{Title: "CNN", Interval: time.Hour, out: rec, Valid: func() (float64, error) {
		calls++
		return accs[calls-1], nil
	}}
	for _, p := range progresses(2, 4, false) {
		live.Update(p)
	}
	rows := live.Epochs()
	// Losses are 2.3/step: epoch 1 has steps 1-4, epoch 2 steps 5-8;
	// each epoch lasts 4 s (Elapsed is one second a step).
	want := []EpochRow{
		{1, (2.3 + 2.3/2 + 2.3/3 + 2.3/4) / 4, 0.9, 4},
		{2, (2.3/5 + 2.3/6 + 2.3/7 + 2.3/8) / 4, 0.95, 4},
	}
	if len(rows) != len(want) || calls != 2 {
		t.Fatalf("got rows %+v after %d calls of Valid, want %+v after 2", rows, calls, want)
	}
	for i := range want {
		if rows[i].Epoch != want[i].Epoch || math.Abs(rows[i].MeanLoss-want[i].MeanLoss) > 1e-12 ||
			rows[i].Valid != want[i].Valid || math.Abs(rows[i].Seconds-want[i].Seconds) > 0.1 { // Less Valid's own time.
			t.Errorf("got row %+v, want %+v", rows[i], want[i])
		}
	}
	if len(rec.displays) != 1 {
		t.Fatalf("got %d final pictures, want 1", len(rec.displays))
	}
	final := rec.displays[0]
	for _, w := range []string{"Valid accuracy", "90.00%", "95.00%", "4.0 s*", "includes compiling", "1.1979", "0.3649"} {
		if !strings.Contains(final, w) {
			t.Errorf("got a final picture without %q", w)
		}
	}
	if n := strings.Count(final, "<img "); n != 2 {
		t.Errorf("got %d images, want 2 (loss and accuracy)", n)
	}
}

func TestLiveTrainingValidFails(t *testing.T) {
	live := &LiveTraining{Valid: func() (float64, error) { return 0, errors.New("no valid set") }}
	for _, p := range progresses(1, 2, false) {
		live.Update(p)
	}
	rows := live.Epochs()
	if len(rows) != 1 || !math.IsNaN(rows[0].Valid) {
		t.Fatalf("got rows %+v, want one with Valid NaN", rows)
	}
	if got := live.HTML(); !strings.Contains(got, "Valid failed: no valid set") {
		t.Errorf("got HTML without the error of Valid")
	}
	live2 := NewLiveTraining("no Valid")
	for _, p := range progresses(1, 2, false) {
		live2.Update(p)
	}
	if rows := live2.Epochs(); len(rows) != 1 || !math.IsNaN(rows[0].Valid) {
		t.Errorf("got rows %+v without Valid, want Valid NaN", rows)
	}
}
