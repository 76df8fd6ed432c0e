// cpuidmask: an LD_PRELOAD library that makes a process see a CPU without
// AVX-512 (and AMX) on a machine that has it, so that every library in it
// (XLA's kernels, YNNPACK, oneDNN, MKL, LLVM's host detection) picks its
// AVX2 code paths, as on a CPU with AVX2 only.
//
// It asks the kernel to trap the CPUID instruction (arch_prctl
// ARCH_SET_CPUID, Linux 4.12+, CPUs and hypervisors with CPUID faulting:
// the "cpuid_fault" flag of /proc/cpuinfo). Each CPUID then raises SIGSEGV;
// the handler executes it with trapping off, clears the AVX-512 and AMX
// bits of leaf 7, and resumes after the instruction. The setting is per
// thread and inherited by threads created later, so it is made in the
// library's constructor, before the program starts any thread; execve
// clears it, so child processes need LD_PRELOAD too.
//
// The handler must stay first for SIGSEGV: sigaction() is wrapped so that
// a handler the program installs later (the Go runtime's, Python's
// faulthandler) is kept aside and called for every fault that is not a
// CPUID.
//
//   cc -O2 -shared -fPIC -o libcpuidmask.so cpuidmask.c
//   CPUIDMASK_VERBOSE=1 LD_PRELOAD=$PWD/libcpuidmask.so program

#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef ARCH_SET_CPUID
#define ARCH_SET_CPUID 0x1012
#endif

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

static sigaction_fn real_sigaction;
static struct sigaction next_segv;  // the program's own SIGSEGV handler
static int active;
static volatile long trapped;       // CPUIDs emulated, for CPUIDMASK_VERBOSE

static void real_cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

// mask clears the features newer than AVX2 from CPUID leaf 7.
static void mask(unsigned leaf, unsigned sub, unsigned r[4]) {
  if (leaf != 7) return;
  if (sub == 0) {
    // EBX: AVX512F 16, DQ 17, IFMA 21, PF 26, ER 27, CD 28, BW 30, VL 31.
    r[1] &= ~((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31));
    // ECX: AVX512_VBMI 1, VBMI2 6, VNNI 11, BITALG 12, VPOPCNTDQ 14.
    r[2] &= ~((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14));
    // EDX: AVX512_4VNNIW 2, 4FMAPS 3, VP2INTERSECT 8, AMX_BF16 22, AVX512_FP16 23, AMX_TILE 24, AMX_INT8 25.
    r[3] &= ~((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) | (1u << 25));
  } else if (sub == 1) {
    // EAX: AVX_VNNI 4, AVX512_BF16 5.
    r[0] &= ~((1u << 4) | (1u << 5));
  }
}

static void on_segv(int sig, siginfo_t *info, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  const unsigned char *ip = (const unsigned char *)g[REG_RIP];
  if (ip != NULL && ip[0] == 0x0f && ip[1] == 0xa2) {
    unsigned r[4];
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
    real_cpuid((unsigned)g[REG_RAX], (unsigned)g[REG_RCX], r);
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
    mask((unsigned)g[REG_RAX], (unsigned)g[REG_RCX], r);
    g[REG_RAX] = r[0];
    g[REG_RBX] = r[1];
    g[REG_RCX] = r[2];
    g[REG_RDX] = r[3];
    g[REG_RIP] += 2;
    __atomic_add_fetch(&trapped, 1, __ATOMIC_RELAXED);
    return;
  }
  // Any other fault: the program's handler, else the default action.
  if (next_segv.sa_flags & SA_SIGINFO) {
    if (next_segv.sa_sigaction != NULL) {
      next_segv.sa_sigaction(sig, info, ctx);
      return;
    }
  } else if (next_segv.sa_handler != SIG_DFL && next_segv.sa_handler != SIG_IGN) {
    next_segv.sa_handler(sig);
    return;
  }
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  real_sigaction(SIGSEGV, &dfl, NULL);  // returning re-executes the fault
}

// sigaction keeps this library's SIGSEGV handler installed: the program's
// is kept as next_segv and reported back as if it were installed.
int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  if (real_sigaction == NULL) real_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
  if (!active || sig != SIGSEGV) return real_sigaction(sig, act, old);
  if (old != NULL) *old = next_segv;
  if (act != NULL) next_segv = *act;
  return 0;
}

static void report(void) {
  if (getenv("CPUIDMASK_VERBOSE") != NULL)
    fprintf(stderr, "cpuidmask: %ld CPUID instructions answered without AVX-512\n", trapped);
}

__attribute__((constructor)) static void cpuidmask_init(void) {
  real_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
  memset(&next_segv, 0, sizeof next_segv);
  next_segv.sa_handler = SIG_DFL;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (real_sigaction(SIGSEGV, &sa, NULL) != 0) return;
  if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0) {
    fprintf(stderr, "cpuidmask: this CPU or kernel cannot trap CPUID (no cpuid_fault): AVX-512 stays visible\n");
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    real_sigaction(SIGSEGV, &dfl, NULL);
    return;
  }
  active = 1;
  atexit(report);
}
