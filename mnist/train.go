package mnist

import (
	"fmt"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
)

// Model is a network of the course with its variables, the optimizer that
// trains it, and how far its training has come. Chapter 3 (网络结构)
// introduces training; chapter 8 (恢复训练) saving and resuming it.
type Model struct {
	Config TrainConfig
	// Epoch is the number of epochs completed; Step the number of updates.
	Epoch, Step int
	// Losses holds the logged losses, every LogEvery batches, of every epoch
	// trained so far (resumed runs included).
	Losses []LossRecord

	backend compute.Backend
	store   *model.Store
	trainer *train.Trainer
	infer   *model.ExecTwoOutputs // images -> scores, digits
	eval    *model.ExecTwoOutputs // images, labels -> mean loss, digits

	// The device path (see device.go): data sets uploaded to the backend,
	// K training steps per call, evaluation of a gathered batch.
	devSets map[*Dataset]*deviceSet
	trainK  *model.Exec           // pixels, labels, rows [K, B] -> losses [K]
	evalDev *model.ExecTwoOutputs // pixels, labels, rows [B] -> mean loss, digits
}

// LossRecord is one logged training loss.
type LossRecord struct {
	Epoch int     `json:"epoch"`
	Batch int     `json:"batch"` // Batch number within the epoch.
	Step  int     `json:"step"`  // Updates done before this batch, over the whole run.
	Loss  float64 `json:"loss"`
}

// Progress is what [TrainConfig.OnBatch] receives after each batch.
type Progress struct {
	Epoch, Epochs       int
	Batch, Batches      int // Batch just trained (from 0), and batches per epoch.
	Step                int
	Loss                float64       // Loss of the batch just trained.
	ImagesPerSecond     float64       // Over the current epoch.
	Elapsed, Remaining  time.Duration // Whole run, estimated from the current speed.
	Quick               bool          // Quick mode: epochs are cut short.
	EpochDone, FullDone bool          // This batch ended an epoch; the run.
}

// NewModel returns a freshly initialised model for cfg on backend.
func NewModel(backend compute.Backend, cfg TrainConfig) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	m := &Model{Config: cfg, backend: backend, store: model.NewStore()}
	m.store.SetParam(model.ParamInitialSeed, cfg.Seed)
	if err := m.setup(); err != nil {
		return nil, err
	}
	return m, nil
}

// setup creates the trainer and the inference executable over m.store.
func (m *Model) setup() error {
	opt, err := NewOptimizer(m.Config.Optimizer)
	if err != nil {
		return err
	}
	cfg := m.Config.Model
	modelFn := func(scope *model.Scope, images *graph.Node) *graph.Node {
		return BuildModel(scope, cfg, images)
	}
	lossFn := func(labels, outputs []*graph.Node) *graph.Node {
		return Loss(cfg.Task, outputs[0], labels[0])
	}
	m.trainer = train.NewTrainer(m.backend, m.store, modelFn, lossFn, opt, nil, nil)
	m.infer, err = model.NewExec2(m.backend, m.store, func(scope *model.Scope, images *graph.Node) (*graph.Node, *graph.Node) {
		outputs := BuildModel(scope, cfg, images)
		return Scores(cfg.Task, outputs), PredictedDigits(cfg.Task, outputs)
	})
	if err != nil {
		return err
	}
	m.eval, err = model.NewExec2(m.backend, m.store, func(scope *model.Scope, images, labels *graph.Node) (*graph.Node, *graph.Node) {
		outputs := BuildModel(scope, cfg, images)
		return Loss(cfg.Task, outputs, labels), PredictedDigits(cfg.Task, outputs)
	})
	if err != nil {
		return err
	}
	return m.newDeviceExecs()
}

// Backend returns the backend the model runs on.
func (m *Model) Backend() compute.Backend { return m.backend }

// Store returns the GoMLX store holding the model's variables and the
// optimizer's state.
func (m *Model) Store() *model.Store { return m.store }

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

// Loader returns the loader the model trains or evaluates ds with.
func (m *Model) Loader(ds *Dataset) (*Loader, error) {
	return NewLoader(ds, LoaderConfig{
		BatchSize: m.Config.BatchSize,
		DropLast:  m.Config.DropLast && ds.Mode == Train,
		Seed:      uint64(m.Config.Seed),
		Layout:    m.Config.Model.Layout(),
		Scale:     m.Config.Scale,
	})
}

