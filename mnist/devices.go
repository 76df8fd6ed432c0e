package mnist

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/distributed"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/core/tensors/dtensor"
	"github.com/gomlx/gomlx/ml/model"
)

// Data parallelism, chapter 6 (资源配置): training on several devices at once.
//
// Every device holds a whole copy (a replica) of the parameters and of the
// optimizer's state. Each global batch of BatchSize images is cut into
// Devices equal shares along the batch axis; each device runs the forward
// and backward pass on its share. The gradients of the shares are then
// averaged across the devices (an all-reduce) and every replica applies the
// same update, so the replicas stay identical and the run computes what one
// device computes on the whole batch, up to the order of the additions.
//
// We do not write the all-reduce ourselves. The training step is the same
// graph as on one device (step.go), written for the global batch; we only
// tell GoMLX how its inputs and variables are laid out over a mesh of
// devices (a [distributed.DeviceMesh] with one axis, "batch"): images and
// labels sharded along that axis, parameters replicated. GoMLX hands the
// graph to XLA in AutoSharding mode, and XLA's SPMD partitioner splits it
// into one program per device, inserting the all-reduce that the mean over
// the batch needs. PyTorch's DistributedDataParallel and PaddlePaddle's
// paddle.DataParallel, which the course uses, do the same by hand.
//
// Several devices without a GPU: XLA's PJRT CPU plugin (lammps-jax-pjrt-cpu
// 0.11.2, measured 2026-11-30) offers 4 CPU devices by default, whatever the
// machine's cores. The number is the PJRT client option "cpu_device_count"
// (go-xla: xla.NewWithOptions(plugin, pjrt.NamedValuesMap{"cpu_device_count":
// int64(n)})); XLA_FLAGS=--xla_force_host_platform_device_count does not
// change it, and go-xla refuses it as an option of GOMLX_BACKEND. The CPU
// devices share the cores: they run the same program as several GPUs, which
// is what the tests need, not more hardware.

// batchAxis names the one axis of the device mesh: devices split the batch.
const batchAxis = "batch"

// CheckDevices returns an error when a model cannot train on n devices of
// backend with batches of batchSize images: n below 0, more devices than the
// backend has, several devices of the pure-Go backend, or a batch that does
// not split evenly over the devices. 0 and 1 mean one device. Chapter 6
// (资源配置) introduces training on several devices.
func CheckDevices(backend compute.Backend, n, batchSize int) error {
	switch {
	case n < 0:
		return fmt.Errorf("mnist: devices %d must be positive", n)
	case n <= 1:
		return nil
	case IsPureGo(backend):
		return fmt.Errorf("mnist: the pure-Go backend has one device, %d asked: train on several devices with an XLA backend", n)
	case n > backend.NumDevices():
		return fmt.Errorf("mnist: %d devices asked, the %s backend has %d", n, backend.Name(), backend.NumDevices())
	case batchSize%n != 0:
		return fmt.Errorf("mnist: batch size %d does not split evenly over %d devices", batchSize, n)
	}
	return nil
}

// SetDevices sets the number of devices the model trains on (see
// [TrainConfig.Devices]), after checking it with [CheckDevices]. A model
// loaded from a checkpoint trains on one device until told otherwise: where
// a run trains is not part of the checkpoint, so a run saved on 4 devices
// resumes on 1 and the other way round.
func (m *Model) SetDevices(n int) error {
	if err := CheckDevices(m.backend, n, m.Config.BatchSize); err != nil {
		return err
	}
	if max(n, 1) == max(m.Config.Devices, 1) {
		return nil
	}
	m.Config.Devices = n
	// The training executable is compiled for a number of devices.
	if m.stepExec != nil {
		m.stepExec.Finalize()
		m.stepExec = nil
	}
	if n > 1 {
		m.fast = nil
	}
	return nil
}

// dataParallel is how the training step of a model on several devices is
// laid out: the mesh, and the sharding of the batch and of the parameters.
type dataParallel struct {
	mesh       *distributed.DeviceMesh
	batch      *distributed.ShardingSpec // Images and labels: split along axis 0.
	replicated *distributed.ShardingSpec // Parameters, optimizer state, the loss.
}

func newDataParallel(devices int) (*dataParallel, error) {
	mesh, err := distributed.NewDeviceMesh([]int{devices}, []string{batchAxis})
	if err != nil {
		return nil, err
	}
	batch, err := distributed.BuildSpec(mesh).S(batchAxis).Done()
	if err != nil {
		return nil, err
	}
	return &dataParallel{mesh: mesh, batch: batch, replicated: distributed.NewReplicatedShardingSpec(mesh)}, nil
}

// newStepExec compiles the training step (step.go) of the model: on one
// device, or on Config.Devices devices with the batch split among them.
func (m *Model) newStepExec() (*model.Exec, error) {
	exec, err := model.NewExec(m.backend, m.store, func(scope *model.Scope, images, labels *graph.Node) *graph.Node {
		m.store.SetTraining(images.Graph(), true)
		return m.trainingStep(scope, images, labels)
	})
	if err != nil || m.Config.Devices <= 1 {
		return exec, err
	}
	dp, err := newDataParallel(m.Config.Devices)
	if err != nil {
		return nil, err
	}
	exec = exec.AutoSharding(dp.mesh).
		WithInputShardingSpecs(dp.batch, dp.batch).
		WithOutputShardingSpecs(dp.replicated)
	if err := exec.SetDefaultShardingSpec(dp.replicated); err != nil {
		return nil, err
	}
	m.parallel = dp
	return exec, nil
}

// runStep runs the compiled training step on a batch's tensors and returns
// the loss. On several devices the batch is first cut into one share per
// device; the loss comes back once per device, the same on each.
func (m *Model) runStep(images, labels *tensors.Tensor) (float64, error) {
	if m.Config.Devices <= 1 {
		loss, err := m.stepExec.Call1(images, labels)
		if err != nil {
			return 0, err
		}
		defer loss.FinalizeAll()
		return float64(tensors.ToScalar[float32](loss)), nil
	}
	if n := images.Shape().Dimensions[0]; n%m.Config.Devices != 0 {
		return 0, fmt.Errorf("batch of %d images does not split evenly over %d devices", n, m.Config.Devices)
	}
	shardedImages, err := dtensor.ShardTensor(m.parallel.batch, images)
	if err != nil {
		return 0, err
	}
	shardedLabels, err := dtensor.ShardTensor(m.parallel.batch, labels)
	if err != nil {
		return 0, err
	}
	losses, err := m.stepExec.Exec(shardedImages, shardedLabels)
	if err != nil {
		return 0, err
	}
	defer func() {
		for _, l := range losses {
			l.FinalizeAll()
		}
	}()
	return float64(tensors.ToScalar[float32](losses[0])), nil
}
