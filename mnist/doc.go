// Package mnist is the engine of the "Handwritten Digits in Go" course: the
// MNIST data with the course's train / valid / eval split, the course's
// networks, their training, evaluation, checkpoints and inference, and the
// choice of the GoMLX backend that runs them.
//
// # Where to read what
//
// One concept per file. The course's networks are in network.go, one line
// per layer; their layers (fully connected, convolution, pooling) and the
// initialisation of their parameters in layers.go; one training step
// (forward, loss, gradients, update) in step.go; the training loop in
// train.go. fast.go, with internal/fast, holds what makes training fast
// (the CNN computed channels-last and, on a CPU, large batches in pieces;
// data sets kept on the backend; several steps per call): it is selected
// automatically, computes the same numbers as the plain path (fast_test.go
// holds it to that) and teaches nothing; TrainConfig.Plain turns it off.
//
// # The chapters
//
// The course (a Go re-creation of the PaddlePaddle 手写数字识别 chapters)
// introduces the pieces in order:
//
//   - Chapter 1, 通过极简方案构建手写数字识别模型 (a minimal model): the
//     [Linear] model trained as a [Regression] of the digit.
//   - Chapter 2, 数据处理 (data processing): [Load], [Mode], [Dataset] and
//     [Loader] read the IDX files, split them, check them and yield batches
//     of 100, shuffled for training; [Prefetch] prepares batches ahead in a
//     goroutine; [ReadCourseJSON] and [WriteCourseJSON] handle the course's
//     own mnist.json.gz.
//   - Chapter 3, 网络结构 (network structure): the [MLP] and the [CNN] of
//     network.go ([BuildNetwork]); [NewModel] creates one with its
//     parameters, [Model.Summary] lists its layers, [Model.TrainStep] and
//     [Model.Train] train it with the defaults of config.go, logging "epoch
//     E, batch B, loss L" every 200 batches.
//   - Chapter 4, 损失函数 (loss function): [Classification] with softmax
//     cross-entropy ([Loss]), accuracy ([Model.Evaluate]).
//   - Chapter 5, 优化算法 (optimizers): [OptimizerConfig] with [SGD],
//     [Momentum], [Adagrad] and [Adam].
//   - Chapter 6, 资源配置 (resources): [ChooseBackend] and [NewBackend] pick
//     XLA on a GPU, XLA on the CPU, or the pure-Go backend, and say which;
//     [TrainConfig.Devices] trains data parallel on several devices
//     (devices.go), [CheckDevices] says whether a backend can; on a GPU
//     shared by several students, [GPUMemoryEnv] sets how much memory XLA
//     reserves (gpumemory.go).
//   - Chapter 7, 训练调试与优化 (training and debugging): [Model.Params],
//     [Model.Param] and [Model.LayerOutputs] look inside a network; L2
//     weight decay ([OptimizerConfig.L2]), evaluation on held-out data, the
//     confusion matrix ([Evaluation]).
//   - Chapter 8, 恢复训练 (resume training): [Model.Save], [LoadModel],
//     [Model.ResetOptimizer] and [PolynomialDecay]; a resumed run matches an
//     uninterrupted one.
//   - Chapter 9, 动转静 / 部署 (export and inference): [ReadImage] frames a
//     user's image as an MNIST digit, [Model.Predict] reads it,
//     [Model.ExportONNX] saves a static inference model.
//
// Getting the data: [Download] fills a cache directory ([DefaultDataDir]) with
// the four canonical MNIST files and verifies their SHA-256 hashes.
//
// # Settings and output
//
// The package reads no flag and writes nothing of its own: where the
// training log, progress and the backend's line go are fields and
// arguments ([TrainConfig.Log], [TrainConfig.OnBatch], the writer given to
// [NewBackend]). Four functions read the environment, and say so:
// [ChooseBackend] ($GOMLX_BACKEND, and the plugin search path),
// [OpenBackend] ($DIGITS_GPU_MEMORY_FRACTION, on a CUDA backend),
// [DefaultDataDir] ($DIGITS_DATA) and [QuickBatchesFromEnv] ($DIGITS_QUICK);
// ONNX export and inference load the library named by
// $ONNXRUNTIME_SHARED_LIBRARY_PATH.
//
// # What the package does itself, and why
//
// GoMLX v0.28.8 has layers, initializers, optimizers, a checkpoint format
// and a training loop. The package keeps its own versions of these, each
// for a reason:
//
//   - Layers (layers.go): GoMLX's layers.Dense and layers.Convolution would
//     do the arithmetic, but the course's parameters have PaddlePaddle's
//     layouts ([in, out] weights, [out, in, 5, 5] kernels) and names per
//     layer ("conv1/weights"), which the checkpoints, the ONNX export and the
//     benchmark's PyTorch, JAX and Paddle peers rely on; and the course's
//     ReLU has the gradient 0 at 0, as PaddlePaddle's, where GoMLX's Max
//     passes the gradient through.
//   - Initializers: PaddlePaddle's Xavier-uniform and He-normal, drawn on the
//     host from the seed and the parameter's name, so that one seed gives the
//     same network on every backend and in every peer framework; GoMLX's
//     initializers draw on the backend with its own generator.
//   - Optimizers (optimizer.go): chapter 5 needs SGD, Momentum, Adagrad and
//     Adam with PaddlePaddle's rules (Adam's epsilon scaled by the bias
//     correction, L2 added to the gradient, polynomial decay from the step
//     counter), so that the course's runs and the peers' agree. GoMLX
//     v0.28.8 has SGD and Adam only, and its Adam adds epsilon (1e-7 by
//     default) after the bias correction.
//   - Checkpoints (checkpoint.go): one file holding the configuration, the
//     parameters, the optimizer's state, the epoch, the step and the logged
//     losses, with a checksum, written atomically, so that a resumed run is
//     bit for bit an uninterrupted one and a damaged file is named as such.
//     GoMLX's checkpoint package keeps a directory of files and no training
//     configuration.
//   - The training loop (train.go, fast.go): GoMLX's train.Trainer and
//     train.Loop run one step per call on batches from the host; the course
//     shows its step (step.go), and the fast path runs that same step on
//     batches gathered on the backend, several per call.
package mnist
