package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
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
