package mnist

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// OptimizerKind names one of the course's optimizers.
type OptimizerKind string

// The optimizers of chapter 5 (优化算法), with PaddlePaddle's update rules.
const (
	SGD      OptimizerKind = "sgd"      // paddle.optimizer.SGD
	Momentum OptimizerKind = "momentum" // paddle.optimizer.Momentum
	Adagrad  OptimizerKind = "adagrad"  // paddle.optimizer.Adagrad
	Adam     OptimizerKind = "adam"     // paddle.optimizer.Adam
)

var optimizerKinds = []OptimizerKind{SGD, Momentum, Adagrad, Adam}

// Default hyperparameters, the defaults of PaddlePaddle 2.x: momentum=0.9 of
// paddle.optimizer.Momentum, beta1=0.9, beta2=0.999, epsilon=1e-08 of
// paddle.optimizer.Adam, and epsilon=1e-06 of paddle.optimizer.Adagrad.
const (
	DefaultMomentum = 0.9
	AdamBeta1       = 0.9
	AdamBeta2       = 0.999
	AdamEpsilon     = 1e-8
	AdagradEpsilon  = 1e-6
)

// ParseOptimizer returns the kind named s ("sgd", "momentum", "adagrad",
// "adam", in any case), or an error listing the valid names.
func ParseOptimizer(s string) (OptimizerKind, error) {
	for _, k := range optimizerKinds {
		if strings.EqualFold(s, string(k)) {
			return k, nil
		}
	}
	return "", fmt.Errorf("mnist: unknown optimizer %q: want sgd, momentum, adagrad or adam", s)
}

// PolynomialDecay is PaddlePaddle's paddle.optimizer.lr.PolynomialDecay with
// cycle=False: the learning rate of update number step (0 for the first) is
//
//	(lr0 - EndLR) * (1 - min(step, DecaySteps)/DecaySteps)^Power + EndLR
//
// where lr0 is [OptimizerConfig.LearningRate]. Chapter 8 (恢复训练) uses it.
type PolynomialDecay struct {
	EndLR      float64 `json:"end_lr"`          // The learning rate from update DecaySteps on.
	DecaySteps int     `json:"decay_steps"`     // The number of updates over which it decays.
	Power      float64 `json:"power,omitempty"` // The exponent; 0 means 1 (linear).
}

func (d *PolynomialDecay) power() float64 {
	if d.Power == 0 {
		return 1
	}
	return d.Power
}

// OptimizerConfig configures the optimizer that [NewOptimizer] returns.
// Chapter 5 (优化算法) introduces the optimizers, chapter 7 (训练调试与优化)
// the L2 weight decay and chapter 8 (恢复训练) the polynomial decay of the
// learning rate. The update rules are PaddlePaddle 2.x's, with g the gradient
// plus L2*w (paddle.regularizer.L2Decay) and lr the step's learning rate:
//
//	SGD:      w -= lr*g
//	Momentum: v = mu*v + g; w -= lr*v (paddle.optimizer.Momentum, use_nesterov=False)
//	Adagrad:  m += g*g; w -= lr*g/(sqrt(m) + eps) (paddle.optimizer.Adagrad)
//	Adam:     m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
//	          lr_t = lr*sqrt(1-b2^t)/(1-b1^t), t = step+1;
//	          w -= lr_t*m/(sqrt(v) + eps*sqrt(1-b2^t)) (paddle.optimizer.Adam)
//
// The state (v, m, the step counter) lives in non-trainable variables of the
// model.Store under "optimizers/<kind>", so a checkpoint captures it and a
// resumed run continues exactly.
type OptimizerConfig struct {
	Kind         OptimizerKind    `json:"kind"`               // "" means SGD.
	LearningRate float64          `json:"learning_rate"`      // The initial learning rate, > 0.
	Momentum     float64          `json:"momentum,omitempty"` // For Momentum; 0 means DefaultMomentum.
	L2           float64          `json:"l2,omitempty"`       // L2 weight decay: g += L2*w for every trainable variable.
	Decay        *PolynomialDecay `json:"decay,omitempty"`    // nil means a constant learning rate.
}

