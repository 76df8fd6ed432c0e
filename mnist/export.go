//go:build onnx

package mnist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	onnxbackend "github.com/gomlx/compute-onnx"
	onnxpb "github.com/gomlx/compute-onnx/support/protos"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	gomlxonnx "github.com/gomlx/gomlx/ml/model/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/godigits/digits/internal/atomicfile"
)

// ONNXLibraryEnv names the environment variable that gives the path of the
// ONNX Runtime shared library (libonnxruntime.so) that export and ONNX
// inference load. `make setup` installs the library; nothing is ever
// downloaded at run time.
const ONNXLibraryEnv = "ONNXRUNTIME_SHARED_LIBRARY_PATH"

// ONNXSupported says whether this build can export and run ONNX models
// (built with -tags onnx).
const ONNXSupported = true

// ErrNoONNX is what the ONNX functions return in a build without -tags onnx;
// this build never returns it.
var ErrNoONNX = errors.New("mnist: ONNX export needs a build with -tags onnx (make setup builds digits so)")

// Names of the exported model's inputs and outputs, and the keys of the
// metadata it carries (ONNX metadata_props, readable by any ONNX runtime,
// e.g. onnxruntime's session.get_modelmeta().custom_metadata_map).
const (
	ONNXInput        = "images"
	ONNXScoresOutput = "scores"
	ONNXDigitsOutput = "digits"

	onnxMetaFormat = "digits.format"      // "1"
	onnxMetaConfig = "digits.config"      // TrainConfig as JSON, as in checkpoints.
	onnxMetaScale  = "digits.pixel_scale" // Human-readable: "p/255" or "p/127.5-1".
	onnxMetaEpoch  = "digits.epoch"
	onnxMetaStep   = "digits.step"
	onnxFormat     = "1"
)

// ExportONNX writes the trained model to path as a static ONNX inference
// model (chapter 9, 动转静 / 部署): the network's graph with its weights baked
// in as constants, for a fixed batch size (1 for one user image at a time).
//
//   - Input "images": float32 [batchSize, 784] (linear model, MLP) or
//     [batchSize, 1, 28, 28] (CNN), pixels scaled as in training: p/255 by
//     default, p/127.5-1 for [MinusOneToOne] (metadata "digits.pixel_scale").
//   - Output "scores": float32 [batchSize, 10], the probabilities of each
//     digit for classification, max(0, 1-|output-d|) for regression (as
//     [Model.Predict]).
//   - Output "digits": int32 [batchSize], the predicted digits.
//
// The model's metadata_props hold its training configuration as JSON
// ("digits.config"), from which [LoadONNX] recovers the pixel scale and
// layout. The file is written under a temporary name and renamed into place,
// so an existing file at path is replaced only by a complete export. It needs
// the ONNX Runtime library named by $ONNXRUNTIME_SHARED_LIBRARY_PATH. The
// model itself is left untouched: its weights are copied.
func (m *Model) ExportONNX(path string, batchSize int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mnist: exporting %s: %v", path, r)
		}
	}()
	if err := CheckExportBatch(batchSize); err != nil {
		return fmt.Errorf("mnist: exporting %s: %s", path, strings.TrimPrefix(err.Error(), "mnist: "))
	}
	if err := m.CheckFinite(); err != nil {
		return fmt.Errorf("mnist: exporting %s: %s: %s", path, strings.TrimPrefix(err.Error(), "mnist: "), divergedHint)
	}
	backend, err := newONNXBackend()
	if err != nil {
		return fmt.Errorf("mnist: exporting %s: %w", path, err)
	}
	defer backend.Finalize()
	data, err := m.onnxBytes(backend, batchSize)
	if err != nil {
		return fmt.Errorf("mnist: exporting %s: %w", path, firstLine(err))
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("mnist: exporting %s: %w", path, err)
	}
	return nil
}

