// Package viz draws the course's pictures as self-contained SVG: no
// JavaScript and no CDN, so they render inline in GoNB notebooks, survive in
// saved notebooks and work offline. The same pictures can be written to files
// from the command line ([WriteFile]).
//
// The chapters introduce them in order:
//
//   - Chapter 2 (数据处理): [DigitGrid] shows images with their labels.
//   - Chapter 3 (网络结构): [LinePlot] draws the sigmoid and the loss curves;
//     [Kernels] and [FeatureMaps] show what the CNN learned.
//   - Chapter 4 (损失函数) and 7 (训练调试与优化): [ConfusionMatrix].
//   - Chapter 7: [LiveTraining] updates a progress line and a loss curve in
//     place while a cell trains, and leaves one final picture.
package viz
