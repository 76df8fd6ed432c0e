package mnist

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gomlx/go-xla/pjrt"
)

// GPU memory on a shared classroom GPU, chapter 6 (资源配置).
//
// XLA's CUDA client can claim most of a GPU's memory when it starts (JAX
// preallocates 75% by default), leaving nothing to the other students on
// the same GPU. go-xla v0.4.5 passes three options to the CUDA plugin
// (compute/xla/xla.go): "preallocate" (its default for a CUDA plugin is
// false), "memory_fraction" (0.75 unless set) and "allocator". The course
// states its setting instead of relying on that default: on a CUDA backend,
// [OpenBackend] adds preallocate=false (memory taken as training needs it),
// or, when GPUMemoryEnv holds a fraction, preallocate=true with that
// memory_fraction, to the backend's configuration and says so in its line.
// Options already written in the configuration (GOMLX_BACKEND=
// "xla:cuda,preallocate=true") are left as they are.

// GPUMemoryEnv is the environment variable that sets how much of a GPU's
// memory the CUDA backend claims at start: a fraction such as 0.3, or unset
// for memory taken as needed.
const GPUMemoryEnv = "DIGITS_GPU_MEMORY_FRACTION"

// gpuMemoryOptions are go-xla's options that decide the CUDA client's memory.
var gpuMemoryOptions = []string{"preallocate", "memory_fraction", "allocator"}

// withGPUMemory returns choice with the course's GPU memory setting added to
// its configuration when its plugin is a CUDA plugin, and a note saying what
// the setting is ("" for other backends). fraction is the value of
// GPUMemoryEnv ("" when unset).
func withGPUMemory(choice BackendChoice, fraction string) (BackendChoice, string, error) {
	name, rest, _ := strings.Cut(choice.Config, ":")
	pluginName, options, _ := strings.Cut(rest, ",")
	if name != "xla" || !pjrt.IsCUDAName(pluginName) {
		return choice, "", nil
	}
	for _, option := range strings.Split(options, ",") {
		key, _, _ := strings.Cut(option, "=")
		for _, o := range gpuMemoryOptions {
			if key == o {
				return choice, "GPU memory: as the backend configuration says (" + options + ")", nil
			}
		}
	}
	if fraction == "" {
		choice.Config += ",preallocate=false"
		return choice, fmt.Sprintf("GPU memory: taken as needed, none reserved at start (set %s=0.3 to reserve 30%%)", GPUMemoryEnv), nil
	}
	f, err := strconv.ParseFloat(fraction, 64)
	if err != nil || !(f > 0 && f <= 1) {
		return choice, "", fmt.Errorf("mnist: %s=%q: want the fraction of the GPU's memory to reserve, above 0 and at most 1, like 0.3 (unset: take memory as needed)",
			GPUMemoryEnv, fraction)
	}
	choice.Config += ",preallocate=true,memory_fraction=" + strconv.FormatFloat(f, 'g', -1, 32)
	return choice, fmt.Sprintf("GPU memory: %.0f%% reserved at start (%s=%s)", 100*f, GPUMemoryEnv, fraction), nil
}

// gpuMemoryFromEnv reads GPUMemoryEnv.
func gpuMemoryFromEnv() string { return strings.TrimSpace(os.Getenv(GPUMemoryEnv)) }
