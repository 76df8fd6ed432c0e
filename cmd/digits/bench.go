package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/cpu"

	"github.com/godigits/digits/internal/bench"
	"github.com/godigits/digits/mnist"
)

func runBench(args []string) error {
	fs := newFlagSet("bench", "", "Time training and evaluation of the course's models on GoMLX and, in the same run, on the\n"+
		"peer frameworks (PyTorch, JAX, PaddlePaddle) with the same initial weights and batch order.\n"+
		"Prints Markdown tables and writes the report as JSON. `make bench` installs the peers and runs it.")
	var (
		models, tasks, batches, peers, python, peerScript, dir, out, dataDir, backendName string
		devices, maxISA, peerDevice                                                       string
		warmup, lossSteps, steps, goImages, stepsPerCall, epochs                          int
		seed                                                                              int64
		plain                                                                             bool
	)
	fs.StringVar(&models, "models", "linear,mlp,cnn", "models to time: linear, mlp, cnn")
	fs.StringVar(&tasks, "tasks", "regression,classification", "tasks: regression, classification")
	fs.StringVar(&batches, "batches", "100,1000", "batch sizes")
	fs.StringVar(&peers, "peers", "torch,jax,paddle", "peer frameworks to run (empty: none)")
	fs.StringVar(&peerDevice, "peer-device", "auto", "where the peers train: cpu, cuda (the first NVIDIA GPU), or auto: cuda when GoMLX's backend runs on CUDA, else cpu")
	fs.StringVar(&python, "python", envOr("DIGITS_BENCH_PYTHON", "python3"), "Python interpreter of the peers' environment (default $DIGITS_BENCH_PYTHON)")
	fs.StringVar(&peerScript, "peer-script", defaultPeerScript(), "path of bench/peers/run_peer.py")
	fs.StringVar(&dir, "dir", "", "folder for the spec, the initial weights and the peers' results (default: a temporary folder)")
	fs.StringVar(&out, "o", "bench.json", "write the report as JSON to this file")
	fs.IntVar(&warmup, "warmup", 10, "steps left out of the steady-state throughput")
	fs.IntVar(&lossSteps, "loss-steps", 5, "first losses compared between frameworks")
	fs.IntVar(&epochs, "epochs", 1, "epochs each framework trains per case: the steady state runs over all of them (more for steadier figures where an epoch is short, as on a GPU)")
	fs.IntVar(&steps, "steps", 0, "smoke run: cut every epoch and evaluation to this many batches (0: whole epochs)")
	fs.IntVar(&stepsPerCall, "steps-per-call", 0, "training steps per call of GoMLX's compiled executable on the fast path (0: mnist's default, Model.StepsPerCall: 25 on a GPU, else TrainConfig.DefaultStepsPerCall)")
	fs.IntVar(&goImages, "go-images", 2000, "also time the pure-Go backend on this many images per case (0: skip)")
	fs.Int64Var(&seed, "seed", mnist.DefaultSeed, "seed of the initial weights and of the batch order")
	fs.BoolVar(&plain, "plain", true, "also time GoMLX's plain path (mnist/network.go's layers, batches built on the host)")
	fs.StringVar(&devices, "devices", "", "also time the plain path data parallel on these numbers of devices of the backend, like 1,2,4 (empty: none)")
	fs.StringVar(&maxISA, "max-isa", "", "cap every framework's instruction set at this one, as on a CPU without AVX-512: "+
		strings.Join(bench.MaxISAs(), ", ")+" (empty: what the CPU has)")
	dataDirFlag(fs, &dataDir)
	backendFlag(fs, &backendName)
	if err := parse(fs, args); err != nil {
		return err
	}
	capEnv, err := bench.CapEnv(maxISA, os.Getenv("XLA_FLAGS"))
	if err != nil {
		return usageError{fmt.Errorf("-max-isa: %v", err)}
	}

	o := bench.Options{Seed: seed, WarmupSteps: warmup, LossSteps: lossSteps, MaxSteps: steps, Plain: plain,
		GoImages: goImages, Python: python, PeerScript: peerScript, Dir: dir, Log: os.Stderr,
		MaxISA: strings.ToLower(maxISA), CapEnv: capEnv}
	var archs []mnist.Architecture
	for _, s := range splitList(models) {
		if err := (mnist.ModelConfig{Arch: mnist.Architecture(s), Task: mnist.Regression}).Validate(); err != nil {
			return usageError{fmt.Errorf("-models: %v", err)}
		}
		archs = append(archs, mnist.Architecture(s))
	}
	var taskList []mnist.Task
	for _, s := range splitList(tasks) {
		if err := (mnist.ModelConfig{Arch: mnist.Linear, Task: mnist.Task(s)}).Validate(); err != nil {
			return usageError{fmt.Errorf("-tasks: %v", err)}
		}
		taskList = append(taskList, mnist.Task(s))
	}
	var sizes []int
	for _, s := range splitList(batches) {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return usageError{fmt.Errorf("-batches %q: want positive sizes like 100,1000", batches)}
		}
		sizes = append(sizes, n)
	}
	for _, s := range splitList(devices) {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return usageError{fmt.Errorf("-devices %q: want numbers of devices like 1,2,4", devices)}
		}
		o.Devices = append(o.Devices, n)
	}
	o.Cases = bench.Cases(archs, taskList, sizes)
	if len(o.Cases) == 0 {
		return usageError{fmt.Errorf("no case to run: give -models, -tasks and -batches")}
	}
	for _, p := range splitList(peers) {
		switch p {
		case "torch", "jax", "paddle":
			o.Peers = append(o.Peers, p)
		default:
			return usageError{fmt.Errorf("-peers: unknown framework %q: want torch, jax or paddle", p)}
		}
	}
	switch peerDevice {
	case "auto", "cpu", "cuda":
	default:
		return usageError{fmt.Errorf("-peer-device %q: want cpu, cuda or auto", peerDevice)}
	}
	if len(o.Peers) > 0 {
		if _, err := os.Stat(peerScript); err != nil {
			return fmt.Errorf("peer script: %w (set -peer-script, or run from the repository)", err)
		}
	}
	if warmup < 1 || lossSteps < 1 || epochs < 1 || steps < 0 || goImages < 0 || stepsPerCall < 0 {
		return usageError{fmt.Errorf("-warmup, -loss-steps and -epochs must be at least 1, -steps, -go-images and -steps-per-call not negative")}
	}
	o.StepsPerCall, o.Epochs = stepsPerCall, epochs
	if steps > 0 && steps <= warmup {
		warmup = max(1, steps-1)
		o.WarmupSteps = warmup
	}
	if o.Dir == "" {
		tmp, err := os.MkdirTemp("", "digits-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		o.Dir = tmp
	}

	if err := mnist.Ensure(dataDir); err != nil {
		return err
	}
	// With a cap on a machine with AVX-512, the command runs itself again
	// with CPUID masked, so that the precompiled kernels see no AVX-512
	// either; the run goes on unmasked where that cannot be done.
	if maxISA != "" && os.Getenv(bench.CPUIDMaskEnv) == "" && cpu.X86.HasAVX512F {
		err := execWithCPUIDMask()
		fmt.Fprintf(os.Stderr, "bench: -max-isa: CPUID not masked (%v): precompiled kernels may still use AVX-512\n", err)
	}
	o.CPUIDMasked = bench.CPUIDMasked()
	// The cap goes into the environment before the backend starts (XLA reads
	// XLA_FLAGS when its client is created); the peers inherit it.
	if err := bench.SetEnv(capEnv); err != nil {
		return err
	}
	backend, err := startBackend(backendName)
	if err != nil {
		return err
	}
	defer backend.Finalize()
	o.PeerDevice = peerDevice
	if peerDevice == "auto" {
		o.PeerDevice = "cpu"
		if mnist.IsCUDA(backend) {
			o.PeerDevice = "cuda"
		}
	}
	for _, n := range o.Devices {
		if err := mnist.CheckDevices(backend, n, 0); err != nil {
			return fmt.Errorf("-devices: %w", err)
		}
	}
	if goImages > 0 && !mnist.IsPureGo(backend) {
		goBackend, err := mnist.StartBackend("go")
		if err != nil {
			return err
		}
		defer goBackend.Finalize()
		o.GoBackend = goBackend
	}
	report, err := bench.Run(backend, dataDir, o)
	if err != nil {
		return err
	}
	fmt.Println()
	report.WriteTable(os.Stdout)
	if err := report.WriteJSON(out); err != nil {
		return err
	}
	fmt.Printf("\nreport: %s\n", out)
	return nil
}

// execWithCPUIDMask replaces this process with the same command run with
// the CPUID mask library preloaded (bench.BuildCPUIDMask); it returns only
// if that cannot be done.
func execWithCPUIDMask() error {
	if !bench.CanMaskCPUID() {
		return fmt.Errorf("the kernel does not report CPUID faulting (cpuid_fault in /proc/cpuinfo)")
	}
	lib, err := bench.BuildCPUIDMask()
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	preload := lib
	if old := os.Getenv("LD_PRELOAD"); old != "" {
		preload += ":" + old
	}
	env := append(os.Environ(), "LD_PRELOAD="+preload, bench.CPUIDMaskEnv+"="+lib)
	fmt.Fprintf(os.Stderr, "bench: -max-isa: running again with CPUID masked (LD_PRELOAD=%s)\n", lib)
	return syscall.Exec(exe, os.Args, env)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// defaultPeerScript is bench/peers/run_peer.py of the repository in
// $DIGITS_ROOT, else of the current directory.
func defaultPeerScript() string {
	return filepath.Join(envOr("DIGITS_ROOT", "."), "bench", "peers", "run_peer.py")
}
