package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/godigits/digits/mnist"
)

// fixtureData returns the tiny MNIST of mnist/testdata (10 train, 2 valid, 4
// eval images) and sets the environment for the pure-Go backend.
func fixtureData(t *testing.T) string {
	t.Helper()
	t.Setenv("GOMLX_BACKEND", "go")
	t.Setenv(mnist.QuickEnv, "")
	data, err := filepath.Abs("../../mnist/testdata")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCommandLineRefusals runs command lines that must end at once, before
// any training or download, with a usage error (exit 2) or an error (exit 1)
// that names the problem, and never with a Go stack trace.
func TestCommandLineRefusals(t *testing.T) {
	data := fixtureData(t)
	dir := t.TempDir()
	// An MLP trained for 2 epochs, to resume: 3 batches of 4 per epoch.
	mlp := filepath.Join(dir, "mlp.ckpt")
	if code, _, stderr := runCaptured(t, "train", "-model", "mlp", "-task", "classification", "-epochs", "2", "-batch", "4",
		"-data", data, "-checkpoint", mlp); code != 0 {
		t.Fatalf("training the MLP to resume: exit %d\n%s", code, stderr)
	}
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "fresh.ckpt")
	train := func(args ...string) []string {
		return append([]string{"train", "-data", data}, args...)
	}
	resume := func(args ...string) []string {
		return append([]string{"train", "-resume", "-data", data, "-checkpoint", mlp}, args...)
	}
	// Each wantStderr was read off the command's output once and checked
	// by hand against the flag's meaning.
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"epochs 0", train("-epochs", "0", "-checkpoint", fresh), 2, "-epochs 0: must be at least 1"},
		{"batch 0", train("-batch", "0", "-checkpoint", fresh), 2, "-batch 0: must be at least 1"},
		{"lr 0", train("-lr", "0", "-checkpoint", fresh), 2, "-lr 0: must be a positive number"},
		{"lr NaN", train("-lr", "NaN", "-checkpoint", fresh), 2, "-lr NaN: must be a positive number"},
		{"data empty", train("-data", "", "-checkpoint", fresh), 2, `-data "": must name a directory`},
		{"decay-to negative", train("-decay-to", "-1", "-checkpoint", fresh), 2, "-decay-to -1: must be 0 (no decay) or a positive number"},
		{"seed 0", train("-seed", "0", "-checkpoint", fresh), 2, "-seed 0: 0 stands for the default seed, 4"},
		{"log-every 0", train("-log-every", "0", "-checkpoint", fresh), 2, "-log-every 0: must be at least 1"},
		{"momentum with sgd", train("-momentum", "0.5", "-checkpoint", fresh), 2, "-momentum 0.5: applies to -optimizer momentum only"},
		{"hidden with the cnn", train("-hidden", "20", "-checkpoint", fresh), 2, "-hidden 20: applies to -model mlp only"},
		{"devices 0", train("-devices", "0", "-checkpoint", fresh), 2, "-devices 0: must be a number of devices (1, 2, ...) or all"},
		{"devices not a number", train("-devices", "two", "-checkpoint", fresh), 2, "-devices two: must be a number of devices (1, 2, ...) or all"},
		{"devices on the pure-Go backend", train("-devices", "2", "-checkpoint", fresh), 1, "the pure-Go backend has one device, 2 asked"},
		{"resume, devices on the pure-Go backend", resume("-epochs", "3", "-devices", "2"), 1, "the pure-Go backend has one device, 2 asked"},
		{"bench devices 0", []string{"bench", "-devices", "1,0"}, 2, `-devices "1,0": want numbers of devices like 1,2,4`},
		{"bench peer-device unknown", []string{"bench", "-peer-device", "tpu"}, 2, `-peer-device "tpu": want cpu, cuda or auto`},
		{"bench max-isa unknown", []string{"bench", "-max-isa", "avx1024"}, 2, `-max-isa: unknown instruction set "avx1024": want one of avx2`},
		{"checkpoint empty", train("-checkpoint", ""), 2, `-checkpoint "": must name a file`},
		{"checkpoint is a directory", train("-checkpoint", dir), 2, "is a directory: give the name of a file in it, such as " + filepath.Join(dir, "cnn-regression.ckpt")},
		{"plot is a directory", train("-checkpoint", fresh, "-plot", dir), 2, "-plot " + dir + " is a directory"},
		{"checkpoint under a file", train("-checkpoint", filepath.Join(file, "x.ckpt")), 1, "-checkpoint " + filepath.Join(file, "x.ckpt") + ": mkdir " + file + ": not a directory"},
		{"plot of an unknown format", train("-checkpoint", fresh, "-plot", filepath.Join(dir, "x.pdf")), 2, "-plot " + filepath.Join(dir, "x.pdf") + ": want a .svg or .png file"},
		{"plot under a file", train("-checkpoint", fresh, "-plot", filepath.Join(file, "x.svg")), 1, "-plot " + filepath.Join(file, "x.svg") + ": mkdir " + file + ": not a directory"},
		// 784*1e8 + 1e8 + 1e8*1 + 1 = 7.86e10 parameters, by hand.
		{"hidden too large", train("-model", "mlp", "-hidden", "100000000", "-checkpoint", fresh), 2, "make 7.86e+10 parameters, 314.4 GB as float32"},
		{"resume a missing checkpoint", train("-resume", "-checkpoint", fresh), 1, "-resume: " + fresh + ": no such file"},
		{"resume, another model", resume("-model", "cnn"), 2, "-model cnn conflicts with " + mlp + ", trained with -model mlp"},
		{"resume, another task", resume("-task", "regression"), 2, "-task regression conflicts with " + mlp + ", trained with -task classification"},
		{"resume, another optimizer", resume("-optimizer", "adam"), 2, "-optimizer adam conflicts with " + mlp + ", trained with -optimizer sgd"},
		{"resume, another lr", resume("-lr", "0.5"), 2, "-lr 0.5 conflicts with " + mlp + ", trained with -lr 0.01"},
		{"resume, another batch", resume("-batch", "100"), 2, "-batch 100 conflicts with " + mlp + ", trained with -batch 4"},
		{"resume, another seed", resume("-seed", "5"), 2, "-seed 5 conflicts with " + mlp + ", trained with -seed 4"},
		{"resume, other hidden sizes", resume("-hidden", "20"), 2, "-hidden 20 conflicts with " + mlp + ", trained with -hidden 10,10"},
		{"resume, epochs already done", resume("-epochs", "1"), 2, "-epochs 1 is the total number of epochs to reach, and " + mlp + " has trained 2: nothing is left to do"},
		{"resume, all epochs done", resume(), 2, mlp + " has trained all its 2 epochs: nothing is left to do; pass -epochs 3"},
		{"new run on an existing checkpoint", train("-checkpoint", mlp), 1, "exists: pass -resume"},
		{"predict an empty name", []string{"predict", "-checkpoint", mlp, ""}, 1, `mnist: "": an empty file name`},
		{"export to a directory", []string{"export", "-checkpoint", mlp, "-data", data, "-o", dir}, 2, "-o " + dir + " is a directory"},
		// 1e9 images * 784 pixels * 4 bytes = 3.1 TB, by hand.
		{"export batch too large", []string{"export", "-checkpoint", mlp, "-batch", "1000000000"}, 2, "needs 3.1 TB of float32 images per call"},
		{"eval, data empty", []string{"eval", "-checkpoint", mlp, "-data", ""}, 2, `-data "": must name a directory`},
		{"json to a directory", []string{"json", "-data", data, "-o", dir}, 2, "-o " + dir + " is a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCaptured(t, tc.args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("digits %q: exit %d, stderr:\n%s\nwant exit %d and %q\nstdout:\n%s", tc.args, code, stderr, tc.wantCode, tc.wantStderr, stdout)
			}
			if strings.Contains(stderr, "goroutine ") {
				t.Errorf("a Go stack trace reached the user:\n%s", stderr)
			}
			if strings.Contains(stdout, "epoch 0, batch 0") {
				t.Errorf("training started before the refusal:\n%s", stdout)
			}
		})
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a refused run left %s: %v", fresh, err)
	}
}

