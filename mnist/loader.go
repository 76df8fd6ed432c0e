package mnist

import (
	"fmt"
	"iter"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// PixelScale says how raw pixels 0-255 become float32 model inputs.
type PixelScale int

const (
	// ZeroToOne maps pixels to [0, 1] (p/255), the default: it is the range
	// most consistent with the losses the course prints.
	ZeroToOne PixelScale = iota
	// MinusOneToOne maps pixels to [-1, 1] (p/127.5 - 1).
	MinusOneToOne
)

// Scale converts one raw pixel to a float32 in the given range.
func (s PixelScale) Scale(p uint8) float32 {
	if s == MinusOneToOne {
		return float32(p)/127.5 - 1
	}
	return float32(p) / 255
}

// scaleNode is Scale inside a graph: pixels (any integer dtype) become
// float32 in the given range, computed as Scale computes them.
func (s PixelScale) scaleNode(pixels *graph.Node) *graph.Node {
	x := graph.ConvertDType(pixels, dtypes.Float32)
	if s == MinusOneToOne {
		return graph.AddScalar(graph.DivScalar(x, 127.5), -1)
	}
	return graph.DivScalar(x, 255)
}

// Layout is the shape of a batch of images.
type Layout int

const (
	// Flat shapes a batch as [N, 784], for the linear model and the MLP.
	Flat Layout = iota
	// ChannelsFirst shapes a batch as [N, 1, 28, 28] (images, channels,
	// rows, columns: PaddlePaddle's NCHW), for the CNN.
	ChannelsFirst
)

// Dims returns the shape of a batch of n images in layout l.
func (l Layout) Dims(n int) []int {
	if l == ChannelsFirst {
		return []int{n, 1, ImageSize, ImageSize}
	}
	return []int{n, NumPixels}
}

// LoaderConfig configures a [Loader]. Its zero value reads a data set in
// order: batches of 100, last partial batch kept, pixels in [0, 1], flat
// images. The course's training loader sets Shuffle.
type LoaderConfig struct {
	BatchSize int        // Images per batch; 0 means DefaultBatchSize.
	Shuffle   bool       // Visit the images in a new random order every epoch (training).
	DropLast  bool       // Drop the last batch if it is smaller than BatchSize.
	Seed      uint64     // Seed of the shuffle: the same seed gives the same order.
	Scale     PixelScale // Range of the float32 pixels.
	Layout    Layout     // Shape of the images of a batch.
}

// Loader yields batches of a Dataset, epoch after epoch: shuffled when its
// config says so (a new order every epoch, reproducible from the seed; the
// course shuffles the training set only), in file order otherwise. Chapter 2
// (数据处理) introduces it.
type Loader struct {
	ds  *Dataset
	cfg LoaderConfig
}

// NewLoader returns a Loader over ds.
func NewLoader(ds *Dataset, cfg LoaderConfig) (*Loader, error) {
	if cfg.BatchSize == 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.BatchSize < 0 {
		return nil, fmt.Errorf("mnist: batch size %d must be positive", cfg.BatchSize)
	}
	if ds.Len() == 0 {
		return nil, fmt.Errorf("mnist: the %s data set is empty", ds.Mode)
	}
	if ds.Len() < cfg.BatchSize && cfg.DropLast {
		return nil, fmt.Errorf("mnist: the %s data set has %d images, fewer than one batch of %d with DropLast",
			ds.Mode, ds.Len(), cfg.BatchSize)
	}
	return &Loader{ds: ds, cfg: cfg}, nil
}

// Config returns the loader's configuration, with defaults filled in.
func (l *Loader) Config() LoaderConfig { return l.cfg }

// NumBatches returns the number of batches in one epoch.
func (l *Loader) NumBatches() int {
	return numBatches(l.ds.Len(), l.cfg.BatchSize, l.cfg.DropLast)
}

// numBatches is the number of batches of batchSize images that n images
// make: the last partial one included unless dropLast.
func numBatches(n, batchSize int, dropLast bool) int {
	if dropLast {
		return n / batchSize
	}
	return (n + batchSize - 1) / batchSize
}

// Order returns the order in which the samples of the given epoch are
// visited: a permutation seeded by (Seed, epoch) with Shuffle, 0..N-1
// otherwise.
func (l *Loader) Order(epoch int) []int {
	n := l.ds.Len()
	if l.cfg.Shuffle {
		return rand.New(rand.NewPCG(l.cfg.Seed, uint64(epoch))).Perm(n)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	return order
}

// Batch is one batch of images and labels.
type Batch struct {
	Epoch   int       // Epoch this batch belongs to.
	Index   int       // Position of this batch in its epoch, from 0.
	Indices []int     // Sample numbers in the data set.
	Images  []float32 // Pixels, row-major in the shape given by Dims.
	Labels  []int32   // Digits 0-9, for classification.
	Dims    []int     // [N, 784] or [N, 1, 28, 28].
}

// Size returns the number of images in the batch.
func (b *Batch) Size() int { return len(b.Labels) }

// FloatLabels returns the labels as float32, the targets of the course's
// regression models (chapters 1-3).
func (b *Batch) FloatLabels() []float32 {
	out := make([]float32, len(b.Labels))
	for i, l := range b.Labels {
		out[i] = float32(l)
	}
	return out
}

// Epoch returns the batches of one epoch. The yielded *Batch and its slices
// are reused by the next iteration: copy what must outlive it.
func (l *Loader) Epoch(epoch int) iter.Seq[*Batch] {
	return func(yield func(*Batch) bool) {
		order := l.Order(epoch)
		bs := l.cfg.BatchSize
		b := &Batch{
			Epoch:   epoch,
			Indices: make([]int, 0, bs),
			Images:  make([]float32, 0, bs*NumPixels),
			Labels:  make([]int32, 0, bs),
		}
		for start, index := 0, 0; start < len(order); start, index = start+bs, index+1 {
			end := min(start+bs, len(order))
			if end-start < bs && l.cfg.DropLast {
				return
			}
			b.Index = index
			b.Indices = append(b.Indices[:0], order[start:end]...)
			b.Images = b.Images[:0]
			b.Labels = b.Labels[:0]
			for _, i := range b.Indices {
				for _, p := range l.ds.Image(i) {
					b.Images = append(b.Images, l.cfg.Scale.Scale(p))
				}
				b.Labels = append(b.Labels, int32(l.ds.Labels[i]))
			}
			b.Dims = l.cfg.Layout.Dims(len(b.Labels))
			if !yield(b) {
				return
			}
		}
	}
}
