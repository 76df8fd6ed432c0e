//go:build !onnx

package mnist

import "errors"

// ErrNoONNX is what the ONNX functions return in a build without ONNX.
var ErrNoONNX = errors.New("mnist: ONNX export needs a build with -tags onnx (make setup builds digits so)")

// ONNXLibraryEnv names the environment variable that gives the path of the
// ONNX Runtime shared library (libonnxruntime.so) that a build with -tags
// onnx loads.
const ONNXLibraryEnv = "ONNXRUNTIME_SHARED_LIBRARY_PATH"

// ONNXSupported says whether this build can export and run ONNX models: it
// cannot, build with -tags onnx.
const ONNXSupported = false

// ExportONNX writes the model as a static ONNX inference model; this build
// lacks ONNX support (build with -tags onnx), so it returns an error.
func (m *Model) ExportONNX(path string, batchSize int) error { return ErrNoONNX }

// ONNXModel is a model exported by [Model.ExportONNX], loaded back for
// inference; this build lacks ONNX support (build with -tags onnx).
type ONNXModel struct {
	Config    TrainConfig
	BatchSize int
}

// LoadONNX loads an exported model; this build lacks ONNX support (build with
// -tags onnx), so it returns an error.
func LoadONNX(path string) (*ONNXModel, error) { return nil, ErrNoONNX }

// Predict returns an error: this build lacks ONNX support.
func (o *ONNXModel) Predict(pixels ...[]uint8) ([]Prediction, error) { return nil, ErrNoONNX }

// Close does nothing.
func (o *ONNXModel) Close() {}