// onnxBytes compiles the inference graph on the ONNX backend, with the
// model's weights as constants, and returns the serialised ONNX model with
// the digits metadata added.
func (m *Model) onnxBytes(backend compute.Backend, batchSize int) ([]byte, error) {
	// A private copy of the weights, on the host: tensors bound to the
	// model's backend cannot be used on another one, and the model must stay
	// usable after the export.
	store := model.NewStore()
	numVars := 0
	for v := range m.store.IterVariables() {
		if !v.HasValue() {
			continue
		}
		value, err := v.Value()
		if err != nil {
			return nil, err
		}
		clone, err := value.LocalClone()
		if err != nil {
			return nil, fmt.Errorf("copying variable %s: %w", v.Path(), err)
		}
		if _, err := store.CreateVariable(v.Path(), clone); err != nil {
			return nil, fmt.Errorf("copying variable %s: %w", v.Path(), err)
		}
		numVars++
	}
	cfg := m.Config.Model
	// A fresh Exec: Save must compile the graph itself, with the backend
	// keeping the ONNX proto and the variables turned into constants. The
	// network is built as the model builds it for inference.
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, images *graph.Node) (*graph.Node, *graph.Node) {
		outputs := m.network(scope, images)
		return Scores(cfg.Task, outputs), PredictedDigits(cfg.Task, outputs)
	})
	if err != nil {
		return nil, err
	}
	dims := cfg.Layout().Dims(batchSize)
	var buf bytes.Buffer
	err = gomlxonnx.Save(backend, exec, &buf, []shapes.Shape{shapes.Make(dtypes.Float32, dims...)},
		[]string{ONNXInput}, []string{ONNXScoresOutput, ONNXDigitsOutput})
	if err != nil {
		return nil, err
	}
	if store.NumVariables() != numVars {
		// Building the network created variables the model lacks: it would export
		// random weights.
		return nil, errors.New("the model lacks some of its network's weights")
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(buf.Bytes(), &mp); err != nil {
		return nil, fmt.Errorf("reading back the ONNX model: %w", err)
	}
	cfgJSON, err := json.Marshal(m.Config)
	if err != nil {
		return nil, err
	}
	scale := "p/255"
	if m.Config.Scale == MinusOneToOne {
		scale = "p/127.5-1"
	}
	mp.ProducerName = "digits (GoMLX)"
	mp.DocString = fmt.Sprintf("digits %s, trained %d epochs (%d steps). Input %q: float32 %s, pixels p (0 background, 255 ink) as %s. "+
		"Outputs %q: float32 [%d, 10], score of each digit; %q: int32 [%d], predicted digit.",
		cfg, m.Epoch, m.Step, ONNXInput, strings.Join(strings.Fields(fmt.Sprint(dims)), ", "), scale, ONNXScoresOutput, batchSize, ONNXDigitsOutput, batchSize)
	for _, kv := range [][2]string{
		{onnxMetaFormat, onnxFormat},
		{onnxMetaConfig, string(cfgJSON)},
		{onnxMetaScale, scale},
		{onnxMetaEpoch, strconv.Itoa(m.Epoch)},
		{onnxMetaStep, strconv.Itoa(m.Step)},
	} {
		mp.MetadataProps = append(mp.MetadataProps, &onnxpb.StringStringEntryProto{Key: kv[0], Value: kv[1]})
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(&mp)
}

// ONNXModel is a model exported by [Model.ExportONNX], loaded back for
// inference on ONNX Runtime. It is safe for concurrent use.
type ONNXModel struct {
	// Config is the training configuration of the exported model.
	Config TrainConfig
	// BatchSize is the fixed number of images the exported graph takes;
	// Predict pads and splits its input to it.
	BatchSize int

	path    string
	mu      sync.Mutex
	backend compute.Backend
	exec    *gomlxonnx.Executable
}

// LoadONNX loads a model written by [Model.ExportONNX]. It needs the ONNX
// Runtime library named by $ONNXRUNTIME_SHARED_LIBRARY_PATH.
func LoadONNX(path string) (o *ONNXModel, err error) {
	defer func() {
		if r := recover(); r != nil {
			o, err = nil, fmt.Errorf("mnist: loading %s: %v", path, r)
		}
	}()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	o = &ONNXModel{path: path}
	if err := o.readMetadata(data); err != nil {
		return nil, fmt.Errorf("mnist: loading %s: %w", path, err)
	}
	o.backend, err = newONNXBackend()
	if err != nil {
		return nil, fmt.Errorf("mnist: loading %s: %w", path, err)
	}
	o.exec, err = gomlxonnx.Load(o.backend, bytes.NewReader(data))
	if err != nil {
		o.backend.Finalize()
		return nil, fmt.Errorf("mnist: loading %s: %w", path, firstLine(err))
	}
	return o, nil
}

// readMetadata checks that data is an ONNX model exported by digits and sets
// o.Config and o.BatchSize from it.
func (o *ONNXModel) readMetadata(data []byte) error {
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return fmt.Errorf("not an ONNX model: %w", err)
	}
	meta := map[string]string{}
	for _, kv := range mp.GetMetadataProps() {
		meta[kv.GetKey()] = kv.GetValue()
	}
	if meta[onnxMetaFormat] != onnxFormat {
		return errors.New("not an ONNX model exported by digits (no digits.format metadata)")
	}
	if err := json.Unmarshal([]byte(meta[onnxMetaConfig]), &o.Config); err != nil {
		return fmt.Errorf("reading its digits.config metadata: %w", err)
	}
	if err := o.Config.Validate(); err != nil {
		return err
	}
	o.Config = o.Config.WithDefaults()
	inputs := mp.GetGraph().GetInput()
	if len(inputs) != 1 || inputs[0].GetName() != ONNXInput {
		return fmt.Errorf("want one input %q, the model has %d", ONNXInput, len(inputs))
	}
	var dims []int
	for _, d := range inputs[0].GetType().GetTensorType().GetShape().GetDim() {
		dims = append(dims, int(d.GetDimValue()))
	}
	want := o.Config.Model.Layout().Dims(0)
	if len(dims) != len(want) || dims[0] <= 0 {
		return fmt.Errorf("input %q has shape %v, want a fixed batch size and %v", ONNXInput, dims, want[1:])
	}
	for i := 1; i < len(want); i++ {
		if dims[i] != want[i] {
			return fmt.Errorf("input %q has shape %v, want [batch %v]", ONNXInput, dims, want[1:])
		}
	}
	o.BatchSize = dims[0]
	return nil
}

