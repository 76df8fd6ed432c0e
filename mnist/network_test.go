package mnist

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSummary(t *testing.T) {
	tests := []struct {
		cfg        ModelConfig
		wantLayers []Layer
		wantShapes [][]int
		// Parameter counts by hand: a fully connected layer has in*out
		// weights and out biases; a convolution out*in*5*5 and out.
		wantParams []int
	}{
		{ModelConfig{Arch: Linear, Task: Regression}, []Layer{Output}, [][]int{{1}}, []int{785}},
		{ModelConfig{Arch: MLP, Task: Regression}, []Layer{Hidden(1), Hidden(2), Output},
			[][]int{{10}, {10}, {1}}, []int{7850, 110, 11}},
		{ModelConfig{Arch: CNN, Task: Classification}, []Layer{Conv1, Pool1, Conv2, Pool2, Flatten, Output},
			[][]int{{20, 28, 28}, {20, 14, 14}, {20, 14, 14}, {20, 7, 7}, {980}, {10}},
			[]int{520, 0, 10020, 0, 0, 9810}},
	}
	for _, tc := range tests {
		t.Run(tc.cfg.String(), func(t *testing.T) {
			m, err := NewModel(goBackend(t), TrainConfig{Model: tc.cfg})
			if err != nil {
				t.Fatal(err)
			}
			s := m.Summary()
			total := 0
			for i, l := range s.Layers {
				if i >= len(tc.wantLayers) {
					t.Fatalf("layer %d is %s, want only %v", i, l.Layer, tc.wantLayers)
				}
				if l.Layer != tc.wantLayers[i] || !slices.Equal(l.Shape, tc.wantShapes[i]) || l.Params != tc.wantParams[i] {
					t.Errorf("layer %d: got %s %v with %d parameters, want %s %v with %d",
						i, l.Layer, l.Shape, l.Params, tc.wantLayers[i], tc.wantShapes[i], tc.wantParams[i])
				}
				total += tc.wantParams[i]
			}
			if len(s.Layers) != len(tc.wantLayers) || s.Params != total {
				t.Errorf("%d layers and %d parameters, want %d and %d", len(s.Layers), s.Params, len(tc.wantLayers), total)
			}
			// Every parameter of the summary is a variable the model holds, created by NewModel.
			params, err := m.Params()
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, p := range params {
				n += len(p.Values)
			}
			if n != total || m.Store().NumVariables() != len(params) {
				t.Errorf("Params holds %d numbers in %d tensors, the store %d variables; want %d numbers and as many variables",
					n, len(params), m.Store().NumVariables(), total)
			}
		})
	}
}

func ExampleModel_Summary() {
	backend, _ := StartBackend("go")
	defer backend.Finalize()
	m, _ := NewModel(backend, TrainConfig{Model: ModelConfig{Arch: CNN, Task: Regression}})
	fmt.Print(m.Summary())
	// Output:
	// cnn regression (20 channels)
	// layer    kind                 activation output shape     parameters
	// input                                    [N, 1, 28, 28]
	// conv1    Conv2D 1→20, 5x5     relu       [N, 20, 28, 28]         520
	// pool1    MaxPool 2x2                     [N, 20, 14, 14]           0
	// conv2    Conv2D 20→20, 5x5    relu       [N, 20, 14, 14]      10,020
	// pool2    MaxPool 2x2                     [N, 20, 7, 7]             0
	// flatten  Flatten                         [N, 980]                  0
	// output   Linear 980→1                    [N, 1]                  981
	// total                                                         11,521
}

