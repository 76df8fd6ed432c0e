package bench

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	"github.com/godigits/digits/mnist"
)

// fixtureDir is the mnist package's test data: 12 training images (10 in
// the train split, 2 in valid) and 4 test images.
const fixtureDir = "../../mnist/testdata"

func goBackend(t *testing.T) compute.Backend {
	t.Helper()
	b, err := mnist.StartBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Finalize)
	return b
}

// fakePeer writes a peer script that answers for every case of the spec
// with fixed figures, or fails when fail is set.
func fakePeer(t *testing.T, fail bool) string {
	t.Helper()
	broken := "False"
	if fail {
		broken = "True"
	}
	script := `import json, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
spec = json.load(open(args["--spec"]))
print("fake peer running", args["--framework"], file=sys.stderr)
if ` + broken + `:
    sys.exit("fake peer: broken")
cases = [{"name": c["name"], "steady_images_per_s": 1000.0, "epoch_s": 2.0, "steps": 2, "images": 10,
          "losses": [1.0, 2.0], "eval_images_per_s": 500.0, "eval_accuracy": 0.5} for c in spec["cases"]]
json.dump({"framework": args["--framework"], "version": "0.0", "threads": 2, "device": "cpu", "cases": cases},
          open(args["--out"], "w"))
`
	path := filepath.Join(t.TempDir(), "peer.py")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readOrder reads an order file of the spec: int32 little-endian sample numbers.
func readOrder(t *testing.T, path string) []int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	order := make([]int, len(data)/4)
	for i := range order {
		order[i] = int(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return order
}

func python(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("DIGITS_PYTHON"); p != "" {
		return p
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 for the peer protocol test")
	}
	return p
}

func smokeOptions(t *testing.T, peerScript string) Options {
	return Options{
		Cases:       Cases([]mnist.Architecture{mnist.Linear, mnist.MLP, mnist.CNN}, []mnist.Task{mnist.Regression, mnist.Classification}, []int{5}),
		Seed:        3,
		WarmupSteps: 1, LossSteps: 2, MaxSteps: 2,
		StepsPerCall: 1, // Two calls: a steady-state time after the first.
		Plain:        true,
		Peers:        []string{"torch"},
		Python:       python(t), PeerScript: peerScript,
		Dir: t.TempDir(),
	}
}

// TestRunWritesSpecAndReport runs the benchmark on the fixture with a fake
// peer: every case must have figures in every column, the spec must hold
// the epoch's order and each case's initial weights, and the table and the
// JSON must carry the ratios.
func TestRunWritesSpecAndReport(t *testing.T) {
	o := smokeOptions(t, fakePeer(t, false))
	r, err := Run(goBackend(t), fixtureDir, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Columns) != 3 || r.Columns[0].Name != "gomlx" || r.Columns[1].Name != "gomlx-plain" || r.Columns[2].Name != "torch" {
		t.Fatalf("columns %v, want gomlx, gomlx-plain, torch", r.Columns)
	}
	for _, c := range r.Columns {
		for _, cs := range o.Cases {
			res := c.Results[cs.Name()]
			if res.Error != "" || res.SteadyImagesPS <= 0 || res.Steps != 2 || len(res.Losses) != 2 {
				t.Errorf("%s %s: %+v", c.Name, cs.Name(), res)
			}
		}
	}
	// Both GoMLX paths train the same model on the same batches (the
	// tolerance of mnist's fast-path tests).
	for _, cs := range o.Cases {
		a, b := r.Columns[0].Results[cs.Name()], r.Columns[1].Results[cs.Name()]
		if d := MaxRelDiff(a.Losses, b.Losses); d > 1e-4 {
			t.Errorf("%s: the fast and plain paths differ in their losses by %g: %v, %v", cs.Name(), d, a.Losses, b.Losses)
		}
	}

	var spec struct {
		TrainCount int    `json:"train_count"`
		Order      string `json:"order"`
		Cases      []specCase
	}
	data, err := os.ReadFile(filepath.Join(o.Dir, "spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	order := readOrder(t, spec.Order)
	sorted := slices.Sorted(slices.Values(order))
	if spec.TrainCount != 10 || !slices.Equal(sorted, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) || slices.IsSorted(order) {
		t.Errorf("order %v (train_count %d): want a shuffled permutation of the 10 training images", order, spec.TrainCount)
	}
	if len(spec.Cases) != len(o.Cases) {
		t.Fatalf("spec has %d cases, want %d", len(spec.Cases), len(o.Cases))
	}
	for _, c := range spec.Cases {
		for _, p := range c.Params {
			st, err := os.Stat(p.File)
			n := 4
			for _, d := range p.Shape {
				n *= d
			}
			if err != nil || st.Size() != int64(n) {
				t.Errorf("%s: parameter %s %v: file %s: %v, size want %d", c.Name, p.Name, p.Shape, p.File, err, n)
			}
		}
	}

	var table bytes.Buffer
	r.WriteTable(&table)
	for _, want := range []string{"SMOKE RUN", "| linear-regression-b5", "vs torch", "cnn-classification-b5"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	out := filepath.Join(t.TempDir(), "bench.json")
	if err := r.WriteJSON(out); err != nil {
		t.Fatal(err)
	}
	var back Report
	if data, err = os.ReadFile(out); err != nil || json.Unmarshal(data, &back) != nil || len(back.Columns) != 3 {
		t.Errorf("the JSON report does not read back: %v", err)
	}
}

// TestSpecMatchesNumpy recomputes, in numpy with the peers' own spec reader,
// the first loss of the linear and MLP cases from the spec (initial weights,
// order, pixel scale): it must equal GoMLX's first loss. This checks the
// layouts the peers rely on, without needing their frameworks.
func TestSpecMatchesNumpy(t *testing.T) {
	py := python(t)
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skipf("%s has no numpy", py)
	}
	o := smokeOptions(t, fakePeer(t, false))
	o.Cases = Cases([]mnist.Architecture{mnist.Linear, mnist.MLP}, []mnist.Task{mnist.Regression, mnist.Classification}, []int{5})
	o.Plain = false
	r, err := Run(goBackend(t), fixtureDir, o)
	if err != nil {
		t.Fatal(err)
	}
	script := `import sys
sys.path.insert(0, sys.argv[1])
import common, numpy as np
spec = common.load_spec(sys.argv[2])
data = common.load_data(spec)
order = common.load_order(spec.order, spec.train_count)[0]  # epoch 0
for name, case, err in common.case_entries(spec):
    params = common.load_params(case)
    rows = order[:case.batch]
    out = common.numpy_forward(case, params, data.train_x[rows])
    print(name, common.numpy_loss(out, data.train_y[rows], case.task))
`
	cmd := exec.Command(py, "-c", script, "../../bench/peers", filepath.Join(o.Dir, "spec.json"))
	outBytes, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("numpy check: %v\n%s", err, outBytes)
	}
	got := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(outBytes)), "\n") {
		name, value, _ := strings.Cut(line, " ")
		want, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("numpy check printed %q", line)
		}
		res := r.Columns[0].Results[name]
		if len(res.Losses) == 0 || MaxRelDiff(res.Losses[:1], []float64{want}) > 1e-5 {
			t.Errorf("%s: GoMLX's first loss %v, numpy from the spec %v", name, res.Losses, want)
		}
		got++
	}
	if got != len(o.Cases) {
		t.Errorf("numpy checked %d cases, want %d:\n%s", got, len(o.Cases), outBytes)
	}
}