// UnmarshalJSON reads an OptimizerConfig as MarshalJSON writes it, and as
// checkpoints and ONNX exports written before the JSON names were set wrote
// it (the Go field names: "LearningRate", "Decay": {"EndLR", "DecaySteps"}).
func (c *OptimizerConfig) UnmarshalJSON(data []byte) error {
	type plain OptimizerConfig // The same fields, without this method.
	var legacy struct {
		LearningRate *float64
		Decay        *struct {
			EndLR      float64
			DecaySteps int
			Power      float64
		}
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return err
	}
	if _, old := keys["LearningRate"]; !old {
		return json.Unmarshal(data, (*plain)(c))
	}
	if err := json.Unmarshal(data, &legacy); err != nil {
		return err
	}
	var k struct {
		Kind     OptimizerKind
		Momentum float64
		L2       float64
	}
	if err := json.Unmarshal(data, &k); err != nil {
		return err
	}
	*c = OptimizerConfig{Kind: k.Kind, LearningRate: *legacy.LearningRate, Momentum: k.Momentum, L2: k.L2}
	if d := legacy.Decay; d != nil {
		c.Decay = &PolynomialDecay{EndLR: d.EndLR, DecaySteps: d.DecaySteps, Power: d.Power}
	}
	return nil
}

func (c OptimizerConfig) kind() OptimizerKind {
	if c.Kind == "" {
		return SGD
	}
	return c.Kind
}

// LearningRateAt returns the learning rate of the update number step
// (0-based), computed on the host (for logs and tests).
func (c OptimizerConfig) LearningRateAt(step int) float64 {
	d := c.Decay
	if d == nil {
		return c.LearningRate
	}
	s := float64(min(max(step, 0), d.DecaySteps))
	frac := 1 - s/float64(d.DecaySteps)
	return (c.LearningRate-d.EndLR)*math.Pow(frac, d.power()) + d.EndLR
}

// Validate returns an error for a bad config: a learning rate that is not
// positive, an unknown kind, a momentum outside [0, 1), a negative L2, or a
// decay with DecaySteps <= 0, EndLR < 0 or Power < 0.
func (c OptimizerConfig) Validate() error {
	if !slices.Contains(optimizerKinds, c.kind()) {
		return fmt.Errorf("mnist: unknown optimizer kind %q: want sgd, momentum, adagrad or adam", c.Kind)
	}
	if !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0) {
		return fmt.Errorf("mnist: learning rate %v must be positive", c.LearningRate)
	}
	if !(c.Momentum >= 0 && c.Momentum < 1) {
		return fmt.Errorf("mnist: momentum %v must be in [0, 1)", c.Momentum)
	}
	if !(c.L2 >= 0) || math.IsInf(c.L2, 0) {
		return fmt.Errorf("mnist: L2 weight decay %v must not be negative", c.L2)
	}
	if d := c.Decay; d != nil {
		if d.DecaySteps <= 0 {
			return fmt.Errorf("mnist: polynomial decay steps %d must be positive", d.DecaySteps)
		}
		if !(d.EndLR >= 0) || math.IsInf(d.EndLR, 0) {
			return fmt.Errorf("mnist: polynomial decay end learning rate %v must not be negative", d.EndLR)
		}
		if !(d.Power >= 0) || math.IsInf(d.Power, 0) {
			return fmt.Errorf("mnist: polynomial decay power %v must not be negative", d.Power)
		}
	}
	return nil
}

// NewOptimizer returns the GoMLX optimizer for c, or an error from Validate.
// It also implements UpdateGraphWithGradients, which the model's training
// step (step.go) calls with the gradients it computed.
func NewOptimizer(c OptimizerConfig) (optimizer.Interface, error) {
	return newCourseOptimizer(c)
}

func newCourseOptimizer(c OptimizerConfig) (*courseOptimizer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.Kind = c.kind()
	if c.Momentum == 0 {
		c.Momentum = DefaultMomentum
	}
	return &courseOptimizer{c: c}, nil
}

// optimizerScope is the scope of the optimizers' state (GoMLX's
// optimizer.Scope, "optimizers"), of every kind.
const optimizerScope = optimizer.Scope

// courseOptimizer implements optimizer.Interface for an OptimizerConfig.
type courseOptimizer struct {
	c OptimizerConfig
}

// statePath is the absolute scope of the optimizer's state variables.
func (o *courseOptimizer) statePath(scope *model.Scope) string {
	return model.JoinPath(scope.Scope(), optimizer.Scope, string(o.c.Kind))
}

// UpdateGraph builds the update of every trainable variable of scope used by
// g, and of the optimizer's state. It panics on error, as GoMLX expects.
func (o *courseOptimizer) UpdateGraph(scope *model.Scope, g *graph.Graph, loss *graph.Node) {
	if !loss.Shape().IsScalar() {
		panic(fmt.Errorf("mnist: the optimizer needs a scalar loss, got shape %s", loss.Shape()))
	}
	o.UpdateGraphWithGradients(scope, scope.BuildTrainableVariablesGradientsGraph(loss), loss.DType())
}

