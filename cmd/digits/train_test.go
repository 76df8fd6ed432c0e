package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainEvalPredict runs the course's commands end to end on the tiny
// fixture of mnist/testdata with the pure-Go backend.
func TestTrainEvalPredict(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "go")
	t.Setenv("DIGITS_QUICK", "")
	data, err := filepath.Abs("../../mnist/testdata")
	if err != nil {
		t.Fatal(err)
	}
	images, _ := filepath.Glob(filepath.Join(data, "images", "*"))
	if len(images) == 0 {
		t.Fatal("no example images in mnist/testdata/images")
	}
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "mlp.ckpt")
	base := []string{"-data", data, "-checkpoint", ckpt}
	steps := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr string
	}{
		{"train", append([]string{"train", "-model", "mlp", "-task", "classification", "-epochs", "2", "-batch", "4", "-log-every", "1"}, base...),
			0, []string{"training mlp classification", "epoch 0, batch 0, loss", "epoch 1, batch 2, loss", "valid: 2 images"}, ""},
		{"no overwrite", append([]string{"train", "-model", "mlp", "-epochs", "1"}, base...),
			1, nil, "exists: pass -resume"},
		{"resume", append([]string{"train", "-resume", "-epochs", "3", "-batch", "4", "-log-every", "1"}, base...),
			0, []string{"resuming mlp classification", "after epoch 2 (step 6)", "epoch 2, batch 0, loss"}, ""},
		{"eval", []string{"eval", "-data", data, "-checkpoint", ckpt, "-mode", "valid"},
			0, []string{"trained 3 epochs (9 steps)", "valid: 2 images", "label\\pred"}, ""},
		{"predict", append([]string{"predict", "-checkpoint", ckpt}, images...),
			0, []string{filepath.Base(images[0]) + ": ", "scores 0:"}, ""},
		{"predict missing image", []string{"predict", "-checkpoint", ckpt, filepath.Join(dir, "nope.png")},
			1, nil, "nope.png"},
		{"predict without images", []string{"predict", "-checkpoint", ckpt}, 2, nil, "no images given"},
		{"eval bad checkpoint", []string{"eval", "-data", data, "-checkpoint", images[0]}, 1, nil, "not a digits checkpoint"},
		{"eval bad mode", []string{"eval", "-data", data, "-checkpoint", ckpt, "-mode", "test"}, 2, nil, `unknown mode "test"`},
		{"train bad model", []string{"train", "-model", "rnn", "-checkpoint", filepath.Join(dir, "x.ckpt")}, 2, nil, `unknown model "rnn"`},
		{"optimizer in any case, backend by flag", []string{"train", "-model", "linear", "-optimizer", "Adam", "-epochs", "1", "-batch", "4",
			"-backend", "go", "-data", data, "-checkpoint", filepath.Join(dir, "adam.ckpt")},
			0, []string{"training linear regression, optimizer adam"}, "backend: go: set by -backend"},
		{"train bad optimizer", []string{"train", "-optimizer", "lbfgs", "-checkpoint", filepath.Join(dir, "x.ckpt")}, 2, nil, "unknown optimizer"},
	}
	for _, s := range steps {
		code, stdout, stderr := runCaptured(t, s.args...)
		if code != s.wantCode {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", s.name, code, s.wantCode, stdout, stderr)
		}
		for _, want := range s.wantStdout {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s: stdout lacks %q:\n%s", s.name, want, stdout)
			}
		}
		if !strings.Contains(stderr, s.wantStderr) {
			t.Errorf("%s: stderr lacks %q:\n%s", s.name, s.wantStderr, stderr)
		}
		if strings.Contains(stderr, "goroutine ") {
			t.Errorf("%s: a Go stack trace reached the user:\n%s", s.name, stderr)
		}
	}
	if st, err := os.Stat(strings.TrimSuffix(ckpt, ".ckpt") + "-loss.svg"); err != nil || st.Size() == 0 {
		t.Errorf("no loss curve beside the checkpoint: %v", err)
	}
}
