// Package bench times the course's models on GoMLX and, in the same run,
// on PyTorch, JAX and PaddlePaddle: training throughput at steady state,
// the time of a whole epoch (compilation included), and evaluation.
//
// Every framework trains the same network from the same initial weights on
// the same batches in the same order: the Go side writes a spec (initial
// variables and the epoch's sample order) that the peer scripts of
// bench/peers read, and the first losses of every run are compared, so a
// ratio in the table is between two runs of the same computation.
package bench

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/godigits/digits/mnist"
)

// Case is one model at one batch size.
type Case struct {
	Arch  mnist.Architecture `json:"arch"`
	Task  mnist.Task         `json:"task"`
	Batch int                `json:"batch"`
}

// Name is the case's name, for example "cnn-classification-b100".
func (c Case) Name() string { return fmt.Sprintf("%s-%s-b%d", c.Arch, c.Task, c.Batch) }

// Cases returns every combination of the given architectures, tasks and
// batch sizes.
func Cases(archs []mnist.Architecture, tasks []mnist.Task, batches []int) []Case {
	var cases []Case
	for _, a := range archs {
		for _, t := range tasks {
			for _, b := range batches {
				cases = append(cases, Case{Arch: a, Task: t, Batch: b})
			}
		}
	}
	return cases
}

// Result is what one framework measured for one case. The JSON field names
// are those the peer scripts write.
type Result struct {
	Name           string    `json:"name"`
	FirstStepS     float64   `json:"first_step_s,omitempty"`        // Step 0, compilation included.
	EpochS         float64   `json:"epoch_s,omitempty"`             // The whole run of Steps steps, from the start.
	Steps          int       `json:"steps,omitempty"`               // Training steps run.
	Images         int       `json:"images,omitempty"`              // Images trained on.
	SteadyImagesPS float64   `json:"steady_images_per_s,omitempty"` // After the warm-up steps.
	StepsPerCall   int       `json:"steps_per_call,omitempty"`      // GoMLX: training steps per executable call.
	CNNChunk       int       `json:"cnn_chunk,omitempty"`           // GoMLX: images per piece of a CNN batch (0: whole).
	Losses         []float64 `json:"losses,omitempty"`              // Losses of the first steps.
	LastLoss       float64   `json:"last_loss,omitempty"`
	EvalImagesPS   float64   `json:"eval_images_per_s,omitempty"`
	EvalLoss       float64   `json:"eval_loss,omitempty"`
	EvalAccuracy   float64   `json:"eval_accuracy,omitempty"`
	Error          string    `json:"error,omitempty"`
}

// Options configures a run.
type Options struct {
	Cases []Case
	// Seed of the initial weights and of the epoch's order.
	Seed int64
	// WarmupSteps are left out of the steady-state throughput; LossSteps is
	// how many first losses are compared between frameworks.
	WarmupSteps, LossSteps int
	// MaxSteps, when positive, cuts every epoch (and evaluation) to that
	// many batches: a smoke run. 0 runs whole epochs.
	MaxSteps int
	// Plain also times GoMLX on the model's plain path (TrainConfig.Plain:
	// the network as mnist/network.go writes it, batches built on the host).
	Plain bool
	// Devices adds, for each N, a column gomlx-devices-N: GoMLX's plain
	// path trained data parallel on N devices of the backend
	// (TrainConfig.Devices; chapter 6). A case whose batch does not split
	// evenly over N gets an error in that column.
	Devices []int
	// GoBackend, when set, also times the pure-Go backend on GoImages images
	// per case (it is too slow for whole epochs of the CNN).
	GoBackend compute.Backend
	GoImages  int
	// Peers are the frameworks to run ("torch", "jax", "paddle") with
	// Python, the interpreter of an environment that has them, and
	// PeerScript the path of bench/peers/run_peer.py.
	Peers              []string
	Python, PeerScript string
	// Epochs is how many epochs every framework trains (at least 1): the
	// steady state runs over all of them, the epoch time is the first one's.
	Epochs int
	// StepsPerCall is how many training steps one call of GoMLX's compiled
	// executable runs on the fast path (0: mnist's default).
	StepsPerCall int
	// PeerDevice is where the peers train: "cpu", or "cuda" for the first
	// NVIDIA GPU (run_peer.py --device).
	PeerDevice string
	// Dir receives the spec, the initial weights and the peers' results.
	Dir string
	// Log receives progress lines.
	Log io.Writer
	// MaxISA is the instruction set every framework was capped at ("avx2"),
	// by the variables CapEnv, set in the environment before the backend
	// started; empty when each uses what the CPU has.
	MaxISA string
	CapEnv []string
	// CPUIDMasked says that the run's processes saw CPUID without AVX-512
	// (CPUIDMasked, cpuidmask.go).
	CPUIDMasked bool
}

