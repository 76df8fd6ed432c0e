package mnist

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/godigits/digits/mnist/internal/fast"
)

// The fast path: what makes training fast, and nothing the course teaches.
// It is on unless TrainConfig.Plain is set, and computes what the plain
// path computes (tests: fast_test.go):
//
//   - The CNN's convolutions and poolings run channels-last, with pooling
//     before the bias and the ReLU, and as matrix products of image patches
//     on the pure-Go backend; on XLA's CPU backend a batch of more than 100
//     images goes through them in pieces of 100 (internal/fast/cnn.go).
//   - Data sets are uploaded to the backend once, as uint8 (39 MB for the
//     training split); each step sends only the numbers of its batch's
//     samples, and the executable gathers and scales the images itself.
//   - The small models run several training steps per call of the compiled
//     executable (TrainConfig.StepsPerCall), so that the cost of a call does
//     not dominate; on an NVIDIA GPU every model does (GPUStepsPerCall).
//
// Each step is the model's trainingStep (step.go): the fast path changes
// where batches come from and how many steps one call runs, not the step.

// fastPath holds the fast path's executables and the data sets it uploaded.
type fastPath struct {
	m     *Model
	data  map[*Dataset]*fast.Data
	train *model.Exec           // pixels, labels, rows [K, B] -> losses [K]
	eval  *model.ExecTwoOutputs // pixels, labels, rows [B] -> mean loss, digits
}

func newFastPath(m *Model) (*fastPath, error) {
	f := &fastPath{m: m}
	cfg, scale := m.Config.Model, m.Config.Scale
	gather := func(pixels, labels, rows *graph.Node) (images, targets *graph.Node) {
		return gatherBatch(cfg, scale, pixels, labels, rows)
	}
	var err error
	if f.train, err = fast.NewTrainExec(m.backend, m.store, gather, m.trainingStep); err != nil {
		return nil, err
	}
	f.eval, err = fast.NewEvalExec(m.backend, m.store, gather, m.evalGraph)
	return f, err
}

// cnnFast is the CNN of network.go with its convolutions and poolings (conv1
// to flatten) computed by fast.CNNFeatures, on pieces of at most chunk
// images (fast.InChunks; 0: the whole batch at once): the same parameters,
// the same output layer, the same numbers.
func (n *network) cnnFast(images *graph.Node, im2col bool, chunk int) *graph.Node {
	g, c := images.Graph(), n.config.ConvChannels
	var kernels, biases []*graph.Node
	for i, layer := range []Layer{Conv1, Conv2} {
		in := []int{1, c}[i]
		scope := n.scope.In("%s", layer)
		kernels = append(kernels, param(scope, g, Weights, []int{c, in, ConvKernel, ConvKernel}, heNormal(in*ConvKernel*ConvKernel)))
		biases = append(biases, param(scope, g, Biases, []int{c}, zeros))
	}
	x := fast.InChunks(images, chunk, func(images *graph.Node) *graph.Node {
		return fast.CNNFeatures(images, kernels, biases, im2col, relu)
	})
	return n.dense(Output, x, n.config.Outputs(), NoActivation)
}

// CNNChunk is how many images of a batch the CNN's convolutions take at a
// time in training and evaluation (fast.InChunks): fast.CPUChunk (100) for
// the CNN on the fast path on XLA's CPU backend, whose batches of more than
// 100 images go through them in pieces; 0, the whole batch, otherwise: on
// the plain path, for the other models, and on a GPU and the pure-Go
// backend, where pieces were not measured. The results do not depend on it.
func (m *Model) CNNChunk() int {
	if m.fast == nil || m.Config.Model.Arch != CNN || IsPureGo(m.backend) || IsCUDA(m.backend) {
		return 0
	}
	return fast.CPUChunk
}

// upload returns ds held by the backend, uploading it on first use. Up to
// three data sets are kept; a fourth releases them all first.
func (f *fastPath) upload(ds *Dataset) (*fast.Data, error) {
	if d, ok := f.data[ds]; ok {
		return d, nil
	}
	d, err := fast.Upload(f.m.backend, ds.Pixels, ds.Labels, NumPixels)
	if err != nil {
		return nil, fmt.Errorf("mnist: uploading the %s data set: %w", ds.Mode, err)
	}
	if len(f.data) >= 3 {
		f.release()
	}
	if f.data == nil {
		f.data = map[*Dataset]*fast.Data{}
	}
	f.data[ds] = d
	return d, nil
}

// release frees the data sets uploaded.
func (f *fastPath) release() {
	for ds, d := range f.data {
		d.Release()
		delete(f.data, ds)
	}
}

