package viz

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"
)

// checkPNGDecodes checks that the figure's PNG decodes, at twice the size
// of its SVG.
func checkPNGDecodes(t *testing.T, f Figure) {
	t.Helper()
	cfg, err := png.DecodeConfig(bytes.NewReader(f.PNG))
	if err != nil {
		t.Fatalf("got a PNG that does not decode: %v", err)
	}
	if cfg.Width != f.width*pngScale && cfg.Width != f.width {
		t.Errorf("got a PNG %d wide for a figure %d wide", cfg.Width, f.width)
	}
}

// ramp returns n values from -1 to 1.
func ramp(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(2*i)/float32(max(n-1, 1)) - 1
	}
	return v
}

func TestKernels(t *testing.T) {
	nan := ramp(25)
	nan[7] = float32(math.NaN())
	tests := []struct {
		name       string
		weights    []float32
		dims       []int
		wantErr    string
		wantTiles  int
		wantInText []string
	}{
		{"first CNN layer", ramp(20 * 25), []int{20, 1, 5, 5}, "", 20, []string{">19<", "input channel 0 of 1", "max |w| = 1"}},
		{"deeper layer", ramp(50 * 20 * 25), []int{50, 20, 5, 5}, "", 50, []string{">49<", "input channel 0 of 20"}},
		{"one non-square kernel", make([]float32, 6), []int{1, 1, 2, 3}, "", 1, []string{">0<", "max |w| = 0"}},
		{"three dims", ramp(25), []int{1, 5, 5}, "want [out, in, kh, kw]", 0, nil},
		{"zero dim", nil, []int{0, 1, 5, 5}, "want all positive", 0, nil},
		{"too few weights", ramp(24), []int{1, 1, 5, 5}, "have 24 values, but dims [1 1 5 5] need 25", 0, nil},
		{"too many weights", ramp(26), []int{1, 1, 5, 5}, "have 26 values", 0, nil},
		{"empty", nil, []int{1, 1, 1, 1}, "have 0 values", 0, nil},
		{"huge dims", ramp(25), []int{1 << 30, 1 << 30, 1 << 30, 5}, "have 25 values", 0, nil},
		{"NaN", nan, []int{1, 1, 5, 5}, "non-finite value NaN at 7", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Kernels(tc.weights, tc.dims, "conv1 & co")
			if checkErr(t, err, tc.wantErr) {
				return
			}
			if got := strings.Count(f.SVG, "<image "); got != tc.wantTiles {
				t.Errorf("got %d tiles, want %d", got, tc.wantTiles)
			}
			checkContains(t, f.SVG, append(tc.wantInText, "data:image/png;base64,", ">conv1 &amp; co<")...)
			checkPNGDecodes(t, f)
		})
	}
}

func TestFeatureMaps(t *testing.T) {
	tests := []struct {
		name       string
		maps       []float32
		dims       []int
		wantErr    string
		wantTiles  int
		wantInText []string
	}{
		{"after conv1", ramp(20 * 28 * 28), []int{20, 28, 28}, "", 20, []string{">ch 0<", ">ch 19<"}},
		{"after pooling, constant", make([]float32, 3*7*7), []int{3, 7, 7}, "", 3, []string{">ch 2<"}},
		{"four dims", ramp(25), []int{1, 1, 5, 5}, "want [channels, h, w]", 0, nil},
		{"negative dim", ramp(25), []int{-1, 5, 5}, "want all positive", 0, nil},
		{"wrong length", ramp(10), []int{1, 5, 5}, "have 10 values", 0, nil},
		{"empty", nil, []int{1, 1, 1}, "have 0 values", 0, nil},
		{"infinite", []float32{float32(math.Inf(1))}, []int{1, 1, 1}, "non-finite value +Inf at 0", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := FeatureMaps(tc.maps, tc.dims, "feature maps")
			if checkErr(t, err, tc.wantErr) {
				return
			}
			if got := strings.Count(f.SVG, "<image "); got != tc.wantTiles {
				t.Errorf("got %d tiles, want %d", got, tc.wantTiles)
			}
			checkContains(t, f.SVG, append(tc.wantInText, "data:image/png;base64,", ">feature maps<")...)
			checkPNGDecodes(t, f)
		})
	}
}

func TestDiverging(t *testing.T) {
	tests := []struct {
		name    string
		v       float64
		r, g, b uint8
	}{
		{"zero is white", 0, 255, 255, 255},
		{"most negative is blue", -1, 33, 102, 172},
		{"most positive is red", 1, 178, 24, 43},
		{"clamped", -3, 33, 102, 172},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := diverging(tc.v)
			if c.R != tc.r || c.G != tc.g || c.B != tc.b || c.A != 255 {
				t.Errorf("got %v, want {%d %d %d 255}", c, tc.r, tc.g, tc.b)
			}
		})
	}
}
