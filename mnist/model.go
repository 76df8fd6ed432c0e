package mnist

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	timages "github.com/gomlx/gomlx/core/tensors/images"
	"github.com/gomlx/gomlx/ml/model"
)

// Architecture names one of the course's networks.
type Architecture string

// The course's networks.
const (
	// Linear is chapter 1's minimal model: one fully connected layer.
	Linear Architecture = "linear"
	// MLP is chapter 3's multilayer perceptron: 784 -> 10 -> 10 -> outputs,
	// sigmoid hidden layers by default.
	MLP Architecture = "mlp"
	// CNN is chapter 3's convolutional network: two 5x5 convolutions with 20
	// channels, ReLU and 2x2 max pooling, then one fully connected layer.
	CNN Architecture = "cnn"
)

// Task says what the network's output means.
type Task string

// The course's two tasks.
const (
	// Regression predicts the digit as one number, trained with the square
	// error (chapters 1-3).
	Regression Task = "regression"
	// Classification predicts 10 logits, trained with softmax cross-entropy
	// (chapter 4 onwards).
	Classification Task = "classification"
)

// Defaults of the course's networks (chapter 3, 网络结构).
var (
	DefaultHidden = []int{10, 10} // Hidden layer sizes of the MLP.
)

// Activations of the MLP's hidden layers.
const (
	Sigmoid = "sigmoid"
	ReLU    = "relu"
)

// CNN sizes from chapter 3: Conv2D(1->20, 5x5, stride 1, pad 2) and
// MaxPool(2x2, stride 2), twice, leave 20 channels of 7x7 = 980 features.
const (
	DefaultChannels = 20
	ConvKernel      = 5
	PoolWindow      = 2
)

// ModelConfig describes a network: its architecture, task and sizes. Its
// zero value, with an Arch and Task, is the course's network.
type ModelConfig struct {
	Arch       Architecture `json:"arch"`
	Task       Task         `json:"task"`
	Hidden     []int        `json:"hidden,omitempty"`     // MLP hidden sizes; nil means DefaultHidden.
	Activation string       `json:"activation,omitempty"` // MLP hidden activation; "" means Sigmoid.
	Channels   int          `json:"channels,omitempty"`   // CNN channels; 0 means DefaultChannels.
}

// WithDefaults returns c with the zero fields set to the course's values.
func (c ModelConfig) WithDefaults() ModelConfig {
	if c.Arch == MLP && c.Hidden == nil {
		c.Hidden = slices.Clone(DefaultHidden)
	}
	if c.Arch == MLP && c.Activation == "" {
		c.Activation = Sigmoid
	}
	if c.Arch == CNN && c.Channels == 0 {
		c.Channels = DefaultChannels
	}
	return c
}

// Validate returns an error describing what is wrong with c, if anything.
func (c ModelConfig) Validate() error {
	switch c.Arch {
	case Linear, MLP, CNN:
	default:
		return fmt.Errorf("mnist: unknown model %q: want linear, mlp or cnn", c.Arch)
	}
	switch c.Task {
	case Regression, Classification:
	default:
		return fmt.Errorf("mnist: unknown task %q: want regression or classification", c.Task)
	}
	c = c.WithDefaults()
	for _, h := range c.Hidden {
		if h <= 0 {
			return fmt.Errorf("mnist: hidden layer sizes %v must be positive", c.Hidden)
		}
	}
	if c.Arch == MLP && c.Activation != Sigmoid && c.Activation != ReLU {
		return fmt.Errorf("mnist: unknown activation %q: want sigmoid or relu", c.Activation)
	}
	if c.Channels < 0 {
		return fmt.Errorf("mnist: CNN channels %d must be positive", c.Channels)
	}
	return nil
}

// String describes the network in one line, for example
// "cnn classification (20 channels)".
func (c ModelConfig) String() string {
	c = c.WithDefaults()
	s := fmt.Sprintf("%s %s", c.Arch, c.Task)
	switch c.Arch {
	case MLP:
		sizes := []string{"784"}
		for _, h := range c.Hidden {
			sizes = append(sizes, fmt.Sprint(h))
		}
		sizes = append(sizes, fmt.Sprint(c.Outputs()))
		s += fmt.Sprintf(" (%s, %s)", strings.Join(sizes, "-"), c.Activation)
	case CNN:
		s += fmt.Sprintf(" (%d channels)", c.Channels)
	}
	return s
}

// Outputs returns the width of the network's output: 1 for regression, 10
// logits for classification.
func (c ModelConfig) Outputs() int {
	if c.Task == Classification {
		return NumClasses
	}
	return 1
}

// Layout returns the image layout the network takes: [N, 1, 28, 28] for the
// CNN, [N, 784] otherwise.
func (c ModelConfig) Layout() Layout {
	if c.Arch == CNN {
		return Channels
	}
	return Flat
}

// Scope names of the variables, as saved in checkpoints.
const (
	WeightsName = "weights"
	BiasesName  = "biases"
)

