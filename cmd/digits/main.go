// Command digits does the course's work from a terminal: it fetches the
// MNIST data, trains, evaluates and exports the course's networks, predicts
// digits in images and checks the backend.
//
// Usage:
//
//	digits train [flags]                  train a network (chapter 3 by default)
//	digits eval -checkpoint FILE          loss, accuracy and confusion matrix
//	digits predict -checkpoint FILE IMAGE...
//	digits export -checkpoint FILE        static ONNX model (built with -tags onnx)
//	digits data [-data DIR]               fetch and verify the MNIST files
//	digits json [-data DIR] [-o FILE]     write the course's mnist.json.gz
//	digits backend                        say which GoMLX backend runs, and test it
//	digits bench [flags]                  time the models against PyTorch, JAX, Paddle
//	digits serve -checkpoint FILE...      a page to draw a digit on; the models answer live
//
// Run "digits COMMAND -h" for the flags of a command.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	_ "github.com/godigits/digits/internal/userhome" // A HOME for go-xla's plugin search, before go-xla starts.
)

// command is one subcommand: its name, a one-line summary and its entry point,
// which parses its own flags from args.
type command struct {
	name, summary string
	run           func(args []string) error
}

var commands = []command{
	{"data", "fetch the MNIST files into the data directory and verify their SHA-256", runData},
	{"json", "write the course's mnist.json.gz (train/valid/eval) from the MNIST files", runJSON},
	{"train", "train a network of the course, log its loss, save checkpoints and the loss curve", runTrain},
	{"eval", "evaluate a checkpoint on the valid or eval images: loss, accuracy, confusion matrix", runEval},
	{"predict", "predict the digit in PNG or JPEG images with a checkpoint", runPredict},
	{"export", "export a checkpoint as a static ONNX model and check it predicts as the checkpoint", runExport},
	{"backend", "print which GoMLX backend is chosen and why, and run a small computation on it", runBackend},
	{"serve", "serve a page where you draw a digit and the models answer while you draw", runServe},
	{"bench", "time the course's models on GoMLX and on PyTorch, JAX and PaddlePaddle in one run", runBench},
}

func usage() {
	fmt.Fprintf(os.Stderr, "digits: the Handwritten Digits in Go course from a terminal.\n\nUsage: digits COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(os.Stderr, "\nRun \"digits COMMAND -h\" for the flags of a command.\n")
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the process exit code: 0 on
// success, 1 on failure, 2 on bad usage.
func run(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage()
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(usageError)):
			fmt.Fprintf(os.Stderr, "digits %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(os.Stderr, "digits %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(os.Stderr, "digits: unknown command %q\n\n", args[0])
	usage()
	return 2
}

// usageError marks an error in the command line itself (exit code 2).
type usageError struct{ error }

// newFlagSet returns a FlagSet for a subcommand that reports errors instead
// of exiting, with a usage line.
func newFlagSet(name, argsUsage, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet("digits "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: digits %s [flags] %s\n\n%s\n\nFlags:\n", name, argsUsage, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args into fs, turning flag errors and positional arguments
// into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	return nil
}

// parseFlags parses args into fs up to the first positional argument,
// turning flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}
