package mnist

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// The fixture in testdata/ is a tiny MNIST: 12 training and 4 test images.
// Pixel j of image i in the training file is fixturePixel(i, j) and its label
// is i % 10; test images use i + 100. Regenerate it with
//
//	go test ./mnist -run TestWriteFixture (with UPDATE_FIXTURES=1)
const (
	fixtureTrain = 12
	fixtureTest  = 4
)

func fixturePixel(i, j int) uint8 { return uint8((i*31 + j*7) % 256) }

func fixtureIDX(n, offset int) (images, labels *IDX) {
	images = &IDX{Dims: []int{n, ImageSize, ImageSize}, Data: make([]uint8, n*NumPixels)}
	labels = &IDX{Dims: []int{n}, Data: make([]uint8, n)}
	for i := 0; i < n; i++ {
		for j := 0; j < NumPixels; j++ {
			images.Data[i*NumPixels+j] = fixturePixel(i+offset, j)
		}
		labels.Data[i] = uint8((i + offset) % 10)
	}
	return images, labels
}

// writeIDXFile writes idx to path, gzip-compressed if path ends in .gz.
func writeIDXFile(t testing.TB, path string, idx *IDX) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteIDX(&buf, idx); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if filepath.Ext(path) == ".gz" {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		data = z.Bytes()
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

var update = os.Getenv("UPDATE_FIXTURES") != ""

func TestWriteFixture(t *testing.T) {
	if !update {
		t.Skip("set UPDATE_FIXTURES=1 to regenerate testdata/")
	}
	images, labels := fixtureIDX(fixtureTrain, 0)
	writeIDXFile(t, filepath.Join("testdata", TrainImagesFile), images)
	writeIDXFile(t, filepath.Join("testdata", TrainLabelsFile), labels)
	images, labels = fixtureIDX(fixtureTest, 100)
	writeIDXFile(t, filepath.Join("testdata", TestImagesFile), images)
	writeIDXFile(t, filepath.Join("testdata", TestLabelsFile), labels)
}

// TestFixtureMatchesGenerator makes sure testdata/ holds what the generator
// describes, so the expectations of the other tests are grounded.
func TestFixtureMatchesGenerator(t *testing.T) {
	for _, tc := range []struct {
		file   string
		n, off int
	}{{TrainImagesFile, fixtureTrain, 0}, {TestImagesFile, fixtureTest, 100}} {
		got, err := ReadIDXFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := fixtureIDX(tc.n, tc.off)
		if !bytes.Equal(got.Data, want.Data) {
			t.Errorf("%s differs from the generator", tc.file)
		}
	}
}
