package mnist

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// trainingStep builds one training step on a batch, in the course's order
// (chapter 3, 网络结构, and every chapter after it), and returns the batch's
// loss:
//
//  1. forward: the network's outputs for the images;
//  2. loss: how far the outputs are from the labels, averaged over the batch;
//  3. backward: the gradient of the loss with respect to every weight and
//     bias, by GoMLX's automatic differentiation (PaddlePaddle's
//     loss.backward());
//  4. update: the optimizer changes every parameter against its gradient
//     (opt.step()). Gradients are values of this step's graph, not state
//     kept between steps, so there is nothing to clear (opt.clear_grad()).
//
// Every way the model trains runs this function: [Model.TrainStep] on one
// batch built on the host, and the fast path (fast.go) on batches gathered
// on the backend, several steps per call.
func (m *Model) trainingStep(scope *model.Scope, images, labels *graph.Node) *graph.Node {
	outputs := m.network(scope, images)                                  // 1. forward
	loss := Loss(m.Config.Model.Task, outputs, labels)                   // 2. loss
	gradients := scope.BuildTrainableVariablesGradientsGraph(loss)       // 3. backward
	m.optimizer.UpdateGraphWithGradients(scope, gradients, loss.DType()) // 4. update
	return loss
}

// TrainStep trains the model on one batch, as built by the model's
// [Model.Loader], and returns the batch's loss before the update. It counts
// the update in Step; unlike [Model.Train] it logs nothing and saves
// nothing.
func (m *Model) TrainStep(b *Batch) (float64, error) {
	loss, err := m.trainBatch(b)
	if err == nil {
		m.Step++
	}
	return loss, err
}

// trainBatch runs the training step on a batch built on the host, on one
// device or split over Config.Devices devices (devices.go).
func (m *Model) trainBatch(b *Batch) (float64, error) {
	if m.stepExec == nil {
		var err error
		if m.stepExec, err = m.newStepExec(); err != nil {
			return 0, err
		}
	}
	images, labels := m.batchTensors(b)
	loss, err := m.runStep(images, labels)
	if err != nil {
		return 0, fmt.Errorf("mnist: training step: %w", err)
	}
	return loss, nil
}

// batchTensors converts a batch to the model's input and label tensors:
// labels are float32 [N, 1] for regression and int32 [N] for classification.
func (m *Model) batchTensors(b *Batch) (images, labels *tensors.Tensor) {
	images = tensors.FromFlatDataAndDimensions(b.Images, b.Dims...)
	if m.Config.Model.Task == Classification {
		labels = tensors.FromFlatDataAndDimensions(b.Labels, b.Size())
	} else {
		labels = tensors.FromFlatDataAndDimensions(b.FloatLabels(), b.Size(), 1)
	}
	return images, labels
}
