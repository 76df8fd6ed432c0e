package mnist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/godigits/digits/mnist/internal/fast"
)

// The fast path (fast.go, internal/fast) is held to the plain one
// (network.go, step.go, the Loader) by these tests.
//
// Tolerances: the two compute the same sums in another order (a
// channels-last convolution or a matrix product of patches instead of a
// channels-first convolution), so float32 results differ by rounding. A sum
// of k float32 products carries a relative error of order k·2^-24 at worst;
// conv2 sums 500 products (20 channels x 25 taps), which bounds the error
// near 3e-5 relative. The tests allow 1e-4 relative (plus 1e-4 absolute for
// values near zero) on one forward and backward pass. After several training
// steps the rounding differences feed back into the weights; 1e-4 still
// holds over the 9 steps of TestFastPathMatchesPlain.
const fastTolerance = 1e-4

// TestCNNFastMatchesPlain checks that the CNN's fast features, with the
// backend's convolution and with im2col, on the whole batch and in pieces
// (3 images in pieces of 2, the last one smaller, or of 1), give the same
// outputs as the plain network of network.go, and the same gradients for
// every parameter: on random images, and on blank images with one square
// stroke and positive biases, where pooling windows tie.
func TestCNNFastMatchesPlain(t *testing.T) {
	backend := goBackend(t)
	const n = 3
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]float32, n*NumPixels)
	for i := range random {
		random[i] = float32(r.NormFloat64())
	}
	stroke := make([]float32, n*NumPixels)
	for i := range n {
		for y := 8 + 3*i; y < 16+3*i; y++ {
			for x := 10; x < 16; x++ {
				stroke[i*NumPixels+y*ImageSize+x] = 1
			}
		}
	}
	cfg := ModelConfig{Arch: CNN, Task: Classification, ConvChannels: 4}
	for _, input := range []struct {
		name   string
		images []float32
		bias   float32 // Every bias: positive biases make blank windows tie in pooling.
		noise  float64 // Standard deviation of noise added to the biases.
	}{
		{"random images", random, 0, 0.01},
		{"blank images with a stroke", stroke, 0.1, 0.01},
		// Zero biases: blank regions give exactly 0 before the ReLU, where
		// its gradient must be 0 on both paths.
		{"blank images with a stroke, zero biases", stroke, 0, 0},
	} {
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(3))
		if _, err := describe(backend, store, cfg); err != nil {
			t.Fatal(err)
		}
		for v := range store.IterVariables() {
			if v.Name() == string(Biases) {
				data := tensors.MustCopyFlatData[float32](v.MustValue())
				for i := range data {
					data[i] = input.bias + float32(input.noise*r.NormFloat64())
				}
				v.MustSetValue(tensors.FromFlatDataAndDimensions(data, len(data)))
			}
		}
		// Each formulation's outputs, then the gradient of a weighted sum of
		// them with respect to every parameter.
		outputs := func(variant string) [][]float32 {
			exec, err := model.NewExec(backend, store, func(scope *model.Scope, images *graph.Node) []*graph.Node {
				net := &network{scope: scope, config: cfg.WithDefaults()}
				var y *graph.Node
				switch variant {
				case "plain":
					y = net.build(images)
				case "fast":
					y = net.cnnFast(images, false, 0)
				case "fast, im2col":
					y = net.cnnFast(images, true, 0)
				case "fast, in pieces of 2 images":
					y = net.cnnFast(images, false, 2)
				case "fast, im2col, in pieces of 1 image":
					y = net.cnnFast(images, true, 1)
				}
				w := graph.Iota(images.Graph(), y.Shape(), 1)
				var params []*graph.Node
				for _, l := range []Layer{Conv1, Conv2, Output} {
					for _, k := range []ParamKind{Weights, Biases} {
						params = append(params, paramVariable(store, l, k).NodeValue(images.Graph()))
					}
				}
				return append([]*graph.Node{y}, graph.Gradient(graph.ReduceAllSum(graph.Mul(y, w)), params...)...)
			})
			if err != nil {
				t.Fatal(err)
			}
			outs, err := exec.Call(tensors.FromFlatDataAndDimensions(input.images, n, 1, ImageSize, ImageSize))
			if err != nil {
				t.Fatal(err)
			}
			var flats [][]float32
			for _, o := range outs {
				flats = append(flats, tensors.MustCopyFlatData[float32](o))
			}
			return flats
		}
		plain := outputs("plain")
		for _, variant := range []string{"fast", "fast, im2col", "fast, in pieces of 2 images", "fast, im2col, in pieces of 1 image"} {
			got := outputs(variant)
			for i, what := range []string{"outputs", "gradient of conv1's kernels", "of conv1's biases", "of conv2's kernels",
				"of conv2's biases", "of the output layer's weights", "of its biases"} {
				compareClose(t, input.name+", "+variant+": "+what, plain[i], got[i])
			}
		}
	}
}

