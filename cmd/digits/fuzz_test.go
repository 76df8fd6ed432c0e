package main

import (
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

// FuzzParseCommandLine parses command lines, their arguments separated by
// newlines, as train and predict do (without running them): every outcome
// is a configuration or a usage error, never a panic, and predict's images
// are arguments of the command line.
func FuzzParseCommandLine(f *testing.F) {
	for _, seed := range []string{
		"-model\nmlp\n-epochs\n3",
		"-epochs\n0",
		"-lr\nNaN",
		"-hidden\n100000000,10\n-model\nmlp",
		"-hidden\n,\n-model\nmlp",
		"-decay-to\n-1",
		"-resume\n-epochs\n3",
		"img.png\n-checkpoint\nx.ckpt\nother.png",
		"-checkpoint\nx.ckpt\n--\n-odd.png",
		"",
		"-h",
		"--\n--",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\n")
		wantUsage := func(what string, err error) {
			if err != nil && !errors.Is(err, flag.ErrHelp) && !errors.As(err, new(usageError)) {
				t.Errorf("%s %q: error %v is not a usage error", what, args, err)
			}
		}

		fs := newFlagSet("train", "", "")
		fs.SetOutput(io.Discard)
		var tf trainFlags
		tf.register(fs)
		err := parse(fs, args)
		if err == nil {
			err = tf.check(fs, explicitFlags(fs))
		}
		if err == nil {
			_, err = tf.config()
		}
		wantUsage("train", err)

		fs = newFlagSet("predict", "IMAGE...", "")
		fs.SetOutput(io.Discard)
		var checkpoint string
		fs.StringVar(&checkpoint, "checkpoint", "", "")
		images, err := parseInterspersed(fs, args)
		wantUsage("predict", err)
		for _, img := range images {
			if !slices.Contains(args, img) {
				t.Errorf("predict %q: image %q is not an argument", args, img)
			}
		}
	})
}
