package mnist

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	timages "github.com/gomlx/gomlx/core/tensors/images"
)

// referenceCNN is the CNN's feature extractor written the plain way, as the
// course draws it: channels-first convolutions and XLA's max pooling.
func referenceCNN(x, k1, b1, k2, b2 *graph.Node) *graph.Node {
	n := x.Shape().Dimensions[0]
	for _, kb := range [][2]*graph.Node{{k1, b1}, {k2, b2}} {
		c := kb[0].Shape().Dimensions[0]
		x = graph.Convolve(x, kb[0]).ChannelsAxis(timages.ChannelsFirst).PadSame().Done()
		x = graph.Add(x, graph.Reshape(kb[1], 1, c, 1, 1))
		x = graph.Max(x, graph.ZerosLike(x))
		x = graph.MaxPool(x).ChannelsAxis(timages.ChannelsFirst).Window(PoolWindow).Done()
	}
	return graph.Reshape(x, n, -1)
}

// TestCNNMatchesReference checks that the channels-last CNN, with either
// convolution, computes the same features, and the same gradients for its
// kernels and biases, as referenceCNN: on random images, and on blank images
// with one square stroke and positive biases, where pooling windows tie.
func TestCNNMatchesReference(t *testing.T) {
	backend := goBackend(t)
	const n, c = 3, 4
	r := rand.New(rand.NewPCG(1, 2))
	random := func(std, mean float64, dims ...int) *tensors.Tensor {
		size := 1
		for _, d := range dims {
			size *= d
		}
		data := make([]float32, size)
		for i := range data {
			data[i] = float32(r.NormFloat64()*std + mean)
		}
		return tensors.FromFlatDataAndDimensions(data, dims...)
	}
	blank := make([]float32, n*NumPixels)
	for i := range n {
		for y := 8 + 3*i; y < 16+3*i; y++ {
			for x := 10; x < 16; x++ {
				blank[i*NumPixels+y*ImageSize+x] = 1
			}
		}
	}

	// Both versions, and the gradient of a weighted sum of their features
	// with respect to the kernels and biases.
	exec, err := graph.NewExec(backend, func(inputs []*graph.Node) []*graph.Node {
		x, k1, b1, k2, b2 := inputs[0], inputs[1], inputs[2], inputs[3], inputs[4]
		ref := referenceCNN(x, k1, b1, k2, b2)
		w := graph.Iota(x.Graph(), ref.Shape(), 1)
		outs := append([]*graph.Node{ref}, graph.Gradient(graph.ReduceAllSum(graph.Mul(ref, w)), k1, b1, k2, b2)...)
		for _, im2col := range []bool{false, true} {
			got := cnnFeaturesWith(x, []*graph.Node{k1, k2}, []*graph.Node{b1, b2}, im2col)
			outs = append(outs, got)
			outs = append(outs, graph.Gradient(graph.ReduceAllSum(graph.Mul(got, w)), k1, b1, k2, b2)...)
		}
		return outs
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, input := range []struct {
		name              string
		images            *tensors.Tensor
		biasMean, biasStd float64
	}{
		{"random images", random(1, 0, n, 1, ImageSize, ImageSize), 0, 0.1},
		{"blank images with a stroke", tensors.FromFlatDataAndDimensions(blank, n, 1, ImageSize, ImageSize), 0.1, 0.01},
	} {
		k1, b1 := random(0.3, 0, c, 1, 5, 5), random(input.biasStd, input.biasMean, c)
		k2, b2 := random(0.2, 0, c, c, 5, 5), random(input.biasStd, input.biasMean, c)
		outs, err := exec.Call(input.images, k1, b1, k2, b2)
		if err != nil {
			t.Fatal(err)
		}
		const per = 5 // Features and four gradients.
		for v, variant := range []string{"backend convolution", "im2col"} {
			for i, what := range []string{"features", "gradient of conv1's kernel", "of conv1's biases", "of conv2's kernel", "of conv2's biases"} {
				compareClose(t, input.name+", "+variant+": "+what, flat(t, outs[i]), flat(t, outs[per+per*v+i]))
			}
		}
	}
}

func flat(t *testing.T, x *tensors.Tensor) []float32 {
	t.Helper()
	var out []float32
	x.ConstFlatData(func(data any) { out = append(out, data.([]float32)...) })
	return out
}

func compareClose(t *testing.T, what string, want, got []float32) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	nonZero := 0
	for i := range want {
		if math.Abs(float64(want[i]-got[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s[%d] = %g, want %g", what, i, got[i], want[i])
		}
		if want[i] != 0 {
			nonZero++
		}
	}
	if nonZero < len(want)/4 {
		t.Fatalf("%s: only %d of %d values are non-zero: the comparison proves little", what, nonZero, len(want))
	}
}

// TestReluGradient checks the ReLU's gradient is 0 at 0, as in PaddlePaddle.
func TestReluGradient(t *testing.T) {
	exec, err := graph.NewExec(goBackend(t), func(x *graph.Node) []*graph.Node {
		y := relu(x)
		return []*graph.Node{y, graph.Gradient(graph.ReduceAllSum(y), x)[0]}
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Call([]float32{-1, 0, 2})
	if err != nil {
		t.Fatal(err)
	}
	if y, g := flat(t, outs[0]), flat(t, outs[1]); !slices.Equal(y, []float32{0, 0, 2}) || !slices.Equal(g, []float32{0, 0, 1}) {
		t.Errorf("relu([-1 0 2]) = %v with gradient %v, want [0 0 2] and [0 0 1]", y, g)
	}
}