// Train trains the model on trainDS from the epoch it has reached up to
// Config.Epochs, logging "epoch E, batch B, loss L" every LogEvery batches as
// the course does, and saving a checkpoint after every epoch when
// Config.CheckpointPath is set. The shuffle of each epoch depends only on the
// seed and the epoch number, so a run resumed from a checkpoint follows the
// same path as an uninterrupted one.
//
// The data set is uploaded to the backend once and batches are gathered
// there (see device.go), unless Config.HostBatches asks for batches built on
// the host.
func (m *Model) Train(trainDS *Dataset) error {
	cfg := m.Config
	loader, err := m.Loader(trainDS)
	if err != nil {
		return err
	}
	batches := loader.NumBatches()
	if cfg.MaxBatches > 0 && cfg.MaxBatches < batches {
		batches = cfg.MaxBatches
		m.logf("QUICK MODE: %d of %d batches per epoch (unset %s for the full run)\n", batches, loader.NumBatches(), QuickEnv)
	}
	var dev *deviceSet
	if !cfg.HostBatches {
		if dev, err = m.onDevice(trainDS); err != nil {
			return err
		}
	}
	start := time.Now()
	startStep := m.Step
	for epoch := m.Epoch; epoch < cfg.Epochs; epoch++ {
		epochStart := time.Now()
		images := 0
		// stepDone does the bookkeeping of one training step.
		stepDone := func(index, size int, loss float64) {
			if index%cfg.LogEvery == 0 {
				m.Losses = append(m.Losses, LossRecord{Epoch: epoch, Batch: index, Step: m.Step, Loss: loss})
				m.logf("epoch %d, batch %d, loss %.4f\n", epoch, index, loss)
			}
			m.Step++
			images += size
			if cfg.OnBatch != nil {
				elapsed := time.Since(start)
				done := m.Step - startStep
				left := (cfg.Epochs-epoch)*batches - index - 1
				cfg.OnBatch(Progress{
					Epoch: epoch, Epochs: cfg.Epochs, Batch: index, Batches: batches, Step: m.Step, Loss: loss,
					ImagesPerSecond: float64(images) / time.Since(epochStart).Seconds(),
					Elapsed:         elapsed,
					Remaining:       time.Duration(float64(elapsed) / float64(done) * float64(left)),
					Quick:           batches < loader.NumBatches(),
					EpochDone:       index == batches-1,
					FullDone:        index == batches-1 && epoch == cfg.Epochs-1,
				})
			}
		}
		if cfg.HostBatches {
			err = m.trainEpochHost(loader, epoch, batches, stepDone)
		} else {
			err = m.trainEpochDevice(dev, loader, epoch, batches, stepDone)
		}
		if err != nil {
			return err
		}
		m.Epoch = epoch + 1
		m.logf("epoch %d done in %s (%.0f images/s)\n", epoch, time.Since(epochStart).Round(time.Millisecond),
			float64(images)/time.Since(epochStart).Seconds())
		if cfg.CheckpointPath != "" {
			if err := m.Save(cfg.CheckpointPath); err != nil {
				return err
			}
		}
	}
	return nil
}

// trainEpochHost trains the first batches batches of an epoch, built on the
// host one batch ahead of the step that uses them.
func (m *Model) trainEpochHost(loader *Loader, epoch, batches int, stepDone func(index, size int, loss float64)) error {
	for b := range Prefetch(loader.Epoch(epoch), 1) {
		if b.Index >= batches {
			break
		}
		loss, err := m.trainStep(b)
		if err != nil {
			return fmt.Errorf("mnist: training epoch %d, batch %d: %w", epoch, b.Index, err)
		}
		stepDone(b.Index, b.Size(), loss)
	}
	return nil
}

// trainEpochDevice trains the first batches batches of an epoch on the data
// set held by the backend: each call of the training executable runs up to
// StepsPerCall steps, given only the sample numbers of their batches. A last
// partial batch runs alone.
func (m *Model) trainEpochDevice(dev *deviceSet, loader *Loader, epoch, batches int, stepDone func(index, size int, loss float64)) error {
	order := loader.Order(epoch)
	bs := loader.Config().BatchSize
	k := m.Config.StepsPerCall
	if k == 0 {
		k = m.Config.DefaultStepsPerCall()
	}
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
			rows = indexTensor(order[start:], 1, size)
		} else {
			rows = indexTensor(order[start:start+steps*bs], steps, bs)
		}
		losses, err := m.trainK.Call1(dev.pixels, dev.labels, rows)
		if err != nil {
			return fmt.Errorf("mnist: training epoch %d, batches %d-%d: %w", epoch, first, first+steps-1, err)
		}
		values := tensors.MustCopyFlatData[float32](losses)
		losses.FinalizeAll()
		for i, loss := range values {
			stepDone(first+i, size, float64(loss))
		}
		first += steps
	}
	return nil
}

// trainStep runs one optimizer update on a batch and returns its loss.
func (m *Model) trainStep(b *Batch) (float64, error) {
	images, labels := m.batchTensors(b)
	metrics, err := m.trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{images}, Labels: []*tensors.Tensor{labels}})
	if err != nil {
		return 0, err
	}
	defer func() {
		for _, t := range metrics {
			t.FinalizeAll()
		}
	}()
	return float64(tensors.ToScalar[float32](metrics[0])), nil
}

func (m *Model) logf(format string, args ...any) {
	if m.Config.Log != nil {
		fmt.Fprintf(m.Config.Log, format, args...)
	}
}