// Predict returns the exported model's prediction for each image, given as
// NumPixels raw pixels (0 background, 255 ink) as [ReadImage] returns them:
// the same as [Model.Predict] of the model exported. Images are run
// BatchSize at a time, the last batch padded.
func (o *ONNXModel) Predict(pixels ...[]uint8) (preds []Prediction, err error) {
	defer func() {
		if r := recover(); r != nil {
			preds, err = nil, fmt.Errorf("mnist: predicting with %s: %v", o.path, r)
		}
	}()
	if len(pixels) == 0 {
		return nil, nil
	}
	ds, err := imagesDataset(pixels)
	if err != nil {
		return nil, err
	}
	// The loader scales and shapes the pixels exactly as for the model
	// exported ([Model.Loader]).
	loader, err := NewLoader(ds, LoaderConfig{
		BatchSize: o.BatchSize,
		Layout:    o.Config.Model.Layout(),
		Scale:     o.Config.Scale,
	})
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.exec == nil {
		return nil, fmt.Errorf("mnist: predicting with %s: model is closed", o.path)
	}
	for b := range loader.Epoch(0) {
		n := b.Size()
		images := b.Images
		if n < o.BatchSize {
			images = append(images, make([]float32, (o.BatchSize-n)*NumPixels)...)
		}
		dims := append([]int{o.BatchSize}, b.Dims[1:]...)
		outs, err := o.exec.Call(tensors.FromFlatDataAndDimensions(images, dims...))
		if err != nil {
			return nil, fmt.Errorf("mnist: predicting with %s: %w", o.path, firstLine(err))
		}
		if len(outs) != 2 {
			return nil, fmt.Errorf("mnist: predicting with %s: model returned %d outputs, want 2", o.path, len(outs))
		}
		scores, err := tensors.CopyFlatData[float32](outs[0])
		if err == nil {
			var digits []int32
			digits, err = tensors.CopyFlatData[int32](outs[1])
			for i := 0; err == nil && i < n; i++ {
				p := Prediction{Digit: int(digits[i])}
				copy(p.Scores[:], scores[i*NumClasses:])
				preds = append(preds, p)
			}
		}
		for _, t := range outs {
			t.FinalizeAll()
		}
		if err != nil {
			return nil, fmt.Errorf("mnist: predicting with %s: %w", o.path, err)
		}
	}
	if err := checkPredictions(preds); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, o.path)
	}
	return preds, nil
}

// Close frees the ONNX Runtime session. The model cannot predict afterwards.
func (o *ONNXModel) Close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.exec != nil {
		o.exec.Finalize()
		o.exec = nil
	}
	if o.backend != nil {
		o.backend.Finalize()
		o.backend = nil
	}
}

// newONNXBackend starts the ONNX Runtime backend on the CPU, from the library
// at $ONNXRUNTIME_SHARED_LIBRARY_PATH, never downloading one.
func newONNXBackend() (backend compute.Backend, err error) {
	lib := os.Getenv(ONNXLibraryEnv)
	if lib == "" {
		return nil, fmt.Errorf("ONNX needs the ONNX Runtime library: set %s to the path of libonnxruntime.so (`make setup` installs it)", ONNXLibraryEnv)
	}
	if _, err := os.Stat(lib); err != nil {
		return nil, fmt.Errorf("ONNX Runtime library %s=%s: %w (`make setup` installs it)", ONNXLibraryEnv, lib, errors.Unwrap(err))
	}
	defer func() {
		if r := recover(); r != nil {
			backend, err = nil, fmt.Errorf("starting ONNX Runtime from %s: %v", lib, r)
		}
	}()
	onnxbackend.EnableAutoInstall(false)
	backend, err = onnxbackend.New("cpu")
	if err != nil {
		return nil, fmt.Errorf("starting ONNX Runtime from %s: %w", lib, firstLine(err))
	}
	return backend, nil
}
