package mnist

import (
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/gomlx/gomlx/ml/train"
)

// The tiny model of the optimizer tests: one variable w, initialized to
// optW0, and the loss sum(w*x) + 0.5*sum(w*w), whose gradient is x + w.
var (
	optW0 = []float32{1, -2, 0.5}
	optX  = []float32{0.5, 1, -1}
)

// The optimizer also works with train.Trainer.AccumulateGradients.
var _ train.OptimizeWithGradients = (*courseOptimizer)(nil)

func optQuadraticLoss(scope *model.Scope, x *graph.Node) *graph.Node {
	w := scope.VariableWithValue("w", optW0).NodeValue(x.Graph())
	return graph.Add(graph.ReduceAllSum(graph.Mul(w, x)),
		graph.MulScalar(graph.ReduceAllSum(graph.Square(w)), 0.5))
}

func optBackend(t *testing.T) compute.Backend {
	t.Helper()
	backend, err := StartBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	return backend
}

// optTrain runs n training steps of the tiny model on store with the
// optimizer of c, and returns w after each step.
func optTrain(t *testing.T, backend compute.Backend, store *model.Store, c OptimizerConfig, n int) [][]float32 {
	t.Helper()
	opt, err := NewOptimizer(c)
	if err != nil {
		t.Fatalf("NewOptimizer(%+v): %v", c, err)
	}
	lossFn := func(_, predictions []*graph.Node) *graph.Node { return predictions[0] }
	trainer := train.NewTrainer(backend, store, optQuadraticLoss, lossFn, opt, nil, nil)
	var ws [][]float32
	for range n {
		x := tensors.MustFromAnyValue(optX)
		if _, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{x}}); err != nil {
			t.Fatalf("TrainStep: %v", err)
		}
		w := store.GetVariable("/w").MustValue().Value().([]float32)
		ws = append(ws, append([]float32(nil), w...))
	}
	return ws
}

// optWant works out by hand, in float64, w after each of n steps, following
// PaddlePaddle's documented update rules for the gradient x + w + L2*w. It
// deliberately does not call the code under test.
func optWant(c OptimizerConfig, n int) [][]float64 {
	mu := c.Momentum
	if mu == 0 {
		mu = 0.9
	}
	const b1, b2 = 0.9, 0.999
	w := []float64{1, -2, 0.5}
	x := []float64{0.5, 1, -1}
	s1, s2 := make([]float64, 3), make([]float64, 3) // velocity/moments.
	var out [][]float64
	for step := range n {
		lr := c.LearningRate
		if d := c.Decay; d != nil {
			p := d.Power
			if p == 0 {
				p = 1
			}
			frac := 1 - math.Min(float64(step), float64(d.DecaySteps))/float64(d.DecaySteps)
			lr = (c.LearningRate-d.EndLR)*math.Pow(frac, p) + d.EndLR
		}
		t := float64(step + 1)
		for i := range w {
			g := x[i] + w[i] + c.L2*w[i]
			switch c.Kind {
			case "", SGD:
				w[i] -= lr * g
			case Momentum:
				s1[i] = mu*s1[i] + g
				w[i] -= lr * s1[i]
			case Adagrad:
				s1[i] += g * g
				w[i] -= lr * g / (math.Sqrt(s1[i]) + 1e-6)
			case Adam:
				s1[i] = b1*s1[i] + (1-b1)*g
				s2[i] = b2*s2[i] + (1-b2)*g*g
				lrT := lr * math.Sqrt(1-math.Pow(b2, t)) / (1 - math.Pow(b1, t))
				w[i] -= lrT * s1[i] / (math.Sqrt(s2[i]) + 1e-8*math.Sqrt(1-math.Pow(b2, t)))
			}
		}
		out = append(out, append([]float64(nil), w...))
	}
	return out
}

func optClose(got float32, want float64) bool {
	return math.Abs(float64(got)-want) <= 1e-5*math.Max(1, math.Abs(want))
}

func optCheck(t *testing.T, step int, got []float32, want []float64) {
	t.Helper()
	for i := range want {
		if !optClose(got[i], want[i]) {
			t.Errorf("after step %d: got w = %v, want %v", step+1, got, want)
			return
		}
	}
}

