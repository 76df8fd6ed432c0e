// Package viz draws the course's pictures. Each is a [Figure]: a PNG, which
// every notebook front-end and code host shows (even in a notebook it does
// not trust, where SVG and HTML are stripped), an SVG for files and trusted
// notebooks, and a one-line text description. Both images come from one
// drawing on gonum/plot's vector canvases, with fonts embedded in the Go
// module, so there is no JavaScript, no CDN and nothing to download.
// [Display] shows a figure in a GoNB notebook; [Figure.WriteFile] writes it
// as .png or .svg.
//
// Text in figures is ASCII or Latin (Greek, arrows and the usual symbols
// too): the embedded font has no Chinese characters, so a title in Chinese
// is an error rather than a picture with empty boxes. The chapters' Chinese
// titles belong in the notebooks' Markdown.
//
// The chapters introduce the pictures in order:
//
//   - Chapter 2 (数据处理): [DigitGrid] shows images with their labels.
//   - Chapter 3 (网络结构): [Architecture] draws a network from its
//     summary; [LinePlot] draws the sigmoid and the loss curves; [Kernels]
//     and [FeatureMaps] show what the CNN learned.
//   - Chapter 4 (损失函数) and 7 (训练调试与优化): [ConfusionMatrix].
//   - Chapter 5 (优化算法): [LinePlot] with Series.Smooth compares
//     optimizers; [Surface] draws their paths on a 2-D loss surface.
//   - Chapter 7: [LiveTraining] updates a progress line, a table of epochs
//     and the loss curve in place while a cell trains, and leaves one
//     compact output that renders everywhere.
//
// In a notebook cell:
//
//	viz.Display(viz.Must(viz.LinePlot{Title: "loss", Series: series}.Figure()))
package viz
