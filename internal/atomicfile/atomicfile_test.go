package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		write   func(io.Writer) error
		wantErr bool
		want    string
	}{
		{"failing writer keeps the old file", func(w io.Writer) error {
			io.WriteString(w, "half")
			return errors.New("disk full")
		}, true, "old"},
		{"good writer replaces it", func(w io.Writer) error {
			_, err := io.WriteString(w, "new")
			return err
		}, false, "new"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(path, tc.write)
			if (err != nil) != tc.wantErr {
				t.Fatalf("got error %v, want error: %v", err, tc.wantErr)
			}
			if got, _ := os.ReadFile(path); string(got) != tc.want {
				t.Errorf("got content %q, want %q", got, tc.want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("got %d files in the directory, want 1: a temporary file was left behind", len(entries))
			}
		})
	}
}

func TestRemoveTemps(t *testing.T) {
	for _, name := range []string{"run.ckpt", "run[1]*.ckpt"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			orphans := []string{"." + name + ".tmp-123", "." + name + ".tmp-456"}
			kept := []string{name, name + ".lock", ".other.ckpt.tmp-1", "." + name + ".tmp"}
			for _, f := range append(append([]string{}, orphans...), kept...) {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			removed, err := RemoveTemps(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(removed) != len(orphans) {
				t.Errorf("removed %q, want the %d orphans %q", removed, len(orphans), orphans)
			}
			for _, f := range kept {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("%s was removed: %v", f, err)
				}
			}
		})
	}
}

func TestCannotWriteNamesTheFolder(t *testing.T) {
	dir := "/data/mnist"
	err := cannotWrite(dir, &os.PathError{Op: "open", Path: dir + "/.x.tmp-123", Err: syscall.EACCES})
	if got, want := err.Error(), "cannot write in /data/mnist: permission denied"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(err, syscall.EACCES) {
		t.Errorf("%v does not wrap EACCES", err)
	}
}
