package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCaptured calls run with os.Stdout and os.Stderr redirected to temporary
// files, and returns the exit code and what was written to each.
func runCaptured(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	capture := func(f **os.File, name string) func() string {
		tmp, err := os.Create(filepath.Join(t.TempDir(), name))
		if err != nil {
			t.Fatal(err)
		}
		saved := *f
		*f = tmp
		return func() string {
			*f = saved
			tmp.Close()
			data, err := os.ReadFile(tmp.Name())
			if err != nil {
				t.Fatal(err)
			}
			return string(data)
		}
	}
	restoreOut := capture(&os.Stdout, "stdout")
	restoreErr := capture(&os.Stderr, "stderr")
	done := false
	defer func() {
		// Restore even when run panics, so the test output is not lost.
		if !done {
			restoreOut()
			restoreErr()
		}
	}()
	code = run(args)
	stdout, stderr = restoreOut(), restoreErr()
	done = true
	return code, stdout, stderr
}

func TestRun(t *testing.T) {
	// A data directory whose train-images file, the first that mnist.Download
	// checks, has the wrong hash: the command must fail on it before any
	// download and leave it as it is.
	bad := []byte("not the MNIST training images")
	badDir := func(t *testing.T) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte.gz"), bad, 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}

	// The exit codes are those documented on run: 0 on success (and on -h),
	// 1 on failure, 2 on bad usage.
	tests := []struct {
		name       string
		args       func(t *testing.T) []string
		backend    string // GOMLX_BACKEND; "" leaves it unset
		wantCode   int
		wantStderr string // a substring of standard error
		wantStdout string // a substring of standard output
	}{
		{
			name:       "no args",
			args:       func(*testing.T) []string { return nil },
			wantCode:   2,
			wantStderr: "Usage: digits COMMAND",
		},
		{
			name:       "-h",
			args:       func(*testing.T) []string { return []string{"-h"} },
			wantCode:   0,
			wantStderr: "Usage: digits COMMAND",
		},
		{
			name:       "help",
			args:       func(*testing.T) []string { return []string{"help"} },
			wantCode:   0,
			wantStderr: "Usage: digits COMMAND",
		},
		{
			name:       "unknown command",
			args:       func(*testing.T) []string { return []string{"frobnicate"} },
			wantCode:   2,
			wantStderr: `digits: unknown command "frobnicate"`,
		},
		{
			name:       "unknown flag",
			args:       func(*testing.T) []string { return []string{"data", "-nope"} },
			wantCode:   2,
			wantStderr: "flag provided but not defined: -nope",
		},
		{
			name:       "extra args",
			args:       func(*testing.T) []string { return []string{"data", "x"} },
			wantCode:   2,
			wantStderr: `digits data: unexpected arguments ["x"]`,
		},
		{
			name:       "data -h",
			args:       func(*testing.T) []string { return []string{"data", "-h"} },
			wantCode:   0,
			wantStderr: "Usage: digits data [flags]",
		},
		{
			name:       "data from an unknown source",
			args:       func(*testing.T) []string { return []string{"data", "-source", "web"} },
			wantCode:   2,
			wantStderr: "-source web: must be any or module",
		},
		{
			name:       "data with a corrupt file",
			args:       func(t *testing.T) []string { return []string{"data", "-data", badDir(t)} },
			wantCode:   1,
			wantStderr: "sha256 mismatch",
		},
		{
			name:       "json with a corrupt file",
			args:       func(t *testing.T) []string { return []string{"json", "-data", badDir(t)} },
			wantCode:   1,
			wantStderr: "delete it",
		},
		{
			name:       "backend extra args",
			args:       func(*testing.T) []string { return []string{"backend", "x"} },
			wantCode:   2,
			wantStderr: "unexpected arguments",
		},
		{
			name:       "backend go",
			args:       func(*testing.T) []string { return []string{"backend"} },
			backend:    "go",
			wantCode:   0,
			wantStdout: "sum of squares of [1 2 3 4] = 30",
		},
		{
			name:       "bench unknown model",
			args:       func(*testing.T) []string { return []string{"bench", "-models", "resnet"} },
			wantCode:   2,
			wantStderr: `-models: mnist: unknown model "resnet"`,
		},
		{
			name:       "bench unknown peer",
			args:       func(*testing.T) []string { return []string{"bench", "-peers", "tensorflow"} },
			wantCode:   2,
			wantStderr: `unknown framework "tensorflow"`,
		},
		{
			name:       "bench bad batch",
			args:       func(*testing.T) []string { return []string{"bench", "-batches", "100,x"} },
			wantCode:   2,
			wantStderr: "-batches",
		},
		{
			name: "bench missing peer script",
			args: func(t *testing.T) []string {
				return []string{"bench", "-peer-script", filepath.Join(t.TempDir(), "run_peer.py")}
			},
			wantCode:   1,
			wantStderr: "peer script:",
		},
		{
			name:       "backend unknown",
			args:       func(*testing.T) []string { return []string{"backend"} },
			backend:    "foo",
			wantCode:   1,
			wantStderr: `unknown backend "foo"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.backend != "" {
				t.Setenv("GOMLX_BACKEND", tt.backend)
			}
			args := tt.args(t)
			code, stdout, stderr := runCaptured(t, args...)
			if code != tt.wantCode {
				t.Errorf("run(%q) = %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, tt.wantCode, stdout, stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("run(%q): stderr does not contain %q; stderr:\n%s", args, tt.wantStderr, stderr)
			}
			if !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("run(%q): stdout does not contain %q; stdout:\n%s", args, tt.wantStdout, stdout)
			}
			// A corrupt file is reported, never replaced.
			if len(args) == 3 && args[1] == "-data" {
				p := filepath.Join(args[2], "train-images-idx3-ubyte.gz")
				got, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, bad) {
					t.Errorf("%s now holds %d bytes %.20q, want the original %q", p, len(got), got, bad)
				}
				entries, _ := os.ReadDir(args[2])
				if len(entries) != 1 {
					t.Errorf("%s holds %d entries, want only the corrupt file", args[2], len(entries))
				}
			}
		})
	}
}