// Column is one framework (or GoMLX variant) of the report.
type Column struct {
	Name    string            `json:"name"`    // "gomlx", "gomlx-plain", "gomlx-go", "torch", ...
	Version string            `json:"version"` // Framework version.
	Device  string            `json:"device"`
	Threads int               `json:"threads,omitempty"`
	Note    string            `json:"note,omitempty"`
	Results map[string]Result `json:"results"` // By case name.
	Error   string            `json:"error,omitempty"`
}

// Report is the outcome of a run: one column per framework.
type Report struct {
	Date    string `json:"date"`
	Machine string `json:"machine"`
	Cores   int    `json:"cores"`
	Go      string `json:"go"`
	GoMLX   string `json:"gomlx"`
	Backend string `json:"backend"`
	// CPUExtensions are the CPU's vector extensions (from /proc/cpuinfo);
	// MaxISA, CapEnv and CPUIDMasked the cap of Options, if any.
	CPUExtensions string   `json:"cpu_extensions"`
	MaxISA        string   `json:"max_isa,omitempty"`
	CapEnv        []string `json:"cap_env,omitempty"`
	CPUIDMasked   bool     `json:"cpuid_masked,omitempty"`
	Cases         []Case   `json:"cases"`
	Options       struct {
		Seed        int64 `json:"seed"`
		WarmupSteps int   `json:"warmup_steps"`
		Epochs      int   `json:"epochs"`
		LossSteps   int   `json:"loss_steps"`
		MaxSteps    int   `json:"max_steps"`
	} `json:"options"`
	Columns []*Column `json:"columns"`
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format, args...)
	}
}

// Run runs the benchmark: GoMLX on backend (and its variants), then the
// peers, and returns the report. dataDir holds the MNIST files.
func Run(backend compute.Backend, dataDir string, o Options) (*Report, error) {
	train, err := mnist.Load(dataDir, mnist.Train)
	if err != nil {
		return nil, err
	}
	valid, err := mnist.Load(dataDir, mnist.Valid)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	o.Epochs = max(1, o.Epochs)
	r := newReport(backend, o)
	order, err := writeOrder(o, train)
	if err != nil {
		return nil, err
	}

	ours := &Column{Name: "gomlx", Version: r.GoMLX, Device: backend.Name(), Note: "data set on the backend"}
	r.Columns = append(r.Columns, ours)
	var specCases []specCase
	err = timeColumn(ours, backend, train, valid, o, false, 1, nil, func(c Case, params map[string]*tensors.Tensor) error {
		sc, err := writeParams(o.Dir, c, params)
		specCases = append(specCases, sc)
		return err
	})
	if err != nil {
		return nil, err
	}
	ours.Note += stepsPerCallNote(ours, o.Cases) + piecesNote(ours, o.Cases)
	if o.Plain {
		col := &Column{Name: "gomlx-plain", Version: r.GoMLX, Device: backend.Name(), Note: "plain path: network.go's layers, batches built on the host"}
		r.Columns = append(r.Columns, col)
		if err := timeColumn(col, backend, train, valid, o, true, 1, nil, nil); err != nil {
			return nil, err
		}
	}
	for _, n := range o.Devices {
		col := &Column{Name: fmt.Sprintf("gomlx-devices-%d", n), Version: r.GoMLX, Device: fmt.Sprintf("%s x %d", backend.Name(), n),
			Note: fmt.Sprintf("plain path, data parallel, devices: %d", n)}
		r.Columns = append(r.Columns, col)
		if err := timeColumn(col, backend, train, valid, o, true, n, nil, nil); err != nil {
			return nil, err
		}
	}
	if o.GoBackend != nil {
		col := &Column{Name: "gomlx-go", Version: r.GoMLX, Device: o.GoBackend.Name(),
			Note: fmt.Sprintf("pure-Go backend, %d images per case", o.GoImages)}
		r.Columns = append(r.Columns, col)
		// One warm-up step, then enough steps for GoImages images (two at
		// least): the pure-Go backend compiles nothing, and its CNN is slow.
		goOpts := o
		goOpts.WarmupSteps, goOpts.Epochs = 1, 1
		steps := func(c Case) int { return max(2, (o.GoImages+c.Batch-1)/c.Batch) }
		if err := timeColumn(col, o.GoBackend, train, valid, goOpts, false, 1, steps, nil); err != nil {
			return nil, err
		}
	}

	if len(o.Peers) > 0 {
		specPath, err := writeSpec(o, dataDir, order, valid.Len(), specCases)
		if err != nil {
			return nil, err
		}
		for _, peer := range o.Peers {
			o.logf("bench: %s\n", peer)
			r.Columns = append(r.Columns, runPeer(o, peer, specPath))
		}
	}
	return r, nil
}

