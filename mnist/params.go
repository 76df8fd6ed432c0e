package mnist

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Param is one learnt tensor of a network: the weights or the biases of a
// layer, copied from the model.
type Param struct {
	Layer  Layer
	Kind   ParamKind
	Dims   []int     // [in, out] for a fully connected layer's weights, [out, in, 5, 5] for a convolution's.
	Values []float32 // Row-major.
}

// Path is where the parameter is kept in checkpoints: "conv1/weights".
func (p Param) Path() string { return string(p.Layer) + "/" + string(p.Kind) }

// Param returns a copy of the parameter kind of layer, for example
// m.Param(Conv1, Weights) for the 20 kernels of the CNN's first
// convolution. Chapter 7 (训练调试与优化) prints some.
func (m *Model) Param(layer Layer, kind ParamKind) (Param, error) {
	v := paramVariable(m.store, layer, kind)
	if v == nil {
		return Param{}, fmt.Errorf("mnist: the %s network has no parameter %s/%s", m.Config.Model, layer, kind)
	}
	t, err := v.Value()
	if err != nil {
		return Param{}, fmt.Errorf("mnist: reading %s/%s: %w", layer, kind, err)
	}
	values, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return Param{}, fmt.Errorf("mnist: reading %s/%s: %w", layer, kind, err)
	}
	return Param{Layer: layer, Kind: kind, Dims: t.Shape().Dimensions, Values: values}, nil
}

// paramVariable returns the variable of the parameter kind of layer in
// store, or nil.
func paramVariable(store *model.Store, layer Layer, kind ParamKind) *model.Variable {
	return store.Scope("/" + string(layer)).GetVariable(string(kind))
}

// Params returns copies of every parameter of the network, layer by layer
// in the order of its [Summary], the weights before the biases.
func (m *Model) Params() ([]Param, error) {
	var params []Param
	for _, l := range m.summary.Layers {
		if l.Params == 0 {
			continue
		}
		for _, kind := range []ParamKind{Weights, Biases} {
			p, err := m.Param(l.Layer, kind)
			if err != nil {
				return nil, err
			}
			params = append(params, p)
		}
	}
	return params, nil
}

// LayerOutput is the output of one layer of the network for a batch of
// images: the feature maps of a convolution, the activations of a hidden
// layer.
type LayerOutput struct {
	Layer  Layer
	Dims   []int     // With the batch first: [N, 20, 28, 28] for the CNN's conv1.
	Values []float32 // Row-major.
}

// LayerOutputs runs the network, as network.go writes it, on images given as
// NumPixels raw pixels each (as [ReadImage] returns them) and returns the
// output of every layer, in the order of the [Summary]. Chapter 7
// (训练调试与优化) shows the CNN's feature maps with it.
func (m *Model) LayerOutputs(pixels ...[]uint8) ([]LayerOutput, error) {
	images, err := m.imagesTensor(pixels)
	if err != nil {
		return nil, err
	}
	if m.layersExec == nil {
		cfg := m.Config.Model
		m.layersExec, err = model.NewExec(m.backend, m.store, func(scope *model.Scope, images *graph.Node) []*graph.Node {
			var outputs []*graph.Node
			n := &network{scope: scope, config: cfg, onLayer: func(_ LayerInfo, output *graph.Node) {
				outputs = append(outputs, output)
			}}
			n.build(images)
			return outputs
		})
		if err != nil {
			return nil, err
		}
	}
	results, err := m.layersExec.Call(images)
	if err != nil {
		return nil, fmt.Errorf("mnist: computing layer outputs: %w", err)
	}
	var outs []LayerOutput
	for i, t := range results {
		values, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, err
		}
		outs = append(outs, LayerOutput{Layer: m.summary.Layers[i].Layer, Dims: t.Shape().Dimensions, Values: values})
		t.FinalizeAll()
	}
	return outs, nil
}
