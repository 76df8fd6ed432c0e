package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/godigits/digits/internal/runlock"
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
	devices                                   string
	resume                                    bool
}

func (f *trainFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.arch, "model", string(mnist.CNN), "network: linear, mlp or cnn")
	fs.StringVar(&f.task, "task", string(mnist.Regression), "regression (predict the digit as a number) or classification (10 classes)")
	fs.StringVar(&f.optimizer, "optimizer", string(mnist.SGD), "sgd, momentum, adagrad or adam")
	fs.Float64Var(&f.lr, "lr", mnist.DefaultLearningRate, "learning rate")
	fs.Float64Var(&f.momentum, "momentum", mnist.DefaultMomentum, "momentum of the momentum optimizer")
	fs.Float64Var(&f.l2, "l2", 0, "L2 weight decay coefficient (0: none)")
	fs.Float64Var(&f.decayTo, "decay-to", 0, "decay the learning rate linearly to this value over the run's epochs x batches per epoch (0: constant)")
	fs.StringVar(&f.hidden, "hidden", "10,10", "MLP hidden layer sizes, comma separated")
	fs.StringVar(&f.activation, "activation", string(mnist.Sigmoid), "MLP hidden activation: sigmoid or relu")
	fs.IntVar(&f.epochs, "epochs", mnist.DefaultEpochs, "epochs in all; with -resume, the total to reach (default there: the checkpoint's)")
	fs.IntVar(&f.batchSize, "batch", mnist.DefaultBatchSize, "batch size")
	fs.Int64Var(&f.seed, "seed", mnist.DefaultSeed, "seed of initialisation and shuffling")
	fs.IntVar(&f.logEvery, "log-every", mnist.DefaultLogEvery, "batches between loss lines")
	fs.IntVar(&f.quick, "quick", mnist.QuickBatchesFromEnv(), "quick mode: train only this many batches per epoch (0: all; default from $"+mnist.QuickEnv+")")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "checkpoint file, written after every epoch (default checkpoints/MODEL-TASK.ckpt)")
	fs.BoolVar(&f.resume, "resume", false, "continue training from the checkpoint file, with its settings, up to -epochs in all")
	fs.StringVar(&f.plot, "plot", "", "write the loss curve to this .svg or .png file (default: an .svg beside the checkpoint)")
	fs.StringVar(&f.devices, "devices", "1", "devices of the backend to train on, data parallel: a number, or all (the batch must split evenly over them)")
	dataDirFlag(fs, &f.dataDir)
	backendFlag(fs, &f.backend)
}

// check refuses the values that mean nothing for a flag, where a zero
// would otherwise silently become the library's default, and the flags that
// the chosen network or optimizer would ignore.
func (f *trainFlags) check(fs *flag.FlagSet, set map[string]bool) error {
	for _, c := range []struct {
		flag string
		bad  bool
		why  string
	}{
		{"epochs", f.epochs <= 0, "must be at least 1"},
		{"batch", f.batchSize <= 0, "must be at least 1"},
		{"lr", !(f.lr > 0) || math.IsInf(f.lr, 0), "must be a positive number"},
		{"log-every", f.logEvery <= 0, "must be at least 1"},
		{"quick", f.quick < 0, "must be 0 (every batch) or positive"},
		{"decay-to", !(f.decayTo >= 0) || math.IsInf(f.decayTo, 0), "must be 0 (no decay) or a positive number"},
		{"seed", f.seed == 0, fmt.Sprintf("0 stands for the default seed, %d: pass -seed %d or another non-zero seed", mnist.DefaultSeed, mnist.DefaultSeed)},
		{"data", f.dataDir == "", "must name a directory"},
		{"devices", !validDevices(f.devices), "must be a number of devices (1, 2, ...) or all"},
		{"checkpoint", set["checkpoint"] && f.checkpoint == "", "must name a file"},
		{"plot", set["plot"] && f.plot == "", "must name a file"},
		{"momentum", set["momentum"] && !f.resume && !strings.EqualFold(f.optimizer, string(mnist.Momentum)),
			"applies to -optimizer momentum only"},
		{"hidden", set["hidden"] && !f.resume && f.arch != string(mnist.MLP), "applies to -model mlp only"},
		{"activation", set["activation"] && !f.resume && f.arch != string(mnist.MLP), "applies to -model mlp only"},
	} {
		if c.bad {
			return flagError(fs, c.flag, c.why)
		}
	}
	return nil
}

// config builds the training configuration from the flags, without the
// learning rate's decay, whose length depends on the data (withDecay).
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
		if cfg.Model.Hidden, err = parseSizes(f.hidden); err != nil {
			return cfg, usageError{err}
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	if f.checkpoint == "" {
		f.checkpoint = filepath.Join("checkpoints", fmt.Sprintf("%s-%s.ckpt", cfg.Model.Arch, cfg.Model.Task))
	}
	if f.plot == "" {
		f.plot = strings.TrimSuffix(f.checkpoint, filepath.Ext(f.checkpoint)) + "-loss.svg"
	}
	return cfg, nil
}

