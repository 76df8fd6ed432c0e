package main

import (
	"strings"
	"testing"
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
