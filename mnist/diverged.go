package mnist

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
)

// A training diverges when its learning rate is too large: each update
// overshoots, the weights grow until the loss overflows to +Inf and then
// to NaN (Inf - Inf), and every output after that is NaN. This file holds
// how the package notices it.

// ErrNotFinite is the error that [Model.Evaluate] and [Model.Predict] wrap,
// with their context ("mnist: evaluating on eval: ..."), for a model whose
// outputs or loss are NaN or infinite: its weights diverged in training, and
// it predicts no digit.
var ErrNotFinite = errors.New("the model's outputs are not finite numbers (NaN or Inf): " + divergedHint)

// divergedHint says what a model with values that are not finite means, and
// what to do about it.
const divergedHint = "its training diverged; train it again with a lower learning rate"

// DivergedError is the error of [Model.Train] when the loss of a batch is NaN
// or infinite, or when a parameter is at the end of an epoch. Training stops
// there: no checkpoint is written for the epoch, so one saved earlier is
// kept as it was.
type DivergedError struct {
	Epoch, Batch int     // Where the loss stopped being finite.
	Loss         float64 // NaN or ±Inf.
	Cause        error   // The parameter that is not finite, if that is what was found.
}

func (e *DivergedError) Error() string {
	where := fmt.Sprintf("loss %v at epoch %d, batch %d", e.Loss, e.Epoch, e.Batch)
	if e.Cause != nil {
		where = fmt.Sprintf("after epoch %d, batch %d, %s", e.Epoch, e.Batch, strings.TrimPrefix(e.Cause.Error(), "mnist: "))
	}
	return "mnist: training diverged: " + where + "; lower the learning rate and train again " +
		"(no checkpoint is written for this epoch)"
}

// Unwrap returns the cause, if any.
func (e *DivergedError) Unwrap() error { return e.Cause }

// isFinite reports whether x is neither NaN nor infinite.
func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// CheckFinite returns an error naming the first trainable parameter of the
// model that holds a NaN or an infinite value, or nil when all are finite.
func (m *Model) CheckFinite() error {
	for v := range m.store.IterVariables() {
		if !v.Trainable || !v.HasValue() {
			continue
		}
		value, err := v.Value()
		if err != nil {
			return err
		}
		values, err := tensors.CopyFlatData[float32](value)
		if err != nil {
			continue // Not a float32 parameter.
		}
		for i, x := range values {
			if !isFinite(float64(x)) {
				return fmt.Errorf("mnist: parameter %s holds %v (value %d), not a finite number", v.Path(), x, i)
			}
		}
	}
	return nil
}
