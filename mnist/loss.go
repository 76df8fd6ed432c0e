package mnist

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// Loss returns the course's loss of a batch, averaged over the batch:
//
//   - Regression: the square error (output - label)², as PaddlePaddle's
//     F.square_error_cost followed by paddle.mean (chapters 1-3). outputs is
//     [N, 1]; labels are the digits as float32, [N] or [N, 1].
//   - Classification: softmax cross-entropy of the 10 logits against the
//     digit, as F.cross_entropy (chapter 4, 损失函数). outputs is [N, 10];
//     labels are int32 digits, [N] or [N, 1].
func Loss(task Task, outputs, labels *graph.Node) *graph.Node {
	n := outputs.Shape().Dimensions[0]
	if task == Classification {
		labels = graph.Reshape(labels, n)
		oneHot := graph.OneHot(labels, NumClasses, outputs.DType())
		logProbs := graph.LogSoftmax(outputs, -1)
		return graph.Neg(graph.ReduceAllMean(graph.ReduceSum(graph.Mul(oneHot, logProbs), -1)))
	}
	labels = graph.Reshape(labels, n, 1)
	return graph.ReduceAllMean(graph.Square(graph.Sub(outputs, labels)))
}

// NoDigit is the digit [PredictedDigits] gives an image whose outputs are
// NaN, as those of a model whose training diverged are: no digit 0-9 is
// predicted for it. [Model.Evaluate] and [Model.Predict] report it as
// [ErrNotFinite] rather than counting it.
const NoDigit = -1

// PredictedDigits turns a batch of outputs into digits, int32 [N]: the
// largest logit for classification; for regression, the output rounded to
// the nearest integer (halves to even) and clipped to 0-9. An image with a
// NaN output gets [NoDigit].
func PredictedDigits(task Task, outputs *graph.Node) *graph.Node {
	g := outputs.Graph()
	n := outputs.Shape().Dimensions[0]
	noDigit := graph.Scalar(g, dtypes.Int32, NoDigit)
	if task == Classification {
		return graph.Where(graph.ReduceLogicalOr(isNaN(outputs), -1), noDigit, graph.ArgMax(outputs, -1, dtypes.Int32))
	}
	outputs = graph.Reshape(outputs, n)
	digits := graph.ConvertDType(graph.ClipScalar(graph.Round(outputs), 0, NumClasses-1), dtypes.Int32)
	return graph.Where(isNaN(outputs), noDigit, digits)
}

// isNaN is true where x is NaN, the one value not equal to itself (IEEE
// 754); unlike graph.IsNaN, every backend has it, the ONNX export's too.
func isNaN(x *graph.Node) *graph.Node {
	return graph.NotEqual(x, x)
}

// Scores turns a batch of outputs into per-digit scores, float32 [N, 10]:
// softmax probabilities for classification; for regression, one minus the
// distance of the output to each digit, clipped at 0, so the nearest digit
// scores highest.
func Scores(task Task, outputs *graph.Node) *graph.Node {
	if task == Classification {
		return graph.Softmax(outputs, -1)
	}
	g := outputs.Graph()
	n := outputs.Shape().Dimensions[0]
	digits := graph.Iota(g, shapes.Make(outputs.DType(), 1, NumClasses), 1)
	dist := graph.Abs(graph.Sub(graph.Reshape(outputs, n, 1), digits))
	return graph.Max(graph.OneMinus(dist), graph.ZerosLike(dist))
}
