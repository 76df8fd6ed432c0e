package mnist

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Evaluation is how well a model does on a data set. Chapter 4 (损失函数)
// introduces accuracy; chapter 7 (训练调试与优化) evaluation on held-out data.
type Evaluation struct {
	Mode     Mode
	Images   int
	Loss     float64 // Mean loss over the images.
	Accuracy float64 // Fraction of images whose predicted digit is right.
	// Confusion[label][predicted] counts the images of each digit by the
	// digit predicted for them.
	Confusion [NumClasses][NumClasses]int
}

// String summarises the evaluation in one line.
func (e *Evaluation) String() string {
	return fmt.Sprintf("%s: %d images, loss %.4f, accuracy %.2f%%", e.Mode, e.Images, e.Loss, 100*e.Accuracy)
}

// ConfusionTable returns the confusion matrix as text, one row per true
// digit, one column per predicted digit.
func (e *Evaluation) ConfusionTable() string {
	var sb strings.Builder
	sb.WriteString("label\\pred")
	for p := range NumClasses {
		fmt.Fprintf(&sb, "%6d", p)
	}
	sb.WriteString("\n")
	for l := range NumClasses {
		fmt.Fprintf(&sb, "%10d", l)
		for p := range NumClasses {
			fmt.Fprintf(&sb, "%6d", e.Confusion[l][p])
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// evalGraph builds the evaluation of one batch: its mean loss and the
// predicted digits.
func (m *Model) evalGraph(scope *model.Scope, images, labels *graph.Node) (loss, digits *graph.Node) {
	outputs := m.network(scope, images)
	return Loss(m.Config.Model.Task, outputs, labels), PredictedDigits(m.Config.Model.Task, outputs)
}

// Evaluate runs the model over every image of ds, in batches, and returns
// its mean loss, accuracy and confusion matrix. For regression models the
// predicted digit is the output rounded and clipped to 0-9. A model whose
// loss or outputs are NaN or infinite (its training diverged) gets an error
// wrapping [ErrNotFinite].
func (m *Model) Evaluate(ds *Dataset) (*Evaluation, error) {
	loader, err := m.Loader(ds, false)
	if err != nil {
		return nil, err
	}
	e := &Evaluation{Mode: ds.Mode}
	var lossSum float64
	correct := 0
	var notFinite error
	// add counts one batch: its mean loss and the predicted digits.
	add := func(loss, digits *tensors.Tensor, label func(i int) int) {
		defer loss.FinalizeAll()
		defer digits.FinalizeAll()
		batchLoss := float64(tensors.ToScalar[float32](loss))
		if !isFinite(batchLoss) && notFinite == nil {
			notFinite = fmt.Errorf("mnist: evaluating on %s: loss %v after %d images: %w", ds.Mode, batchLoss, e.Images, ErrNotFinite)
		}
		if notFinite != nil {
			return
		}
		lossSum += batchLoss * float64(digits.Shape().Dimensions[0])
		for i, d := range tensors.MustCopyFlatData[int32](digits) {
			if d < 0 || d >= NumClasses {
				notFinite = fmt.Errorf("mnist: evaluating on %s: no digit for image %d: %w", ds.Mode, e.Images, ErrNotFinite)
				return
			}
			l := label(i)
			e.Confusion[l][d]++
			if int(d) == l {
				correct++
			}
			e.Images++
		}
	}
	if m.fast != nil {
		err = m.fast.evaluate(ds, loader, add)
	} else {
		err = m.evaluate(ds, loader, add)
	}
	if err != nil {
		return nil, err
	}
	if notFinite != nil {
		return nil, notFinite
	}
	e.Loss = lossSum / float64(e.Images)
	e.Accuracy = float64(correct) / float64(e.Images)
	return e, nil
}

// evaluate is the plain evaluation loop: the loader's batches, in order,
// built on the host.
func (m *Model) evaluate(ds *Dataset, loader *Loader, add func(loss, digits *tensors.Tensor, label func(i int) int)) error {
	if m.evalExec == nil {
		var err error
		if m.evalExec, err = model.NewExec2(m.backend, m.store, m.evalGraph); err != nil {
			return err
		}
	}
	for b := range loader.Epoch(0) {
		images, labels := m.batchTensors(b)
		loss, digits, err := m.evalExec.Call(images, labels)
		if err != nil {
			return fmt.Errorf("mnist: evaluating on %s: %w", ds.Mode, err)
		}
		add(loss, digits, func(i int) int { return int(b.Labels[i]) })
	}
	return nil
}

// Prediction is the digit a model sees in one image, with its score for
// every digit (probabilities for classification models).
type Prediction struct {
	Digit  int
	Scores [NumClasses]float32
}

// Predict returns the model's prediction for each image, given as
// NumPixels raw pixels (0 background, 255 ink), as [ReadImage] returns them.
// A model whose outputs are NaN (its training diverged) gets an error
// wrapping [ErrNotFinite].
// Chapter 9 (动转静 / 部署) introduces inference.
func (m *Model) Predict(pixels ...[]uint8) ([]Prediction, error) {
	if len(pixels) == 0 {
		return nil, nil
	}
	ds, err := imagesDataset(pixels)
	if err != nil {
		return nil, err
	}
	loader, err := m.Loader(ds, false)
	if err != nil {
		return nil, err
	}
	if m.inferExec == nil {
		m.inferExec, err = model.NewExec2(m.backend, m.store, func(scope *model.Scope, images *graph.Node) (*graph.Node, *graph.Node) {
			outputs := m.network(scope, images)
			return Scores(m.Config.Model.Task, outputs), PredictedDigits(m.Config.Model.Task, outputs)
		})
		if err != nil {
			return nil, err
		}
	}
	var preds []Prediction
	for b := range loader.Epoch(0) {
		images, _ := m.batchTensors(b)
		scores, digits, err := m.inferExec.Call(images)
		if err != nil {
			return nil, fmt.Errorf("mnist: predicting: %w", err)
		}
		flatScores := tensors.MustCopyFlatData[float32](scores)
		for i, d := range tensors.MustCopyFlatData[int32](digits) {
			p := Prediction{Digit: int(d)}
			copy(p.Scores[:], flatScores[i*NumClasses:])
			preds = append(preds, p)
		}
		scores.FinalizeAll()
		digits.FinalizeAll()
	}
	if err := checkPredictions(preds); err != nil {
		return nil, err
	}
	return preds, nil
}

// imagesTensor returns images of NumPixels raw pixels as one input tensor
// of the model: scaled and shaped as its loader does.
func (m *Model) imagesTensor(pixels [][]uint8) (*tensors.Tensor, error) {
	if len(pixels) == 0 {
		return nil, fmt.Errorf("mnist: no image given")
	}
	ds, err := imagesDataset(pixels)
	if err != nil {
		return nil, err
	}
	images := make([]float32, 0, len(pixels)*NumPixels)
	for _, p := range ds.Pixels {
		images = append(images, m.Config.Scale.Scale(p))
	}
	return tensors.FromFlatDataAndDimensions(images, m.Config.Model.Layout().Dims(len(pixels))...), nil
}

// imagesDataset gathers images of NumPixels raw pixels into an unlabelled
// data set (labels 0).
func imagesDataset(pixels [][]uint8) (*Dataset, error) {
	ds := &Dataset{Mode: Eval, Labels: make([]uint8, len(pixels))}
	for i, p := range pixels {
		if len(p) != NumPixels {
			return nil, fmt.Errorf("mnist: image %d has %d pixels, want %d", i, len(p), NumPixels)
		}
		ds.Pixels = append(ds.Pixels, p...)
	}
	return ds, nil
}

// checkPredictions returns an error wrapping [ErrNotFinite] when a
// prediction has no digit or a score that is not finite.
func checkPredictions(preds []Prediction) error {
	for i, p := range preds {
		finite := p.Digit >= 0 && p.Digit < NumClasses
		for _, s := range p.Scores {
			finite = finite && isFinite(float64(s))
		}
		if !finite {
			return fmt.Errorf("mnist: predicting image %d: %w", i, ErrNotFinite)
		}
	}
	return nil
}
