// Package plugin finds XLA PJRT plugins and NVIDIA GPUs on this machine,
// looking where go-xla looks, without downloading anything.
package plugin

import (
	"os"
	"path/filepath"
	"strings"
)

// Dirs returns the directories searched for PJRT plugins, in go-xla's order:
// $PJRT_PLUGIN_LIBRARY_PATH when set (it replaces the defaults), else
// /usr/local/lib/go-xla, ~/.local/lib/go-xla and $LD_LIBRARY_PATH.
func Dirs() []string {
	if env := os.Getenv("PJRT_PLUGIN_LIBRARY_PATH"); env != "" {
		return filepath.SplitList(env)
	}
	dirs := []string{"/usr/local/lib/go-xla"}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".local", "lib", "go-xla"))
	}
	return append(dirs, filepath.SplitList(os.Getenv("LD_LIBRARY_PATH"))...)
}

// Find returns the absolute path of the first plugin named
// pjrt_c_api_<name>_plugin.so (or a versioned pjrt_c_api_<name>_v*_plugin.so)
// in Dirs, or "" if there is none.
func Find(name string) string {
	for _, dir := range Dirs() {
		if dir == "" {
			continue
		}
		candidates := []string{filepath.Join(dir, "pjrt_c_api_"+name+"_plugin.so")}
		versioned, _ := filepath.Glob(filepath.Join(dir, "pjrt_c_api_"+name+"_v*_plugin.so"))
		candidates = append(candidates, versioned...)
		for _, c := range candidates {
			if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
				if abs, err := filepath.Abs(c); err == nil {
					return abs
				}
				return c
			}
		}
	}
	return ""
}

// NvidiaGPUs returns the number of NVIDIA GPUs the kernel driver reports.
func NvidiaGPUs() int {
	entries, err := os.ReadDir("/proc/driver/nvidia/gpus")
	if err == nil && len(entries) > 0 {
		return len(entries)
	}
	n := 0
	devs, _ := filepath.Glob("/dev/nvidia[0-9]*")
	for _, d := range devs {
		if !strings.Contains(filepath.Base(d), "-") {
			n++
		}
	}
	return n
}