// stepsPerCallNote says how many training steps one call ran, per case
// when that differs between cases.
func stepsPerCallNote(col *Column, cases []Case) string {
	byK := map[int][]string{}
	var ks []int
	for _, c := range cases {
		k := col.Results[c.Name()].StepsPerCall
		if k == 0 {
			continue
		}
		if byK[k] == nil {
			ks = append(ks, k)
		}
		byK[k] = append(byK[k], c.Name())
	}
	switch len(ks) {
	case 0:
		return ""
	case 1:
		if ks[0] == 1 {
			return ", 1 training step per call"
		}
		return fmt.Sprintf(", %d training steps per call", ks[0])
	}
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%d for %s", k, strings.Join(byK[k], " ")))
	}
	return ", training steps per call: " + strings.Join(parts, "; ")
}

// piecesNote says which cases' batches went through the CNN in pieces.
func piecesNote(col *Column, cases []Case) string {
	var names []string
	chunk := 0
	for _, c := range cases {
		if k := col.Results[c.Name()].CNNChunk; k > 0 && c.Batch > k {
			names = append(names, c.Name())
			chunk = k
		}
	}
	if names == nil {
		return ""
	}
	return fmt.Sprintf(", CNN batches in pieces of %d images for %s", chunk, strings.Join(names, " "))
}

// timeColumn times every case on backend into col: on the plain path or
// not, on devices devices, cut to steps(case) steps when steps is not nil. A case that fails
// gets its error in col; onParams, when not nil, receives each case's initial
// weights, and an error it returns ends the run.
func timeColumn(col *Column, backend compute.Backend, train, valid *mnist.Dataset, o Options, plain bool, devices int,
	steps func(Case) int, onParams func(Case, map[string]*tensors.Tensor) error) error {
	col.Results = map[string]Result{}
	for _, c := range o.Cases {
		o.logf("bench: %s %s\n", col.Name, c.Name())
		maxSteps := 0
		if steps != nil {
			maxSteps = steps(c)
		}
		res, params, err := runGoMLX(backend, train, valid, c, o, plain, devices, maxSteps)
		if err != nil {
			res = Result{Name: c.Name(), Error: err.Error()}
		}
		col.Results[c.Name()] = res
		if params != nil && onParams != nil {
			if err := onParams(c, params); err != nil {
				return err
			}
		}
	}
	return nil
}

// runGoMLX trains a fresh model of case c, on devices devices, for one epoch (or maxSteps steps,
// or o.MaxSteps) and evaluates it on valid. It returns the measurements and
// the model's initial variables.
func runGoMLX(backend compute.Backend, train, valid *mnist.Dataset, c Case, o Options, plain bool, devices, maxSteps int) (Result, map[string]*tensors.Tensor, error) {
	res := Result{Name: c.Name()}
	steps := train.Len() / c.Batch
	if o.MaxSteps > 0 {
		steps = min(steps, o.MaxSteps)
	}
	if maxSteps > 0 {
		steps = min(steps, maxSteps)
	}
	var times []time.Time
	cfg := mnist.TrainConfig{
		Model:        mnist.ModelConfig{Arch: c.Arch, Task: c.Task},
		Epochs:       max(1, o.Epochs),
		BatchSize:    c.Batch,
		DropLast:     true,
		Seed:         o.Seed,
		MaxBatches:   steps,
		LogEvery:     math.MaxInt32,
		Plain:        plain,
		Devices:      devices,
		StepsPerCall: o.StepsPerCall,
		OnBatch: func(p mnist.Progress) {
			times = append(times, time.Now())
			if len(res.Losses) < o.LossSteps {
				res.Losses = append(res.Losses, p.Loss)
			}
			res.LastLoss = p.Loss
		},
	}
	m, err := mnist.NewModel(backend, cfg)
	if err != nil {
		return res, nil, err
	}
	// The initial weights, which the peers start from.
	all, err := m.Params()
	if err != nil {
		return res, nil, err
	}
	params := map[string]*tensors.Tensor{}
	for _, p := range all {
		params[p.Path()] = tensors.FromFlatDataAndDimensions(p.Values, p.Dims...)
	}

	start := time.Now()
	if err := m.Train(train); err != nil {
		return res, nil, err
	}
	end := time.Now()
	res.Steps, res.Images = len(times), len(times)*c.Batch
	res.FirstStepS = times[0].Sub(start).Seconds()
	res.EpochS = end.Sub(start).Seconds()
	if len(times) > steps { // Several epochs of steps steps: the first one.
		res.EpochS = times[steps-1].Sub(start).Seconds()
	}
	// The steps of one call end together: the warm-up ends at a call's end.
	k := m.StepsPerCall()
	res.StepsPerCall = k
	res.CNNChunk = m.CNNChunk()
	if w := (o.WarmupSteps + k - 1) / k * k; len(times) > w && w > 0 {
		res.SteadyImagesPS = float64((len(times)-w)*c.Batch) / times[len(times)-1].Sub(times[w-1]).Seconds()
	}

	evalDS := valid
	if limit := steps * c.Batch; limit < valid.Len() && (o.MaxSteps > 0 || maxSteps > 0) {
		evalDS = &mnist.Dataset{Mode: valid.Mode, Pixels: valid.Pixels[:limit*mnist.NumPixels], Labels: valid.Labels[:limit]}
	}
	if _, err := m.Evaluate(evalDS); err != nil { // Warm-up: compiles, uploads.
		return res, nil, err
	}
	evalStart := time.Now()
	ev, err := m.Evaluate(evalDS)
	if err != nil {
		return res, nil, err
	}
	res.EvalImagesPS = float64(ev.Images) / time.Since(evalStart).Seconds()
	res.EvalLoss, res.EvalAccuracy = ev.Loss, ev.Accuracy
	return res, params, nil
}

