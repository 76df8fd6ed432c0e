package mnist

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/godigits/digits/internal/atomicfile"
)

// CourseJSONFile is the name of the course's data file: gzip-compressed JSON
// [train_set, val_set, eval_set], each set [images, labels], each image a list
// of 784 numbers (row-major 28x28) and each label a digit 0-9.
const CourseJSONFile = "mnist.json.gz"

// ReadCourseJSON reads the course's mnist.json.gz and returns its train,
// valid and eval sets, in that order. The pixel range of the file is
// detected: values in [0, 1], [-1, 1] or [0, 255] are all accepted and
// stored as raw pixels 0-255.
func ReadCourseJSON(path string) ([]*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	sets, err := readCourseJSON(f)
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: %w", path, err)
	}
	return sets, nil
}

func readCourseJSON(r io.Reader) ([]*Dataset, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("bad gzip data: %w", err)
	}
	defer zr.Close()
	var raw []struct {
		images [][]float64
		labels []float64
	}
	var top []json.RawMessage
	if err := json.NewDecoder(zr).Decode(&top); err != nil {
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	if len(top) != len(Modes) {
		return nil, fmt.Errorf("holds %d sets, want 3 (train, valid, eval)", len(top))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, msg := range top {
		var set []json.RawMessage
		if err := json.Unmarshal(msg, &set); err != nil || len(set) != 2 {
			return nil, fmt.Errorf("%s set: want [images, labels]", Modes[i])
		}
		var images [][]float64
		var labels []float64
		if err := json.Unmarshal(set[0], &images); err != nil {
			return nil, fmt.Errorf("%s images: %w", Modes[i], err)
		}
		if err := json.Unmarshal(set[1], &labels); err != nil {
			return nil, fmt.Errorf("%s labels: %w", Modes[i], err)
		}
		if len(images) != len(labels) {
			return nil, fmt.Errorf("%s set holds %d images but %d labels", Modes[i], len(images), len(labels))
		}
		for j, img := range images {
			if len(img) != NumPixels {
				return nil, fmt.Errorf("%s image %d has %d values, want %d", Modes[i], j, len(img), NumPixels)
			}
			for _, v := range img {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		raw = append(raw, struct {
			images [][]float64
			labels []float64
		}{images, labels})
	}
	toPixel, err := pixelDecoder(lo, hi)
	if err != nil {
		return nil, err
	}
	sets := make([]*Dataset, len(raw))
	for i, s := range raw {
		ds := &Dataset{Mode: Modes[i], Pixels: make([]uint8, 0, len(s.images)*NumPixels), Labels: make([]uint8, len(s.labels))}
		for _, img := range s.images {
			for _, v := range img {
				ds.Pixels = append(ds.Pixels, toPixel(v))
			}
		}
		for j, l := range s.labels {
			if l != math.Trunc(l) || l < 0 || l >= NumClasses {
				return nil, fmt.Errorf("%s label %d is %v, not a digit 0-9", Modes[i], j, l)
			}
			ds.Labels[j] = uint8(l)
		}
		sets[i] = ds
	}
	return sets, nil
}

// pixelDecoder picks the mapping from file values to raw pixels from the
// range [lo, hi] of all values in the file.
func pixelDecoder(lo, hi float64) (func(float64) uint8, error) {
	const eps = 1e-6
	round := func(v float64) uint8 { return uint8(math.Round(min(max(v, 0), 255))) }
	switch {
	case lo > hi: // No pixels at all.
		return nil, nil
	case lo >= -eps && hi <= 1+eps:
		return func(v float64) uint8 { return round(v * 255) }, nil
	case lo >= -1-eps && hi <= 1+eps:
		return func(v float64) uint8 { return round((v + 1) * 127.5) }, nil
	case lo >= -eps && hi <= 255+eps:
		return round, nil
	}
	return nil, fmt.Errorf("pixel values span [%v, %v]: want [0, 1], [-1, 1] or [0, 255]", lo, hi)
}

// WriteCourseJSON writes train, valid and eval as the course's mnist.json.gz,
// with pixels in [0, 1]. The file is written to a temporary name and renamed
// into place, so an existing file is never left half-written.
func WriteCourseJSON(path string, train, valid, eval *Dataset) error {
	for _, ds := range []*Dataset{train, valid, eval} {
		if len(ds.Pixels) != ds.Len()*NumPixels {
			return fmt.Errorf("mnist: writing %s: the %s set has %d pixels for %d labels", path, ds.Mode, len(ds.Pixels), ds.Len())
		}
	}
	err := atomicfile.Write(path, func(w io.Writer) error {
		zw := gzip.NewWriter(w)
		bw := bufio.NewWriterSize(zw, 1<<20)
		if err := writeCourseJSON(bw, []*Dataset{train, valid, eval}); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		return fmt.Errorf("mnist: writing %s: %w", path, err)
	}
	return nil
}

func writeCourseJSON(w *bufio.Writer, sets []*Dataset) error {
	var buf []byte
	w.WriteByte('[')
	for i, ds := range sets {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString("[[")
		for j := 0; j < ds.Len(); j++ {
			if j > 0 {
				w.WriteByte(',')
			}
			w.WriteByte('[')
			for k, p := range ds.Image(j) {
				if k > 0 {
					w.WriteByte(',')
				}
				buf = strconv.AppendFloat(buf[:0], float64(ZeroToOne.Scale(p)), 'g', -1, 32)
				w.Write(buf)
			}
			w.WriteByte(']')
		}
		w.WriteString("],[")
		for j, l := range ds.Labels {
			if j > 0 {
				w.WriteByte(',')
			}
			w.WriteString(strconv.Itoa(int(l)))
		}
		w.WriteString("]]")
	}
	w.WriteByte(']')
	_, err := w.Write(nil) // bufio keeps the first write error.
	return err
}
