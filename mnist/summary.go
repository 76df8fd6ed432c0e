package mnist

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// LayerInfo describes one layer of a network: a row of its [Summary].
type LayerInfo struct {
	Layer      Layer
	Kind       string     // What the layer computes, e.g. "Conv2D 1→20, 5x5".
	Activation Activation // Applied to the layer's output; NoActivation for none.
	Shape      []int      // Shape of the layer's output for one image (the batch dimension left out).
	Params     int        // Number of learnt parameters (weights and biases).
}

// Summary lists the layers of a network, in order, with the shape of their
// outputs and their numbers of parameters, as torchinfo's and Keras's
// summaries do. [Model.Summary] returns it; chapter 3 (网络结构) prints it.
type Summary struct {
	Model  ModelConfig
	Input  []int // Shape of one input image: [784], or [1, 28, 28] for the CNN.
	Layers []LayerInfo
	Params int // Total number of learnt parameters.
}

// String formats the summary as a table, shapes with N for the batch size.
func (s Summary) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n", s.Model)
	row := func(layer, kind, act, shape, params string) {
		line := fmt.Sprintf("%-8s %-20s %-10s %-16s %10s", layer, kind, act, shape, params)
		sb.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	row("layer", "kind", "activation", "output shape", "parameters")
	row("input", "", "", batchShape(s.Input), "")
	for _, l := range s.Layers {
		row(string(l.Layer), l.Kind, string(l.Activation), batchShape(l.Shape), thousands(l.Params))
	}
	row("total", "", "", "", thousands(s.Params))
	return sb.String()
}

// batchShape writes the shape of a batch: [N, 20, 28, 28].
func batchShape(dims []int) string {
	s := "[N"
	for _, d := range dims {
		s += fmt.Sprintf(", %d", d)
	}
	return s + "]"
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Summary returns the layers of the model's network (network.go), with
// their output shapes and parameter counts.
func (m *Model) Summary() Summary { return m.summary }

// describe builds the model's network, as network.go writes it, in a graph
// that is never compiled, and returns its summary. Parameters that do not
// exist yet are created, with their initial values: this is how NewModel
// creates them. A store whose parameters do not fit the network (a
// checkpoint whose configuration disagrees with its weights) is an error.
func describe(backend compute.Backend, store *model.Store, c ModelConfig) (s Summary, err error) {
	g := graph.NewGraph(backend, "summary")
	defer g.Finalize()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the %s network does not fit its parameters: %v", c, firstLine(fmt.Errorf("%v", r)))
		}
	}()
	model.SetStore(g, store)
	s = Summary{Model: c, Input: c.Layout().Dims(1)[1:]}
	n := &network{scope: store.RootScope(), config: c, onLayer: func(info LayerInfo, _ *graph.Node) {
		s.Layers = append(s.Layers, info)
		s.Params += info.Params
	}}
	images := graph.Parameter(g, "images", shapes.Make(dtypes.Float32, c.Layout().Dims(1)...))
	n.build(images)
	if len(s.Layers) == 0 {
		return s, errors.New("the network has no layer")
	}
	return s, nil
}
