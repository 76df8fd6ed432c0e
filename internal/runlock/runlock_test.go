package runlock

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// deadPID returns the PID of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	return cmd.Process.Pid
}

func TestAcquire(t *testing.T) {
	host, _ := os.Hostname()
	tests := []struct {
		name     string
		lock     func(t *testing.T) string // content of an existing lock file; "" for none
		wantHeld bool
	}{
		{"free", func(*testing.T) string { return "" }, false},
		{"held by a live process", func(*testing.T) string {
			return fmt.Sprintf("pid %d\nhost %s\nstarted then\n", os.Getpid(), host)
		}, true},
		{"held on another host", func(*testing.T) string {
			return fmt.Sprintf("pid %d\nhost elsewhere.example\nstarted then\n", deadPID(t))
		}, true},
		{"stale: its process has ended", func(t *testing.T) string {
			return fmt.Sprintf("pid %d\nhost %s\nstarted then\n", deadPID(t), host)
		}, false},
		{"being written", func(*testing.T) string { return "\n" }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "run.ckpt")
			if content := tc.lock(t); content != "" {
				if err := os.WriteFile(path+Suffix, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			l, err := Acquire(path)
			var held *HeldError
			if tc.wantHeld {
				if !errors.As(err, &held) {
					t.Fatalf("Acquire = %v, want a *HeldError", err)
				}
				if !strings.Contains(err.Error(), "in use by another run (pid") || !strings.Contains(err.Error(), path) {
					t.Errorf("message %q does not name the file and the other run", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Acquire = %v, want the lock", err)
			}
			data, _ := os.ReadFile(path + Suffix)
			if want := fmt.Sprintf("pid %d\n", os.Getpid()); !strings.HasPrefix(string(data), want) {
				t.Errorf("lock file holds %q, want it to start with %q", data, want)
			}
			if _, err := Acquire(path); !errors.As(err, &held) {
				t.Errorf("a second Acquire = %v, want a *HeldError", err)
			}
			if err := l.Release(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path + Suffix); !os.IsNotExist(err) {
				t.Errorf("lock file still there after Release: %v", err)
			}
		})
	}
}