// TestBrokenPeer checks that a peer that fails gives a column with its
// error, and the run goes on.
func TestBrokenPeer(t *testing.T) {
	o := smokeOptions(t, fakePeer(t, true))
	o.Cases = o.Cases[:1]
	o.Plain = false
	r, err := Run(goBackend(t), fixtureDir, o)
	if err != nil {
		t.Fatal(err)
	}
	peer := r.Columns[len(r.Columns)-1]
	if peer.Name != "torch" || !strings.Contains(peer.Error, "broken") {
		t.Errorf("broken peer column: %+v", peer)
	}
	var table bytes.Buffer
	r.WriteTable(&table)
	if !strings.Contains(table.String(), "ERROR") {
		t.Errorf("table does not show the peer's error:\n%s", table.String())
	}
}

// TestDevicesColumns checks that -devices adds one column per number of
// devices, each timing every case, and that a number the backend cannot
// give (the pure-Go backend has one device) is an error in its column, not
// the end of the run.
func TestDevicesColumns(t *testing.T) {
	o := Options{
		Cases:       Cases([]mnist.Architecture{mnist.Linear}, []mnist.Task{mnist.Regression}, []int{4}),
		Seed:        3,
		WarmupSteps: 1, LossSteps: 2, MaxSteps: 2,
		Devices: []int{1, 2},
		Dir:     t.TempDir(),
	}
	r, err := Run(goBackend(t), fixtureDir, o)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range r.Columns {
		names = append(names, c.Name)
	}
	if want := []string{"gomlx", "gomlx-devices-1", "gomlx-devices-2"}; !slices.Equal(names, want) {
		t.Fatalf("columns %v, want %v", names, want)
	}
	name := o.Cases[0].Name()
	one, two := r.Columns[1].Results[name], r.Columns[2].Results[name]
	// The plain path computes the fast path's losses up to float32
	// rounding (mnist's TestFastPathMatchesPlain).
	same := func(a, b []float64) bool {
		return len(a) == len(b) && len(a) > 0 && math.Abs(a[0]-b[0]) <= 1e-5*math.Abs(b[0]) && math.Abs(a[len(a)-1]-b[len(b)-1]) <= 1e-5*math.Abs(b[len(b)-1])
	}
	if want := r.Columns[0].Results[name].Losses; one.Error != "" || one.Steps != 2 || !same(one.Losses, want) {
		t.Errorf("gomlx-devices-1: %+v, want 2 steps with gomlx's losses %v", one, want)
	}
	if !strings.Contains(two.Error, "the pure-Go backend has one device, 2 asked") {
		t.Errorf("gomlx-devices-2 on the pure-Go backend: error %q, want the backend's device count", two.Error)
	}
}

