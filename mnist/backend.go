package mnist

import (
	"fmt"
	"os"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"  // Registers the pure-Go backend "go".
	"github.com/gomlx/go-xla/compute/xla" // Registers the XLA backend "xla".

	"github.com/godigits/digits/internal/plugin"
)

// BackendChoice is the GoMLX backend [ChooseBackend] picked, and why.
type BackendChoice struct {
	Config string // The GoMLX backend configuration, as in GOMLX_BACKEND.
	Plugin string // Absolute path of the PJRT plugin, "" for the pure-Go backend.
	Reason string // Why this backend was chosen, in words.
}

// String returns the one line that [NewBackend] prints.
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
		c := BackendChoice{Config: env, Reason: "set by " + compute.ConfigEnvVar}
		if name, rest, _ := strings.Cut(env, ":"); name == "xla" {
			c.Plugin, _, _ = strings.Cut(rest, ",")
		}
		return c
	}
	gpus := plugin.NvidiaGPUs()
	if cuda := plugin.Find("cuda"); cuda != "" && gpus > 0 {
		return BackendChoice{Config: "xla:" + cuda, Plugin: cuda,
			Reason: fmt.Sprintf("XLA CUDA plugin found and %d NVIDIA GPU(s) present", gpus)}
	}
	if cpu := plugin.Find("cpu"); cpu != "" {
		why := "XLA CPU plugin found"
		if gpus == 0 {
			why += ", no NVIDIA GPU"
		} else {
			why += ", no XLA CUDA plugin for the GPU"
		}
		return BackendChoice{Config: "xla:" + cpu, Plugin: cpu, Reason: why}
	}
	return BackendChoice{Config: "go",
		Reason: "no XLA plugin found in " + strings.Join(plugin.Dirs(), ":") + "; using the pure-Go backend (run `make setup` to install the XLA CPU plugin)"}
}

// NewBackend starts the backend that [ChooseBackend] picks and prints one
// line to standard error saying which and why. It never downloads a plugin.
// If an XLA plugin that was found automatically fails to load, it says so
// and falls back to the pure-Go backend; a backend named in GOMLX_BACKEND
// that fails is an error.
func NewBackend() (compute.Backend, error) {
	choice := ChooseBackend()
	backend, err := StartBackend(choice.Config)
	if err != nil && os.Getenv(compute.ConfigEnvVar) == "" { // Chosen automatically, not by the user.
		fmt.Fprintf(os.Stderr, "%v; falling back to the pure-Go backend\n", err)
		choice = BackendChoice{Config: "go", Reason: "the XLA plugin " + choice.Plugin + " failed to load"}
		backend, err = StartBackend(choice.Config)
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, choice)
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
	defer func() {
		if r := recover(); r != nil {
			backend, err = nil, fmt.Errorf("mnist: starting backend %q: %v", config, r)
		}
	}()
	backend, err = compute.NewWithConfig(config)
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

// IsPureGo tells whether backend is GoMLX's pure-Go backend.
func IsPureGo(backend compute.Backend) bool {
	return backend.String() == gobackend.BackendName
}
