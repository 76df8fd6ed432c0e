package mnist

import "github.com/gomlx/gomlx/core/graph"

// The course's networks, written as chapter 3 (网络结构) draws them: one line
// per layer, each followed by the shape of its output (N is the batch size).
// The layers themselves (dense, conv2D, maxPool, flatten) are in layers.go;
// the parameters they create are named by their layer: "conv1/weights".
//
// Model.Summary prints these layers with their shapes and parameter counts.
// Training runs the same networks; for the CNN it computes conv1 to flatten
// in a faster, equivalent form (fast.go), held to this one by tests.

// linear is chapter 1's minimal model: one fully connected layer from the
// 784 pixels to the output (1 number for regression, 10 logits for
// classification).
func (n *network) linear(images *graph.Node) *graph.Node {
	batch, outputs := images.Shape().Dimensions[0], n.config.Outputs()
	x := images
	x.AssertDims(batch, NumPixels)
	x = n.dense(Output, x, outputs, NoActivation)
	x.AssertDims(batch, outputs)
	return x
}

// mlp is chapter 3's multilayer perceptron: fully connected hidden layers
// (784 -> 10 -> 10 by default) with a sigmoid, then the output layer.
func (n *network) mlp(images *graph.Node) *graph.Node {
	batch, outputs := images.Shape().Dimensions[0], n.config.Outputs()
	x := images
	x.AssertDims(batch, NumPixels)
	for i, size := range n.config.Hidden {
		x = n.dense(Hidden(i+1), x, size, n.config.Activation)
		x.AssertDims(batch, size)
	}
	x = n.dense(Output, x, outputs, NoActivation)
	x.AssertDims(batch, outputs)
	return x
}

// cnn is chapter 3's convolutional network: two blocks of a 5x5 convolution
// (stride 1, padding 2) with ReLU and a 2x2 max pooling, then the feature
// maps flattened into one fully connected output layer.
func (n *network) cnn(images *graph.Node) *graph.Node {
	batch, outputs, c := images.Shape().Dimensions[0], n.config.Outputs(), n.config.ConvChannels
	x := images
	x.AssertDims(batch, 1, ImageSize, ImageSize)
	x = n.conv2D(Conv1, x, c, ConvKernel, ReLU)
	x.AssertDims(batch, c, 28, 28)
	x = n.maxPool(Pool1, x, PoolWindow)
	x.AssertDims(batch, c, 14, 14)
	x = n.conv2D(Conv2, x, c, ConvKernel, ReLU)
	x.AssertDims(batch, c, 14, 14)
	x = n.maxPool(Pool2, x, PoolWindow)
	x.AssertDims(batch, c, 7, 7)
	x = n.flatten(Flatten, x)
	x.AssertDims(batch, c*7*7) // 980 features with 20 channels.
	x = n.dense(Output, x, outputs, NoActivation)
	x.AssertDims(batch, outputs)
	return x
}

// build returns the network's outputs for a batch of images: [N, 784] for
// the linear model and the MLP, [N, 1, 28, 28] for the CNN.
func (n *network) build(images *graph.Node) *graph.Node {
	switch n.config.Arch {
	case Linear:
		return n.linear(images)
	case MLP:
		return n.mlp(images)
	}
	return n.cnn(images)
}
