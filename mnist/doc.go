// Package mnist is the engine of the "Handwritten Digits in Go" course: the
// MNIST data with the course's train / valid / eval split, the course's
// networks, their training, evaluation, checkpoints and inference, and the
// choice of the GoMLX backend that runs them.
//
// The course (a Go re-creation of the PaddlePaddle 手写数字识别 chapters)
// introduces the pieces in order:
//
//   - Chapter 1, 通过极简方案构建手写数字识别模型 (a minimal model): the
//     [Linear] model trained as a [Regression] of the digit.
//   - Chapter 2, 数据处理 (data processing): [Load], [Mode], [Dataset] and
//     [Loader] read the IDX files, split them, check them and yield shuffled
//     batches of 100; [Prefetch] prepares batches ahead in a goroutine;
//     [ReadCourseJSON] and [WriteCourseJSON] handle the
//     course's own mnist.json.gz.
//   - Chapter 3, 网络结构 (network structure): [BuildModel] with the [MLP] and
//     the [CNN]; [NewModel] and [Model.Train] train them with the defaults of
//     config.go, logging "epoch E, batch B, loss L" every 200 batches.
//   - Chapter 4, 损失函数 (loss function): [Classification] with softmax
//     cross-entropy ([Loss]), accuracy ([Model.Evaluate]).
//   - Chapter 5, 优化算法 (optimizers): [OptimizerConfig] with [SGD],
//     [Momentum], [Adagrad] and [Adam].
//   - Chapter 6, 资源配置 (resources): [NewBackend] picks XLA on a GPU, XLA on
//     the CPU, or the pure-Go backend, and says which one it chose.
//   - Chapter 7, 训练调试与优化 (training and debugging): L2 weight decay
//     ([OptimizerConfig.L2]), evaluation on held-out data, the confusion
//     matrix ([Evaluation]).
//   - Chapter 8, 恢复训练 (resume training): [Model.Save], [LoadModel] and
//     [PolynomialDecay]; a resumed run matches an uninterrupted one.
//   - Chapter 9, 动转静 / 部署 (export and inference): [ReadImage] frames a
//     user's image as an MNIST digit, [Model.Predict] reads it.
//
// Getting the data: [Download] fills a cache directory ([DefaultDataDir]) with
// the four canonical MNIST files and verifies their SHA-256 hashes.
package mnist
