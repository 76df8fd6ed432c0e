package mnist

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// TestDevicePathMatchesHostPath trains the same run three ways: batches built
// on the host, batches gathered on the backend one step per call, and three
// steps per call. The fixture's 10 training images in batches of 4 leave a
// partial last batch, which runs on its own. Losses and variables must
// agree.
func TestDevicePathMatchesHostPath(t *testing.T) {
	train := loadFixture(t, Train)
	for _, arch := range []Architecture{MLP, CNN} {
		run := func(host bool, steps int) *Model {
			cfg := tinyConfig(arch, Classification, OptimizerConfig{Kind: Momentum, LearningRate: 0.05})
			cfg.BatchSize, cfg.Epochs = 4, 3
			cfg.HostBatches, cfg.StepsPerCall = host, steps
			m, err := NewModel(goBackend(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Train(train); err != nil {
				t.Fatal(err)
			}
			return m
		}
		host, one, three := run(true, 0), run(false, 1), run(false, 3)
		if len(host.Losses) != 9 || host.Step != 9 {
			t.Fatalf("%s: %d losses logged and %d steps, want 9 of each (3 batches x 3 epochs)", arch, len(host.Losses), host.Step)
		}
		for name, m := range map[string]*Model{"device, 1 step per call": one, "device, 3 steps per call": three} {
			if m.Step != host.Step || len(m.Losses) != len(host.Losses) {
				t.Fatalf("%s, %s: %d steps and %d losses, want %d and %d", arch, name, m.Step, len(m.Losses), host.Step, len(host.Losses))
			}
			for i, l := range m.Losses {
				want := host.Losses[i]
				if l.Epoch != want.Epoch || l.Batch != want.Batch || math.Abs(l.Loss-want.Loss) > 1e-5*(1+math.Abs(want.Loss)) {
					t.Errorf("%s, %s: loss record %d is %+v, host batches gave %+v", arch, name, i, l, want)
				}
			}
			hv, mv := variablesOf(t, host), variablesOf(t, m)
			for path, data := range hv {
				got := mv[path]
				if len(got) != len(data) {
					t.Errorf("%s, %s: variable %s missing or resized", arch, name, path)
					continue
				}
				if bytes.Equal(got, data) {
					continue
				}
				for i := 0; i+4 <= len(data); i += 4 {
					w := math.Float32frombits(binary.LittleEndian.Uint32(data[i:]))
					g := math.Float32frombits(binary.LittleEndian.Uint32(got[i:]))
					if math.Abs(float64(g-w)) > 1e-5*(1+math.Abs(float64(w))) {
						t.Errorf("%s, %s: %s[%d] = %g, host batches gave %g", arch, name, path, i/4, g, w)
						break
					}
				}
			}
		}
		ev1, err := host.Evaluate(train)
		if err != nil {
			t.Fatal(err)
		}
		host.Config.HostBatches = false
		ev2, err := host.Evaluate(train)
		if err != nil {
			t.Fatal(err)
		}
		if ev1.Images != ev2.Images || ev1.Accuracy != ev2.Accuracy || ev1.Confusion != ev2.Confusion ||
			math.Abs(ev1.Loss-ev2.Loss) > 1e-5*(1+ev1.Loss) {
			t.Errorf("%s: evaluation on the host gave %v, on the device %v", arch, ev1, ev2)
		}
	}
}

func TestDefaultStepsPerCall(t *testing.T) {
	for _, c := range []struct {
		arch  Architecture
		batch int
		want  int
	}{{CNN, 100, 1}, {MLP, 100, 10}, {Linear, 1000, 1}, {MLP, 64, 15}, {MLP, 5000, 1}} {
		cfg := TrainConfig{Model: ModelConfig{Arch: c.arch, Task: Regression}, BatchSize: c.batch}
		if got := cfg.DefaultStepsPerCall(); got != c.want {
			t.Errorf("%s at batch %d: %d steps per call, want %d", c.arch, c.batch, got, c.want)
		}
	}
	if err := (TrainConfig{Model: ModelConfig{Arch: MLP, Task: Regression}, StepsPerCall: -1}).Validate(); err == nil {
		t.Error("StepsPerCall -1 was accepted")
	}
}
