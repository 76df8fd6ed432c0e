package mnist

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
)

// goBackend returns the pure-Go backend, which every machine has.
func goBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := StartBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Finalize)
	return b
}

// tinyConfig trains on the 10-image fixture in batches of 4 (3 batches an
// epoch, the last one partial), logging every batch.
func tinyConfig(arch Architecture, task Task, opt OptimizerConfig) TrainConfig {
	return TrainConfig{
		Model:     ModelConfig{Arch: arch, Task: task, Hidden: []int{8}, ConvChannels: 2},
		Optimizer: opt,
		Epochs:    4, BatchSize: 4, Seed: 7, LogEvery: 1,
	}
}

func variablesOf(t *testing.T, m *Model) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for v := range m.Store().IterVariables() {
		value, err := v.Value()
		if err != nil {
			continue
		}
		value.ConstBytes(func(data []byte) { out[v.Path()] = bytes.Clone(data) })
	}
	return out
}

func TestTrainLearnsTheFixture(t *testing.T) {
	cfg := tinyConfig(MLP, Classification, OptimizerConfig{Kind: Adam, LearningRate: 0.01})
	cfg.Model.Hidden, cfg.Model.Activation = []int{32}, ReLU
	cfg.Epochs, cfg.BatchSize = 150, 10
	var log bytes.Buffer
	cfg.Log = &log
	m, err := NewModel(goBackend(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	train := loadFixture(t, Train)
	if err := m.Train(train); err != nil {
		t.Fatal(err)
	}
	first, last := m.Losses[0].Loss, m.Losses[len(m.Losses)-1].Loss
	// Ten images with ten labels can be memorised: the loss must fall well
	// below log(10) = 2.30, the loss of a uniform guess.
	if !(last < first/4 && last < 0.5) {
		t.Errorf("loss went from %.3f to %.3f, want below a quarter and below 0.5", first, last)
	}
	if !strings.Contains(log.String(), "epoch 0, batch 0, loss ") || !strings.Contains(log.String(), "epoch 149, batch 0, loss") {
		t.Errorf("log lacks the course's lines:\n%s", log.String())
	}
	ev, err := m.Evaluate(train)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Accuracy != 1 {
		t.Errorf("accuracy on the memorised images is %v, want 1", ev.Accuracy)
	}
}

func TestTrainIsReproducible(t *testing.T) {
	train := loadFixture(t, Train)
	losses := func(seed int64) []LossRecord {
		cfg := tinyConfig(CNN, Regression, OptimizerConfig{})
		cfg.Seed, cfg.Epochs = seed, 2
		m, err := NewModel(goBackend(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Train(train); err != nil {
			t.Fatal(err)
		}
		return m.Losses
	}
	a, b, c := losses(1), losses(1), losses(2)
	if !slices.Equal(a, b) {
		t.Errorf("the same seed gave different losses:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Error("seeds 1 and 2 gave the same losses")
	}
}

// TestResumeMatchesUninterrupted stops a run after epoch 2, saves it, loads
// it and finishes it: losses, step and every variable (the optimizer's state
// included) must equal those of an uninterrupted run, bit for bit.
func TestResumeMatchesUninterrupted(t *testing.T) {
	train := loadFixture(t, Train)
	tests := []struct {
		name string
		cfg  TrainConfig
	}{
		{"mlp sgd", tinyConfig(MLP, Regression, OptimizerConfig{})},
		{"mlp momentum l2", tinyConfig(MLP, Classification, OptimizerConfig{Kind: Momentum, LearningRate: 0.01, L2: 1e-3})},
		{"cnn adam decay", tinyConfig(CNN, Classification, OptimizerConfig{Kind: Adam, LearningRate: 0.01,
			Decay: &PolynomialDecay{EndLR: 0.001, DecaySteps: 12, Power: 1}})},
		{"linear adagrad", tinyConfig(Linear, Regression, OptimizerConfig{Kind: Adagrad, LearningRate: 0.01})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			whole, err := NewModel(goBackend(t), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := whole.Train(train); err != nil {
				t.Fatal(err)
			}

			path := filepath.Join(t.TempDir(), "run.ckpt")
			cfg := tc.cfg
			cfg.Epochs = 2
			cfg.CheckpointPath = path
			first, err := NewModel(goBackend(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := first.Train(train); err != nil {
				t.Fatal(err)
			}
			resumed, err := LoadModel(goBackend(t), path)
			if err != nil {
				t.Fatal(err)
			}
			if resumed.Epoch != 2 || resumed.Step != 6 {
				t.Fatalf("checkpoint is at epoch %d, step %d; want 2, 6", resumed.Epoch, resumed.Step)
			}
			resumed.Config.Epochs = tc.cfg.Epochs
			if err := resumed.Train(train); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(resumed.Losses, whole.Losses) {
				t.Errorf("losses differ:\nresumed       %v\nuninterrupted %v", resumed.Losses, whole.Losses)
			}
			if resumed.Step != whole.Step {
				t.Errorf("step %d, want %d", resumed.Step, whole.Step)
			}
			got, want := variablesOf(t, resumed), variablesOf(t, whole)
			if len(got) != len(want) {
				t.Errorf("resumed run has %d variables, uninterrupted %d", len(got), len(want))
			}
			for path, w := range want {
				if !bytes.Equal(got[path], w) {
					t.Errorf("variable %s differs", path)
				}
			}
		})
	}
}

func TestCheckpointErrors(t *testing.T) {
	m, err := NewModel(goBackend(t), tinyConfig(MLP, Regression, OptimizerConfig{}))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ckpt")
	if err := m.Train(loadFixture(t, Train)); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(good); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	flipped := bytes.Clone(data)
	flipped[len(flipped)/2] ^= 0xff
	tests := []struct {
		name    string
		content []byte // nil: no file
		wantErr string
	}{
		{"missing", nil, "no such file"},
		{"not a checkpoint", []byte("hello"), "not a digits checkpoint"},
		{"truncated", data[:len(data)/2], "checksum mismatch"},
		{"damaged", flipped, "checksum mismatch"},
		{"magic only", []byte(checkpointMagic), "truncated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".ckpt")
			if tc.content != nil {
				os.WriteFile(path, tc.content, 0o644)
			}
			_, err := LoadModel(goBackend(t), path)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
				t.Errorf("got %v, want an error naming %s and containing %q", err, path, tc.wantErr)
			}
		})
	}
	loaded, err := LoadModel(goBackend(t), good)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Config.Model.Arch != MLP || loaded.Epoch != 4 || len(loaded.Losses) != 12 {
		t.Errorf("loaded %v at epoch %d with %d losses, want mlp, 4, 12", loaded.Config.Model, loaded.Epoch, len(loaded.Losses))
	}
}

func TestEvaluateAndPredictAgree(t *testing.T) {
	for _, task := range []Task{Regression, Classification} {
		t.Run(string(task), func(t *testing.T) {
			cfg := tinyConfig(MLP, task, OptimizerConfig{})
			m, err := NewModel(goBackend(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			ds := loadFixture(t, Eval)
			ev, err := m.Evaluate(ds)
			if err != nil {
				t.Fatal(err)
			}
			var images [][]uint8
			for i := range ds.Len() {
				images = append(images, ds.Image(i))
			}
			preds, err := m.Predict(images...)
			if err != nil {
				t.Fatal(err)
			}
			var confusion [NumClasses][NumClasses]int
			correct := 0
			for i, p := range preds {
				confusion[ds.Labels[i]][p.Digit]++
				if p.Digit == int(ds.Labels[i]) {
					correct++
				}
				best := 0
				for d := range NumClasses {
					if p.Scores[d] > p.Scores[best] {
						best = d
					}
				}
				if p.Scores[best] != p.Scores[p.Digit] {
					t.Errorf("image %d: digit %d does not have the best score %v", i, p.Digit, p.Scores)
				}
			}
			if confusion != ev.Confusion || ev.Images != 4 || ev.Accuracy != float64(correct)/4 {
				t.Errorf("Evaluate (%v, %d images) and Predict (%v) disagree", ev.Confusion, ev.Images, confusion)
			}
			if math.IsNaN(ev.Loss) || ev.Loss <= 0 {
				t.Errorf("loss %v, want positive", ev.Loss)
			}
			if _, err := m.Predict(make([]uint8, 10)); err == nil {
				t.Error("Predict with 10 pixels: got no error")
			}
		})
	}
}

func TestLossAndPredictions(t *testing.T) {
	b := goBackend(t)
	tests := []struct {
		task       Task
		outputs    any
		labels     any
		wantLoss   float64
		wantDigits []int32
	}{
		// ((2.5-3)² + (-1-0)² + (6.6-7)²) / 3 = (0.25 + 1 + 0.16) / 3, by
		// hand; 2.5 rounds to the even 2, -1 clips to 0, 6.6 rounds to 7.
		{Regression, [][]float32{{2.5}, {-1}, {6.6}}, []float32{3, 0, 7}, 0.47, []int32{2, 0, 7}},
		// Logits all 0 but one ln(9) for the label: softmax gives the label
		// 9/(9+9) = 0.5, so the loss is ln 2; argmax is the label.
		{Classification, [][]float32{{float32(math.Log(9)), 0, 0, 0, 0, 0, 0, 0, 0, 0}}, []int32{0}, math.Ln2, []int32{0}},
	}
	for _, tc := range tests {
		t.Run(string(tc.task), func(t *testing.T) {
			out, err := graphCall2(b, tc.task, tc.outputs, tc.labels)
			if err != nil {
				t.Fatal(err)
			}
			if got := float64(tensors.ToScalar[float32](out[0])); math.Abs(got-tc.wantLoss) > 1e-5 {
				t.Errorf("loss %v, want %v", got, tc.wantLoss)
			}
			if got := tensors.MustCopyFlatData[int32](out[1]); !slices.Equal(got, tc.wantDigits) {
				t.Errorf("digits %v, want %v", got, tc.wantDigits)
			}
		})
	}
}

func TestModelConfig(t *testing.T) {
	tests := []struct {
		cfg     ModelConfig
		want    string
		wantErr string
	}{
		{ModelConfig{Arch: MLP, Task: Regression}, "mlp regression (784-10-10-1, sigmoid)", ""},
		{ModelConfig{Arch: CNN, Task: Classification}, "cnn classification (20 channels)", ""},
		{ModelConfig{Arch: Linear, Task: Regression}, "linear regression", ""},
		{ModelConfig{Arch: "rnn", Task: Regression}, "", "unknown model"},
		{ModelConfig{Arch: MLP, Task: "ranking"}, "", "unknown task"},
		{ModelConfig{Arch: MLP, Task: Regression, Hidden: []int{0}}, "", "must be positive"},
		{ModelConfig{Arch: MLP, Task: Regression, Activation: "tanh"}, "", "unknown activation"},
		// 784*1e8 + 1e8 (first layer) + 1e8*10 + 10 (second) + 10*1 + 1
		// (output) = 7.95e10 parameters, by hand; 4 bytes each: 318 GB.
		{ModelConfig{Arch: MLP, Task: Regression, Hidden: []int{100_000_000, 10}}, "", "make 7.95e+10 parameters, 318.0 GB as float32"},
		// 784*127551 + 127551 + 127551*1 + 1 = 100,255,306: just above MaxParams.
		{ModelConfig{Arch: MLP, Task: Regression, Hidden: []int{127551}}, "", "at most 100000000"},
		{ModelConfig{Arch: MLP, Task: Regression, Hidden: []int{1 << 62}}, "", "parameters"},
	}
	for _, tc := range tests {
		err := tc.cfg.Validate()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%+v: got error %v, want %q", tc.cfg, err, tc.wantErr)
			}
			continue
		}
		if err != nil || tc.cfg.String() != tc.want {
			t.Errorf("%+v: got %q, %v; want %q", tc.cfg, tc.cfg.String(), err, tc.want)
		}
	}
}

func TestInitialisation(t *testing.T) {
	// Limits by hand: sqrt(6/(784+10)) and sqrt(2/(1*5*5)).
	if got, want := XavierUniformLimit(784, 10), 0.086929; math.Abs(got-want) > 1e-6 {
		t.Errorf("XavierUniformLimit(784, 10) = %v, want %v", got, want)
	}
	if got, want := HeNormalStd(25), 0.282843; math.Abs(got-want) > 1e-6 {
		t.Errorf("HeNormalStd(25) = %v, want %v", got, want)
	}
	m, err := NewModel(goBackend(t), TrainConfig{Model: ModelConfig{Arch: CNN, Task: Regression}})
	if err != nil {
		t.Fatal(err)
	}
	// NewModel created the variables.
	stats := map[string][2]float64{} // path -> mean, std
	for v := range m.Store().IterVariables() {
		data := tensors.MustCopyFlatData[float32](v.MustValue())
		var s, s2 float64
		for _, x := range data {
			s += float64(x)
			s2 += float64(x) * float64(x)
		}
		n := float64(len(data))
		stats[v.Path()] = [2]float64{s / n, math.Sqrt(s2/n - (s/n)*(s/n))}
	}
	for path, wantStd := range map[string]float64{
		"/conv1/weights":  HeNormalStd(25),
		"/conv2/weights":  HeNormalStd(500),
		"/output/weights": XavierUniformLimit(980, 1) / math.Sqrt(3), // std of U(-a, a) is a/√3.
		"/conv1/biases":   0,
	} {
		got := stats[path]
		if math.Abs(got[1]-wantStd) > 0.1*wantStd+1e-9 || math.Abs(got[0]) > 0.2*wantStd+1e-9 {
			t.Errorf("%s: mean %.4f std %.4f, want mean 0 and std %.4f", path, got[0], got[1], wantStd)
		}
	}
}

// TestLoadFormat1Checkpoint loads a checkpoint written by the digits
// command before the optimizer's configuration had JSON names
// (testdata/format1-mlp.ckpt: `digits train -data mnist/testdata -model mlp
// -hidden 8 -task classification -optimizer momentum -lr 0.05 -l2 0.001
// -epochs 2 -batch 4`, pure-Go backend), which printed "valid: 2 images,
// loss 2.2753, accuracy 50.00%" for it; the model evaluates the same today
// and trains on.
func TestLoadFormat1Checkpoint(t *testing.T) {
	m, err := LoadModel(goBackend(t), filepath.Join("testdata", "format1-mlp.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	o := m.Config.Optimizer
	if o.Kind != Momentum || o.LearningRate != 0.05 || o.L2 != 0.001 || m.Epoch != 2 || m.Step != 6 {
		t.Errorf("read %+v at epoch %d, step %d; want momentum, lr 0.05, L2 0.001 at epoch 2, step 6", o, m.Epoch, m.Step)
	}
	ev, err := m.Evaluate(loadFixture(t, Valid))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Images != 2 || ev.Accuracy != 0.5 || math.Abs(ev.Loss-2.2753) > 5e-5 {
		t.Errorf("evaluation %v, want 2 images, loss 2.2753, accuracy 50.00%%", ev)
	}
	m.Config.Epochs = 3
	if err := m.Train(loadFixture(t, Train)); err != nil || m.Step != 9 {
		t.Errorf("training on: step %d, error %v; want step 9", m.Step, err)
	}
}

// TestCheckpointConfigMismatch loads checkpoints whose saved configuration
// does not fit their weights (written by changing a model's configuration
// before saving it): the error names the file, the parameter, both shapes
// and the cause, not GoMLX's internals.
func TestCheckpointConfigMismatch(t *testing.T) {
	tests := []struct {
		name   string
		change func(*ModelConfig)
		want   string
	}{
		{"wider hidden layer", func(c *ModelConfig) { c.Hidden = []int{16} }, "hidden1/weights is [784 8], the network needs [784 16]"},
		{"other task", func(c *ModelConfig) { c.Task = Classification }, "output/weights is [8 1], the network needs [8 10]"},
		{"other network", func(c *ModelConfig) { c.Arch, c.Hidden = CNN, nil }, "output/weights is [8 1], the network needs [98 1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewModel(goBackend(t), tinyConfig(MLP, Regression, OptimizerConfig{}))
			if err != nil {
				t.Fatal(err)
			}
			tc.change(&m.Config.Model)
			path := filepath.Join(t.TempDir(), "mismatch.ckpt")
			if err := m.Save(path); err != nil {
				t.Fatal(err)
			}
			_, err = LoadModel(goBackend(t), path)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), "its weights disagree") {
				t.Errorf("got %v, want an error naming %s and saying %q", err, path, tc.want)
			}
		})
	}
}
