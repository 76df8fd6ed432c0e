// Package mnist is the engine of the "Handwritten Digits in Go" course: the
// MNIST data with the course's train / valid / eval split, batching and
// shuffling, and the choice of the GoMLX backend that runs the models.
//
// The course (a Go re-creation of the PaddlePaddle 手写数字识别 chapters)
// introduces the pieces in order:
//
//   - Chapter 2, 数据处理 (data processing): [Load], [Mode], [Dataset] and
//     [Loader] read the IDX files, split them, check them and yield shuffled
//     batches of 100.
//   - Chapter 2 also reads and writes the course's own mnist.json.gz with
//     [ReadCourseJSON] and [WriteCourseJSON].
//   - Chapter 6, 资源配置 (resources): [NewBackend] picks XLA on a GPU, XLA on
//     the CPU, or the pure-Go backend, and says which one it chose.
//
// Getting the data: [Download] fills a cache directory ([DefaultDataDir]) with
// the four canonical MNIST files and verifies their SHA-256 hashes.
package mnist