// compareClose fails unless got equals want within fastTolerance, and
// unless want holds enough non-zero values for the comparison to mean
// something.
func compareClose(t *testing.T, what string, want, got []float32) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	nonZero := 0
	for i := range want {
		if math.Abs(float64(want[i]-got[i])) > fastTolerance*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s[%d] = %g, want %g", what, i, got[i], want[i])
		}
		if want[i] != 0 {
			nonZero++
		}
	}
	if nonZero < len(want)/4 {
		t.Fatalf("%s: only %d of %d values are non-zero: the comparison proves little", what, nonZero, len(want))
	}
}

// TestReluGradient checks the ReLU's gradient is 0 at 0, as in PaddlePaddle.
func TestReluGradient(t *testing.T) {
	exec, err := graph.NewExec(goBackend(t), func(x *graph.Node) []*graph.Node {
		y := relu(x)
		return []*graph.Node{y, graph.Gradient(graph.ReduceAllSum(y), x)[0]}
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Call([]float32{-1, 0, 2})
	if err != nil {
		t.Fatal(err)
	}
	y, g := tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1])
	if !slices.Equal(y, []float32{0, 0, 2}) || !slices.Equal(g, []float32{0, 0, 1}) {
		t.Errorf("relu([-1 0 2]) = %v with gradient %v, want [0 0 2] and [0 0 1]", y, g)
	}
}

