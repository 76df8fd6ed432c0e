package fast

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Data is a data set held by the backend (the GPU's memory, or the XLA CPU
// runtime's buffers): pixels uint8 [N, pixelsPerImage] and labels int32 [N].
// It is uploaded once; each training step then sends only the numbers of
// its batch's samples (Rows), from which the executable gathers the batch.
type Data struct {
	Pixels, Labels *tensors.Tensor
}

// Upload copies n images of pixelsPerImage raw pixels and their labels to
// backend. The host keeps no second copy: pixels and labels stay the
// caller's.
func Upload(backend compute.Backend, pixels, labels []uint8, pixelsPerImage int) (*Data, error) {
	n := len(labels)
	if len(pixels) != n*pixelsPerImage {
		return nil, fmt.Errorf("%d pixels for %d images of %d", len(pixels), n, pixelsPerImage)
	}
	wide := make([]int32, n)
	for i, l := range labels {
		wide[i] = int32(l)
	}
	d := &Data{
		Pixels: tensors.FromFlatDataAndDimensions(pixels, n, pixelsPerImage),
		Labels: tensors.FromFlatDataAndDimensions(wide, n),
	}
	for _, t := range []*tensors.Tensor{d.Pixels, d.Labels} {
		if err := t.MaterializeOnDevice(backend, false, 0); err != nil {
			d.Release()
			return nil, err
		}
		t.FinalizeLocal()
	}
	return d, nil
}

// Release frees the backend's copy.
func (d *Data) Release() {
	d.Pixels.FinalizeAll()
	d.Labels.FinalizeAll()
}

// Rows returns sample numbers as an int32 tensor of shape dims: [B] for one
// batch, [K, B] for K batches.
func Rows(rows []int, dims ...int) *tensors.Tensor {
	data := make([]int32, len(rows))
	for i, r := range rows {
		data[i] = int32(r)
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// Gather builds, inside a graph, the batch of the samples rows (int32 [B])
// of a data set held by the backend: the model's inputs and its targets.
type Gather func(pixels, labels, rows *graph.Node) (images, targets *graph.Node)

// NewTrainExec returns the executable of K training steps per call: given
// the pixels and labels of a Data and rows int32 [K, B], it runs step on
// each of the K gathered batches in turn and returns their K losses. step is
// the model's one training step (forward, loss, gradients, update), built
// once per batch in the same graph: each sees the variables as the previous
// one left them.
func NewTrainExec(backend compute.Backend, store *model.Store, gather Gather,
	step func(scope *model.Scope, images, targets *graph.Node) *graph.Node) (*model.Exec, error) {
	return model.NewExec(backend, store, func(scope *model.Scope, pixels, labels, rows *graph.Node) *graph.Node {
		k := rows.Shape().Dimensions[0]
		store.SetTraining(rows.Graph(), true)
		losses := make([]*graph.Node, k)
		for i := range k {
			images, targets := gather(pixels, labels, graph.Reshape(graph.Slice(rows, graph.AxisElem(i)), -1))
			// ResetVisited: each step builds the same layers again.
			losses[i] = graph.Reshape(step(scope.ResetVisited(), images, targets), 1)
		}
		return graph.Concatenate(losses, 0)
	})
}

// NewEvalExec returns the executable that evaluates one gathered batch:
// given the pixels and labels of a Data and rows int32 [B], it returns what
// eval returns for the batch (its mean loss and predicted digits).
func NewEvalExec(backend compute.Backend, store *model.Store, gather Gather,
	eval func(scope *model.Scope, images, targets *graph.Node) (loss, digits *graph.Node)) (*model.ExecTwoOutputs, error) {
	return model.NewExec2(backend, store, func(scope *model.Scope, pixels, labels, rows *graph.Node) (*graph.Node, *graph.Node) {
		images, targets := gather(pixels, labels, rows)
		return eval(scope, images, targets)
	})
}