func TestParam(t *testing.T) {
	m, err := NewModel(goBackend(t), TrainConfig{Model: ModelConfig{Arch: CNN, Task: Regression}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Param(Conv1, Weights)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Dims, []int{20, 1, 5, 5}) || len(p.Values) != 500 || p.Path() != "conv1/weights" {
		t.Errorf("conv1 weights: %v, %d values, path %q; want [20 1 5 5], 500 values, conv1/weights", p.Dims, len(p.Values), p.Path())
	}
	if _, err := m.Param(Hidden(1), Weights); err == nil || !strings.Contains(err.Error(), "no parameter hidden1/weights") {
		t.Errorf("a CNN's hidden1 weights: got error %v, want one naming hidden1/weights", err)
	}
}

// TestLayerOutputs checks the outputs of the CNN's layers against the same
// computations done by hand on the host from the model's parameters: conv1
// (5x5 convolution with padding 2, bias, ReLU) at a few positions, pool1 as
// the maximum of conv1's 2x2 windows, and the output layer's softmax against
// Predict's scores.
func TestLayerOutputs(t *testing.T) {
	m, err := NewModel(goBackend(t), TrainConfig{Model: ModelConfig{Arch: CNN, Task: Classification, ConvChannels: 3}})
	if err != nil {
		t.Fatal(err)
	}
	ds := loadFixture(t, Eval)
	image := ds.Image(1)
	outs, err := m.LayerOutputs(image, ds.Image(2))
	if err != nil {
		t.Fatal(err)
	}
	var names []Layer
	for _, o := range outs {
		names = append(names, o.Layer)
	}
	if want := []Layer{Conv1, Pool1, Conv2, Pool2, Flatten, Output}; !slices.Equal(names, want) {
		t.Fatalf("layers %v, want %v", names, want)
	}
	conv1, pool1, output := outs[0], outs[1], outs[5]
	if !slices.Equal(conv1.Dims, []int{2, 3, 28, 28}) || !slices.Equal(pool1.Dims, []int{2, 3, 14, 14}) {
		t.Fatalf("conv1 %v and pool1 %v, want [2 3 28 28] and [2 3 14 14]", conv1.Dims, pool1.Dims)
	}
	w, err := m.Param(Conv1, Weights)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Param(Conv1, Biases)
	if err != nil {
		t.Fatal(err)
	}
	at := func(c, y, x int) float64 { return float64(conv1.Values[(c*28+y)*28+x]) } // Image 0.
	for _, pos := range [][3]int{{0, 0, 0}, {1, 13, 14}, {2, 27, 5}, {0, 20, 27}} {
		c, y, x := pos[0], pos[1], pos[2]
		sum := float64(b.Values[c])
		for dy := range 5 {
			for dx := range 5 {
				iy, ix := y+dy-2, x+dx-2
				if iy < 0 || iy >= 28 || ix < 0 || ix >= 28 {
					continue
				}
				sum += float64(w.Values[c*25+dy*5+dx]) * float64(image[iy*28+ix]) / 255
			}
		}
		if want := math.Max(sum, 0); math.Abs(at(c, y, x)-want) > 1e-4 {
			t.Errorf("conv1[channel %d, %d, %d] = %g, by hand %g", c, y, x, at(c, y, x), want)
		}
	}
	for _, pos := range [][3]int{{0, 0, 0}, {2, 7, 6}, {1, 13, 13}} {
		c, y, x := pos[0], pos[1], pos[2]
		want := math.Max(math.Max(at(c, 2*y, 2*x), at(c, 2*y, 2*x+1)), math.Max(at(c, 2*y+1, 2*x), at(c, 2*y+1, 2*x+1)))
		if got := float64(pool1.Values[(c*14+y)*14+x]); got != want {
			t.Errorf("pool1[channel %d, %d, %d] = %g, the maximum of its window is %g", c, y, x, got, want)
		}
	}
	preds, err := m.Predict(image)
	if err != nil {
		t.Fatal(err)
	}
	logits := output.Values[:NumClasses]
	var z float64
	for _, l := range logits {
		z += math.Exp(float64(l))
	}
	for d, l := range logits {
		if p := math.Exp(float64(l)) / z; math.Abs(p-float64(preds[0].Scores[d])) > 1e-5 {
			t.Errorf("softmax of output logit %d is %g, Predict's score %g", d, p, preds[0].Scores[d])
		}
	}
}

// TestOptimizerConfigJSON checks the JSON names of the optimizer's
// configuration, and that the form of earlier checkpoints (Go field names)
// still loads.
func TestOptimizerConfigJSON(t *testing.T) {
	c := OptimizerConfig{Kind: Adam, LearningRate: 0.01, L2: 1e-5, Decay: &PolynomialDecay{EndLR: 0.001, DecaySteps: 1500, Power: 1}}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"kind":"adam","learning_rate":0.01,"l2":0.00001,"decay":{"end_lr":0.001,"decay_steps":1500,"power":1}}`; string(data) != want {
		t.Errorf("JSON %s, want %s", data, want)
	}
	for _, form := range []string{
		string(data),
		`{"Kind":"adam","LearningRate":0.01,"Momentum":0,"L2":0.00001,"Decay":{"EndLR":0.001,"DecaySteps":1500,"Power":1}}`,
	} {
		var got OptimizerConfig
		if err := json.Unmarshal([]byte(form), &got); err != nil {
			t.Fatalf("%s: %v", form, err)
		}
		if got.Kind != c.Kind || got.LearningRate != c.LearningRate || got.L2 != c.L2 || got.Decay == nil || *got.Decay != *c.Decay {
			t.Errorf("%s: read %+v (decay %+v), want %+v", form, got, got.Decay, c)
		}
	}
}