// BuildModel builds the network of c on images ([N, 784], or [N, 1, 28, 28]
// for the CNN) and returns its outputs, [N, 1] or [N, 10]. New variables are
// initialised as the course's framework does ([XavierUniform] for fully
// connected weights, [HeNormal] for convolution kernels, zero biases), from
// the seed stored in the scope's model parameter model.ParamInitialSeed.
// Chapter 3 (网络结构) introduces the networks.
func BuildModel(scope *model.Scope, c ModelConfig, images *graph.Node) *graph.Node {
	c = c.WithDefaults()
	batchSize := images.Shape().Dimensions[0]
	x := images
	switch c.Arch {
	case Linear:
		x.AssertDims(batchSize, NumPixels)
	case MLP:
		x.AssertDims(batchSize, NumPixels)
		for i, h := range c.Hidden {
			x = dense(scope.In("hidden%d", i+1), x, h)
			if c.Activation == ReLU {
				x = relu(x)
			} else {
				x = graph.Sigmoid(x)
			}
			x.AssertDims(batchSize, h)
		}
	case CNN:
		x.AssertDims(batchSize, 1, ImageSize, ImageSize)
		x = cnnFeatures(scope, x, c.Channels)
		x.AssertDims(batchSize, c.Channels*7*7) // 980 with 20 channels.
	}
	x = dense(scope.In("output"), x, c.Outputs())
	x.AssertDims(batchSize, c.Outputs())
	return x
}

// dense is a fully connected layer: x·W + b, with W of shape [in, out].
func dense(scope *model.Scope, x *graph.Node, out int) *graph.Node {
	in := x.Shape().Dimensions[1]
	w := variable(scope, x.Graph(), WeightsName, []int{in, out}, xavierUniform(in, out))
	b := variable(scope, x.Graph(), BiasesName, []int{out}, zeros)
	return graph.Add(graph.MatMul(x, w), graph.Reshape(b, 1, out))
}

// cnnFeatures runs the CNN's two blocks, 5x5 convolution with padding 2,
// ReLU and 2x2 max pooling, on images [N, 1, 28, 28] and returns the
// flattened features [N, channels*7*7], in channels-first order (channel,
// row, column), the order PaddlePaddle's Flatten gives the dense layer.
//
// The work is done channels-last ([N, H, W, C]): XLA's CPU convolution and
// pooling run 2-3 times faster in that layout. Max pooling is elementwise
// maxima of the windows' rows and columns (maxPool2x2), whose gradient is a
// mask; XLA's reduce-window gradient (select-and-scatter) is several times
// slower on CPU. On the pure-Go backend the convolutions are matrix products
// of image patches (im2col), three times faster there than its direct
// convolution. The kernels keep the layout [out, in, 5, 5] of PaddlePaddle
// and of the checkpoints.
func cnnFeatures(scope *model.Scope, images *graph.Node, channels int) *graph.Node {
	var kernels, biases []*graph.Node
	for i, in := range []int{1, channels} {
		s := scope.In("conv%d", i+1)
		kernels = append(kernels, variable(s, images.Graph(), WeightsName, []int{channels, in, ConvKernel, ConvKernel}, heNormal(in*ConvKernel*ConvKernel)))
		biases = append(biases, variable(s, images.Graph(), BiasesName, []int{channels}, zeros))
	}
	im2col := IsPureGo(images.Graph().Backend())
	return cnnFeaturesWith(images, kernels, biases, im2col)
}

// cnnFeaturesWith is cnnFeatures with the kernels and biases given, and the
// choice of convolution: im2col, or the backend's own.
func cnnFeaturesWith(images *graph.Node, kernels, biases []*graph.Node, im2col bool) *graph.Node {
	n := images.Shape().Dimensions[0]
	x := graph.Reshape(images, n, ImageSize, ImageSize, 1) // One channel: NCHW and NHWC agree.
	for i, k := range kernels {
		channels := k.Shape().Dimensions[0]
		kernel := graph.TransposeAllDims(k, 2, 3, 1, 0) // [5, 5, in, out]
		if im2col {
			x = convIm2col(x, kernel)
		} else {
			x = graph.Convolve(x, kernel).ChannelsAxis(timages.ChannelsLast).PadSame().Done()
		}
		// Pooling first, then the bias and the ReLU, computes the same as
		// the course's order (bias, ReLU, pooling): adding a channel's bias
		// and the ReLU are monotonic, so they commute with the maximum. It
		// does them on a quarter of the values.
		x = maxPool2x2(x)
		x = graph.Add(x, graph.Reshape(biases[i], 1, 1, 1, channels))
		x = relu(x)
	}
	return graph.Reshape(graph.TransposeAllDims(x, 0, 3, 1, 2), n, -1)
}

