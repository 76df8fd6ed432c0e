package mnist

import (
	"fmt"
	"iter"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// countingSeq yields n batches like Loader.Epoch does, reusing one *Batch,
// with Index i, one label i%10 and one pixel float32(i); produced counts the
// batches handed out so far.
func countingSeq(n int, produced *atomic.Int64) iter.Seq[*Batch] {
	return func(yield func(*Batch) bool) {
		b := &Batch{Dims: []int{1, NumPixels}, Labels: make([]int32, 1), Images: make([]float32, 1), Indices: make([]int, 1)}
		for i := range n {
			b.Index, b.Labels[0], b.Images[0], b.Indices[0] = i, int32(i%10), float32(i), i
			produced.Add(1)
			if !yield(b) {
				return
			}
		}
	}
}

// snapshot is what a test remembers of a batch, since batches are reused.
type snapshot struct {
	epoch, index int
	indices      []int
	labels       []int32
	images       []float32
	dims         []int
}

func snap(b *Batch) snapshot {
	return snapshot{b.Epoch, b.Index, slices.Clone(b.Indices), slices.Clone(b.Labels), slices.Clone(b.Images), slices.Clone(b.Dims)}
}

func equalSnapshots(a, b []snapshot) bool {
	return slices.EqualFunc(a, b, func(x, y snapshot) bool {
		return x.epoch == y.epoch && x.index == y.index && slices.Equal(x.indices, y.indices) &&
			slices.Equal(x.labels, y.labels) && slices.Equal(x.images, y.images) && slices.Equal(x.dims, y.dims)
	})
}

// waitGoroutines waits up to 5 seconds for the number of goroutines to fall
// back to want, and returns the last count seen.
func waitGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); n > want && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(time.Millisecond)
	}
	return n
}

func TestPrefetchSameBatches(t *testing.T) {
	// The fixture's 10 train images in batches of 4 (4+4+2, or 4+4 dropping
	// the last), its 2 valid and 4 eval images: Prefetch must yield exactly
	// what the loader yields, in order, shuffled or not.
	tests := []struct {
		name  string
		cfg   LoaderConfig
		mode  Mode
		depth int
	}{
		{"train batches of 4, depth 2", LoaderConfig{BatchSize: 4, Shuffle: true, Seed: 3}, Train, 2},
		{"train batches of 4, depth 0", LoaderConfig{BatchSize: 4, Shuffle: true, Seed: 3}, Train, 0},
		{"train drop last, depth 1", LoaderConfig{BatchSize: 4, DropLast: true}, Train, 1},
		{"valid channels, depth 8", LoaderConfig{BatchSize: 1, Layout: ChannelsFirst}, Valid, 8},
		{"eval one batch, depth 3", LoaderConfig{}, Eval, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loader, err := NewLoader(loadFixture(t, tc.mode), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for epoch := range 2 {
				var want, got []snapshot
				for b := range loader.Epoch(epoch) {
					want = append(want, snap(b))
				}
				for b := range Prefetch(loader.Epoch(epoch), tc.depth) {
					got = append(got, snap(b))
				}
				if !equalSnapshots(got, want) {
					t.Errorf("epoch %d: got %+v, want %+v", epoch, got, want)
				}
				if len(got) != loader.NumBatches() {
					t.Errorf("epoch %d: got %d batches, want %d", epoch, len(got), loader.NumBatches())
				}
			}
		})
	}
}

func TestPrefetchBatchStaysValidUntilNextStep(t *testing.T) {
	// The source rewrites its one *Batch while the caller still holds the
	// previous copy: the caller's batch must not change under it.
	var produced atomic.Int64
	next := 0
	for b := range Prefetch(countingSeq(50, &produced), 4) {
		time.Sleep(100 * time.Microsecond) // Let the producer run ahead.
		if b.Index != next || b.Images[0] != float32(next) || b.Labels[0] != int32(next%10) {
			t.Fatalf("batch %d reads index %d, pixel %v, label %d", next, b.Index, b.Images[0], b.Labels[0])
		}
		next++
	}
	if next != 50 {
		t.Errorf("got %d batches, want 50", next)
	}
}

func TestPrefetchEarlyBreakStopsGoroutine(t *testing.T) {
	tests := []struct {
		name        string
		n, stop     int // Batches in the source; break after this many.
		depth       int
		wantBatches int
	}{
		{"break at the first batch", 100, 1, 2, 1},
		{"break in the middle", 100, 10, 4, 10},
		{"break with depth 0", 100, 3, 0, 3},
		{"source shorter than depth", 2, 1, 16, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			var produced atomic.Int64
			got := 0
			for range Prefetch(countingSeq(tc.n, &produced), tc.depth) {
				got++
				if got == tc.stop {
					break
				}
			}
			if got != tc.wantBatches {
				t.Errorf("got %d batches, want %d", got, tc.wantBatches)
			}
			// Prefetch waits for its goroutine, so the count is back at once;
			// waitGoroutines only guards against the runtime's own goroutines.
			if n := waitGoroutines(before); n > before {
				t.Errorf("got %d goroutines after the break, want %d: the producer leaked", n, before)
			}
			// The producer stops within one batch of the ready ones.
			if p, limit := produced.Load(), int64(tc.stop+max(tc.depth, 1)+2); p > limit {
				t.Errorf("source produced %d batches, want at most %d", p, limit)
			}
		})
	}
}

func TestPrefetchDepth(t *testing.T) {
	// While the caller holds the first batch, the producer fills depth ready
	// batches and one more buffer, then blocks: depth+2 batches are taken
	// from the source. depth 0 (and below) behaves as depth 1.
	tests := []struct {
		depth        int
		wantProduced int64
	}{
		{-1, 3}, {0, 3}, {1, 3}, {2, 4}, {5, 7},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("depth %d", tc.depth), func(t *testing.T) {
			var produced atomic.Int64
			for range Prefetch(countingSeq(100, &produced), tc.depth) {
				deadline := time.Now().Add(5 * time.Second)
				for produced.Load() < tc.wantProduced && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				time.Sleep(20 * time.Millisecond) // Give it a chance to overrun.
				if got := produced.Load(); got != tc.wantProduced {
					t.Errorf("the source produced %d batches ahead, want %d", got, tc.wantProduced)
				}
				break
			}
		})
	}
}

func TestPrefetchNoAllocationsPerStep(t *testing.T) {
	// After warm-up Prefetch recycles its buffers: an epoch of 1,000 batches
	// allocates as much as one of 10 (the goroutine, channels and buffers).
	allocs := func(n int) float64 {
		var produced atomic.Int64
		return testing.AllocsPerRun(5, func() {
			for range Prefetch(countingSeq(n, &produced), 2) {
			}
		})
	}
	short, long := allocs(10), allocs(1000)
	if long > short+5 {
		t.Errorf("got %.0f allocations for 1,000 batches and %.0f for 10: want no allocation per batch", long, short)
	}
}

func TestPrefetchSourcePanic(t *testing.T) {
	bad := func(yield func(*Batch) bool) {
		yield(&Batch{Index: 0})
		panic("broken source")
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("got no panic, want the source's panic raised in the caller")
		}
	}()
	for range Prefetch(bad, 1) {
	}
}
