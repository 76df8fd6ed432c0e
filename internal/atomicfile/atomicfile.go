// Package atomicfile writes files so that readers see either the old content
// or the complete new content, never a half-written file, and cleans up
// after writers that were killed.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// CheckDir makes sure dir exists (creating it if need be) and takes new
// files, so that a long job can fail before it starts rather than at its
// first write.
func CheckDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return cannotWrite(dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// cannotWrite names the folder that refused a new file, rather than the
// temporary file's random name.
func cannotWrite(dir string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("cannot write in %s: %w", dir, err)
}

// Write creates a temporary file beside path, lets write fill it, syncs it and
// renames it over path. If write fails, the temporary file is removed and
// path is left untouched.
func Write(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, tempPrefix(path)+"*")
	if err != nil {
		return cannotWrite(dir, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// tempPrefix is the name, up to a random suffix, of Write's temporary files
// for path.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// RemoveTemps removes the temporary files that Write left beside path when
// its process was killed, and returns their names. Only a caller that alone
// writes path (see internal/runlock) may call it: another writer's file in
// progress would go too.
func RemoveTemps(path string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(filepath.Dir(path), globEscape(tempPrefix(path))+"*"))
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, m := range matches {
		if err := os.Remove(m); err != nil {
			return removed, err
		}
		removed = append(removed, m)
	}
	return removed, nil
}

// globEscape quotes the characters that filepath.Match treats specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
