package mnist

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/godigits/digits/internal/plugin"
)

func TestChooseBackend(t *testing.T) {
	withPlugin := t.TempDir()
	fake := filepath.Join(withPlugin, "pjrt_c_api_cpu_plugin.so")
	os.WriteFile(fake, []byte("not a real plugin"), 0o644)
	empty := t.TempDir()
	gpu := plugin.NvidiaGPUs() > 0
	tests := []struct {
		name        string
		env         string // GOMLX_BACKEND; "" means unset.
		pluginPath  string // PJRT_PLUGIN_LIBRARY_PATH.
		wantConfig  string
		wantReason  string
		skipWithGPU bool
	}{
		{"env wins", "go", withPlugin, "go", "set by GOMLX_BACKEND", false},
		{"env xla path", "xla:/x/y.so,preallocate=false", empty, "xla:/x/y.so,preallocate=false", "set by GOMLX_BACKEND", false},
		{"cpu plugin found", "", withPlugin, "xla:" + fake, "XLA CPU plugin found", true},
		{"nothing installed", "", empty, "go", "no XLA plugin found in " + empty, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skipWithGPU && gpu {
				t.Skip("an NVIDIA GPU changes the reason")
			}
			if tc.env == "" {
				os.Unsetenv("GOMLX_BACKEND")
				t.Setenv("GOMLX_BACKEND", "") // Restored after the test.
				os.Unsetenv("GOMLX_BACKEND")
			} else {
				t.Setenv("GOMLX_BACKEND", tc.env)
			}
			t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", tc.pluginPath)
			c := ChooseBackend()
			if c.Config != tc.wantConfig || !strings.Contains(c.Reason, tc.wantReason) {
				t.Errorf("got %+v, want config %q and a reason containing %q", c, tc.wantConfig, tc.wantReason)
			}
			if !strings.HasPrefix(c.String(), "backend: "+tc.wantConfig) {
				t.Errorf("String() = %q", c.String())
			}
		})
	}
}

func TestStartBackendErrors(t *testing.T) {
	notAPlugin := filepath.Join(t.TempDir(), "pjrt_c_api_cpu_plugin.so")
	os.WriteFile(notAPlugin, []byte("not a real plugin"), 0o644)
	tests := []struct{ config, wantErr string }{
		{"foo", `unknown backend "foo"`},
		{"xla:" + notAPlugin, "starting backend"},
		// A missing file is named as such, with what to do instead.
		{"xla:/does/not/exist.so", "no PJRT plugin file /does/not/exist.so (no such file or directory); `make setup`"},
	}
	for _, tc := range tests {
		t.Run(tc.config, func(t *testing.T) {
			b, err := StartBackend(tc.config)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "autoinstall") {
				t.Errorf("got backend %v, error %v; want an error containing %q", b, err, tc.wantErr)
			}
		})
	}
}

func TestNewBackendFallsBackToGo(t *testing.T) {
	// A file that looks like a plugin but is not one must not stop the
	// course: NewBackend says so and uses the pure-Go backend.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"), []byte("junk"), 0o644)
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", dir)
	t.Setenv("GOMLX_BACKEND", "")
	os.Unsetenv("GOMLX_BACKEND")
	if plugin.NvidiaGPUs() > 0 {
		t.Skip("an NVIDIA GPU may pick the CUDA plugin")
	}
	var log strings.Builder
	b, err := NewBackend(&log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if b.Name() == "xla" {
		t.Errorf("got backend %q, want the pure-Go backend", b.Name())
	}
	if !strings.Contains(log.String(), "falling back to the pure-Go backend") || !strings.Contains(log.String(), "backend: go: the XLA plugin") {
		t.Errorf("the log says\n%s\nwant the failure and the fallback", log.String())
	}
	// Asked for by name, the same plugin is an error, not a fallback.
	if b, err := OpenBackend(NamedBackend("xla:"+filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"), "asked for"), nil); err == nil {
		b.Finalize()
		t.Error("a plugin asked for by name that fails to load gave no error")
	}
}

// sumOfSquares runs a small graph on the backend of the given configuration.
func sumOfSquares(t *testing.T, config string) float32 {
	t.Helper()
	b, err := StartBackend(config)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	exec, err := graph.NewExec1(b, func(x *graph.Node) *graph.Node { return graph.ReduceAllSum(graph.Square(x)) })
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Call(tensors.FromValue([]float32{1, 2, 3, 4}))
	if err != nil {
		t.Fatal(err)
	}
	return tensors.ToScalar[float32](out)
}

func TestBackendsCompute(t *testing.T) {
	configs := []string{"go"}
	// The XLA CPU plugin is there after `make setup`; without it only the
	// pure-Go backend can be tested.
	if cpu := plugin.Find("cpu"); cpu != "" {
		configs = append(configs, "xla:"+cpu)
	} else {
		t.Log("no XLA CPU plugin installed: testing the pure-Go backend only")
	}
	for _, config := range configs {
		t.Run(config, func(t *testing.T) {
			// 1 + 4 + 9 + 16, by hand.
			if got := sumOfSquares(t, config); got != 30 {
				t.Errorf("got %v, want 30", got)
			}
		})
	}
}

func TestIsPureGo(t *testing.T) {
	if !IsPureGo(goBackend(t)) {
		t.Error("IsPureGo(the pure-Go backend) is false")
	}
	if IsCUDA(goBackend(t)) {
		t.Error("IsCUDA(the pure-Go backend) is true")
	}
	if choice := ChooseBackend(); choice.Config != "go" {
		b, err := StartBackend(choice.Config)
		if err != nil {
			t.Skipf("no other backend to compare with: %v", err)
		}
		defer b.Finalize()
		if IsPureGo(b) {
			t.Errorf("IsPureGo(%s) is true", b.Name())
		}
		// IsCUDA names the same plugins as the choice of the GPU's memory.
		if got, want := IsCUDA(b), strings.Contains(choice.Config, "cuda"); got != want {
			t.Errorf("IsCUDA(%s) = %v, want %v", b.Description(), got, want)
		}
	}
}

// TestStartBackendWithoutPlugin runs StartBackend("xla:cpu") in a child
// process whose plugin search path is an empty folder (go-xla reads it when
// the process starts): the error says where it looked and what to do, not
// GoMLX's advice to import its auto-installer.
func TestStartBackendWithoutPlugin(t *testing.T) {
	if os.Getenv("DIGITS_TEST_CHILD") == "no-plugin" {
		_, err := StartBackend("xla:cpu")
		fmt.Println("error:", err)
		return
	}
	empty := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStartBackendWithoutPlugin$")
	cmd.Env = append(os.Environ(), "DIGITS_TEST_CHILD=no-plugin", "PJRT_PLUGIN_LIBRARY_PATH="+empty)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	want := "error: mnist: backend \"xla:cpu\": no XLA plugin (pjrt_c_api_cpu_plugin.so) in " + empty + "; `make setup` installs"
	if !strings.Contains(string(out), want) || strings.Contains(string(out), "autoinstall") {
		t.Errorf("the child said:\n%s\nwant %q", out, want)
	}
}
