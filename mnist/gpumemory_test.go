package mnist

import (
	"strings"
	"testing"
)

// TestGPUMemory checks the GPU memory setting added to a backend's
// configuration. The expected configurations are go-xla v0.4.5's option
// syntax (compute/xla/xla.go), written by hand.
func TestGPUMemory(t *testing.T) {
	const cudaPlugin = "/opt/jax_plugins/xla_cuda13/xla_cuda_plugin.so"
	tests := []struct {
		name, config, fraction string
		wantConfig, wantNote   string
	}{
		{"cpu untouched", "xla:cpu", "0.3", "xla:cpu", ""},
		{"go untouched", "go", "", "go", ""},
		{"cuda, on demand", "xla:cuda", "", "xla:cuda,preallocate=false", "GPU memory: taken as needed"},
		{"cuda plugin path, fraction", "xla:" + cudaPlugin, "0.3", "xla:" + cudaPlugin + ",preallocate=true,memory_fraction=0.3",
			"GPU memory: 30% reserved at start (DIGITS_GPU_MEMORY_FRACTION=0.3)"},
		{"whole GPU", "xla:cuda", "1", "xla:cuda,preallocate=true,memory_fraction=1", "100% reserved"},
		{"configuration wins", "xla:cuda,tf32=false,memory_fraction=0.5", "0.3", "xla:cuda,tf32=false,memory_fraction=0.5",
			"as the backend configuration says (tf32=false,memory_fraction=0.5)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, note, err := withGPUMemory(BackendChoice{Config: tc.config}, tc.fraction)
			if err != nil {
				t.Fatal(err)
			}
			if got.Config != tc.wantConfig || !strings.Contains(note, tc.wantNote) || (tc.wantNote == "") != (note == "") {
				t.Errorf("got %q, note %q; want %q, note with %q", got.Config, note, tc.wantConfig, tc.wantNote)
			}
		})
	}
	for _, bad := range []string{"0", "1.5", "-0.2", "half", "NaN"} {
		if _, _, err := withGPUMemory(BackendChoice{Config: "xla:cuda"}, bad); err == nil || !strings.Contains(err.Error(), "want the fraction of the GPU's memory") {
			t.Errorf("%s=%s: error %v, want one explaining the fraction", GPUMemoryEnv, bad, err)
		}
	}
}
