// Package viz draws the course's pictures as self-contained SVG: no
// JavaScript and no CDN, so they render inline in GoNB notebooks, survive in
// saved notebooks and work offline. The same pictures can be written to files
// from the command line.
//
// Chapter 2 (数据处理) introduces [DigitGrid], which shows a few images
// with their labels.
package viz
