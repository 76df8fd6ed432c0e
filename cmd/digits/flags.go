package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/godigits/digits/internal/atomicfile"
)

// explicitFlags returns the names of the flags set on the command line, as
// opposed to those left at their defaults.
func explicitFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// flagError is the usage error of a flag whose value is not allowed.
func flagError(fs *flag.FlagSet, name, why string) error {
	value := fs.Lookup(name).Value.String()
	if value == "" {
		value = `""`
	}
	return usageError{fmt.Errorf("-%s %s: %s", name, value, why)}
}

// parseInterspersed parses args into fs, allowing flags after the
// positional arguments ("predict IMAGE -checkpoint FILE"), and returns the
// positional arguments. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// checkOutput makes sure that path, the value of flag -name, can be written
// before any long work starts: it is not a directory, and its directory
// exists (it is created if need be) and takes new files. example is a file
// name the message suggests when path is a directory.
func checkOutput(name, path, example string) error {
	if path == "" {
		return usageError{fmt.Errorf("-%s \"\": must name a file", name)}
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return usageError{fmt.Errorf("-%s %s is a directory: give the name of a file in it, such as %s",
			name, path, filepath.Join(path, example))}
	}
	if err := atomicfile.CheckDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("-%s %s: %w", name, path, err)
	}
	return nil
}

// removeOrphans removes the temporary files that runs killed while writing
// path left beside it, saying so on standard error. The caller must hold
// path's lock.
func removeOrphans(path string) {
	removed, err := atomicfile.RemoveTemps(path)
	for _, r := range removed {
		fmt.Fprintf(os.Stderr, "removed %s, left by a run killed while writing %s\n", r, path)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "warning: %v\n", err)
	}
}