// UpdateGraphWithGradients is UpdateGraph given the gradients of the
// trainable variables, in the order of scope.IterVariables.
func (o *courseOptimizer) UpdateGraphWithGradients(scope *model.Scope, grads []*graph.Node, _ dtypes.DType) {
	if len(grads) == 0 {
		panic(fmt.Errorf("mnist: the optimizer found no trainable variable in scope %q", scope.Scope()))
	}
	g := grads[0].Graph()
	var vars []*model.Variable
	for v := range scope.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
		}
	}
	if len(vars) != len(grads) {
		panic(fmt.Errorf("mnist: %d gradients for %d trainable variables", len(grads), len(vars)))
	}
	optimizer.IncrementGlobalStep(g, dtypes.Int64)

	// The scalars are computed in float64: the int64 step stays exact.
	state := scope.Store().Scope(o.statePath(scope))
	stepVar := state.WithInitializer(graph.Zeros).
		VariableWithShape("step", shapes.Make(dtypes.Int64)).SetTrainable(false)
	done := stepVar.NodeValue(g) // Updates already done: 0 for the first.
	stepVar.SetNodeValue(graph.AddScalar(done, 1))
	step := graph.ConvertDType(done, dtypes.Float64)
	lr := graph.Scalar(g, dtypes.Float64, o.c.LearningRate)
	if d := o.c.Decay; d != nil {
		frac := graph.OneMinus(graph.DivScalar(graph.MinScalar(step, d.DecaySteps), d.DecaySteps))
		if p := d.power(); p != 1 {
			frac = graph.Pow(frac, graph.Scalar(g, dtypes.Float64, p))
		}
		lr = graph.AddScalar(graph.MulScalar(frac, o.c.LearningRate-d.EndLR), d.EndLR)
	}
	var eps *graph.Node
	if o.c.Kind == Adam {
		t := graph.AddScalar(step, 1)
		b1t := graph.Pow(graph.Scalar(g, dtypes.Float64, AdamBeta1), t)
		b2t := graph.Pow(graph.Scalar(g, dtypes.Float64, AdamBeta2), t)
		root := graph.Sqrt(graph.OneMinus(b2t))
		lr = graph.Div(graph.Mul(lr, root), graph.OneMinus(b1t))
		eps = graph.MulScalar(root, AdamEpsilon)
	}
	for i, v := range vars {
		o.update(state, v, grads[i], lr, eps)
	}
}

// update builds the update of the trainable variable v, given its gradient
// and this step's learning rate (and Adam's epsilon-hat) as float64 scalars.
func (o *courseOptimizer) update(state *model.Scope, v *model.Variable, grad, lr, eps *graph.Node) {
	g := grad.Graph()
	dtype := v.DType()
	if !dtype.IsFloat() {
		panic(fmt.Errorf("mnist: the optimizer cannot train %s variable %q", dtype, v.Path()))
	}
	slot := func(name string) *model.Variable {
		p := model.JoinPath(state.Scope(), v.Scope(), v.Name()+"_"+name)
		return state.Store().VariableWithShape(p, v.Shape().Clone(), graph.Zeros).SetTrainable(false)
	}
	w := v.NodeValue(g)
	grad = graph.ConvertDType(grad, dtype)
	if o.c.L2 > 0 {
		grad = graph.Add(grad, graph.MulScalar(w, o.c.L2))
	}
	delta := grad
	switch o.c.Kind {
	case Momentum:
		velVar := slot("velocity")
		delta = graph.Add(graph.MulScalar(velVar.NodeValue(g), o.c.Momentum), grad)
		velVar.SetNodeValue(delta)
	case Adagrad:
		accVar := slot("moment")
		acc := graph.Add(accVar.NodeValue(g), graph.Square(grad))
		accVar.SetNodeValue(acc)
		delta = graph.Div(grad, graph.AddScalar(graph.Sqrt(acc), AdagradEpsilon))
	case Adam:
		m1Var, m2Var := slot("moment1"), slot("moment2")
		m1 := graph.Add(graph.MulScalar(m1Var.NodeValue(g), AdamBeta1), graph.MulScalar(grad, 1-AdamBeta1))
		m2 := graph.Add(graph.MulScalar(m2Var.NodeValue(g), AdamBeta2), graph.MulScalar(graph.Square(grad), 1-AdamBeta2))
		m1Var.SetNodeValue(m1)
		m2Var.SetNodeValue(m2)
		delta = graph.Div(m1, graph.Add(graph.Sqrt(m2), graph.ConvertDType(eps, dtype)))
	}
	v.SetNodeValue(graph.Sub(w, graph.Mul(graph.ConvertDType(lr, dtype), delta)))
}

// Clear deletes the optimizer's state variables (not the global step).
func (o *courseOptimizer) Clear(scope *model.Scope) error {
	return scope.Store().DeleteVariablesInScope(o.statePath(scope))
}
