// Package runlock claims a file for one run at a time: a lock file beside
// it, created exclusively, names the process that holds it, so that a second
// run on the same file is refused at its start instead of overwriting the
// first run's work. A lock left by a process that no longer runs (killed,
// or the machine restarted) is taken over.
package runlock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Suffix is appended to the claimed file's name to make the lock file's.
const Suffix = ".lock"

// Lock is a claim on a file, held until Release.
type Lock struct {
	path string // The lock file.
}

// HeldError is the error of Acquire when another live process holds the
// lock.
type HeldError struct {
	Path, LockPath string
	PID            int
	Host, Started  string
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("%s is in use by another run (pid %d on %s, started %s): wait for it to end or choose another file "+
		"(if that run is gone, delete %s)", e.Path, e.PID, e.Host, e.Started, e.LockPath)
}

// Acquire claims path for this process by creating path+Suffix with the
// process's PID, host name and start time. If another process holds it and
// still runs on this host, or runs on another host, it returns a
// *HeldError; a lock whose process has ended is removed and taken over.
func Acquire(path string) (*Lock, error) {
	lockPath := path + Suffix
	host, _ := os.Hostname()
	content := fmt.Sprintf("pid %d\nhost %s\nstarted %s\n", os.Getpid(), host, time.Now().Format(time.RFC3339))
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(lockPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, err = f.WriteString(content)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(lockPath)
				return nil, fmt.Errorf("writing lock file %s: %w", lockPath, err)
			}
			return &Lock{path: lockPath}, nil
		}
		if !errors.Is(err, fs.ErrExist) || attempt == 2 {
			return nil, fmt.Errorf("creating lock file: %w", err)
		}
		held, err := read(lockPath)
		if errors.Is(err, fs.ErrNotExist) {
			continue // Released meanwhile.
		}
		if err != nil {
			return nil, err
		}
		held.Path = path
		if held.alive(host) {
			return nil, held
		}
		// A stale lock: its process has ended.
		if err := os.Remove(lockPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("removing the stale lock file %s: %w", lockPath, err)
		}
	}
}

// Release removes the lock file. It is safe to call on a nil Lock and more
// than once.
func (l *Lock) Release() error {
	if l == nil || l.path == "" {
		return nil
	}
	err := os.Remove(l.path)
	l.path = ""
	return err
}

// read parses a lock file. A file that is empty or unreadable as a lock
// (written by a process killed before it finished writing) gets PID 0, and
// is stale once a minute old.
func read(lockPath string) (*HeldError, error) {
	data, err := os.ReadFile(lockPath)
	if err != nil {
		return nil, err
	}
	h := &HeldError{LockPath: lockPath, Host: "?", Started: "?"}
	for _, line := range strings.Split(string(data), "\n") {
		key, value, _ := strings.Cut(line, " ")
		switch key {
		case "pid":
			h.PID, _ = strconv.Atoi(value)
		case "host":
			h.Host = value
		case "started":
			h.Started = value
		}
	}
	if h.PID <= 0 {
		if st, err := os.Stat(lockPath); err == nil && time.Since(st.ModTime()) < time.Minute {
			h.PID = -1 // Being written: held.
		}
	}
	return h, nil
}

// alive reports whether the process that wrote the lock may still run: it
// does on another host (which cannot be checked from here), and on this one
// when signal 0 reaches it or is refused for lack of permission.
func (h *HeldError) alive(host string) bool {
	if h.PID == -1 || h.Host != host {
		return true
	}
	if h.PID <= 0 {
		return false
	}
	p, err := os.FindProcess(h.PID)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
