package mnist

import (
	"fmt"
	"slices"
	"strings"
)

// Architecture names one of the course's networks (see network.go).
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

// Activation is the function a layer applies to its output.
type Activation string

// The course's activations.
const (
	NoActivation Activation = ""        // The layer's output as it is (the output layer).
	Sigmoid      Activation = "sigmoid" // 1 / (1 + e^-x): chapter 3's MLP.
	ReLU         Activation = "relu"    // max(x, 0): chapter 3's CNN.
)

// Sizes of the course's networks (chapter 3, 网络结构): the MLP's hidden
// layers, and the CNN's Conv2D(1->20, 5x5, stride 1, pad 2) and
// MaxPool(2x2, stride 2), twice, which leave 20 channels of 7x7 = 980
// features.
var DefaultHidden = []int{10, 10}

const (
	DefaultConvChannels = 20 // Output channels of both convolutions.
	ConvKernel          = 5  // Kernel height and width of both convolutions.
	PoolWindow          = 2  // Window and stride of both max poolings.
)

// ModelConfig describes a network: its architecture, task and sizes. Its
// zero value, with an Arch and Task, is the course's network.
type ModelConfig struct {
	Arch         Architecture `json:"arch"`
	Task         Task         `json:"task"`
	Hidden       []int        `json:"hidden,omitempty"`     // MLP hidden sizes; nil means DefaultHidden.
	Activation   Activation   `json:"activation,omitempty"` // MLP hidden activation; "" means Sigmoid.
	ConvChannels int          `json:"channels,omitempty"`   // CNN output channels per convolution; 0 means DefaultConvChannels.
}

// WithDefaults returns c with the zero fields set to the course's values.
func (c ModelConfig) WithDefaults() ModelConfig {
	if c.Arch == MLP && c.Hidden == nil {
		c.Hidden = slices.Clone(DefaultHidden)
	}
	if c.Arch == MLP && c.Activation == NoActivation {
		c.Activation = Sigmoid
	}
	if c.Arch == CNN && c.ConvChannels == 0 {
		c.ConvChannels = DefaultConvChannels
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
	if c.ConvChannels < 0 {
		return fmt.Errorf("mnist: CNN channels %d must be positive", c.ConvChannels)
	}
	if n := c.denseParams(); n > MaxParams {
		return fmt.Errorf("mnist: hidden layer sizes %v make %.4g parameters, %s as float32 (more with the optimizer's moments): "+
			"a network may have at most %d", c.Hidden, n, formatBytes(4*n), MaxParams)
	}
	return nil
}

// denseParams counts the weights and biases of the dense layers of the
// linear model and of the MLP (of the CNN: none, its size is fixed by
// ConvChannels), in float64 so that no size can overflow it.
func (c ModelConfig) denseParams() float64 {
	if c.Arch == CNN {
		return 0
	}
	layers := []int{c.Outputs()}
	if c.Arch == MLP {
		layers = append(slices.Clone(c.Hidden), layers...)
	}
	n, in := 0.0, float64(NumPixels)
	for _, h := range layers {
		n += in*float64(h) + float64(h)
		in = float64(h)
	}
	return n
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
		s += fmt.Sprintf(" (%d channels)", c.ConvChannels)
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
		return ChannelsFirst
	}
	return Flat
}
