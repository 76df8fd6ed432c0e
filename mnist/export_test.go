//go:build onnx

package mnist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needONNXRuntime skips the test when the ONNX Runtime library is not
// installed (`make setup` installs it and sets ONNXRUNTIME_SHARED_LIBRARY_PATH).
func needONNXRuntime(t *testing.T) {
	t.Helper()
	lib := os.Getenv(ONNXLibraryEnv)
	if lib == "" {
		t.Skipf("%s is not set: no ONNX Runtime library to export with (make setup installs one)", ONNXLibraryEnv)
	}
	if _, err := os.Stat(lib); err != nil {
		t.Skipf("ONNX Runtime library %s=%s is missing: %v", ONNXLibraryEnv, lib, err)
	}
}

// trainedTiny returns a tiny model trained on the fixture.
func trainedTiny(t *testing.T, arch Architecture, task Task, scale PixelScale) *Model {
	t.Helper()
	cfg := tinyConfig(arch, task, OptimizerConfig{Kind: Adam, LearningRate: 0.01})
	cfg.Scale = scale
	m, err := NewModel(goBackend(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(loadFixture(t, Train)); err != nil {
		t.Fatal(err)
	}
	return m
}

// fixtureImages returns the eval images of the fixture, then the train ones.
func fixtureImages(t *testing.T) [][]uint8 {
	var images [][]uint8
	for _, mode := range []Mode{Eval, Train} {
		ds := loadFixture(t, mode)
		for i := range ds.Len() {
			images = append(images, ds.Image(i))
		}
	}
	return images
}

func comparePredictions(t *testing.T, got, want []Prediction) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d predictions, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Digit != want[i].Digit {
			t.Errorf("image %d: ONNX predicts %d, the model %d", i, got[i].Digit, want[i].Digit)
		}
		for d := range NumClasses {
			if diff := math.Abs(float64(got[i].Scores[d] - want[i].Scores[d])); diff > 1e-5 {
				t.Errorf("image %d: score of %d is %v with ONNX, %v with the model (|diff| %.2g)",
					i, d, got[i].Scores[d], want[i].Scores[d], diff)
			}
		}
	}
}

func TestExportONNXMatchesModel(t *testing.T) {
	needONNXRuntime(t)
	images := fixtureImages(t) // 14 images.
	for _, tc := range []struct {
		arch  Architecture
		task  Task
		scale PixelScale
	}{
		{CNN, Classification, ZeroToOne},
		{CNN, Regression, MinusOneToOne},
		{MLP, Classification, MinusOneToOne},
		{MLP, Regression, ZeroToOne},
		{Linear, Classification, ZeroToOne},
	} {
		t.Run(fmt.Sprintf("%s-%s-%d", tc.arch, tc.task, tc.scale), func(t *testing.T) {
			m := trainedTiny(t, tc.arch, tc.task, tc.scale)
			want, err := m.Predict(images...)
			if err != nil {
				t.Fatal(err)
			}
			for _, batch := range []int{1, 4} {
				path := filepath.Join(t.TempDir(), "model.onnx")
				if err := m.ExportONNX(path, batch); err != nil {
					t.Fatal(err)
				}
				st, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("batch %d: %s is %d bytes", batch, path, st.Size())
				o, err := LoadONNX(path)
				if err != nil {
					t.Fatal(err)
				}
				if o.BatchSize != batch || o.Config.Model.Arch != tc.arch || o.Config.Scale != tc.scale {
					t.Errorf("loaded batch %d, %s, scale %d; want %d, %s, %d", o.BatchSize, o.Config.Model.Arch, o.Config.Scale, batch, tc.arch, tc.scale)
				}
				// All images (several batches, the last one padded), the 4
				// eval images, and one image.
				for _, n := range []int{len(images), 4, 1} {
					got, err := o.Predict(images[:n]...)
					if err != nil {
						t.Fatal(err)
					}
					comparePredictions(t, got, want[:n])
				}
				if _, err := o.Predict(make([]uint8, 10)); err == nil {
					t.Error("Predict with 10 pixels: got no error")
				}
				o.Close()
				if _, err := o.Predict(images[0]); err == nil {
					t.Error("Predict after Close: got no error")
				}
			}
			// The model still works on its own backend after the export.
			again, err := m.Predict(images...)
			if err != nil {
				t.Fatal(err)
			}
			comparePredictions(t, again, want)
		})
	}
}

