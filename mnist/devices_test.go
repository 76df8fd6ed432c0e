package mnist

import (
	"math"
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
// and 4 devices).
func parallelConfig(arch Architecture, devices int) TrainConfig {
	cfg := tinyConfig(arch, Classification, OptimizerConfig{Kind: Adam, LearningRate: 0.01})
	cfg.DropLast, cfg.Epochs, cfg.Plain, cfg.Devices = true, 4, true, devices
	return cfg
}

func TestDataParallelProto(t *testing.T) {
	train := loadFixture(t, Train)
	for _, devices := range []int{1, 2, 4} {
		m, err := NewModel(cpuBackend(t, 4), parallelConfig(CNN, devices))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Train(train); err != nil {
			t.Fatal(err)
		}
		for _, l := range m.Losses {
			t.Logf("%d: %v %.8f", devices, l.Step, l.Loss)
		}
		_ = math.Abs
	}
}
