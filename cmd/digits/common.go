package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/godigits/digits/mnist"
)

func dataDirFlag(fs *flag.FlagSet, dir *string) {
	fs.StringVar(dir, "data", mnist.DefaultDataDir(), "data directory (default from $"+mnist.DataDirEnv+", else the user cache dir)")
}

func backendFlag(fs *flag.FlagSet, backend *string) {
	fs.StringVar(backend, "backend", "", "GoMLX backend: go, xla:cpu, xla:cuda or xla:/path/plugin.so (default: chosen automatically, or $GOMLX_BACKEND)")
}

// startBackend starts the backend that the -backend flag names or, when it
// is empty, the one that mnist.ChooseBackend picks (which honours
// $GOMLX_BACKEND), and says which on standard error.
func startBackend(name string) (compute.Backend, error) {
	if name != "" {
		return mnist.OpenBackend(mnist.NamedBackend(name, "set by -backend"), os.Stderr)
	}
	return mnist.NewBackend(os.Stderr)
}

// loadCheckpoint starts the backend and loads the checkpoint at path on it;
// release frees the backend once the model is no longer needed.
func loadCheckpoint(backendName, path string) (m *mnist.Model, release func(), err error) {
	backend, err := startBackend(backendName)
	if err != nil {
		return nil, nil, err
	}
	m, err = mnist.LoadModel(backend, path)
	if err != nil {
		backend.Finalize()
		return nil, nil, err
	}
	return m, backend.Finalize, nil
}

// loadData fetches the MNIST files into dir if any is missing, then loads
// the data set of the given mode.
func loadData(dir string, mode mnist.Mode) (*mnist.Dataset, error) {
	if err := mnist.Ensure(dir); err != nil {
		return nil, err
	}
	ds, err := mnist.Load(dir, mode)
	if err != nil {
		return nil, fmt.Errorf("%w\n(run \"digits data -data %s\" to check the MNIST files' SHA-256: it names any damaged file to delete, and fetches what is missing)", err, dir)
	}
	return ds, nil
}

// newProgressBar returns a training progress hook that redraws one line on
// w when w is a terminal, and does nothing otherwise (logs stay clean).
func newProgressBar(w *os.File) func(mnist.Progress) {
	if st, err := w.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	last := time.Time{}
	return func(p mnist.Progress) {
		if time.Since(last) < 200*time.Millisecond && !p.EpochDone {
			return
		}
		last = time.Now()
		const width = 30
		done := width * (p.Batch + 1) / p.Batches
		bar := strings.Repeat("=", done) + strings.Repeat(" ", width-done)
		fmt.Fprintf(w, "\r\033[Kepoch %d/%d [%s] %d/%d loss %.4f %.0f img/s, %s left",
			p.Epoch+1, p.Epochs, bar, p.Batch+1, p.Batches, p.Loss, p.ImagesPerSecond, p.Remaining.Round(time.Second))
		if p.EpochDone {
			fmt.Fprint(w, "\r\033[K")
		}
	}
}