// TestSteadyStateStartsAtACallsEnd: the steps of one executable call end
// together, so the steady state starts at the end of the call that finishes
// the warm-up; an epoch of a single call has none.
func TestSteadyStateStartsAtACallsEnd(t *testing.T) {
	backend := goBackend(t)
	train, err := mnist.Load(fixtureDir, mnist.Train)
	if err != nil {
		t.Fatal(err)
	}
	valid, err := mnist.Load(fixtureDir, mnist.Valid)
	if err != nil {
		t.Fatal(err)
	}
	c := Case{Arch: mnist.Linear, Task: mnist.Regression, Batch: 1} // 10 steps
	for _, k := range []int{2, 5, 10} {
		o := Options{Seed: 3, WarmupSteps: 3, LossSteps: 2, StepsPerCall: k}
		res, _, err := runGoMLX(backend, train, valid, c, o, false, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if res.Steps != 10 || res.StepsPerCall != k {
			t.Errorf("%d steps per call: %d steps, %d per call", k, res.Steps, res.StepsPerCall)
		}
		if got := res.SteadyImagesPS > 0; got != (k < 10) {
			t.Errorf("%d steps per call over 10 steps: steady state %g images/s", k, res.SteadyImagesPS)
		}
	}
}

func TestStepsPerCallNote(t *testing.T) {
	cases := Cases([]mnist.Architecture{mnist.MLP, mnist.CNN}, []mnist.Task{mnist.Regression}, []int{100})
	col := func(ks ...int) *Column {
		c := &Column{Results: map[string]Result{}}
		for i, k := range ks {
			c.Results[cases[i].Name()] = Result{StepsPerCall: k}
		}
		return c
	}
	for _, c := range []struct {
		col  *Column
		want string
	}{
		{col(1, 1), ", 1 training step per call"},
		{col(25, 25), ", 25 training steps per call"},
		{col(10, 1), ", training steps per call: 10 for mlp-regression-b100; 1 for cnn-regression-b100"},
		{col(), ""},
	} {
		if got := stepsPerCallNote(c.col, cases); got != c.want {
			t.Errorf("stepsPerCallNote = %q, want %q", got, c.want)
		}
	}
}

func TestPiecesNote(t *testing.T) {
	cases := Cases([]mnist.Architecture{mnist.CNN}, []mnist.Task{mnist.Regression}, []int{100, 1000})
	col := func(chunk int) *Column {
		c := &Column{Results: map[string]Result{}}
		for _, cs := range cases {
			c.Results[cs.Name()] = Result{CNNChunk: chunk}
		}
		return c
	}
	// A batch of 100 in pieces of 100 is whole: only the batch of 1000 is named.
	if got, want := piecesNote(col(100), cases), ", CNN batches in pieces of 100 images for cnn-regression-b1000"; got != want {
		t.Errorf("piecesNote = %q, want %q", got, want)
	}
	if got := piecesNote(col(0), cases); got != "" {
		t.Errorf("piecesNote with whole batches = %q, want nothing", got)
	}
}

// TestRunSeveralEpochs: with Epochs 2 the spec's order file holds both
// epochs' orders (the ones training draws), and GoMLX trains both epochs.
func TestRunSeveralEpochs(t *testing.T) {
	o := smokeOptions(t, fakePeer(t, false))
	o.Cases = Cases([]mnist.Architecture{mnist.Linear}, []mnist.Task{mnist.Regression}, []int{5})
	o.MaxSteps, o.Epochs, o.Plain = 0, 2, false
	r, err := Run(goBackend(t), fixtureDir, o)
	if err != nil {
		t.Fatal(err)
	}
	res := r.Columns[0].Results["linear-regression-b5"]
	if res.Error != "" || res.Steps != 4 || res.EpochS <= 0 || r.Options.Epochs != 2 {
		t.Errorf("gomlx over 2 epochs of 2 steps: %+v, options %+v", res, r.Options)
	}
	got := readOrder(t, filepath.Join(o.Dir, "order.i32"))
	train, err := mnist.Load(fixtureDir, mnist.Train)
	if err != nil {
		t.Fatal(err)
	}
	loader, err := mnist.NewLoader(train, mnist.LoaderConfig{Shuffle: true, Seed: uint64(o.Seed)})
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for epoch := range 2 {
		want = append(want, loader.Order(epoch)...)
	}
	if !slices.Equal(got, want) || slices.Equal(want[:10], want[10:]) {
		t.Errorf("order file %v, want the orders of epochs 0 and 1, %v", got, want)
	}
	spec, err := os.ReadFile(filepath.Join(o.Dir, "spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(spec), `"epochs": 2`) {
		t.Errorf("spec without epochs 2:\n%s", spec)
	}
}
