package mnist

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"  // Registers the pure-Go backend "go".
	"github.com/gomlx/go-xla/compute/xla" // Registers the XLA backend "xla".
	"github.com/gomlx/go-xla/pjrt"

	"github.com/godigits/digits/internal/plugin"
)

// BackendChoice is a GoMLX backend to start, and why.
type BackendChoice struct {
	Config string // The GoMLX backend configuration, as in GOMLX_BACKEND.
	Plugin string // Absolute path of the PJRT plugin, "" for the pure-Go backend.
	Reason string // Why this backend was chosen, in words.
	// Automatic says that nobody asked for this backend: when its plugin
	// fails to load, [OpenBackend] falls back to the pure-Go backend.
	Automatic bool
}

// NamedBackend is the choice of the backend configuration config ("go",
// "xla:cpu", "xla:/path/plugin.so"), for the given reason: what a user
// asked for, by a flag or a setting.
func NamedBackend(config, reason string) BackendChoice {
	c := BackendChoice{Config: config, Reason: reason}
	if name, rest, _ := strings.Cut(config, ":"); name == "xla" {
		c.Plugin, _, _ = strings.Cut(rest, ",")
	}
	return c
}

// String returns the one line that [OpenBackend] writes.
func (c BackendChoice) String() string {
	s := "backend: " + c.Config
	if c.Plugin != "" && !strings.Contains(c.Config, c.Plugin) {
		s += " (plugin " + c.Plugin + ")"
	}
	return s + ": " + c.Reason
}

// ChooseBackend decides which GoMLX backend to use, without starting it:
// GOMLX_BACKEND when it is set; else XLA on an NVIDIA GPU when a CUDA PJRT
// plugin and a GPU are present; else XLA on the CPU when a CPU PJRT plugin is
// installed; else the pure-Go backend, which needs nothing installed.
// Chapter 6 (资源配置) introduces it.
func ChooseBackend() BackendChoice {
	if env, ok := os.LookupEnv(compute.ConfigEnvVar); ok && env != "" {
		return NamedBackend(env, "set by "+compute.ConfigEnvVar)
	}
	gpus := plugin.NvidiaGPUs()
	if cuda := plugin.Find("cuda"); cuda != "" && gpus > 0 {
		return BackendChoice{Config: "xla:" + cuda, Plugin: cuda, Automatic: true,
			Reason: fmt.Sprintf("XLA CUDA plugin found and %d NVIDIA GPU(s) present", gpus)}
	}
	if cpu := plugin.Find("cpu"); cpu != "" {
		why := "XLA CPU plugin found"
		if gpus == 0 {
			why += ", no NVIDIA GPU"
		} else {
			why += ", no XLA CUDA plugin for the GPU"
		}
		return BackendChoice{Config: "xla:" + cpu, Plugin: cpu, Reason: why, Automatic: true}
	}
	return BackendChoice{Config: "go", Automatic: true,
		Reason: "no XLA plugin found in " + strings.Join(plugin.Dirs(), ":") + "; using the pure-Go backend (run `make setup` to install the XLA CPU plugin)"}
}

// NewBackend starts the backend that [ChooseBackend] picks (which honours
// $GOMLX_BACKEND) and writes one line to log saying which and why; log nil
// writes nothing. It is OpenBackend(ChooseBackend(), log).
func NewBackend(log io.Writer) (compute.Backend, error) {
	return OpenBackend(ChooseBackend(), log)
}

// OpenBackend starts the backend of choice and writes one line to log
// saying which and why (log nil: nothing). It never downloads a plugin. If
// an XLA plugin that was chosen automatically fails to load, it says so and
// falls back to the pure-Go backend; a backend that was asked for and fails
// is an error. On a CUDA backend it sets how the GPU's memory is taken, from
// $DIGITS_GPU_MEMORY_FRACTION (see gpumemory.go, [GPUMemoryEnv]), and says so.
func OpenBackend(choice BackendChoice, log io.Writer) (compute.Backend, error) {
	if log == nil {
		log = io.Discard
	}
	choice, memory, err := withGPUMemory(choice, gpuMemoryFromEnv())
	if err != nil {
		return nil, err
	}
	backend, err := StartBackend(choice.Config)
	if err != nil && choice.Automatic {
		fmt.Fprintf(log, "%v; falling back to the pure-Go backend\n", err)
		choice = BackendChoice{Config: "go", Reason: "the XLA plugin " + choice.Plugin + " failed to load"}
		backend, err = StartBackend(choice.Config)
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(log, choice)
	if memory != "" && !IsPureGo(backend) {
		fmt.Fprintln(log, memory)
	}
	return backend, nil
}

// StartBackend starts the GoMLX backend of the given configuration (as in
// GOMLX_BACKEND, for example "go", "xla:cpu" or "xla:/path/plugin.so"),
// turning GoMLX's panics into errors. It never downloads a plugin.
func StartBackend(config string) (backend compute.Backend, err error) {
	xla.EnableAutoInstall(false)
	name, _, _ := strings.Cut(config, ":")
	switch name {
	case "go", "xla":
	default:
		return nil, fmt.Errorf("mnist: unknown backend %q in %q: want go, xla:cpu, xla:cuda or xla:/path/to/plugin.so", name, config)
	}
	_, rest, _ := strings.Cut(config, ":")
	pluginName, _, _ := strings.Cut(rest, ",") // "cpu", "cuda", a path, or "".
	if name == "xla" && strings.Contains(pluginName, "/") {
		if _, err := os.Stat(pluginName); err != nil {
			return nil, fmt.Errorf("mnist: backend %q: no PJRT plugin file %s (%w); `make setup` installs the XLA CPU plugin, and %s=go needs none",
				config, pluginName, errors.Unwrap(err), compute.ConfigEnvVar)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			backend, err = nil, fmt.Errorf("mnist: starting backend %q: %v", config, r)
		}
	}()
	backend, err = compute.NewWithConfig(config)
	if err != nil && strings.Contains(err.Error(), "no plugins found") {
		return nil, fmt.Errorf("mnist: backend %q: no XLA plugin (pjrt_c_api_%s_plugin.so) in %s; `make setup` installs the XLA CPU plugin, and %s=go needs none",
			config, cmp.Or(pluginName, "<name>"), strings.Join(plugin.Dirs(), ":"), compute.ConfigEnvVar)
	}
	if err != nil {
		return nil, fmt.Errorf("mnist: starting backend %q: %w", config, firstLine(err))
	}
	return backend, nil
}

// firstLine drops the stack trace that GoMLX's errors carry.
func firstLine(err error) error {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return fmt.Errorf("%s", msg)
}

// IsCUDA tells whether backend is XLA with a CUDA plugin: it runs on an
// NVIDIA GPU.
func IsCUDA(backend compute.Backend) bool {
	p, ok := backend.(interface{ PluginName() string })
	return ok && pjrt.IsCUDAName(p.PluginName())
}

// IsPureGo tells whether backend is GoMLX's pure-Go backend.
func IsPureGo(backend compute.Backend) bool {
	return backend.String() == gobackend.BackendName
}
