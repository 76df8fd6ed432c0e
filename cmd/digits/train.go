package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/godigits/digits/mnist"
	"github.com/godigits/digits/viz"
)

// trainFlags are the flags of `digits train`, mapped onto mnist.TrainConfig.
type trainFlags struct {
	arch, task, optimizer, hidden, activation string
	lr, l2, decayTo, momentum                 float64
	epochs, batchSize, quick, logEvery        int
	seed                                      int64
	checkpoint, plot, dataDir, backend        string
	resume                                    bool
}

func (f *trainFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.arch, "model", string(mnist.CNN), "network: linear, mlp or cnn")
	fs.StringVar(&f.task, "task", string(mnist.Regression), "regression (predict the digit as a number) or classification (10 classes)")
	fs.StringVar(&f.optimizer, "optimizer", string(mnist.SGD), "sgd, momentum, adagrad or adam")
	fs.Float64Var(&f.lr, "lr", mnist.DefaultLearningRate, "learning rate")
	fs.Float64Var(&f.momentum, "momentum", mnist.DefaultMomentum, "momentum of the momentum optimizer")
	fs.Float64Var(&f.l2, "l2", 0, "L2 weight decay coefficient (0: none)")
	fs.Float64Var(&f.decayTo, "decay-to", 0, "decay the learning rate polynomially (linearly) to this value over the run (0: constant)")
	fs.StringVar(&f.hidden, "hidden", "10,10", "MLP hidden layer sizes, comma separated")
	fs.StringVar(&f.activation, "activation", string(mnist.Sigmoid), "MLP hidden activation: sigmoid or relu")
	fs.IntVar(&f.epochs, "epochs", mnist.DefaultEpochs, "epochs")
	fs.IntVar(&f.batchSize, "batch", mnist.DefaultBatchSize, "batch size")
	fs.Int64Var(&f.seed, "seed", mnist.DefaultSeed, "seed of initialisation and shuffling")
	fs.IntVar(&f.logEvery, "log-every", mnist.DefaultLogEvery, "batches between loss lines")
	fs.IntVar(&f.quick, "quick", mnist.QuickBatchesFromEnv(), "quick mode: train only this many batches per epoch (0: all; default from $"+mnist.QuickEnv+")")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "checkpoint file, written after every epoch (default checkpoints/MODEL-TASK.ckpt)")
	fs.BoolVar(&f.resume, "resume", false, "continue training from the checkpoint file, up to -epochs")
	fs.StringVar(&f.plot, "plot", "", "write the loss curve to this SVG file (default: beside the checkpoint)")
	dataDirFlag(fs, &f.dataDir)
	backendFlag(fs, &f.backend)
}

// config builds the training configuration from the flags.
func (f *trainFlags) config() (mnist.TrainConfig, error) {
	kind, err := mnist.ParseOptimizer(f.optimizer)
	if err != nil {
		return mnist.TrainConfig{}, usageError{fmt.Errorf("-optimizer: %w", err)}
	}
	cfg := mnist.TrainConfig{
		Model: mnist.ModelConfig{Arch: mnist.Architecture(f.arch), Task: mnist.Task(f.task), Activation: mnist.Activation(f.activation)},
		Optimizer: mnist.OptimizerConfig{Kind: kind, LearningRate: f.lr,
			Momentum: f.momentum, L2: f.l2},
		Epochs: f.epochs, BatchSize: f.batchSize, Seed: f.seed, LogEvery: f.logEvery, MaxBatches: f.quick,
	}
	if cfg.Model.Arch == mnist.MLP {
		for _, s := range strings.Split(f.hidden, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return cfg, usageError{fmt.Errorf("-hidden %q: want sizes like 10,10", f.hidden)}
			}
			cfg.Model.Hidden = append(cfg.Model.Hidden, n)
		}
	}
	if f.decayTo > 0 {
		cfg.Optimizer.Decay = &mnist.PolynomialDecay{EndLR: f.decayTo, Power: 1}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	if f.checkpoint == "" {
		f.checkpoint = filepath.Join("checkpoints", fmt.Sprintf("%s-%s.ckpt", cfg.Model.Arch, cfg.Model.Task))
	}
	return cfg, nil
}

func runTrain(args []string) error {
	fs := newFlagSet("train", "", "Train one of the course's networks on the 50,000 training images, printing\n"+
		"\"epoch E, batch B, loss L\" every 200 batches, then evaluate it on the 10,000 valid images.\n"+
		"A checkpoint is written after every epoch; -resume continues from it.")
	var f trainFlags
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	trainDS, validDS, err := loadTrainValid(f.dataDir)
	if err != nil {
		return err
	}
	backend, err := startBackend(f.backend)
	if err != nil {
		return err
	}
	defer backend.Finalize()

	var m *mnist.Model
	if f.resume {
		m, err = mnist.LoadModel(backend, f.checkpoint)
		if err != nil {
			return err
		}
		fmt.Printf("resuming %s from %s after epoch %d (step %d)\n", m.Config.Model, f.checkpoint, m.Epoch, m.Step)
		m.Config.Epochs = cfg.Epochs
		m.Config.MaxBatches = cfg.MaxBatches
		m.Config.LogEvery = cfg.LogEvery
	} else {
		if _, err := os.Stat(f.checkpoint); err == nil {
			return fmt.Errorf("%s exists: pass -resume to continue it, or choose another -checkpoint (it is never overwritten by a new run)", f.checkpoint)
		}
		m, err = mnist.NewModel(backend, cfg)
		if err != nil {
			return err
		}
		o := cfg.Optimizer
		fmt.Printf("training %s, optimizer %s lr %g, batch %d, %d epochs, seed %d\n",
			cfg.Model, o.Kind, o.LearningRate, cfg.BatchSize, cfg.Epochs, cfg.Seed)
	}
	m.Config.Log = os.Stdout
	m.Config.CheckpointPath = f.checkpoint
	m.Config.OnBatch = newProgressBar(os.Stderr)
	if err := m.Train(trainDS); err != nil {
		return err
	}
	fmt.Printf("checkpoint: %s\n", f.checkpoint)
	if f.plot == "" {
		f.plot = strings.TrimSuffix(f.checkpoint, filepath.Ext(f.checkpoint)) + "-loss.svg"
	}
	if err := writeLossPlot(f.plot, m); err != nil {
		return err
	}
	fmt.Printf("loss curve: %s\n", f.plot)
	ev, err := m.Evaluate(validDS)
	if err != nil {
		return err
	}
	fmt.Println(ev)
	return nil
}

// loadTrainValid fetches the data if needed and loads the train and valid sets.
func loadTrainValid(dir string) (trainDS, validDS *mnist.Dataset, err error) {
	if trainDS, err = loadData(dir, mnist.Train); err != nil {
		return nil, nil, err
	}
	if validDS, err = loadData(dir, mnist.Valid); err != nil {
		return nil, nil, err
	}
	return trainDS, validDS, nil
}

// writeLossPlot draws the logged losses of m against the training step.
func writeLossPlot(path string, m *mnist.Model) error {
	s := viz.Series{Name: m.Config.Model.String()}
	for _, r := range m.Losses {
		s.X = append(s.X, float64(r.Step))
		s.Y = append(s.Y, r.Loss)
	}
	if len(s.X) == 0 {
		return errors.New("no losses were logged: nothing to plot")
	}
	svg, err := viz.LinePlot{Title: "Training loss", XLabel: "step (batches)", YLabel: "loss", Series: []viz.Series{s}}.SVG()
	if err != nil {
		return err
	}
	return viz.WriteFile(path, svg)
}
