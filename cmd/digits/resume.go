package main

import (
	"fmt"
	"strings"

	"github.com/godigits/digits/mnist"
)

// checkResume compares the flags set on the command line (set) with the
// settings saved in the checkpoint of m: a resumed run keeps those, so a
// flag that says otherwise is a usage error naming both values. It then
// sets the run's epochs: -epochs is the total to reach, by default the
// checkpoint's, and must leave something to do. Quick mode and the log
// interval are the run's own.
func (f *trainFlags) checkResume(set map[string]bool, cfg mnist.TrainConfig, m *mnist.Model) error {
	saved := m.Config.WithDefaults()
	cfg = cfg.WithDefaults()
	decayTo := func(c mnist.TrainConfig) string {
		if c.Optimizer.Decay == nil {
			return "0"
		}
		return fmt.Sprint(c.Optimizer.Decay.EndLR)
	}
	mlpOnly := func(value string) string {
		if saved.Model.Arch != mnist.MLP {
			return "(none: a " + string(saved.Model.Arch) + ")"
		}
		return value
	}
	savedHidden := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(saved.Model.Hidden)), ","), "[]")
	flagHidden := strings.ReplaceAll(f.hidden, " ", "")
	for _, c := range []struct{ flag, given, saved string }{
		{"model", string(cfg.Model.Arch), string(saved.Model.Arch)},
		{"task", string(cfg.Model.Task), string(saved.Model.Task)},
		{"optimizer", string(cfg.Optimizer.Kind), string(saved.Optimizer.Kind)},
		{"lr", fmt.Sprint(cfg.Optimizer.LearningRate), fmt.Sprint(saved.Optimizer.LearningRate)},
		{"momentum", fmt.Sprint(cfg.Optimizer.Momentum), fmt.Sprint(saved.Optimizer.Momentum)},
		{"l2", fmt.Sprint(cfg.Optimizer.L2), fmt.Sprint(saved.Optimizer.L2)},
		{"decay-to", fmt.Sprint(f.decayTo), decayTo(saved)},
		{"hidden", flagHidden, mlpOnly(savedHidden)},
		{"activation", f.activation, mlpOnly(string(saved.Model.Activation))},
		{"batch", fmt.Sprint(cfg.BatchSize), fmt.Sprint(saved.BatchSize)},
		{"seed", fmt.Sprint(cfg.Seed), fmt.Sprint(saved.Seed)},
	} {
		if set[c.flag] && c.given != c.saved {
			return usageError{fmt.Errorf("-%s %s conflicts with %s, trained with -%s %s: a resumed run keeps its checkpoint's settings; "+
				"drop -%s, or train a new network with another -checkpoint", c.flag, c.given, f.checkpoint, c.flag, c.saved, c.flag)}
		}
	}
	epochs := saved.Epochs
	if set["epochs"] {
		epochs = f.epochs
	}
	if epochs <= m.Epoch {
		if set["epochs"] {
			return usageError{fmt.Errorf("-epochs %d is the total number of epochs to reach, and %s has trained %d: nothing is left to do; "+
				"pass -epochs %d or more to train further", epochs, f.checkpoint, m.Epoch, m.Epoch+1)}
		}
		return usageError{fmt.Errorf("%s has trained all its %d epochs: nothing is left to do; pass -epochs %d or more "+
			"(the total to reach) to train further", f.checkpoint, m.Epoch, m.Epoch+1)}
	}
	m.Config.Epochs = epochs
	m.Config.MaxBatches = cfg.MaxBatches
	m.Config.LogEvery = cfg.LogEvery
	return nil
}
