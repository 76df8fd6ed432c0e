package mnist

import (
	"fmt"
	"math"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Model is a network of the course with its parameters, the optimizer that
// trains it, and how far its training has come. Chapter 3 (网络结构)
// introduces training; chapter 8 (恢复训练) saving and resuming it.
type Model struct {
	Config TrainConfig
	// Epoch is the number of epochs completed; Step the number of updates.
	Epoch, Step int
	// Losses holds the logged losses, every LogEvery batches, of every epoch
	// trained so far (resumed runs included).
	Losses []LossRecord

	backend   compute.Backend
	store     *model.Store // The parameters and the optimizer's state.
	optimizer *courseOptimizer
	summary   Summary

	// Executables, compiled on first use: one training step on a host
	// batch (step.go), inference and evaluation of a host batch, the
	// outputs of every layer (params.go).
	stepExec   *model.Exec
	inferExec  *model.ExecTwoOutputs // images -> scores, digits
	evalExec   *model.ExecTwoOutputs // images, labels -> mean loss, digits
	layersExec *model.Exec

	fast     *fastPath     // nil when Config.Plain or on several devices; see fast.go.
	parallel *dataParallel // Layout over the devices when Config.Devices > 1; see devices.go.
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

// NewModel returns the network of cfg on backend, its parameters
// initialised as the course's framework initialises them (see layers.go),
// ready to train, evaluate or predict.
func NewModel(backend compute.Backend, cfg TrainConfig) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if err := CheckDevices(backend, cfg.Devices, cfg.BatchSize); err != nil {
		return nil, err
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, cfg.Seed)
	m, err := newModel(backend, cfg, store)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	return m, nil
}

// newModel sets up a model over store, creating the parameters it lacks.
// cfg must be valid.
func newModel(backend compute.Backend, cfg TrainConfig, store *model.Store) (*Model, error) {
	opt, err := newCourseOptimizer(cfg.Optimizer)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, backend: backend, store: store, optimizer: opt}
	if m.summary, err = describe(backend, store, cfg.Model); err != nil {
		return nil, err
	}
	if !cfg.Plain && cfg.Devices <= 1 {
		if m.fast, err = newFastPath(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// network builds the model's network (network.go) for images. Unless
// Config.Plain is set, the CNN's convolutions and poolings run in the
// faster form of fast.go, which computes the same numbers.
func (m *Model) network(scope *model.Scope, images *graph.Node) *graph.Node {
	n := &network{scope: scope, config: m.Config.Model}
	if m.fast != nil && m.Config.Model.Arch == CNN {
		return n.cnnFast(images, IsPureGo(m.backend), m.CNNChunk())
	}
	return n.build(images)
}

// BuildNetwork builds the network of c, as network.go writes it, on images
// ([N, 784], or [N, 1, 28, 28] for the CNN) and returns its outputs, [N, 1]
// or [N, 10]. Parameters that scope lacks are created with the course's
// initialisation, from the seed in scope's model.ParamInitialSeed. Chapter 3
// (网络结构) introduces the networks.
func BuildNetwork(scope *model.Scope, c ModelConfig, images *graph.Node) *graph.Node {
	n := &network{scope: scope, config: c.WithDefaults()}
	return n.build(images)
}

// Backend returns the backend the model runs on.
func (m *Model) Backend() compute.Backend { return m.backend }

// Store returns the GoMLX store holding the model's parameters and the
// optimizer's state, for work at GoMLX's level; [Model.Params] and
// [Model.Param] are the course's way to read the parameters.
func (m *Model) Store() *model.Store { return m.store }

// ResetOptimizer forgets the optimizer's state (its moments and step
// counter) and keeps the parameters: training goes on as if the optimizer
// were new. Chapter 8 (恢复训练) shows what this does to a resumed run.
func (m *Model) ResetOptimizer() error {
	return m.store.DeleteVariablesInScope("/" + optimizerScope)
}

// Loader returns the loader that the model trains (training true: shuffled,
// and without the last partial batch when Config.DropLast) or evaluates
// (training false: in order, every image) ds with.
func (m *Model) Loader(ds *Dataset, training bool) (*Loader, error) {
	return NewLoader(ds, LoaderConfig{
		BatchSize: m.Config.BatchSize,
		Shuffle:   training,
		DropLast:  training && m.Config.DropLast,
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
// A loss that is NaN or infinite stops training at once with a
// [*DivergedError] naming the epoch and batch, as do weights that are not
// finite at the end of an epoch; the epoch's checkpoint is then not written.
//
// Each batch gets one training step (step.go). With Config.Plain the
// batches come from the model's [Loader] through [Prefetch], as chapter 2
// builds them (trainEpoch below); otherwise the fast path gathers them on the
// backend, several steps per call (fast.go), with the same results. With
// Config.Devices above 1 each batch is split over the devices (devices.go);
// every batch trained, the last partial one included unless DropLast, must
// then split evenly.
func (m *Model) Train(trainDS *Dataset) error {
	cfg := m.Config
	loader, err := m.Loader(trainDS, true)
	if err != nil {
		return err
	}
	batches := cfg.BatchesPerEpoch(trainDS.Len())
	if last := trainDS.Len() % cfg.BatchSize; cfg.Devices > 1 && !cfg.DropLast && batches == loader.NumBatches() && last%cfg.Devices != 0 {
		return fmt.Errorf("mnist: the last batch of %d images does not split evenly over %d devices: set DropLast or change the batch size", last, cfg.Devices)
	}
	if batches < loader.NumBatches() {
		m.logf("QUICK MODE: %d of %d batches per epoch (MaxBatches); the course's numbers need full runs\n", batches, loader.NumBatches())
	}
	start := time.Now()
	startStep := m.Step
	for epoch := m.Epoch; epoch < cfg.Epochs; epoch++ {
		epochStart := time.Now()
		images := 0
		// stepDone does the bookkeeping of one training step; it stops the
		// epoch at a loss that is not finite.
		stepDone := func(index, size int, loss float64) error {
			if !isFinite(loss) {
				m.logf("epoch %d, batch %d, loss %.4f\n", epoch, index, loss)
				return &DivergedError{Epoch: epoch, Batch: index, Loss: loss}
			}
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
			return nil
		}
		if m.fast != nil {
			err = m.fast.trainEpoch(trainDS, loader, epoch, batches, stepDone)
		} else {
			err = m.trainEpoch(loader, epoch, batches, stepDone)
		}
		if err != nil {
			return err
		}
		// The last update may have left weights that are not finite even
		// though the loss before it was.
		if err := m.CheckFinite(); err != nil {
			return &DivergedError{Epoch: epoch, Batch: batches - 1, Loss: math.NaN(), Cause: err}
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

// trainEpoch is the course's loop over one epoch: the loader's batches, in
// the epoch's shuffled order, prepared one ahead by Prefetch, and one
// training step for each of the first batches.
func (m *Model) trainEpoch(loader *Loader, epoch, batches int, stepDone func(index, size int, loss float64) error) error {
	for batch := range Prefetch(loader.Epoch(epoch), 1) {
		if batch.Index >= batches {
			break
		}
		loss, err := m.trainBatch(batch)
		if err != nil {
			return fmt.Errorf("mnist: training epoch %d, batch %d: %w", epoch, batch.Index, err)
		}
		if err := stepDone(batch.Index, batch.Size(), loss); err != nil {
			return err
		}
	}
	return nil
}

func (m *Model) logf(format string, args ...any) {
	if m.Config.Log != nil {
		fmt.Fprintf(m.Config.Log, format, args...)
	}
}
