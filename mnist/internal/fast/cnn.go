// Package fast holds what makes the course's networks train fast and
// nothing that the course teaches: the CNN's features computed channels-last
// and large batches in pieces (cnn.go), and data sets kept on the backend
// with several training steps per call (device.go). Package mnist selects it
// automatically and holds it to the plain formulation of mnist/network.go
// with equivalence tests (mnist/fast_test.go).
package fast

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	timages "github.com/gomlx/gomlx/core/tensors/images"
)

// Sizes of the course's CNN: 28x28 images, 5x5 kernels with padding 2.
const (
	imageSize = 28
	kernel    = 5
)

// CNNFeatures computes the CNN's two blocks (5x5 convolution with padding 2,
// bias, ReLU, 2x2 max pooling), on images [N, 1, 28, 28] with kernels
// [out, in, 5, 5] and biases [out], and returns the flattened features
// [N, channels*7*7] in channels-first order (channel, row, column): the
// numbers of the plain CNN of mnist/network.go, computed faster.
//
//   - The work is done channels-last ([N, H, W, C]): XLA's CPU convolution
//     runs 2-3 times faster in that layout.
//   - Max pooling is two elementwise maxima (maxPool2x2), whose gradient is a
//     mask; XLA's reduce-window gradient (select-and-scatter) is several
//     times slower on CPU.
//   - Pooling comes before the bias and the ReLU: adding a channel's bias
//     and the ReLU are monotonic, so they commute with the maximum, and they
//     run on a quarter of the values.
//   - With im2col (chosen for the pure-Go backend) a convolution is one
//     matrix product of image patches, three times faster there than the
//     backend's direct convolution.
//
// relu is the course's ReLU (gradient 0 at 0), passed in so that both
// formulations use the same one.
func CNNFeatures(images *graph.Node, kernels, biases []*graph.Node, im2col bool, relu func(*graph.Node) *graph.Node) *graph.Node {
	n := images.Shape().Dimensions[0]
	x := graph.Reshape(images, n, imageSize, imageSize, 1) // One channel: NCHW and NHWC agree.
	for i, k := range kernels {
		channels := k.Shape().Dimensions[0]
		kernelHWIO := graph.TransposeAllDims(k, 2, 3, 1, 0) // [5, 5, in, out]
		if im2col {
			x = convIm2col(x, kernelHWIO)
		} else {
			x = graph.Convolve(x, kernelHWIO).ChannelsAxis(timages.ChannelsLast).PadSame().Done()
		}
		x = maxPool2x2(x)
		x = graph.Add(x, graph.Reshape(biases[i], 1, 1, 1, channels))
		x = relu(x)
	}
	return graph.Reshape(graph.TransposeAllDims(x, 0, 3, 1, 2), n, -1)
}

// CPUChunk is the largest number of images whose CNN features one piece of the
// graph computes on XLA's CPU backend: a larger batch is split into pieces of
// CPUChunk images (InChunks). Per image, a training step cost about 1.3 times
// more at batch 1000 than at batch 100, whose activations are a tenth the size
// (the first convolution's output: 6.3 MB against 63 MB, far more than a CPU's
// caches), and a batch of 1000 trained about 1.3 times faster in ten pieces of
// 100, timed alternately (BENCHMARKS.md, "What made GoMLX fast here"); a batch
// of 100, the course's, is one piece. On a GPU, whose throughput grows with
// the batch, pieces were not measured, and the batch stays whole.
const CPUChunk = 100

// InChunks returns f of images [N, ...] computed on consecutive pieces of at
// most chunk images (the last piece smaller when chunk does not divide N),
// concatenated along the batch axis: the same values as f(images) when f
// treats each image on its own, as the CNN's features do. With chunk <= 0,
// or N <= chunk, it returns f(images). Gradients flow through each piece
// to the parameters f shares, and add up there.
func InChunks(images *graph.Node, chunk int, f func(*graph.Node) *graph.Node) *graph.Node {
	n := images.Shape().Dimensions[0]
	if chunk <= 0 || n <= chunk {
		return f(images)
	}
	var pieces []*graph.Node
	for start := 0; start < n; start += chunk {
		pieces = append(pieces, f(graph.Slice(images, graph.AxisRange(start, min(start+chunk, n)))))
	}
	return graph.Concatenate(pieces, 0)
}

// maxPool2x2 is 2x2 max pooling with stride 2 of x [N, H, W, C], written as
// two elementwise maxima: of the window's two rows (each a contiguous block
// of W*C values), then of its two columns. GoMLX's Max sends the gradient to
// its first operand on a tie, so each window's gradient goes to one element,
// the first of its largest in column-major order. Ties are common (a blank
// region gives equal activations), and PaddlePaddle's, PyTorch's and GoMLX's
// MaxPool also send the gradient to a single element: the first in
// row-major order, the same one unless the top-right and bottom-left
// elements tie above the other two.
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
func convIm2col(x, kernelHWIO *graph.Node) *graph.Node {
	dims := x.Shape().Dimensions
	n, h, w, c := dims[0], dims[1], dims[2], dims[3]
	out := kernelHWIO.Shape().Dimensions[3]
	const pad = kernel / 2
	zero := graph.ScalarZero(x.Graph(), x.DType())
	border := compute.PadAxis{Start: pad, End: pad}
	padded := graph.Pad(x, zero, compute.PadAxis{}, border, border, compute.PadAxis{})
	shifted := make([]*graph.Node, 0, kernel*kernel)
	for dy := range kernel {
		for dx := range kernel {
			shifted = append(shifted, graph.Slice(padded, graph.AxisRange(), graph.AxisRange(dy, dy+h), graph.AxisRange(dx, dx+w), graph.AxisRange()))
		}
	}
	patches := graph.Reshape(graph.Concatenate(shifted, 3), n*h*w, kernel*kernel*c)
	y := graph.MatMul(patches, graph.Reshape(kernelHWIO, kernel*kernel*c, out))
	return graph.Reshape(y, n, h, w, out)
}
