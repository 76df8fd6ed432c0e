package mnist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	"github.com/godigits/digits/internal/plugin"
)

// cpuBackend returns the XLA CPU backend when it has at least devices
// devices, and skips the test otherwise (the pure-Go backend has one).
func cpuBackend(t testing.TB, devices int) compute.Backend {
	t.Helper()
	cpu := plugin.Find("cpu")
	if cpu == "" {
		t.Skipf("no XLA CPU plugin installed: training on %d devices needs one (the pure-Go backend has one device)", devices)
	}
	b, err := StartBackend("xla:" + cpu)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Finalize)
	if b.NumDevices() < devices {
		t.Skipf("the XLA CPU backend has %d devices, the test needs %d", b.NumDevices(), devices)
	}
	return b
}

// parallelConfig trains on the fixture's 10 images in batches of 4 (2 an
// epoch, the last partial one dropped so that every batch splits over 1, 2
// and 4 devices), logging every batch.
func parallelConfig(arch Architecture, devices int) TrainConfig {
	cfg := tinyConfig(arch, Classification, OptimizerConfig{Kind: Momentum, LearningRate: 0.05})
	cfg.DropLast, cfg.Epochs, cfg.Devices = true, 4, devices
	return cfg
}

// Tolerances of a run on several devices against the same run on one.
// The all-reduce adds the devices' partial gradients in another order than
// one device adds the whole batch's, and float32 addition is not
// associative: each sum may differ in its last bits (float32's epsilon is
// 1.2e-7), and eight steps carry such differences forward. Measured: losses
// and weights agreed within 3.3e-7 on 2 and 4 devices; the bounds leave a factor of 30.
// A wrong update (gradients not averaged, a replica left behind, a share of
// the batch lost) moves the losses by 1e-3 or more.
const (
	parallelLossTolerance   = 1e-5 // Relative.
	parallelWeightTolerance = 1e-5 // Absolute, on weights of size 0.1-1.
)

// trainParallel trains a fresh model on devices devices and returns it.
func trainParallel(t *testing.T, backend compute.Backend, cfg TrainConfig) *Model {
	t.Helper()
	m, err := NewModel(backend, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(loadFixture(t, Train)); err != nil {
		t.Fatal(err)
	}
	return m
}

// compareRuns checks that got's losses and variables are those of want,
// within the tolerances above.
func compareRuns(t *testing.T, got, want *Model) {
	t.Helper()
	if len(got.Losses) != len(want.Losses) {
		t.Fatalf("%d losses logged, want %d", len(got.Losses), len(want.Losses))
	}
	worstLoss, worstWeight := 0.0, 0.0
	defer func() { t.Logf("largest differences: loss %.2g (relative), weights %.2g", worstLoss, worstWeight) }()
	for i, w := range want.Losses {
		g := got.Losses[i]
		worstLoss = max(worstLoss, math.Abs(g.Loss-w.Loss)/math.Abs(w.Loss))
		if g.Step != w.Step || math.Abs(g.Loss-w.Loss) > parallelLossTolerance*math.Abs(w.Loss) {
			t.Errorf("step %d: loss %.8f, want %.8f (step %d)", g.Step, g.Loss, w.Loss, w.Step)
		}
	}
	gotVars, wantVars := variablesOf(t, got), variablesOf(t, want)
	if len(gotVars) != len(wantVars) {
		t.Errorf("%d variables, want %d", len(gotVars), len(wantVars))
	}
	for path, w := range wantVars {
		d := maxFloat32Diff(gotVars[path], w)
		worstWeight = max(worstWeight, d)
		if d > parallelWeightTolerance {
			t.Errorf("variable %s differs by up to %g, want at most %g", path, d, parallelWeightTolerance)
		}
	}
}

// maxFloat32Diff returns the largest difference between two float32 arrays
// (as bytes); integer variables (the optimizer's step counter) compare
// exactly. Different lengths are an infinite difference.
func maxFloat32Diff(a, b []byte) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	if len(a)%4 != 0 {
		if bytes.Equal(a, b) {
			return 0
		}
		return math.Inf(1)
	}
	d := 0.0
	for i := 0; i < len(a); i += 4 {
		x := math.Float32frombits(binary.LittleEndian.Uint32(a[i:]))
		y := math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))
		d = max(d, math.Abs(float64(x)-float64(y)))
	}
	return d
}

