package mnist

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	timages "github.com/gomlx/gomlx/core/tensors/images"
	"github.com/gomlx/gomlx/ml/model"
)

// Layer names a layer of the course's networks. Its parameters are saved in
// checkpoints under its name ("conv1/weights").
type Layer string

// The layers of the course's networks, in the order of network.go.
const (
	Conv1   Layer = "conv1"   // CNN: first 5x5 convolution, with ReLU.
	Pool1   Layer = "pool1"   // CNN: first 2x2 max pooling.
	Conv2   Layer = "conv2"   // CNN: second 5x5 convolution, with ReLU.
	Pool2   Layer = "pool2"   // CNN: second 2x2 max pooling.
	Flatten Layer = "flatten" // CNN: the feature maps as one row per image.
	Output  Layer = "output"  // Every network: the last fully connected layer.
)

// Hidden returns the name of the MLP's i-th hidden layer, from 1: "hidden1".
func Hidden(i int) Layer { return Layer(fmt.Sprintf("hidden%d", i)) }

// ParamKind names one of the two kinds of parameters a layer learns.
type ParamKind string

// The kinds of parameters.
const (
	Weights ParamKind = "weights" // A fully connected layer's [in, out] matrix; a convolution's [out, in, 5, 5] kernels.
	Biases  ParamKind = "biases"  // One number per output (unit or channel).
)

// network builds one of the course's networks in a graph, layer by layer
// (network.go). Its layer methods below create the layers' parameters on
// first use, as the course's framework does, and report each layer's output
// to onLayer when it is set.
type network struct {
	scope   *model.Scope
	config  ModelConfig
	onLayer func(info LayerInfo, output *graph.Node) // Optional: Summary and LayerOutputs.
}

// dense is a fully connected layer, PaddlePaddle's Linear: x·W + b with W of
// shape [in, out], then the activation.
func (n *network) dense(layer Layer, x *graph.Node, out int, act Activation) *graph.Node {
	in := x.Shape().Dimensions[1]
	scope := n.scope.In("%s", layer)
	w := param(scope, x.Graph(), Weights, []int{in, out}, xavierUniform(in, out))
	b := param(scope, x.Graph(), Biases, []int{out}, zeros)
	y := activate(graph.Add(graph.MatMul(x, w), graph.Reshape(b, 1, out)), act)
	n.report(LayerInfo{Layer: layer, Kind: fmt.Sprintf("Linear %d→%d", in, out), Activation: act, Params: in*out + out}, y)
	return y
}

// conv2D is PaddlePaddle's Conv2D with stride 1 and the padding that keeps
// the image size (2 for a 5x5 kernel), on images [N, in, H, W] with kernels
// [out, in, k, k], then the activation.
func (n *network) conv2D(layer Layer, x *graph.Node, out, k int, act Activation) *graph.Node {
	in := x.Shape().Dimensions[1]
	scope := n.scope.In("%s", layer)
	w := param(scope, x.Graph(), Weights, []int{out, in, k, k}, heNormal(in*k*k))
	b := param(scope, x.Graph(), Biases, []int{out}, zeros)
	y := graph.Convolve(x, w).ChannelsAxis(timages.ChannelsFirst).PadSame().Done()
	y = activate(graph.Add(y, graph.Reshape(b, 1, out, 1, 1)), act)
	n.report(LayerInfo{Layer: layer, Kind: fmt.Sprintf("Conv2D %d→%d, %dx%d", in, out, k, k), Activation: act, Params: out*in*k*k + out}, y)
	return y
}

// maxPool is PaddlePaddle's MaxPool2D with a square window and a stride of
// the window's size, on images [N, C, H, W].
func (n *network) maxPool(layer Layer, x *graph.Node, window int) *graph.Node {
	y := graph.MaxPool(x).ChannelsAxis(timages.ChannelsFirst).Window(window).Done()
	n.report(LayerInfo{Layer: layer, Kind: fmt.Sprintf("MaxPool %dx%d", window, window)}, y)
	return y
}

// flatten turns each image's feature maps [C, H, W] into one row of C*H*W
// numbers, channel after channel, as paddle.reshape(x, [N, -1]) does.
func (n *network) flatten(layer Layer, x *graph.Node) *graph.Node {
	y := graph.Reshape(x, x.Shape().Dimensions[0], -1)
	n.report(LayerInfo{Layer: layer, Kind: "Flatten"}, y)
	return y
}

// report passes a layer's output to onLayer.
func (n *network) report(info LayerInfo, output *graph.Node) {
	if n.onLayer != nil {
		info.Shape = output.Shape().Dimensions[1:]
		n.onLayer(info, output)
	}
}

// activate applies the activation act to x.
func activate(x *graph.Node, act Activation) *graph.Node {
	switch act {
	case Sigmoid:
		return graph.Sigmoid(x)
	case ReLU:
		return relu(x)
	case NoActivation:
		return x
	}
	panic(fmt.Errorf("mnist: unknown activation %q", act))
}

// relu is max(x, 0) with the gradient 0 at x = 0, as PaddlePaddle's and
// PyTorch's ReLU have (GoMLX's Max passes the gradient through at a tie).
// It matters: where the input is blank, a convolution's output is exactly
// its bias, 0 at the start of training.
func relu(x *graph.Node) *graph.Node {
	zero := graph.ZerosLike(x)
	return graph.Where(graph.GreaterThan(x, zero), x, zero)
}

// param returns the value in graph g of the parameter kind of a layer (in
// the layer's scope), creating the variable with init if it does not exist
// yet. Initial values are drawn on the host from a generator seeded by the
// model's seed and the variable's path, so they do not depend on the
// backend nor on the order in which variables are created.
func param(scope *model.Scope, g *graph.Graph, kind ParamKind, dims []int, init initFunc) *graph.Node {
	v := scope.GetVariable(string(kind))
	if v == nil {
		seed := model.GetParamOr(scope, model.ParamInitialSeed, int64(0))
		h := fnv.New64a()
		h.Write([]byte(scope.Scope() + "/" + string(kind)))
		r := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
		size := 1
		for _, d := range dims {
			size *= d
		}
		v = scope.VariableWithValue(string(kind), tensors.FromFlatDataAndDimensions(init(r, size), dims...))
	} else if got := v.Shape().Dimensions; !slices.Equal(got, dims) {
		panic(fmt.Errorf("%s/%s is %v, the network needs %v", strings.TrimPrefix(scope.Scope(), "/"), kind, got, dims))
	}
	return v.NodeValue(g)
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
