package mnist

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

func TestPredictedDigitsOfNonFiniteOutputs(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	b := goBackend(t)
	tests := []struct {
		name       string
		task       Task
		outputs    any
		labels     any
		wantDigits []int32
	}{
		// NaN has no nearest digit; ±Inf are clipped like any other number
		// beyond 0-9.
		{"regression", Regression, [][]float32{{nan}, {inf}, {-inf}, {3.4}}, []float32{0, 0, 0, 0}, []int32{NoDigit, 9, 0, 3}},
		// One NaN logit leaves the largest undefined.
		{"classification", Classification, [][]float32{{0, 1, nan, 0, 0, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0, 0, 0, 0, 0}},
			[]int32{0, 0}, []int32{NoDigit, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := graphCall2(b, tc.task, tc.outputs, tc.labels)
			if err != nil {
				t.Fatal(err)
			}
			if got := tensors.MustCopyFlatData[int32](out[1]); !slices.Equal(got, tc.wantDigits) {
				t.Errorf("digits %v, want %v", got, tc.wantDigits)
			}
		})
	}
}

// TestTrainStopsWhenTheLossDiverges trains with a learning rate of 1e30,
// which overflows the weights within the first epoch on the fixture, and
// checks that training stops with a DivergedError, that the checkpoint
// already at the path is kept, and that evaluation and prediction of the
// diverged model report it instead of giving digits.
func TestTrainStopsWhenTheLossDiverges(t *testing.T) {
	train := loadFixture(t, Train)
	for _, tc := range []struct {
		name  string
		arch  Architecture
		task  Task
		plain bool
	}{
		{"mlp regression", MLP, Regression, false},
		{"mlp regression, plain", MLP, Regression, true},
		{"linear regression", Linear, Regression, false},
		{"cnn regression, plain", CNN, Regression, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig(tc.arch, tc.task, OptimizerConfig{Kind: SGD, LearningRate: 1e30})
			cfg.Plain = tc.plain
			dir := t.TempDir()
			cfg.CheckpointPath = filepath.Join(dir, "good.ckpt")
			good := []byte("a checkpoint of an earlier, good run")
			if err := os.WriteFile(cfg.CheckpointPath, good, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := NewModel(goBackend(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = m.Train(train)
			var diverged *DivergedError
			if !errors.As(err, &diverged) {
				t.Fatalf("Train returned %v, want a *DivergedError", err)
			}
			if diverged.Epoch != 0 || !strings.Contains(err.Error(), "lower the learning rate") {
				t.Errorf("Train: %v; want epoch 0 and the hint to lower the learning rate", err)
			}
			if m.Epoch != 0 {
				t.Errorf("m.Epoch = %d after a diverged first epoch, want 0", m.Epoch)
			}
			if got, _ := os.ReadFile(cfg.CheckpointPath); string(got) != string(good) {
				t.Errorf("the checkpoint now holds %.40q, want the earlier one kept", got)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("%s holds %d files, want only the checkpoint", dir, len(entries))
			}
			if _, err := m.Evaluate(train); !errors.Is(err, ErrNotFinite) {
				t.Errorf("Evaluate of the diverged model: %v, want ErrNotFinite", err)
			}
			if _, err := m.Predict(train.Image(0)); !errors.Is(err, ErrNotFinite) {
				t.Errorf("Predict of the diverged model: %v, want ErrNotFinite", err)
			}
		})
	}
}
