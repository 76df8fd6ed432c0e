// Package draw lets a student write a digit by hand and watch the course's
// networks answer while they draw: a canvas in a GoNB notebook cell ([Show])
// and the same canvas on a local web page ([Handler], used by
// "digits serve"). Chapter 9 (动转静 / 部署, export and inference)
// introduces it, after predicting one prepared image.
//
// A drawing is framed exactly as "digits predict" frames an image file,
// with [mnist.PrepareImage] (polarity, 20x20 box, centre of mass), then
// every model predicts the ten class probabilities of the framed 28x28
// image. The answer is one PNG picture (the image as the models see it and
// each model's probabilities as bars) and a line of text, so that it shows
// in any notebook viewer, trusted or not.
package draw
