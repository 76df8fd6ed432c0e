package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/godigits/digits/mnist"
)

// TestDivergedModel trains with a learning rate of 1e30, which overflows the
// MLP's loss in its first epoch, and checks that every command says so and
// fails instead of printing digits from NaN outputs.
func TestDivergedModel(t *testing.T) {
	data := fixtureData(t)
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "diverged.ckpt")
	code, stdout, stderr := runCaptured(t, "train", "-model", "mlp", "-lr", "1e30", "-epochs", "2", "-batch", "4",
		"-data", data, "-checkpoint", ckpt)
	want := "mnist: training diverged: loss +Inf at epoch 0, batch 1; lower the learning rate"
	if code != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "-lr was 1e+30") {
		t.Errorf("train -lr 1e30: exit %d, stderr:\n%s\nwant exit 1, %q and the -lr given\nstdout:\n%s", code, stderr, want, stdout)
	}
	if _, err := os.Stat(ckpt); !os.IsNotExist(err) {
		t.Errorf("the diverged run wrote %s: %v", ckpt, err)
	}

	// A checkpoint of NaN weights, as earlier versions saved them.
	backend, err := mnist.StartBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	m, err := mnist.NewModel(backend, mnist.TrainConfig{
		Model:     mnist.ModelConfig{Arch: mnist.MLP, Task: mnist.Regression},
		Optimizer: mnist.OptimizerConfig{Kind: mnist.SGD, LearningRate: 1e30},
		Epochs:    1, BatchSize: 4,
	})
	if err != nil {
		t.Fatal(err)
	}
	trainDS, err := mnist.Load(data, mnist.Train)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(trainDS); !errors.As(err, new(*mnist.DivergedError)) {
		t.Fatalf("Train: %v, want a DivergedError", err)
	}
	if err := m.Save(ckpt); err != nil {
		t.Fatal(err)
	}
	images, _ := filepath.Glob(filepath.Join(data, "images", "*"))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"eval", []string{"eval", "-data", data, "-checkpoint", ckpt}, "the model's outputs are not finite numbers"},
		{"predict", []string{"predict", "-checkpoint", ckpt, images[0]}, "the model's outputs are not finite numbers"},
		{"export", []string{"export", "-data", data, "-checkpoint", ckpt, "-o", filepath.Join(dir, "m.onnx")}, "not a finite number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "export" && !mnist.ONNXSupported {
				t.Skip("built without -tags onnx")
			}
			code, stdout, stderr := runCaptured(t, tc.args...)
			if code != 1 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "goroutine ") {
				t.Errorf("digits %q: exit %d, stderr:\n%s\nwant exit 1 and %q\nstdout:\n%s", tc.args, code, stderr, tc.want, stdout)
			}
			if strings.Contains(stdout, "-2147483648") {
				t.Errorf("a NaN output became a digit:\n%s", stdout)
			}
		})
	}
}

// TestPredictArguments checks that predict takes its flags before or after
// the images.
func TestPredictArguments(t *testing.T) {
	data := fixtureData(t)
	ckpt := filepath.Join(t.TempDir(), "linear.ckpt")
	if code, _, stderr := runCaptured(t, "train", "-model", "linear", "-epochs", "1", "-batch", "4", "-data", data, "-checkpoint", ckpt); code != 0 {
		t.Fatalf("training: exit %d\n%s", code, stderr)
	}
	images, _ := filepath.Glob(filepath.Join(data, "images", "*"))
	if len(images) < 2 {
		t.Fatal("want two example images in mnist/testdata/images")
	}
	for _, args := range [][]string{
		{"predict", "-checkpoint", ckpt, images[0], images[1]},
		{"predict", images[0], "-checkpoint", ckpt, images[1]},
		{"predict", images[0], images[1], "-checkpoint", ckpt},
		{"predict", "-checkpoint", ckpt, "--", images[0], images[1]},
	} {
		code, stdout, stderr := runCaptured(t, args...)
		if code != 0 || strings.Count(stdout, "scores") != 2 {
			t.Errorf("digits %q: exit %d, stdout:\n%s\nwant exit 0 and two predictions; stderr:\n%s", args, code, stdout, stderr)
		}
	}
}

// TestDataErrorsPointToDigitsData checks that damaged data files are named,
// with the command that verifies and fetches them again.
func TestDataErrorsPointToDigitsData(t *testing.T) {
	data := fixtureData(t)
	for _, tc := range []struct {
		name    string
		content func(good []byte) []byte
		want    string
	}{
		{"not gzip", func([]byte) []byte { return []byte("hello, world") }, "not IDX data, nor gzip"},
		{"truncated gzip", func(good []byte) []byte { return good[:len(good)/2] }, "file ends too early"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{mnist.TrainImagesFile, mnist.TrainLabelsFile, mnist.TestImagesFile, mnist.TestLabelsFile} {
				content, err := os.ReadFile(filepath.Join(data, f))
				if err != nil {
					t.Fatal(err)
				}
				if f == mnist.TestImagesFile {
					content = tc.content(content)
				}
				if err := os.WriteFile(filepath.Join(dir, f), content, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, _, stderr := runCaptured(t, "eval", "-data", dir, "-checkpoint", "unused.ckpt")
			for _, want := range []string{filepath.Join(dir, mnist.TestImagesFile), tc.want, `run "digits data -data ` + dir + `"`} {
				if code != 1 || !strings.Contains(stderr, want) {
					t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr, want)
				}
			}
		})
	}
}
