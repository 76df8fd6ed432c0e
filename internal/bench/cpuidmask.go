package bench

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/cpu"
)

// The environment variables of CapEnv cap what each framework chooses, but
// not the kernels that XLA's CPU plugin and jaxlib carry precompiled
// (YNNPACK's convolutions and matrix products, Eigen): those pick their
// code from the CPUID instruction when they load, and on an AVX-512 machine
// they run AVX-512 code whatever XLA_FLAGS says. cpuidmask/cpuidmask.c, an
// LD_PRELOAD library, hides AVX-512 from CPUID itself (Linux's CPUID
// faulting), so that every library of the process and of the peers'
// processes sees a CPU with AVX2 only.

//go:embed cpuidmask/cpuidmask.c
var cpuidMaskSource []byte

// CPUIDMaskEnv names the environment variable that holds the path of the
// CPUID mask library in a process started with it (LD_PRELOAD).
const CPUIDMaskEnv = "DIGITS_BENCH_CPUID_MASK"

// BuildCPUIDMask compiles the CPUID mask library with the C compiler ($CC,
// else cc) into the user's cache folder, once per version of its source,
// and returns its path.
func BuildCPUIDMask() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(cpuidMaskSource)
	dir := filepath.Join(cache, "digits", "cpuidmask")
	lib := filepath.Join(dir, "libcpuidmask-"+hex.EncodeToString(sum[:6])+".so")
	if _, err := os.Stat(lib); err == nil {
		return lib, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src := filepath.Join(dir, "cpuidmask.c")
	if err := os.WriteFile(src, cpuidMaskSource, 0o644); err != nil {
		return "", err
	}
	cc := envOr("CC", "cc")
	tmp := lib + ".tmp"
	out, err := exec.Command(cc, "-O2", "-shared", "-fPIC", "-o", tmp, src, "-ldl").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s: %v: %s", cc, err, strings.TrimSpace(string(out)))
	}
	return lib, os.Rename(tmp, lib)
}

// CanMaskCPUID says whether this machine can hide AVX-512 from CPUID: it
// has AVX-512 to hide, and the kernel reports CPUID faulting.
func CanMaskCPUID() bool {
	return cpu.X86.HasAVX512F && slices.Contains(cpuFlags(readCPUInfo()), "cpuid_fault")
}

// CPUIDMasked says whether this process runs with the CPUID mask and sees
// no AVX-512 (golang.org/x/sys/cpu reads CPUID when the program starts).
func CPUIDMasked() bool {
	return os.Getenv(CPUIDMaskEnv) != "" && !cpu.X86.HasAVX512F
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
