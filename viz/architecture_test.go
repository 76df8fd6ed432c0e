package viz

import (
	"math"
	"strings"
	"testing"

	"github.com/godigits/digits/mnist"
)

// TestArchitecture draws the course's networks from the summaries of real
// models, so that the test follows the code of mnist/network.go.
func TestArchitecture(t *testing.T) {
	backend, err := mnist.StartBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	tests := []struct {
		arch   mnist.Architecture
		wantIn []string
	}{
		{mnist.CNN, []string{">conv1: Conv2D 1→20, 5x5, relu<", ">output [20, 28, 28], 520 parameters<", ">pool2: MaxPool 2x2<",
			">output [980], 0 parameters<", ">total: 20,350 parameters<"}},
		{mnist.MLP, []string{">hidden1: Linear 784→10, sigmoid<", ">output [784]<", ">output [10], 110 parameters<"}},
	}
	for _, tc := range tests {
		t.Run(string(tc.arch), func(t *testing.T) {
			m, err := mnist.NewModel(backend, mnist.TrainConfig{Model: mnist.ModelConfig{Arch: tc.arch, Task: mnist.Classification}})
			if err != nil {
				t.Fatal(err)
			}
			s := m.Summary()
			f, err := Architecture(s, "The "+string(tc.arch))
			if err != nil {
				t.Fatal(err)
			}
			checkContains(t, f.SVG, tc.wantIn...)
			checkPNGDecodes(t, f)
			// One row per layer and the input: a name line and a detail line each.
			if got, want := strings.Count(f.SVG, ">output ["), len(s.Layers)+1; got != want {
				t.Errorf("got %d rows, want %d", got, want)
			}
			if !strings.HasPrefix(f.Alt, "network diagram") || !strings.Contains(f.Alt, "input") {
				t.Errorf("got description %q", f.Alt)
			}
		})
	}
}

func TestArchitectureErrors(t *testing.T) {
	ok := mnist.Summary{Input: []int{784}, Layers: []mnist.LayerInfo{{Layer: mnist.Output, Kind: "Linear 784→10", Shape: []int{10}, Params: 7850}}}
	tests := []struct {
		name    string
		s       mnist.Summary
		title   string
		wantErr string
	}{
		{"fine", ok, "linear", ""},
		{"no input", mnist.Summary{}, "x", `the summary of "x" has no input shape`},
		{"no shape", mnist.Summary{Input: []int{784}, Layers: []mnist.LayerInfo{{Layer: mnist.Output}}}, "x", `layer "output" of "x" has no output shape`},
		{"Chinese title", ok, "网络结构", "font cannot draw"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Architecture(tc.s, tc.title)
			checkErr(t, err, tc.wantErr)
		})
	}
}

func TestShapeGlyphs(t *testing.T) {
	// Heights by hand: 28 rows * 1.6 + 7 offsets of 4 = 72.8; a bar is 16.
	if got := (archRow{shape: []int{20, 28, 28}}).glyphHeight(); math.Abs(float64(got)-72.8) > 1e-9 {
		t.Errorf("got %g for [20, 28, 28], want 72.8", got)
	}
	if got := (archRow{shape: []int{980}}).glyphHeight(); got != barHeight {
		t.Errorf("got %g for [980], want %d", got, barHeight)
	}
	if got := thousands(1234567); got != "1,234,567" {
		t.Errorf("got %s, want 1,234,567", got)
	}
}
