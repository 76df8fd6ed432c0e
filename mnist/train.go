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
	return err
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
	start := time.Now()
	startStep := m.Step
	for epoch := m.Epoch; epoch < cfg.Epochs; epoch++ {
		epochStart := time.Now()
		images := 0
		for b := range loader.Epoch(epoch) {
			if b.Index >= batches {
				break
			}
			loss, err := m.trainStep(b)
			if err != nil {
				return fmt.Errorf("mnist: training epoch %d, batch %d: %w", epoch, b.Index, err)
			}
			if b.Index%cfg.LogEvery == 0 {
				m.Losses = append(m.Losses, LossRecord{Epoch: epoch, Batch: b.Index, Step: m.Step, Loss: loss})
				m.logf("epoch %d, batch %d, loss %.4f\n", epoch, b.Index, loss)
			}
			m.Step++
			images += b.Size()
			if cfg.OnBatch != nil {
				elapsed := time.Since(start)
				done := m.Step - startStep
				left := (cfg.Epochs-epoch)*batches - b.Index - 1
				cfg.OnBatch(Progress{
					Epoch: epoch, Epochs: cfg.Epochs, Batch: b.Index, Batches: batches, Step: m.Step, Loss: loss,
					ImagesPerSecond: float64(images) / time.Since(epochStart).Seconds(),
					Elapsed:         elapsed,
					Remaining:       time.Duration(float64(elapsed) / float64(done) * float64(left)),
					Quick:           batches < loader.NumBatches(),
					EpochDone:       b.Index == batches-1,
					FullDone:        b.Index == batches-1 && epoch == cfg.Epochs-1,
				})
			}
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