// maxPool2x2 is 2x2 max pooling with stride 2 of x [N, H, W, C], written as
// two elementwise maxima: of the window's two rows (each a contiguous block
// of W*C values), then of its two columns. GoMLX's Max sends the gradient to
// its first operand on a tie, so each window's gradient goes to one element,
// the first of its largest in column-major order. Ties are common (a blank
// region gives equal activations), and PaddlePaddle's and PyTorch's pooling
// also send the gradient to a single element: the first in row-major order,
// the same one unless the top-right and bottom-left elements tie above the
// other two. (GoMLX's ReduceMax would send it to every tied element.)
func maxPool2x2(x *graph.Node) *graph.Node {
	dims := x.Shape().Dimensions
	n, h, w, c := dims[0], dims[1], dims[2], dims[3]
	all := graph.AxisRange()
	rows := graph.Reshape(x, n, h/2, 2, w*c)
	x = graph.Max(graph.Slice(rows, all, all, graph.AxisElem(0), all), graph.Slice(rows, all, all, graph.AxisElem(1), all))
	cols := graph.Reshape(x, n, h/2, w/2, 2, c)
	x = graph.Max(graph.Slice(cols, all, all, all, graph.AxisElem(0), all), graph.Slice(cols, all, all, all, graph.AxisElem(1), all))
	return graph.Reshape(x, n, h/2, w/2, c)
}

// convIm2col is a 5x5 convolution with padding 2 of x [N, H, W, C] by kernel
// [5, 5, C, out], as one matrix product: the 25 shifted copies of x side by
// side ([N*H*W, 25*C], the patches) times the kernel as [25*C, out].
func convIm2col(x, kernel *graph.Node) *graph.Node {
	dims := x.Shape().Dimensions
	n, h, w, c := dims[0], dims[1], dims[2], dims[3]
	out := kernel.Shape().Dimensions[3]
	const pad = ConvKernel / 2
	zero := graph.ScalarZero(x.Graph(), x.DType())
	border := compute.PadAxis{Start: pad, End: pad}
	padded := graph.Pad(x, zero, compute.PadAxis{}, border, border, compute.PadAxis{})
	shifted := make([]*graph.Node, 0, ConvKernel*ConvKernel)
	for dy := range ConvKernel {
		for dx := range ConvKernel {
			shifted = append(shifted, graph.Slice(padded, graph.AxisRange(), graph.AxisRange(dy, dy+h), graph.AxisRange(dx, dx+w), graph.AxisRange()))
		}
	}
	patches := graph.Reshape(graph.Concatenate(shifted, 3), n*h*w, ConvKernel*ConvKernel*c)
	y := graph.MatMul(patches, graph.Reshape(kernel, ConvKernel*ConvKernel*c, out))
	return graph.Reshape(y, n, h, w, out)
}

// relu is max(x, 0) with the gradient 0 at x = 0, as PaddlePaddle's and
// PyTorch's ReLU have (GoMLX's Max passes the gradient through at a tie).
// It matters: where the input is blank, a convolution's output is exactly
// its bias, 0 at the start of training.
func relu(x *graph.Node) *graph.Node {
	zero := graph.ZerosLike(x)
	return graph.Where(graph.GreaterThan(x, zero), x, zero)
}

// initFunc fills n values for a new variable from r.
type initFunc func(r *rand.Rand, n int) []float32

// XavierUniformLimit returns the bound of Xavier (Glorot) uniform
// initialisation, sqrt(6 / (fanIn + fanOut)), which PaddlePaddle uses for
// the weights of its Linear layer (Glorot & Bengio, 2010).
func XavierUniformLimit(fanIn, fanOut int) float64 {
	return math.Sqrt(6 / float64(fanIn+fanOut))
}

// HeNormalStd returns the standard deviation of He (Kaiming) normal
// initialisation, sqrt(2 / fanIn), which PaddlePaddle uses for the kernels of
// its Conv2D layer, with fanIn = in_channels * kernel_height * kernel_width
// (He et al., 2015).
func HeNormalStd(fanIn int) float64 {
	return math.Sqrt(2 / float64(fanIn))
}

func xavierUniform(fanIn, fanOut int) initFunc {
	limit := XavierUniformLimit(fanIn, fanOut)
	return func(r *rand.Rand, n int) []float32 {
		data := make([]float32, n)
		for i := range data {
			data[i] = float32((2*r.Float64() - 1) * limit)
		}
		return data
	}
}

func heNormal(fanIn int) initFunc {
	std := HeNormalStd(fanIn)
	return func(r *rand.Rand, n int) []float32 {
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(r.NormFloat64() * std)
		}
		return data
	}
}

func zeros(_ *rand.Rand, n int) []float32 { return make([]float32, n) }

// variable returns the value in graph g of the variable name in scope,
// creating it with init if it does not exist yet. Initial values are drawn
// on the host from a generator seeded by the model seed and the variable's
// path, so they do not depend on the backend nor on the order in which
// variables are created.
func variable(scope *model.Scope, g *graph.Graph, name string, dims []int, init initFunc) *graph.Node {
	v := scope.GetVariable(name)
	if v == nil {
		seed := model.GetParamOr(scope, model.ParamInitialSeed, int64(0))
		h := fnv.New64a()
		h.Write([]byte(scope.Scope() + "/" + name))
		r := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
		n := 1
		for _, d := range dims {
			n *= d
		}
		v = scope.VariableWithValue(name, tensors.FromFlatDataAndDimensions(init(r, n), dims...))
	}
	return v.NodeValue(g)
}
