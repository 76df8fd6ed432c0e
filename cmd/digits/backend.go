package main

import (
	"fmt"
	"os"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/godigits/digits/mnist"
)

func runBackend(args []string) error {
	fs := newFlagSet("backend", "", "Print which GoMLX backend the course uses and why (set GOMLX_BACKEND to choose:\n"+
		"go, xla:cpu, xla:cuda or xla:/path/to/plugin.so), its devices and, on a GPU, how it takes\n"+
		"the GPU's memory (set $"+mnist.GPUMemoryEnv+"), then compute a small sum on it.")
	if err := parse(fs, args); err != nil {
		return err
	}
	backend, err := mnist.NewBackend(os.Stdout)
	if err != nil {
		return err
	}
	defer backend.Finalize()
	fmt.Printf("%s: %s\n", backend.Name(), backend.Description())
	fmt.Printf("devices: %d (digits train -devices N trains on N of them, data parallel)\n", backend.NumDevices())
	sumOfSquares, err := graph.NewExec1(backend, func(x *graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.Square(x))
	})
	if err != nil {
		return err
	}
	out, err := sumOfSquares.Call(tensors.FromValue([]float32{1, 2, 3, 4}))
	if err != nil {
		return fmt.Errorf("running a graph on %s: %w", backend.Name(), err)
	}
	got := tensors.ToScalar[float32](out)
	fmt.Printf("check: sum of squares of [1 2 3 4] = %g (want 30)\n", got)
	if got != 30 {
		return fmt.Errorf("backend %s computed %g, want 30", backend.Name(), got)
	}
	return nil
}
