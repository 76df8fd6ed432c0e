package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/godigits/digits/internal/plugin"
)

// TestBackendDevicesAndGPUMemory checks the lines `digits backend` adds for
// chapter 6: the backend's devices, and the refusal of a GPU memory fraction
// that means nothing, before any plugin is loaded.
func TestBackendDevicesAndGPUMemory(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "go")
	code, stdout, stderr := runCaptured(t, "backend")
	if code != 0 || !strings.Contains(stdout, "devices: 1 (digits train -devices N") {
		t.Errorf("digits backend on go: exit %d, stdout:\n%s\nstderr:\n%s\nwant exit 0 and \"devices: 1\"", code, stdout, stderr)
	}
	t.Setenv("GOMLX_BACKEND", "xla:cuda")
	t.Setenv("DIGITS_GPU_MEMORY_FRACTION", "75")
	code, _, stderr = runCaptured(t, "backend")
	if want := `DIGITS_GPU_MEMORY_FRACTION="75": want the fraction of the GPU's memory to reserve`; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("digits backend with a fraction of 75: exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr, want)
	}
}

// TestTrainOnTwoDevices trains the fixture's MLP on 2 devices of the XLA
// CPU backend, resumes it on 1, and evaluates it: the multi-device path of
// the command end to end. Without the XLA CPU plugin it is skipped.
func TestTrainOnTwoDevices(t *testing.T) {
	cpu := plugin.Find("cpu")
	if cpu == "" {
		t.Skip("no XLA CPU plugin installed: the pure-Go backend has one device")
	}
	data := fixtureData(t)
	t.Setenv("GOMLX_BACKEND", "xla:"+cpu)
	ckpt := filepath.Join(t.TempDir(), "mlp.ckpt")
	// 10 images in batches of 4: 4+4+2, each splitting over 2 devices.
	code, stdout, stderr := runCaptured(t, "train", "-model", "mlp", "-task", "classification", "-epochs", "1", "-batch", "4",
		"-devices", "2", "-data", data, "-checkpoint", ckpt)
	if code != 0 || !strings.Contains(stdout, "data parallel on 2 devices of xla: 2 images per device per batch") ||
		!strings.Contains(stdout, "valid: 2 images") {
		t.Fatalf("train on 2 devices: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCaptured(t, "train", "-resume", "-epochs", "2", "-devices", "1", "-data", data, "-checkpoint", ckpt)
	if code != 0 || strings.Contains(stdout, "data parallel") || !strings.Contains(stdout, "epoch 1 done") {
		t.Fatalf("resume on 1 device: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, _, stderr = runCaptured(t, "train", "-resume", "-epochs", "3", "-devices", "3", "-data", data, "-checkpoint", ckpt)
	if want := "batch size 4 does not split evenly over 3 devices"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("resume on 3 devices: exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr, want)
	}
}