func TestExportONNXIsAtomic(t *testing.T) {
	needONNXRuntime(t)
	m := trainedTiny(t, MLP, Classification, ZeroToOne)
	dir := t.TempDir()

	// A parent that is a file: the export fails and leaves nothing behind.
	blocker := filepath.Join(dir, "blocker")
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(blocker, "model.onnx")
	if err := m.ExportONNX(bad, 1); err == nil || !strings.Contains(err.Error(), bad) || !strings.HasPrefix(err.Error(), "mnist: ") {
		t.Errorf("export under a file: got %v, want an error naming %s", err, bad)
	}

	// A failing export leaves an existing file intact.
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.ExportONNX(path, 0); err == nil {
		t.Error("export with batch size 0: got no error")
	}
	if data, _ := os.ReadFile(path); string(data) != "old" {
		t.Errorf("failed export changed %s to %q", path, data)
	}
	if _, err := LoadONNX(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadONNX of a non-ONNX file: got %v, want an error naming %s", err, path)
	}
	// A successful one replaces it.
	if err := m.ExportONNX(path, 1); err != nil {
		t.Fatal(err)
	}
	o, err := LoadONNX(path)
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "blocker" && e.Name() != "model.onnx" {
			t.Errorf("export left %s in %s", e.Name(), dir)
		}
	}
	if _, err := LoadONNX(filepath.Join(dir, "missing.onnx")); err == nil || !strings.Contains(err.Error(), "missing.onnx") {
		t.Errorf("LoadONNX of a missing file: got %v", err)
	}
}

func TestExportONNXWithoutLibrary(t *testing.T) {
	m := trainedTiny(t, MLP, Regression, ZeroToOne)
	path := filepath.Join(t.TempDir(), "model.onnx")
	t.Setenv(ONNXLibraryEnv, filepath.Join(t.TempDir(), "libonnxruntime.so"))
	err := m.ExportONNX(path, 1)
	if err == nil || !strings.Contains(err.Error(), ONNXLibraryEnv) || !strings.Contains(err.Error(), "make setup") {
		t.Errorf("got %v, want an error naming %s and make setup", err, ONNXLibraryEnv)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("failed export wrote %s", path)
	}
}

// pythonCheck runs an exported model with Python's onnxruntime and compares
// its outputs with the expected ones.
const pythonCheck = `
import sys, json, numpy as np, onnxruntime as ort
path, inp, want_scores, want_digits, shape = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
meta = s.get_modelmeta().custom_metadata_map
assert json.loads(meta["digits.config"])["model"]["arch"], meta
assert [i.name for i in s.get_inputs()] == ["images"], s.get_inputs()
assert [o.name for o in s.get_outputs()] == ["scores", "digits"], s.get_outputs()
x = np.fromfile(inp, dtype=np.float32).reshape(shape)
scores, digits = s.run(None, {"images": x})
ws = np.fromfile(want_scores, dtype=np.float32).reshape(scores.shape)
wd = np.fromfile(want_digits, dtype=np.int32)
assert digits.dtype == np.int32 and (digits == wd).all(), (digits, wd)
d = float(np.abs(scores - ws).max())
assert d < 1e-5, d
print("onnxruntime", ort.__version__, "agrees: max |diff|", d)
`

// TestExportONNXInPython checks the exported file with Python's onnxruntime,
// when $DIGITS_PYTHON names a Python that has onnxruntime and numpy.
func TestExportONNXInPython(t *testing.T) {
	needONNXRuntime(t)
	python := os.Getenv("DIGITS_PYTHON")
	if python == "" {
		t.Skip("DIGITS_PYTHON is not set: set it to a Python with onnxruntime and numpy to cross-check the export")
	}
	for _, arch := range []Architecture{CNN, MLP} {
		t.Run(string(arch), func(t *testing.T) {
			m := trainedTiny(t, arch, Classification, MinusOneToOne)
			ds := loadFixture(t, Eval)
			var images [][]uint8
			for i := range ds.Len() {
				images = append(images, ds.Image(i))
			}
			want, err := m.Predict(images...)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "model.onnx")
			if err := m.ExportONNX(path, len(images)); err != nil {
				t.Fatal(err)
			}
			var in, scores, digits bytes.Buffer
			for _, img := range images {
				for _, p := range img {
					binary.Write(&in, binary.LittleEndian, m.Config.Scale.Scale(p))
				}
			}
			for _, p := range want {
				binary.Write(&scores, binary.LittleEndian, p.Scores)
				binary.Write(&digits, binary.LittleEndian, int32(p.Digit))
			}
			files := []string{filepath.Join(dir, "in.f32"), filepath.Join(dir, "scores.f32"), filepath.Join(dir, "digits.i32")}
			for i, b := range []*bytes.Buffer{&in, &scores, &digits} {
				if err := os.WriteFile(files[i], b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			shape := fmt.Sprintf("[%d, 784]", len(images))
			if arch == CNN {
				shape = fmt.Sprintf("[%d, 1, 28, 28]", len(images))
			}
			out, err := exec.Command(python, "-c", pythonCheck, path, files[0], files[1], files[2], shape).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", python, err, out)
			}
			t.Logf("%s", bytes.TrimSpace(out))
		})
	}
}