// specCase is a case as the peers read it.
type specCase struct {
	Name         string      `json:"name"`
	Arch         string      `json:"arch"`
	Task         string      `json:"task"`
	Batch        int         `json:"batch"`
	LearningRate float64     `json:"learning_rate"`
	Hidden       []int       `json:"hidden"`
	Activation   string      `json:"activation"`
	Channels     int         `json:"channels"`
	Params       []specParam `json:"params"`
}

type specParam struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	File  string `json:"file"`
}

// writeParams writes the initial variables of case c as raw float32 files.
func writeParams(dir string, c Case, params map[string]*tensors.Tensor) (specCase, error) {
	mc := mnist.ModelConfig{Arch: c.Arch, Task: c.Task}.WithDefaults()
	sc := specCase{Name: c.Name(), Arch: string(c.Arch), Task: string(c.Task), Batch: c.Batch,
		LearningRate: mnist.DefaultLearningRate, Hidden: mnist.DefaultHidden, Activation: string(mnist.Sigmoid), Channels: mnist.DefaultConvChannels}
	if mc.Hidden != nil {
		sc.Hidden, sc.Activation = mc.Hidden, string(mc.Activation)
	}
	caseDir := filepath.Join(dir, "params", c.Name())
	if err := os.MkdirAll(caseDir, 0o755); err != nil {
		return sc, err
	}
	for _, name := range sortedKeys(params) {
		t := params[name]
		file := filepath.Join(caseDir, strings.ReplaceAll(name, "/", ".")+".f32")
		data := tensors.MustCopyFlatData[float32](t)
		if err := writeFile(file, float32Bytes(data)); err != nil {
			return sc, err
		}
		sc.Params = append(sc.Params, specParam{Name: name, Shape: t.Shape().Dimensions, File: file})
	}
	return sc, nil
}

// writeOrder writes the first epoch's sample order (the order every
// framework trains in) and returns it.
func writeOrder(o Options, train *mnist.Dataset) ([]int, error) {
	loader, err := mnist.NewLoader(train, mnist.LoaderConfig{Shuffle: true, Seed: uint64(o.Seed)})
	if err != nil {
		return nil, err
	}
	// Each epoch's order, as training draws them, one after the other.
	var data []byte
	for epoch := range o.Epochs {
		for _, v := range loader.Order(epoch) {
			data = binary.LittleEndian.AppendUint32(data, uint32(v))
		}
	}
	return loader.Order(0), writeFile(filepath.Join(o.Dir, "order.i32"), data)
}

// writeSpec writes the spec the peer scripts read, and returns its path.
func writeSpec(o Options, dataDir string, order []int, validCount int, cases []specCase) (string, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", err
	}
	spec := map[string]any{
		"version":      1,
		"train_images": filepath.Join(abs, mnist.TrainImagesFile),
		"train_labels": filepath.Join(abs, mnist.TrainLabelsFile),
		"train_count":  len(order),
		"valid_offset": len(order),
		"valid_count":  validCount,
		"scale":        "zero_to_one",
		"order":        filepath.Join(o.Dir, "order.i32"),
		"warmup_steps": o.WarmupSteps,
		"loss_steps":   o.LossSteps,
		"max_steps":    o.MaxSteps,
		"epochs":       o.Epochs,
		"cases":        cases,
	}
	data, err := json.MarshalIndent(spec, "", " ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(o.Dir, "spec.json")
	return path, writeFile(path, data)
}