func TestOptimizerSteps(t *testing.T) {
	backend := optBackend(t)
	for _, tc := range []struct {
		name string
		c    OptimizerConfig
	}{
		{"sgd", OptimizerConfig{Kind: SGD, LearningRate: 0.1}},
		{"default kind", OptimizerConfig{LearningRate: 0.1}},
		{"momentum", OptimizerConfig{Kind: Momentum, LearningRate: 0.1}},
		{"momentum 0.5", OptimizerConfig{Kind: Momentum, LearningRate: 0.1, Momentum: 0.5}},
		{"momentum+L2", OptimizerConfig{Kind: Momentum, LearningRate: 0.1, L2: 0.1}},
		{"adagrad", OptimizerConfig{Kind: Adagrad, LearningRate: 0.1}},
		{"adam", OptimizerConfig{Kind: Adam, LearningRate: 0.01}},
		{"adam+L2", OptimizerConfig{Kind: Adam, LearningRate: 0.01, L2: 0.5}},
		{"sgd+PolynomialDecay", OptimizerConfig{Kind: SGD, LearningRate: 0.1,
			Decay: &PolynomialDecay{EndLR: 0.01, DecaySteps: 2}}},
		{"adam+PolynomialDecay^2", OptimizerConfig{Kind: Adam, LearningRate: 0.1,
			Decay: &PolynomialDecay{EndLR: 0.001, DecaySteps: 4, Power: 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := optTrain(t, backend, model.NewStore(), tc.c, 3)
			want := optWant(tc.c, 3) // By hand, see optWant.
			for step := range want {
				optCheck(t, step, got[step], want[step])
			}
		})
	}
}

// TestOptimizerWorkedOnPaper checks a few steps against values worked out on
// paper, which also checks optWant. The gradient of the first step is
// x + w0 = [1.5, -1, -0.5].
func TestOptimizerWorkedOnPaper(t *testing.T) {
	backend := optBackend(t)
	for _, tc := range []struct {
		name string
		c    OptimizerConfig
		step int // 0-based
		want []float64
	}{
		// w0 - 0.1*[1.5, -1, -0.5].
		{"sgd", OptimizerConfig{Kind: SGD, LearningRate: 0.1}, 0, []float64{0.85, -1.9, 0.55}},
		// v1 = g1 = [1.5, -1, -0.5]; w1 = [0.85, -1.9, 0.55]; g2 = x + w1 = [1.35, -0.9, -0.45];
		// v2 = 0.9*v1 + g2 = [2.7, -1.8, -0.9]; w2 = w1 - 0.1*v2.
		{"momentum", OptimizerConfig{Kind: Momentum, LearningRate: 0.1}, 1, []float64{0.58, -1.72, 0.64}},
		// m = g*g, so w1 = w0 - 0.1*g/(|g| + 1e-6) ≈ w0 - 0.1*sign(g).
		{"adagrad", OptimizerConfig{Kind: Adagrad, LearningRate: 0.1}, 0, []float64{0.9, -1.9, 0.6}},
		// m = 0.1*g, v = 0.001*g*g, lr_t = 0.01*sqrt(0.001)/0.1, so w1 ≈ w0 - 0.01*sign(g).
		{"adam", OptimizerConfig{Kind: Adam, LearningRate: 0.01}, 0, []float64{0.99, -1.99, 0.51}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := optTrain(t, backend, model.NewStore(), tc.c, tc.step+1)
			optCheck(t, tc.step, got[tc.step], tc.want)
		})
	}
}

func TestLearningRateAt(t *testing.T) {
	decay := &PolynomialDecay{EndLR: 0.001, DecaySteps: 10}
	square := &PolynomialDecay{EndLR: 0.001, DecaySteps: 10, Power: 2}
	for _, tc := range []struct {
		name  string
		decay *PolynomialDecay
		step  int
		want  float64 // By hand: (0.01-0.001)*(1-min(step,10)/10)^power + 0.001.
	}{
		{"constant step 0", nil, 0, 0.01},
		{"constant step 1000", nil, 1000, 0.01},
		{"decay step 0", decay, 0, 0.01},
		{"decay step 5", decay, 5, 0.0055},     // 0.009*0.5 + 0.001
		{"decay step 10", decay, 10, 0.001},    // 0.009*0 + 0.001
		{"decay step 20", decay, 20, 0.001},    // min(20, 10) = 10
		{"decay^2 step 5", square, 5, 0.00325}, // 0.009*0.25 + 0.001
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := OptimizerConfig{Kind: SGD, LearningRate: 0.01, Decay: tc.decay}
			if got := c.LearningRateAt(tc.step); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("LearningRateAt(%d) = %v, want %v", tc.step, got, tc.want)
			}
		})
	}
}

func TestOptimizerValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		c       OptimizerConfig
		wantErr bool
	}{
		{"sgd", OptimizerConfig{LearningRate: 0.1}, false},
		{"full", OptimizerConfig{Kind: Momentum, LearningRate: 0.1, Momentum: 0.5, L2: 0.01,
			Decay: &PolynomialDecay{EndLR: 0, DecaySteps: 100, Power: 0.5}}, false},
		{"zero learning rate", OptimizerConfig{Kind: Adam}, true},
		{"negative learning rate", OptimizerConfig{Kind: Adam, LearningRate: -0.1}, true},
		{"NaN learning rate", OptimizerConfig{Kind: Adam, LearningRate: math.NaN()}, true},
		{"unknown kind", OptimizerConfig{Kind: "rmsprop", LearningRate: 0.1}, true},
		{"upper-case kind", OptimizerConfig{Kind: "Adam", LearningRate: 0.1}, true},
		{"momentum 1", OptimizerConfig{Kind: Momentum, LearningRate: 0.1, Momentum: 1}, true},
		{"negative momentum", OptimizerConfig{Kind: Momentum, LearningRate: 0.1, Momentum: -0.1}, true},
		{"negative L2", OptimizerConfig{LearningRate: 0.1, L2: -1e-4}, true},
		{"zero decay steps", OptimizerConfig{LearningRate: 0.1, Decay: &PolynomialDecay{EndLR: 0.01}}, true},
		{"negative end lr", OptimizerConfig{LearningRate: 0.1, Decay: &PolynomialDecay{EndLR: -0.01, DecaySteps: 10}}, true},
		{"negative power", OptimizerConfig{LearningRate: 0.1, Decay: &PolynomialDecay{DecaySteps: 10, Power: -1}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate()
			if (err != nil) != tc.wantErr {
				t.Fatalf("Validate() = %v, want error: %v", err, tc.wantErr)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "mnist: ") {
				t.Errorf("got error %q, want the prefix \"mnist: \"", err)
			}
			if _, nerr := NewOptimizer(tc.c); (nerr != nil) != tc.wantErr {
				t.Errorf("NewOptimizer() = %v, want error: %v", nerr, tc.wantErr)
			}
		})
	}
}

func TestParseOptimizer(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want OptimizerKind // "" means an error.
	}{
		{"sgd", SGD}, {"momentum", Momentum}, {"adagrad", Adagrad}, {"adam", Adam}, {"Adam", Adam},
		{"", ""}, {"rmsprop", ""}, {"adamw", ""}, {" sgd", ""},
	} {
		t.Run(tc.s, func(t *testing.T) {
			got, err := ParseOptimizer(tc.s)
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), "sgd, momentum, adagrad or adam") {
					t.Errorf("ParseOptimizer(%q) = %q, %v; want an error listing the names", tc.s, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseOptimizer(%q) = %q, %v; want %q", tc.s, got, err, tc.want)
			}
		})
	}
}

// TestOptimizerCheckpoint trains 2 steps, checks that the store holds the
// optimizer's state, saves a checkpoint, and resumes from it for a third
// step, which must match 3 uninterrupted steps.
func TestOptimizerCheckpoint(t *testing.T) {
	backend := optBackend(t)
	for _, tc := range []struct {
		c         OptimizerConfig
		wantState []string
	}{
		{OptimizerConfig{Kind: SGD, LearningRate: 0.1,
			Decay: &PolynomialDecay{EndLR: 0.01, DecaySteps: 2}}, nil},
		{OptimizerConfig{Kind: Momentum, LearningRate: 0.1}, []string{"w_velocity"}},
		{OptimizerConfig{Kind: Adagrad, LearningRate: 0.1}, []string{"w_moment"}},
		{OptimizerConfig{Kind: Adam, LearningRate: 0.01}, []string{"w_moment1", "w_moment2"}},
	} {
		t.Run(string(tc.c.Kind), func(t *testing.T) {
			store := model.NewStore()
			optTrain(t, backend, store, tc.c, 2)
			found := map[string]*model.Variable{}
			for v := range store.IterVariables() {
				found[v.Path()] = v
			}
			prefix := "/optimizers/" + string(tc.c.Kind) + "/"
			for _, name := range append([]string{"step"}, tc.wantState...) {
				v := found[prefix+name]
				if v == nil {
					t.Fatalf("got variables %v, want %s", optPaths(found), prefix+name)
				}
				if v.Trainable {
					t.Errorf("got %s trainable, want not trainable", v.Path())
				}
			}
			if got := found[prefix+"step"].MustValue().Value(); got != int64(2) {
				t.Errorf("got step %v, want 2", got)
			}
			if got := found["/global_step"].MustValue().Value(); got != int64(2) {
				t.Errorf("got global_step %v, want 2", got)
			}

			dir := t.TempDir()
			h, err := checkpoint.Build(store).Dir(dir).Done()
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Save(); err != nil {
				t.Fatal(err)
			}
			resumed := model.NewStore()
			if _, err := checkpoint.Load(resumed).Dir(dir).Done(); err != nil {
				t.Fatal(err)
			}
			got := optTrain(t, backend, resumed, tc.c, 1)
			optCheck(t, 2, got[0], optWant(tc.c, 3)[2]) // By hand, see optWant.

			opt, _ := NewOptimizer(tc.c)
			if err := opt.Clear(store.RootScope()); err != nil {
				t.Fatal(err)
			}
			for v := range store.IterVariables() {
				if strings.HasPrefix(v.Path(), prefix) {
					t.Errorf("after Clear: got %s, want no variable under %s", v.Path(), prefix)
				}
			}
			if store.GetVariable("/w") == nil {
				t.Errorf("after Clear: got no /w, want it kept")
			}
		})
	}
}

func optPaths(m map[string]*model.Variable) []string {
	return slices.Sorted(maps.Keys(m))
}
