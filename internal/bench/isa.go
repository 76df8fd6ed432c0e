package bench

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// An instruction-set cap makes a machine with AVX-512 run every framework as
// a CPU with AVX2 only would: each framework picks its kernels from the
// vector extensions it detects, and each has a setting that caps what it
// picks. The settings are environment variables, read when a library loads
// (XLA reads XLA_FLAGS when the PJRT plugin creates its client), so they
// are set before the backend starts and passed to the peers' processes.
//
//   - XLA (GoMLX's backend, JAX): --xla_cpu_max_isa in XLA_FLAGS, the
//     instructions its compiler may emit.
//   - PyTorch: ATEN_CPU_CAPABILITY, the kernels ATen dispatches to.
//   - oneDNN (PyTorch's and PaddlePaddle's convolutions): ONEDNN_MAX_CPU_ISA,
//     and DNNL_MAX_CPU_ISA, its older name.
//   - MKL (PyTorch's and PaddlePaddle's matrix products):
//     MKL_ENABLE_INSTRUCTIONS.

// isaCaps maps a -max-isa value to each library's name for it.
var isaCaps = map[string]struct{ xla, aten, onednn, mkl string }{
	"avx2": {xla: "AVX2", aten: "avx2", onednn: "AVX2", mkl: "AVX2"},
}

// MaxISAs lists the accepted instruction-set caps.
func MaxISAs() []string {
	names := make([]string, 0, len(isaCaps))
	for k := range isaCaps {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// CapEnv returns the environment variables that cap every framework at the
// instruction set isa ("avx2"), as NAME=value, given the current value of
// XLA_FLAGS (the cap is added to the flags already there). An empty isa
// returns nothing: each framework uses what the CPU has.
func CapEnv(isa, xlaFlags string) ([]string, error) {
	if isa == "" {
		return nil, nil
	}
	c, ok := isaCaps[strings.ToLower(isa)]
	if !ok {
		return nil, fmt.Errorf("unknown instruction set %q: want one of %s", isa, strings.Join(MaxISAs(), ", "))
	}
	flags := strings.TrimSpace(xlaFlags + " --xla_cpu_max_isa=" + c.xla)
	return []string{
		"XLA_FLAGS=" + flags,
		"ATEN_CPU_CAPABILITY=" + c.aten,
		"ONEDNN_MAX_CPU_ISA=" + c.onednn,
		"DNNL_MAX_CPU_ISA=" + c.onednn,
		"MKL_ENABLE_INSTRUCTIONS=" + c.mkl,
	}, nil
}

// SetEnv sets the variables of env (NAME=value) in this process's
// environment, where a library loaded afterwards (the PJRT plugin) reads
// them, and in the environment that the peers' processes inherit.
func SetEnv(env []string) error {
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if err := os.Setenv(name, value); err != nil {
			return err
		}
	}
	return nil
}

// vectorExtensions are the CPU flags of /proc/cpuinfo that the report
// names, in this order.
var vectorExtensions = []string{"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "amx_tile"}

// cpuVectorExtensions returns which of vectorExtensions the CPU has, from
// the flags line of /proc/cpuinfo, or "" where there is none to read.
func cpuVectorExtensions() string {
	return vectorExtensionsOf(readCPUInfo())
}

// vectorExtensionsOf returns which of vectorExtensions cpuinfo (the text
// of /proc/cpuinfo) lists, separated by spaces.
func vectorExtensionsOf(cpuinfo string) string {
	flags := cpuFlags(cpuinfo)
	var have []string
	for _, ext := range vectorExtensions {
		if slices.Contains(flags, ext) {
			have = append(have, ext)
		}
	}
	return strings.Join(have, " ")
}

// cpuFlags returns the flags of the first CPU of cpuinfo.
func cpuFlags(cpuinfo string) []string {
	flags, _ := cpuInfoField(cpuinfo, "flags")
	return strings.Fields(flags)
}

// readCPUInfo returns the text of /proc/cpuinfo, or "" where there is none.
func readCPUInfo() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	return string(data)
}

// cpuInfoField returns the value of the field name ("model name", "flags")
// of the first CPU of cpuinfo, and whether it is there.
func cpuInfoField(cpuinfo, name string) (string, bool) {
	for line := range strings.SplitSeq(cpuinfo, "\n") {
		key, value, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == name {
			return strings.TrimSpace(value), true
		}
	}
	return "", false
}