// gatherBatch builds, inside a graph, the batch of the samples rows (int32
// [B]) of a data set on the backend: images scaled as scale says, in the
// model's layout, and labels as the task's loss wants them (float32 [B, 1]
// for regression, int32 [B] for classification), as Model.batchTensors
// gives them for a host batch.
func gatherBatch(c ModelConfig, scale PixelScale, pixels, labels, rows *graph.Node) (images, targets *graph.Node) {
	b := rows.Shape().Dimensions[0]
	at := graph.Reshape(rows, b, 1)
	images = graph.Reshape(scale.scaleNode(graph.Gather(pixels, at)), c.Layout().Dims(b)...)
	targets = graph.Gather(labels, at)
	if c.Task == Regression {
		targets = graph.Reshape(graph.ConvertDType(targets, dtypes.Float32), b, 1)
	}
	return images, targets
}

// trainEpoch trains the first batches batches of an epoch on trainDS held by
// the backend, in the order of the loader's epoch: each call of the training
// executable runs up to StepsPerCall steps, given only the sample numbers of
// their batches. A last partial batch runs alone.
func (f *fastPath) trainEpoch(trainDS *Dataset, loader *Loader, epoch, batches int, stepDone func(index, size int, loss float64) error) error {
	d, err := f.upload(trainDS)
	if err != nil {
		return err
	}
	order := loader.Order(epoch)
	bs := loader.Config().BatchSize
	k := f.m.StepsPerCall()
	for first := 0; first < batches; {
		start := first * bs
		steps := 0 // Full batches in this call.
		for steps < min(k, batches-first) && start+(steps+1)*bs <= len(order) {
			steps++
		}
		size := bs
		var rows *tensors.Tensor
		if steps == 0 {
			size, steps = len(order)-start, 1
			rows = fast.Rows(order[start:], 1, size)
		} else {
			rows = fast.Rows(order[start:start+steps*bs], steps, bs)
		}
		losses, err := f.train.Call1(d.Pixels, d.Labels, rows)
		if err != nil {
			return fmt.Errorf("mnist: training epoch %d, batches %d-%d: %w", epoch, first, first+steps-1, err)
		}
		values := tensors.MustCopyFlatData[float32](losses)
		losses.FinalizeAll()
		for i, loss := range values {
			if err := stepDone(first+i, size, float64(loss)); err != nil {
				return err
			}
		}
		first += steps
	}
	return nil
}

// evaluate runs the evaluation graph over ds held by the backend, in
// batches of the loader's size, and passes each batch's mean loss,
// predicted digits and labels to add.
func (f *fastPath) evaluate(ds *Dataset, loader *Loader, add func(loss, digits *tensors.Tensor, label func(i int) int)) error {
	d, err := f.upload(ds)
	if err != nil {
		return err
	}
	order, bs := loader.Order(0), loader.Config().BatchSize
	for start := 0; start < len(order); start += bs {
		rows := order[start:min(start+bs, len(order))]
		loss, digits, err := f.eval.Call(d.Pixels, d.Labels, fast.Rows(rows, len(rows)))
		if err != nil {
			return fmt.Errorf("mnist: evaluating on %s: %w", ds.Mode, err)
		}
		add(loss, digits, func(i int) int { return int(ds.Labels[rows[i]]) })
	}
	return nil
}

// StepsPerCall is how many training steps one call of the compiled training
// executable runs: Config.StepsPerCall, or its default, GPUStepsPerCall on
// an NVIDIA GPU and DefaultStepsPerCall elsewhere; 1 on the plain path and
// on several devices, which run one step per call.
func (m *Model) StepsPerCall() int {
	switch {
	case m.fast == nil:
		return 1
	case m.Config.StepsPerCall > 0:
		return m.Config.StepsPerCall
	case IsCUDA(m.backend):
		return GPUStepsPerCall
	}
	return m.Config.DefaultStepsPerCall()
}

// GPUStepsPerCall is how many training steps one executable call runs on
// the fast path on an NVIDIA GPU (a CUDA backend) when
// TrainConfig.StepsPerCall is 0, for every model. A call on the GPU returns
// only once the GPU has finished (go-xla waits for it), so one step per call
// leaves the GPU idle while the next call is prepared. Measured on an H200
// (BENCHMARKS.md, "NVIDIA GPU"): 25 steps per call trained the CNN at batch
// 100 2.9x to 3.1x faster than 1 step, the MLP at batch 1000 3.0x to 5.3x;
// 50 steps were no faster and took about twice as long to compile.
const GPUStepsPerCall = 25

// DefaultStepsPerCall is how many training steps one executable call runs
// on the fast path when TrainConfig.StepsPerCall is 0: enough steps for
// about 1,000 images for the small models, whose steps are so short that the
// cost of a call would dominate, and one step for the CNN, whose steps are
// long and whose executable takes longer to compile the more steps it holds.
func (c TrainConfig) DefaultStepsPerCall() int {
	c = c.WithDefaults()
	if c.Model.Arch == CNN {
		return 1
	}
	return max(1, 1000/c.BatchSize)
}
