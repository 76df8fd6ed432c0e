package bench

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"
)

func TestCapEnv(t *testing.T) {
	env, err := CapEnv("", "--xla_dump_to=/tmp/x")
	if err != nil || env != nil {
		t.Errorf(`CapEnv("") = %v, %v; want nothing`, env, err)
	}
	want := []string{
		"XLA_FLAGS=--xla_cpu_max_isa=AVX2",
		"ATEN_CPU_CAPABILITY=avx2",
		"ONEDNN_MAX_CPU_ISA=AVX2",
		"DNNL_MAX_CPU_ISA=AVX2",
		"MKL_ENABLE_INSTRUCTIONS=AVX2",
	}
	for _, isa := range []string{"avx2", "AVX2"} {
		env, err := CapEnv(isa, "")
		if err != nil || !slices.Equal(env, want) {
			t.Errorf("CapEnv(%q) = %q, %v; want %q", isa, env, err, want)
		}
	}
	// The cap is added to the XLA flags already set.
	env, err = CapEnv("avx2", " --xla_dump_to=/tmp/x ")
	if err != nil || env[0] != "XLA_FLAGS=--xla_dump_to=/tmp/x  --xla_cpu_max_isa=AVX2" {
		t.Errorf("with XLA_FLAGS set: %q, %v", env, err)
	}
	if _, err := CapEnv("avx512", ""); err == nil || !strings.Contains(err.Error(), "want one of avx2") {
		t.Errorf("CapEnv(avx512): error %v, want one naming avx2", err)
	}
}

func TestSetEnv(t *testing.T) {
	t.Setenv("DIGITS_TEST_CAP", "before")
	if err := SetEnv([]string{"DIGITS_TEST_CAP=--a=b c"}); err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv("DIGITS_TEST_CAP"); got != "--a=b c" {
		t.Errorf("DIGITS_TEST_CAP = %q after SetEnv", got)
	}
}

func TestVectorExtensionsOf(t *testing.T) {
	cpuinfo := "processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512bw\n\nprocessor\t: 1\nflags\t\t: fpu\n"
	if got, want := vectorExtensionsOf(cpuinfo), "sse4_2 avx avx2 fma avx512f avx512bw"; got != want {
		t.Errorf("vectorExtensionsOf = %q, want %q", got, want)
	}
	if got := vectorExtensionsOf("processor\t: 0\n"); got != "" {
		t.Errorf("without a flags line: %q, want empty", got)
	}
}

func TestTableStatesTheCap(t *testing.T) {
	r := &Report{Machine: "Some CPU", CPUExtensions: "avx2 avx512f", Columns: []*Column{{Name: "gomlx"}}}
	var plain bytes.Buffer
	r.WriteTable(&plain)
	if !strings.Contains(plain.String(), "CPU vector extensions: avx2 avx512f\n") || strings.Contains(plain.String(), "CAPPED") {
		t.Errorf("uncapped header:\n%s", plain.String())
	}
	r.MaxISA, r.CapEnv = "avx2", []string{"XLA_FLAGS=--xla_cpu_max_isa=AVX2", "ATEN_CPU_CAPABILITY=avx2"}
	var capped bytes.Buffer
	r.WriteTable(&capped)
	want := "CPU vector extensions: avx2 avx512f; CAPPED AT AVX2 for every framework but the pure-Go backend " +
		"(CPUID not masked: precompiled kernels may still use AVX-512; XLA_FLAGS=--xla_cpu_max_isa=AVX2 ATEN_CPU_CAPABILITY=avx2)\n"
	if !strings.Contains(capped.String(), want) {
		t.Errorf("capped header:\n%s\nwant the line %q", capped.String(), want)
	}
	r.CPUIDMasked = true
	var masked bytes.Buffer
	r.WriteTable(&masked)
	if !strings.Contains(masked.String(), "(CPUID masked: no AVX-512 seen; XLA_FLAGS=") {
		t.Errorf("header with CPUID masked:\n%s", masked.String())
	}
	r.CPUIDMasked, r.CPUExtensions = false, "avx avx2 fma"
	var avx2 bytes.Buffer
	r.WriteTable(&avx2)
	if !strings.Contains(avx2.String(), "CPU vector extensions: avx avx2 fma; CAPPED AT AVX2 for every framework but the pure-Go backend (the CPU has no AVX-512; ") {
		t.Errorf("header on a CPU without AVX-512:\n%s", avx2.String())
	}
}

// TestCPUIDMask runs this test binary again with the CPUID mask library
// preloaded: the child must see AVX2 but no AVX-512, and still handle a Go
// panic from a nil dereference (a SIGSEGV the library passes on to Go).
func TestCPUIDMask(t *testing.T) {
	if os.Getenv("DIGITS_TEST_CPUID_CHILD") != "" {
		if !cpu.X86.HasAVX2 || cpu.X86.HasAVX512F {
			t.Fatalf("under the mask: AVX2 %v, AVX-512F %v; want true, false", cpu.X86.HasAVX2, cpu.X86.HasAVX512F)
		}
		defer func() {
			if recover() == nil {
				t.Error("the nil dereference did not panic")
			}
		}()
		var p *int
		_ = *p
		return
	}
	if !CanMaskCPUID() {
		t.Skip("no AVX-512 to hide, or no CPUID faulting on this machine")
	}
	if _, err := exec.LookPath(envOr("CC", "cc")); err != nil {
		t.Skip("no C compiler")
	}
	lib, err := BuildCPUIDMask()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCPUIDMask$", "-test.v")
	cmd.Env = append(os.Environ(), "LD_PRELOAD="+lib, "DIGITS_TEST_CPUID_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "--- PASS: TestCPUIDMask") {
		t.Fatalf("child under the mask: %v\n%s", err, out)
	}
}