// TestFastPathMatchesPlain trains the same run three ways: the plain path
// (the network of network.go, batches built on the host by the Loader), and
// the fast path with one and with three steps per call. The fixture's 10
// training images in batches of 4 leave a partial last batch, which runs on
// its own. Losses, parameters and evaluations must agree.
func TestFastPathMatchesPlain(t *testing.T) {
	train := loadFixture(t, Train)
	for _, arch := range []Architecture{Linear, MLP, CNN} {
		run := func(plain bool, steps int) *Model {
			cfg := tinyConfig(arch, Classification, OptimizerConfig{Kind: Momentum, LearningRate: 0.05})
			cfg.BatchSize, cfg.Epochs = 4, 3
			cfg.Plain, cfg.StepsPerCall = plain, steps
			m, err := NewModel(goBackend(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Train(train); err != nil {
				t.Fatal(err)
			}
			return m
		}
		plain, one, three := run(true, 0), run(false, 1), run(false, 3)
		if len(plain.Losses) != 9 || plain.Step != 9 {
			t.Fatalf("%s: %d losses logged and %d steps, want 9 of each (3 batches x 3 epochs)", arch, len(plain.Losses), plain.Step)
		}
		for name, m := range map[string]*Model{"fast, 1 step per call": one, "fast, 3 steps per call": three} {
			sameTraining(t, fmt.Sprintf("%s, %s", arch, name), plain, m)
		}
		evPlain, err := plain.Evaluate(train)
		if err != nil {
			t.Fatal(err)
		}
		evFast, err := one.Evaluate(train)
		if err != nil {
			t.Fatal(err)
		}
		if evPlain.Images != evFast.Images || evPlain.Accuracy != evFast.Accuracy || evPlain.Confusion != evFast.Confusion ||
			math.Abs(evPlain.Loss-evFast.Loss) > fastTolerance*(1+evPlain.Loss) {
			t.Errorf("%s: evaluation on the plain path gave %v, on the fast path %v", arch, evPlain, evFast)
		}
	}
}

// sameTraining fails unless m took the steps plain took, with the same
// losses and the same variables within fastTolerance.
func sameTraining(t *testing.T, what string, plain, m *Model) {
	t.Helper()
	if m.Step != plain.Step || len(m.Losses) != len(plain.Losses) {
		t.Fatalf("%s: %d steps and %d losses, want %d and %d", what, m.Step, len(m.Losses), plain.Step, len(plain.Losses))
	}
	for i, l := range m.Losses {
		want := plain.Losses[i]
		if l.Epoch != want.Epoch || l.Batch != want.Batch || math.Abs(l.Loss-want.Loss) > fastTolerance*(1+math.Abs(want.Loss)) {
			t.Errorf("%s: loss record %d is %+v, the plain path gave %+v", what, i, l, want)
		}
	}
	pv, mv := variablesOf(t, plain), variablesOf(t, m)
	if len(pv) != len(mv) {
		t.Errorf("%s: %d variables, the plain path has %d", what, len(mv), len(pv))
	}
	for path, data := range pv {
		got := mv[path]
		if len(got) != len(data) {
			t.Errorf("%s: variable %s missing or resized", what, path)
			continue
		}
		if bytes.Equal(got, data) || len(data)%4 != 0 || path == "/optimizers/global_step" {
			continue
		}
		for i := 0; i+4 <= len(data); i += 4 {
			w := math.Float32frombits(binary.LittleEndian.Uint32(data[i:]))
			g := math.Float32frombits(binary.LittleEndian.Uint32(got[i:]))
			if math.Abs(float64(g-w)) > fastTolerance*(1+math.Abs(float64(w))) {
				t.Errorf("%s: %s[%d] = %g, the plain path gave %g", what, path, i/4, g, w)
				break
			}
		}
	}
}

// TestFastCNNInPiecesOnXLA trains the CNN on XLA's CPU backend in batches
// of 250 random images, which the fast path takes in pieces of 100, 100 and
// 50, and checks the losses and weights against the plain path's.
func TestFastCNNInPiecesOnXLA(t *testing.T) {
	backend := cpuBackend(t, 1)
	const n, batch = 500, 250
	r := rand.New(rand.NewPCG(5, 6))
	ds := &Dataset{Mode: Train, Pixels: make([]uint8, n*NumPixels), Labels: make([]uint8, n)}
	for i := range ds.Pixels {
		ds.Pixels[i] = uint8(r.IntN(256))
	}
	for i := range ds.Labels {
		ds.Labels[i] = uint8(r.IntN(NumClasses))
	}
	run := func(plain bool) *Model {
		cfg := tinyConfig(CNN, Classification, OptimizerConfig{Kind: SGD, LearningRate: 0.05})
		cfg.BatchSize, cfg.Epochs, cfg.Plain = batch, 2, plain
		m, err := NewModel(backend, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Train(ds); err != nil {
			t.Fatal(err)
		}
		return m
	}
	plain, pieces := run(true), run(false)
	if got := pieces.CNNChunk(); got != fast.CPUChunk || plain.CNNChunk() != 0 {
		t.Fatalf("pieces of %d images on the fast path and %d on the plain one, want %d and 0", got, plain.CNNChunk(), fast.CPUChunk)
	}
	if plain.Step != 4 {
		t.Fatalf("%d steps, want 4 (2 batches x 2 epochs)", plain.Step)
	}
	sameTraining(t, "CNN at batch 250 in pieces of 100", plain, pieces)
}

// TestCNNChunk checks where the fast CNN takes a batch in pieces: on the
// pure-Go backend, whole, and on the plain path; on XLA's CPU backend, in
// pieces of fast.CPUChunk images (also TestFastCNNInPiecesOnXLA).
func TestCNNChunk(t *testing.T) {
	for _, plain := range []bool{false, true} {
		cfg := tinyConfig(CNN, Classification, OptimizerConfig{Kind: SGD, LearningRate: 0.05})
		cfg.Plain = plain
		m, err := NewModel(goBackend(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.CNNChunk(); got != 0 {
			t.Errorf("pure-Go backend, plain %v: pieces of %d images, want the whole batch (0)", plain, got)
		}
	}
	cfg := tinyConfig(CNN, Classification, OptimizerConfig{Kind: SGD, LearningRate: 0.05})
	m, err := NewModel(cpuBackend(t, 1), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.CNNChunk(); got != fast.CPUChunk {
		t.Errorf("XLA CPU backend: pieces of %d images, want %d", got, fast.CPUChunk)
	}
}

func TestDefaultStepsPerCall(t *testing.T) {
	for _, c := range []struct {
		arch  Architecture
		batch int
		want  int
	}{{CNN, 100, 1}, {MLP, 100, 10}, {Linear, 1000, 1}, {MLP, 64, 15}, {MLP, 5000, 1}} {
		cfg := TrainConfig{Model: ModelConfig{Arch: c.arch, Task: Regression}, BatchSize: c.batch}
		if got := cfg.DefaultStepsPerCall(); got != c.want {
			t.Errorf("%s at batch %d: %d steps per call, want %d", c.arch, c.batch, got, c.want)
		}
	}
	if err := (TrainConfig{Model: ModelConfig{Arch: MLP, Task: Regression}, StepsPerCall: -1}).Validate(); err == nil {
		t.Error("StepsPerCall -1 was accepted")
	}
	// What a model runs: the default off a GPU, the setting when given, one
	// step on the plain path.
	for _, c := range []struct {
		cfg  TrainConfig
		want int
	}{
		{TrainConfig{Model: ModelConfig{Arch: MLP, Task: Regression}, BatchSize: 100}, 10},
		{TrainConfig{Model: ModelConfig{Arch: CNN, Task: Regression}, BatchSize: 100, StepsPerCall: 4}, 4},
		{TrainConfig{Model: ModelConfig{Arch: MLP, Task: Regression}, BatchSize: 100, StepsPerCall: 4, Plain: true}, 1},
	} {
		m, err := NewModel(goBackend(t), c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.StepsPerCall(); got != c.want {
			t.Errorf("%+v: %d steps per call, want %d", c.cfg, got, c.want)
		}
	}
}
