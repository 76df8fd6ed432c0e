package mnist

import (
	"slices"
	"testing"
)

func loadFixture(t *testing.T, mode Mode) *Dataset {
	t.Helper()
	ds, err := Load("testdata", mode)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestLoaderBatchSizes(t *testing.T) {
	// 10 train images in batches of 4: 4+4+2, or 4+4 when dropping the last.
	tests := []struct {
		name      string
		cfg       LoaderConfig
		wantSizes []int
	}{
		{"keep last", LoaderConfig{BatchSize: 4}, []int{4, 4, 2}},
		{"drop last", LoaderConfig{BatchSize: 4, DropLast: true}, []int{4, 4}},
		{"default 100", LoaderConfig{}, []int{10}},
		{"exact", LoaderConfig{BatchSize: 5, DropLast: true}, []int{5, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLoader(loadFixture(t, Train), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int
			for b := range l.Epoch(0) {
				sizes = append(sizes, b.Size())
				if len(b.Images) != b.Size()*NumPixels || len(b.Indices) != b.Size() {
					t.Errorf("batch %d: %d pixels and %d indices for %d images", b.Index, len(b.Images), len(b.Indices), b.Size())
				}
			}
			if !slices.Equal(sizes, tc.wantSizes) {
				t.Errorf("got batch sizes %v, want %v", sizes, tc.wantSizes)
			}
			if l.NumBatches() != len(tc.wantSizes) {
				t.Errorf("NumBatches() = %d, want %d", l.NumBatches(), len(tc.wantSizes))
			}
		})
	}
}

func TestLoaderConfigErrors(t *testing.T) {
	ds := loadFixture(t, Train)
	for name, cfg := range map[string]LoaderConfig{
		"negative batch":          {BatchSize: -1},
		"drop last of too little": {BatchSize: 11, DropLast: true},
	} {
		if _, err := NewLoader(ds, cfg); err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
	if _, err := NewLoader(&Dataset{Mode: Train}, LoaderConfig{}); err == nil {
		t.Error("empty data set: got no error")
	}
}

// epochOrder collects the sample order of one epoch.
func epochOrder(l *Loader, epoch int) []int {
	var order []int
	for b := range l.Epoch(epoch) {
		order = append(order, b.Indices...)
	}
	return order
}

func TestLoaderShuffle(t *testing.T) {
	train := loadFixture(t, Train)
	l1, _ := NewLoader(train, LoaderConfig{BatchSize: 3, Shuffle: true, Seed: 7})
	l2, _ := NewLoader(train, LoaderConfig{BatchSize: 3, Shuffle: true, Seed: 7})
	l3, _ := NewLoader(train, LoaderConfig{BatchSize: 3, Shuffle: true, Seed: 8})
	e0, e1 := epochOrder(l1, 0), epochOrder(l1, 1)
	sorted := slices.Sorted(slices.Values(e0))
	if !slices.Equal(sorted, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("epoch 0 does not visit every sample once: %v", e0)
	}
	if !slices.Equal(e0, epochOrder(l2, 0)) {
		t.Error("the same seed gave different orders")
	}
	if slices.Equal(e0, e1) {
		t.Error("epochs 0 and 1 have the same order: want a new shuffle each epoch")
	}
	if slices.Equal(e0, epochOrder(l3, 0)) {
		t.Error("seeds 7 and 8 gave the same order")
	}
	if slices.Equal(e0, sorted) {
		t.Error("Shuffle did not shuffle")
	}
	// Without Shuffle, whatever the mode, the order is the file's.
	for _, mode := range []Mode{Train, Valid, Eval} {
		ds := loadFixture(t, mode)
		l, _ := NewLoader(ds, LoaderConfig{BatchSize: 3, Seed: 7})
		got := epochOrder(l, 3)
		if !slices.Equal(got, slices.Sorted(slices.Values(got))) {
			t.Errorf("%s mode was shuffled: %v", mode, got)
		}
	}
}

func TestLoaderContent(t *testing.T) {
	valid := loadFixture(t, Valid) // Generator images 10 and 11.
	tests := []struct {
		name     string
		cfg      LoaderConfig
		wantDims []int
		scale    func(p uint8) float32 // Expected value of a raw pixel.
	}{
		{"flat [0,1]", LoaderConfig{}, []int{2, 784}, func(p uint8) float32 { return float32(p) / 255 }},
		{"channels [-1,1]", LoaderConfig{Scale: MinusOneToOne, Layout: ChannelsFirst}, []int{2, 1, 28, 28},
			func(p uint8) float32 { return float32(p)/127.5 - 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := NewLoader(valid, tc.cfg)
			for b := range l.Epoch(0) {
				if !slices.Equal(b.Dims, tc.wantDims) {
					t.Errorf("got dims %v, want %v", b.Dims, tc.wantDims)
				}
				if !slices.Equal(b.Labels, []int32{0, 1}) || !slices.Equal(b.FloatLabels(), []float32{0, 1}) {
					t.Errorf("got labels %v / %v, want [0 1]", b.Labels, b.FloatLabels())
				}
				for j, got := range b.Images {
					if want := tc.scale(fixturePixel(10+j/NumPixels, j%NumPixels)); got != want {
						t.Fatalf("pixel %d: got %v, want %v", j, got, want)
					}
				}
			}
		})
	}
	// The ends of the ranges, hand-computed.
	for _, c := range []struct {
		s    PixelScale
		p    uint8
		want float32
	}{{ZeroToOne, 0, 0}, {ZeroToOne, 255, 1}, {MinusOneToOne, 0, -1}, {MinusOneToOne, 255, 1}} {
		if got := c.s.Scale(c.p); got != c.want {
			t.Errorf("Scale(%d) with scale %d: got %v, want %v", c.p, c.s, got, c.want)
		}
	}
}
