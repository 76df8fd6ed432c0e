package mnist

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDataDirWithoutHome checks where the data goes for a user with no home
// directory: a folder of their own in the temporary directory, which Ensure
// refuses when someone else could have planted files in it.
func TestDataDirWithoutHome(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv(DataDirEnv, "")
	dir := DefaultDataDir()
	if want := filepath.Join(tmp, "digits-"+strconv.Itoa(os.Getuid()), "mnist"); dir != want {
		t.Fatalf("DefaultDataDir() = %s, want %s", dir, want)
	}
	// Someone made the folder writable by everybody: refused before any file is read or fetched.
	if err := os.Mkdir(filepath.Dir(dir), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(dir), 0o777)
	err := Ensure(dir)
	if err == nil || !strings.Contains(err.Error(), "is not a private folder of this user") || !strings.Contains(err.Error(), DataDirEnv) {
		t.Errorf("Ensure on a folder writable by all: %v, want a refusal naming %s", err, DataDirEnv)
	}
	// The user's own folder passes the check (and Ensure goes on to the files).
	os.Chmod(filepath.Dir(dir), 0o700)
	if err := checkPrivate(filepath.Dir(dir)); err != nil {
		t.Errorf("the user's own folder: %v", err)
	}
}