// parseSizes parses the -hidden flag: sizes like 10,10.
func parseSizes(s string) ([]int, error) {
	var sizes []int
	for _, field := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil {
			return nil, fmt.Errorf("-hidden %q: want sizes like 10,10", s)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// withDecay adds the -decay-to polynomial decay to cfg, over the whole run:
// its epochs times the batches of an epoch over trainImages images (fewer in
// quick mode), and says so.
func (f *trainFlags) withDecay(cfg mnist.TrainConfig, trainImages int) (mnist.TrainConfig, error) {
	if f.decayTo == 0 {
		return cfg, nil
	}
	perEpoch := cfg.BatchesPerEpoch(trainImages)
	cfg.Optimizer.Decay = &mnist.PolynomialDecay{EndLR: f.decayTo, Power: 1, DecaySteps: cfg.Epochs * perEpoch}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	fmt.Printf("learning rate: %g decaying linearly to %g over the run's %d steps (%d epochs x %d batches)\n",
		f.lr, f.decayTo, cfg.Optimizer.Decay.DecaySteps, cfg.Epochs, perEpoch)
	return cfg, nil
}

func runTrain(args []string) error {
	fs := newFlagSet("train", "", "Train one of the course's networks on the 50,000 training images, printing\n"+
		"\"epoch E, batch B, loss L\" every 200 batches, then evaluate it on the 10,000 valid images.\n"+
		"A checkpoint is written after every epoch; -resume continues from it, with the settings\n"+
		"saved in it (a flag that contradicts them is an error) up to -epochs, the total to reach.\n"+
		"The checkpoint file is claimed for the run by a lock file beside it (FILE.lock).")
	var f trainFlags
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	set := explicitFlags(fs)
	if err := f.check(fs, set); err != nil {
		return err
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	// Every output is checked, and the checkpoint claimed, before any
	// download or training.
	base := fmt.Sprintf("%s-%s", cfg.Model.Arch, cfg.Model.Task)
	for _, out := range []struct{ flag, path, example string }{
		{"checkpoint", f.checkpoint, base + ".ckpt"},
		{"plot", f.plot, base + "-loss.svg"},
	} {
		if err := checkOutput(out.flag, out.path, out.example); err != nil {
			return err
		}
	}
	if ext := strings.ToLower(filepath.Ext(f.plot)); ext != ".svg" && ext != ".png" {
		return usageError{fmt.Errorf("-plot %s: want a .svg or .png file", f.plot)}
	}
	lock, err := runlock.Acquire(f.checkpoint)
	if err != nil {
		return err
	}
	defer lock.Release()
	removeOrphans(f.checkpoint)
	removeOrphans(f.plot)
	_, statErr := os.Stat(f.checkpoint)
	switch {
	case f.resume && statErr != nil:
		return fmt.Errorf("-resume: %s: %w", f.checkpoint, errors.Unwrap(statErr))
	case !f.resume && statErr == nil:
		return fmt.Errorf("%s exists: pass -resume to continue it, or choose another -checkpoint (it is never overwritten by a new run)", f.checkpoint)
	}
	backend, err := startBackend(f.backend)
	if err != nil {
		return err
	}
	defer backend.Finalize()

	var m *mnist.Model
	if f.resume {
		if m, err = mnist.LoadModel(backend, f.checkpoint); err != nil {
			return err
		}
		if err := f.checkResume(set, cfg, m); err != nil {
			return err
		}
	}
	// The devices are checked before any download.
	devices, err := numDevices(f.devices, backend)
	if err != nil {
		return err
	}
	batchSize := cfg.BatchSize
	if f.resume {
		batchSize = m.Config.BatchSize
	}
	if err := mnist.CheckDevices(backend, devices, batchSize); err != nil {
		return err
	}
	trainDS, validDS, err := loadTrainValid(f.dataDir)
	if err != nil {
		return err
	}
	if f.resume {
		fmt.Printf("resuming %s from %s after epoch %d (step %d), up to epoch %d\n", m.Config.Model, f.checkpoint, m.Epoch, m.Step, m.Config.Epochs)
	} else {
		if cfg, err = f.withDecay(cfg, trainDS.Len()); err != nil {
			return err
		}
		if m, err = mnist.NewModel(backend, cfg); err != nil {
			return err
		}
		o := cfg.Optimizer
		fmt.Printf("training %s, optimizer %s lr %g, batch %d, %d epochs, seed %d\n",
			cfg.Model, o.Kind, o.LearningRate, cfg.BatchSize, cfg.Epochs, cfg.Seed)
	}
	if err := m.SetDevices(devices); err != nil {
		return err
	}
	if devices > 1 {
		fmt.Printf("data parallel on %d devices of %s: %d images per device per batch\n", devices, backend.Name(), m.Config.BatchSize/devices)
	}
	m.Config.Log = os.Stdout
	m.Config.CheckpointPath = f.checkpoint
	m.Config.OnBatch = newProgressBar(os.Stderr)
	if err := m.Train(trainDS); err != nil {
		if errors.As(err, new(*mnist.DivergedError)) {
			return fmt.Errorf("%w; -lr was %g", err, m.Config.Optimizer.LearningRate)
		}
		return err
	}
	fmt.Printf("checkpoint: %s\n", f.checkpoint)
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

// validDevices reports whether s is a value of -devices: "all" or a
// positive number.
func validDevices(s string) bool {
	if s == "all" {
		return true
	}
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1
}

// numDevices resolves a valid -devices value on backend: "all" is every
// device the backend has.
func numDevices(s string, backend interface{ NumDevices() int }) (int, error) {
	if s == "all" {
		return backend.NumDevices(), nil
	}
	return strconv.Atoi(s)
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
	fig, err := viz.LinePlot{Title: "Training loss", XLabel: "step (batches)", YLabel: "loss", Series: []viz.Series{s}}.Figure()
	if err != nil {
		return err
	}
	return fig.WriteFile(path)
}