// TestTrainClaimsTheCheckpoint checks that a run on a checkpoint that a live
// process holds is refused at start, that a lock left by a process that has
// ended is taken over, and that temporary files left by a killed run are
// removed.
func TestTrainClaimsTheCheckpoint(t *testing.T) {
	data := fixtureData(t)
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "linear.ckpt")
	host, _ := os.Hostname()
	args := []string{"train", "-model", "linear", "-epochs", "1", "-batch", "4", "-data", data, "-checkpoint", ckpt}

	live := fmt.Sprintf("pid %d\nhost %s\nstarted 2026-01-01T00:00:00Z\n", os.Getpid(), host)
	if err := os.WriteFile(ckpt+".lock", []byte(live), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCaptured(t, args...)
	want := fmt.Sprintf("%s is in use by another run (pid %d on %s", ckpt, os.Getpid(), host)
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("with a live lock: exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr, want)
	}

	// A pid above the kernel's limit (4194304 on Linux) belongs to no process.
	stale := fmt.Sprintf("pid 99999999\nhost %s\nstarted 2026-01-01T00:00:00Z\n", host)
	if err := os.WriteFile(ckpt+".lock", []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(dir, ".linear.ckpt.tmp-123")
	if err := os.WriteFile(orphan, []byte("half a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCaptured(t, args...)
	if code != 0 {
		t.Fatalf("with a stale lock: exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "removed "+orphan) {
		t.Errorf("stderr does not say %s was removed:\n%s", orphan, stderr)
	}
	for _, gone := range []string{orphan, ckpt + ".lock"} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s is still there after the run: %v", gone, err)
		}
	}
}

// TestDecayTo checks that -decay-to decays over the run: its epochs times
// its batches per epoch (10 training images in batches of 4: 3 batches, 2
// in quick mode).
func TestDecayTo(t *testing.T) {
	data := fixtureData(t)
	for _, tc := range []struct {
		name  string
		extra []string
		want  string
	}{
		{"full", nil, "0.01 decaying linearly to 0.001 over the run's 6 steps (2 epochs x 3 batches)"},
		{"quick", []string{"-quick", "2"}, "over the run's 4 steps (2 epochs x 2 batches)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"train", "-model", "linear", "-epochs", "2", "-batch", "4", "-decay-to", "0.001",
				"-data", data, "-checkpoint", filepath.Join(t.TempDir(), "decay.ckpt")}, tc.extra...)
			code, stdout, stderr := runCaptured(t, args...)
			if code != 0 || !strings.Contains(stdout, tc.want) {
				t.Errorf("exit %d, stdout:\n%s\nwant exit 0 and %q; stderr:\n%s", code, stdout, tc.want, stderr)
			}
		})
	}
}