// TestDataParallelMatchesOneDevice trains the same run on 1, 2 and 4
// devices: the same global batches, so the same losses and weights within
// the tolerances above; and after training, every device holds the same
// replica, bit for bit.
func TestDataParallelMatchesOneDevice(t *testing.T) {
	backend := cpuBackend(t, 4)
	for _, arch := range []Architecture{MLP, CNN} {
		one := trainParallel(t, backend, parallelConfig(arch, 1))
		for _, devices := range []int{2, 4} {
			t.Run(fmt.Sprintf("%s on %d devices", arch, devices), func(t *testing.T) {
				m := trainParallel(t, backend, parallelConfig(arch, devices))
				if got := m.stepExec.NumDevices(); got != devices {
					t.Fatalf("the training step ran on %d devices, want %d", got, devices)
				}
				compareRuns(t, m, one)
				for v := range m.Store().IterVariables() {
					dv, err := v.DistributedValue()
					if err != nil {
						t.Fatalf("variable %s: %v", v.Path(), err)
					}
					shards := dv.Shards()
					if len(shards) != devices {
						t.Fatalf("variable %s has %d replicas, want %d", v.Path(), len(shards), devices)
					}
					var first []byte
					shards[0].ConstBytes(func(data []byte) { first = bytes.Clone(data) })
					for i, s := range shards[1:] {
						s.ConstBytes(func(data []byte) {
							if !bytes.Equal(data, first) {
								t.Errorf("variable %s: device %d's replica differs from device 0's", v.Path(), i+1)
							}
						})
					}
				}
			})
		}
	}
}

// TestDataParallelCheckpoints writes a checkpoint on 4 devices and resumes
// it on 1, and the other way round: both must end where an uninterrupted
// run on one device ends, within the tolerances above. A model trained on
// several devices then evaluates and predicts as that run does.
func TestDataParallelCheckpoints(t *testing.T) {
	backend := cpuBackend(t, 4)
	whole := trainParallel(t, backend, parallelConfig(CNN, 1))
	for _, tc := range []struct{ before, after int }{{4, 1}, {1, 4}} {
		t.Run(fmt.Sprintf("%d then %d devices", tc.before, tc.after), func(t *testing.T) {
			cfg := parallelConfig(CNN, tc.before)
			cfg.Epochs = 2
			cfg.CheckpointPath = filepath.Join(t.TempDir(), "run.ckpt")
			trainParallel(t, backend, cfg)
			resumed, err := LoadModel(backend, cfg.CheckpointPath)
			if err != nil {
				t.Fatal(err)
			}
			if resumed.Config.Devices != 0 {
				t.Errorf("a loaded model trains on %d devices, want 0 (one device) until SetDevices", resumed.Config.Devices)
			}
			if err := resumed.SetDevices(tc.after); err != nil {
				t.Fatal(err)
			}
			resumed.Config.Epochs = whole.Config.Epochs
			if err := resumed.Train(loadFixture(t, Train)); err != nil {
				t.Fatal(err)
			}
			if tc.after > 1 && (resumed.stepExec == nil || resumed.stepExec.NumDevices() != tc.after) {
				t.Errorf("the resumed run did not train on %d devices", tc.after)
			}
			compareRuns(t, resumed, whole)
		})
	}
	t.Run("evaluate and predict", func(t *testing.T) {
		m := trainParallel(t, backend, parallelConfig(CNN, 4))
		valid := loadFixture(t, Valid)
		got, err := m.Evaluate(valid)
		if err != nil {
			t.Fatal(err)
		}
		want, err := whole.Evaluate(valid)
		if err != nil {
			t.Fatal(err)
		}
		if got.Images != want.Images || got.Accuracy != want.Accuracy ||
			math.Abs(got.Loss-want.Loss) > parallelLossTolerance*want.Loss {
			t.Errorf("evaluation %v, want %v", got, want)
		}
		pixels := valid.Image(0)
		p, err := m.Predict(pixels)
		if err != nil {
			t.Fatal(err)
		}
		wantP, err := whole.Predict(pixels)
		if err != nil {
			t.Fatal(err)
		}
		for d := range NumClasses {
			if math.Abs(float64(p[0].Scores[d]-wantP[0].Scores[d])) > parallelWeightTolerance {
				t.Errorf("scores %v, want %v", p[0].Scores, wantP[0].Scores)
				break
			}
		}
	})
}

func TestDevicesErrors(t *testing.T) {
	tests := []struct {
		name    string
		backend compute.Backend
		devices int
		want    string
	}{
		{"uneven batch", cpuBackend(t, 3), 3, "batch size 100 does not split evenly over 3 devices"},
		{"too many devices", cpuBackend(t, 1), 64, "64 devices asked, the xla backend has"},
		{"pure Go", goBackend(t), 2, "the pure-Go backend has one device"},
		{"negative", goBackend(t), -1, "devices -1 must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewModel(tc.backend, TrainConfig{Model: ModelConfig{Arch: MLP, Task: Classification}, BatchSize: 100, Devices: tc.devices})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
