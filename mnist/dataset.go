package mnist

import (
	"fmt"
	"path/filepath"
)

// Sizes of an MNIST image and of the label space.
const (
	ImageSize  = 28                    // Images are ImageSize x ImageSize pixels.
	NumPixels  = ImageSize * ImageSize // 784 pixels per image.
	NumClasses = 10                    // Digits 0 to 9.
)

// The four files of the canonical MNIST distribution, as stored in a data
// directory (see [Download]).
const (
	TrainImagesFile = "train-images-idx3-ubyte.gz"
	TrainLabelsFile = "train-labels-idx1-ubyte.gz"
	TestImagesFile  = "t10k-images-idx3-ubyte.gz"
	TestLabelsFile  = "t10k-labels-idx1-ubyte.gz"
)

// ValidFraction is the part of the standard training file that the course
// keeps for validation: its last sixth, 10,000 of the 60,000 images. The
// first 50,000 are the course's training set.
const ValidFraction = 6

// Mode names one of the course's three data sets (chapter 2, 数据处理).
type Mode string

// The course's modes.
const (
	Train Mode = "train" // The first 50,000 images of the standard training file.
	Valid Mode = "valid" // The last 10,000 images of the standard training file.
	Eval  Mode = "eval"  // The 10,000 images of the standard test file.
)

// Modes lists the course's modes in the order of its mnist.json.gz file.
var Modes = []Mode{Train, Valid, Eval}

// ParseMode returns the Mode named s; any name other than train, valid and
// eval is an error, as in the course's loader.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("mnist: unknown mode %q: want train, valid or eval", s)
}

// Dataset holds one of the course's data sets in memory, as raw pixels:
// Pixels[i*NumPixels : (i+1)*NumPixels] is image i, row-major, 0 for the
// background and 255 for full ink; Labels[i] is its digit.
// Chapter 2 (数据处理) introduces it.
type Dataset struct {
	Mode   Mode
	Pixels []uint8
	Labels []uint8
}

// Len returns the number of images.
func (ds *Dataset) Len() int { return len(ds.Labels) }

// Image returns the NumPixels raw pixels of image i.
func (ds *Dataset) Image(i int) []uint8 {
	return ds.Pixels[i*NumPixels : (i+1)*NumPixels]
}

// Load reads the data set of the given mode from the IDX files in dir (as
// filled by [Download]), checking that images and labels agree.
func Load(dir string, mode Mode) (*Dataset, error) {
	imagesFile, labelsFile := TrainImagesFile, TrainLabelsFile
	switch mode {
	case Train, Valid:
	case Eval:
		imagesFile, labelsFile = TestImagesFile, TestLabelsFile
	default:
		_, err := ParseMode(string(mode))
		return nil, err
	}
	ds, err := LoadIDXFiles(filepath.Join(dir, imagesFile), filepath.Join(dir, labelsFile))
	if err != nil {
		return nil, err
	}
	ds.Mode = mode
	if mode == Eval {
		return ds, nil
	}
	train, valid := ds.splitValid()
	if mode == Train {
		return train, nil
	}
	return valid, nil
}

// LoadIDXFiles reads an images file and a labels file in IDX format and
// checks that they hold the same number of 28x28 images and labels 0-9.
func LoadIDXFiles(imagesPath, labelsPath string) (*Dataset, error) {
	images, err := ReadIDXFile(imagesPath)
	if err != nil {
		return nil, err
	}
	if len(images.Dims) != 3 || images.Dims[1] != ImageSize || images.Dims[2] != ImageSize {
		return nil, fmt.Errorf("mnist: %s: images have dimensions %v, want [N 28 28]", imagesPath, images.Dims)
	}
	labels, err := ReadIDXFile(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("mnist: %s: labels have dimensions %v, want [N]", labelsPath, labels.Dims)
	}
	if images.Dims[0] != labels.Dims[0] {
		return nil, fmt.Errorf("mnist: %s holds %d images but %s holds %d labels",
			imagesPath, images.Dims[0], labelsPath, labels.Dims[0])
	}
	for i, l := range labels.Data {
		if l >= NumClasses {
			return nil, fmt.Errorf("mnist: %s: label %d of sample %d is not a digit", labelsPath, l, i)
		}
	}
	return &Dataset{Pixels: images.Data, Labels: labels.Data}, nil
}

// splitValid splits a standard training file into the course's train set
// (the first 5/6) and valid set (the last 1/6). Both share ds's memory.
func (ds *Dataset) splitValid() (train, valid *Dataset) {
	n := ds.Len()
	cut := n - n/ValidFraction
	train = &Dataset{Mode: Train, Pixels: ds.Pixels[:cut*NumPixels], Labels: ds.Labels[:cut]}
	valid = &Dataset{Mode: Valid, Pixels: ds.Pixels[cut*NumPixels:], Labels: ds.Labels[cut:]}
	return train, valid
}
