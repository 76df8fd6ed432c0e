package mnist

import (
	"fmt"
	"iter"
)

// Prefetch returns the batches of batches, prepared ahead by a goroutine so
// that the next batch is ready while the caller trains on the current one:
// the asynchronous loader of chapter 2 (数据处理), Go's counterpart of the
// course's DataLoader with worker processes. depth is how many batches may
// wait ready ahead of the caller; depth < 1 means 1.
//
// A source like [Loader.Epoch] reuses its *Batch between iterations, so
// Prefetch copies every batch into buffers of its own: a small pool of
// depth+2 batches (depth waiting, one being filled, one held by the caller)
// that are recycled, so that after the first few batches nothing is
// allocated per step. The same rule as for Loader.Epoch follows: a yielded
// *Batch and its slices are valid until the next iteration; copy what must
// outlive it.
//
// Stopping early (break) stops the goroutine: Prefetch returns only once it
// has ended, so no goroutine is left running. A panic in the source is
// raised again in the caller's goroutine.
func Prefetch(batches iter.Seq[*Batch], depth int) iter.Seq[*Batch] {
	depth = max(depth, 1)
	return func(yield func(*Batch) bool) {
		free := make(chan *Batch, depth+2) // Buffers the producer may fill.
		for range depth + 2 {
			free <- &Batch{}
		}
		ready := make(chan *Batch, depth) // Filled buffers, in order.
		done := make(chan struct{})       // Closed when the caller stops.
		ended := make(chan any, 1)        // The producer's end: nil, or what it panicked with.

		go func() {
			defer func() {
				close(ready)
				ended <- recover()
			}()
			for b := range batches {
				select {
				case <-done: // Checked first, so a stopped caller gets no more copies.
					return
				default:
				}
				var buf *Batch
				select {
				case buf = <-free:
				case <-done:
					return
				}
				copyBatch(buf, b)
				select {
				case ready <- buf:
				case <-done:
					return
				}
			}
		}()

		stopped := false
		defer func() {
			if !stopped {
				close(done)
				for range ready { // Unblock a producer waiting to send.
				}
			}
			if r := <-ended; r != nil {
				panic(fmt.Sprintf("mnist: Prefetch: the batch source panicked: %v", r))
			}
		}()
		var held *Batch // The batch the caller has, recycled at the next step.
		for b := range ready {
			if held != nil {
				free <- held
			}
			if !yield(b) {
				return
			}
			held = b
		}
		stopped = true
	}
}

// copyBatch makes dst a copy of src, reusing dst's slices.
func copyBatch(dst, src *Batch) {
	dst.Epoch = src.Epoch
	dst.Index = src.Index
	dst.Indices = append(dst.Indices[:0], src.Indices...)
	dst.Images = append(dst.Images[:0], src.Images...)
	dst.Labels = append(dst.Labels[:0], src.Labels...)
	dst.Dims = append(dst.Dims[:0], src.Dims...)
}
