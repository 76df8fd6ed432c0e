package mnist

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Where batches are built. By default training and evaluation keep the data
// set on the backend (the GPU's memory, or the XLA CPU runtime's buffers):
// its pixels are uploaded once as uint8, 39 MB for the training split, and each
// step sends only the indices of its batch, from which the executable
// gathers and scales the images itself. [TrainConfig.HostBatches] selects
// the classic path instead: batches built on the host by a [Loader] through
// [Prefetch], and copied to the backend at every step.

// deviceSet is a data set held by the backend: pixels uint8 [N, 784] and
// labels int32 [N].
type deviceSet struct {
	pixels, labels *tensors.Tensor
}

// onDevice returns ds uploaded to the model's backend, uploading it on first
// use. The model keeps up to three uploads, then frees them all and starts
// again.
func (m *Model) onDevice(ds *Dataset) (*deviceSet, error) {
	if d, ok := m.devSets[ds]; ok {
		return d, nil
	}
	n := ds.Len()
	if len(ds.Pixels) != n*NumPixels {
		return nil, fmt.Errorf("mnist: the %s data set has %d pixels for %d images", ds.Mode, len(ds.Pixels), n)
	}
	labels := make([]int32, n)
	for i, l := range ds.Labels {
		labels[i] = int32(l)
	}
	d := &deviceSet{
		pixels: tensors.FromFlatDataAndDimensions(ds.Pixels, n, NumPixels),
		labels: tensors.FromFlatDataAndDimensions(labels, n),
	}
	for _, t := range []*tensors.Tensor{d.pixels, d.labels} {
		if err := t.MaterializeOnDevice(m.backend, false, 0); err != nil {
			return nil, fmt.Errorf("mnist: uploading the %s data set: %w", ds.Mode, err)
		}
		t.FinalizeLocal() // The host copy is ds itself.
	}
	if len(m.devSets) >= 3 {
		m.releaseDevice()
	}
	if m.devSets == nil {
		m.devSets = map[*Dataset]*deviceSet{}
	}
	m.devSets[ds] = d
	return d, nil
}

// releaseDevice frees the data sets the model uploaded.
func (m *Model) releaseDevice() {
	for ds, d := range m.devSets {
		d.pixels.FinalizeAll()
		d.labels.FinalizeAll()
		delete(m.devSets, ds)
	}
}

// gatherBatch builds, inside a graph, the batch of the samples rows (int32
// [B]) of a data set on the backend: images scaled as scale says, in the
// model's layout, and labels as the task's loss wants them (float32 [B, 1]
// for regression, int32 [B] for classification).
func gatherBatch(c ModelConfig, scale PixelScale, pixels, labels, rows *graph.Node) (images, targets *graph.Node) {
	b := rows.Shape().Dimensions[0]
	at := graph.Reshape(rows, b, 1)
	images = scale.scaleNode(graph.Gather(pixels, at))
	if c.Layout() == Channels {
		images = graph.Reshape(images, b, 1, ImageSize, ImageSize)
	}
	targets = graph.Gather(labels, at)
	if c.Task == Regression {
		targets = graph.Reshape(graph.ConvertDType(targets, dtypes.Float32), b, 1)
	}
	return images, targets
}

// newDeviceExecs creates the executables of the device path: K training
// steps per call on the batches of rows (int32 [K, B]) returning their K
// losses, and the evaluation of one batch.
func (m *Model) newDeviceExecs() error {
	opt, err := NewOptimizer(m.Config.Optimizer)
	if err != nil {
		return err
	}
	cfg, scale := m.Config.Model, m.Config.Scale
	m.trainK, err = model.NewExec(m.backend, m.store, func(scope *model.Scope, pixels, labels, rows *graph.Node) *graph.Node {
		steps := rows.Shape().Dimensions[0]
		g := rows.Graph()
		m.store.SetTraining(g, true)
		losses := make([]*graph.Node, steps)
		for k := range steps {
			images, targets := gatherBatch(cfg, scale, pixels, labels, graph.Reshape(graph.Slice(rows, graph.AxisElem(k)), -1))
			step := scope.ResetVisited() // Each step builds the same layers again.
			loss := Loss(cfg.Task, BuildModel(step, cfg, images), targets)
			opt.UpdateGraph(step, g, loss)
			losses[k] = graph.Reshape(loss, 1)
		}
		return graph.Concatenate(losses, 0)
	})
	if err != nil {
		return err
	}
	m.evalDev, err = model.NewExec2(m.backend, m.store, func(scope *model.Scope, pixels, labels, rows *graph.Node) (*graph.Node, *graph.Node) {
		images, targets := gatherBatch(cfg, scale, pixels, labels, rows)
		outputs := BuildModel(scope, cfg, images)
		return Loss(cfg.Task, outputs, targets), PredictedDigits(cfg.Task, outputs)
	})
	return err
}

// DefaultStepsPerCall is how many training steps one executable call runs
// when TrainConfig.StepsPerCall is 0: enough steps for about 1,000 images
// for the small models, whose steps are so short that the cost of a call
// would dominate, and one step for the CNN, whose steps are long and whose
// executable takes longer to compile the more steps it holds.
func (c TrainConfig) DefaultStepsPerCall() int {
	c = c.WithDefaults()
	if c.Model.Arch == CNN {
		return 1
	}
	return max(1, 1000/c.BatchSize)
}

// indexTensor returns the sample numbers as an int32 tensor of shape dims.
func indexTensor(rows []int, dims ...int) *tensors.Tensor {
	data := make([]int32, len(rows))
	for i, r := range rows {
		data[i] = int32(r)
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}
