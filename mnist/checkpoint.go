package mnist

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/godigits/digits/internal/atomicfile"
)

// A checkpoint file is checkpointMagic, then a gob stream (a checkpointHeader,
// then per variable its path, whether it is trainable and its tensor), then
// the SHA-256 of everything before it, so a damaged file is detected.
const checkpointMagic = "DIGITS-CHECKPOINT-1\n"

type checkpointHeader struct {
	ConfigJSON   []byte // TrainConfig as JSON, readable in a hex dump.
	Epoch, Step  int
	Losses       []LossRecord
	NumVariables int
}

// Save writes the model's configuration, its variables, the optimizer's
// state, the epoch and step reached and the logged losses to path. The file
// is written under a temporary name and renamed into place, so a previous
// checkpoint at path stays intact until the new one is complete.
// Chapter 8 (恢复训练) introduces it.
func (m *Model) Save(path string) error {
	var buf bytes.Buffer
	buf.WriteString(checkpointMagic)
	enc := gob.NewEncoder(&buf)
	cfgJSON, err := json.Marshal(m.Config)
	if err != nil {
		return fmt.Errorf("mnist: saving %s: %w", path, err)
	}
	var vars []*model.Variable
	for v := range m.store.IterVariables() {
		if v.HasValue() {
			vars = append(vars, v)
		}
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i].Path() < vars[j].Path() })
	header := checkpointHeader{ConfigJSON: cfgJSON, Epoch: m.Epoch, Step: m.Step, Losses: m.Losses, NumVariables: len(vars)}
	if err := enc.Encode(header); err != nil {
		return fmt.Errorf("mnist: saving %s: %w", path, err)
	}
	for _, v := range vars {
		value, err := v.Value()
		if err == nil {
			err = enc.Encode(v.Path())
		}
		if err == nil {
			err = enc.Encode(v.Trainable)
		}
		if err == nil {
			err = value.GobSerialize(enc)
		}
		if err != nil {
			return fmt.Errorf("mnist: saving variable %s to %s: %w", v.Path(), path, err)
		}
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	err = atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
	if err != nil {
		return fmt.Errorf("mnist: saving %s: %w", path, err)
	}
	return nil
}

// LoadModel reads a checkpoint written by [Model.Save] and returns the model
// on backend, ready to evaluate, predict or resume training with
// [Model.Train] (set Config.Log, Config.OnBatch and Config.CheckpointPath
// again: they are not saved).
func LoadModel(backend compute.Backend, path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	m, err := decodeCheckpoint(backend, data)
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: %w", path, err)
	}
	return m, nil
}

func decodeCheckpoint(backend compute.Backend, data []byte) (*Model, error) {
	if !bytes.HasPrefix(data, []byte(checkpointMagic)) {
		return nil, errors.New("not a digits checkpoint (bad magic)")
	}
	if len(data) < len(checkpointMagic)+sha256.Size {
		return nil, errors.New("checkpoint is truncated")
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, errors.New("checkpoint is damaged or truncated (checksum mismatch)")
	}
	dec := gob.NewDecoder(bytes.NewReader(body[len(checkpointMagic):]))
	var header checkpointHeader
	if err := dec.Decode(&header); err != nil {
		return nil, fmt.Errorf("reading checkpoint header: %w", err)
	}
	var cfg TrainConfig
	if err := json.Unmarshal(header.ConfigJSON, &cfg); err != nil {
		return nil, fmt.Errorf("reading checkpoint configuration: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.MaxBatches = 0 // Quick mode is a property of the run, not of the model.
	cfg = cfg.WithDefaults()
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, cfg.Seed)
	for range header.NumVariables {
		var path string
		var trainable bool
		if err := dec.Decode(&path); err != nil {
			return nil, fmt.Errorf("reading checkpoint variables: %w", err)
		}
		if err := dec.Decode(&trainable); err != nil {
			return nil, fmt.Errorf("reading checkpoint variable %s: %w", path, err)
		}
		value, err := tensors.GobDeserialize(dec)
		if err != nil {
			return nil, fmt.Errorf("reading checkpoint variable %s: %w", path, err)
		}
		v, err := store.CreateVariable(path, value)
		if err != nil {
			return nil, fmt.Errorf("restoring variable %s: %w", path, err)
		}
		v.Trainable = trainable
	}
	numVariables := store.NumVariables()
	m, err := newModel(backend, cfg, store)
	if err != nil {
		return nil, fmt.Errorf("%w (the configuration saved in the checkpoint and its weights disagree)", err)
	}
	if store.NumVariables() != numVariables {
		return nil, fmt.Errorf("the checkpoint lacks parameters of its %s network", cfg.Model)
	}
	m.Epoch, m.Step, m.Losses = header.Epoch, header.Step, header.Losses
	return m, nil
}
