package mnist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	// The fixture's training file holds 12 images: the last sixth (2) is
	// valid, the first 10 are train; eval is the 4-image test file.
	tests := []struct {
		mode       Mode
		wantLen    int
		firstImage int // Generator index of the first image.
	}{
		{Train, 10, 0},
		{Valid, 2, 10},
		{Eval, 4, 100},
	}
	for _, tc := range tests {
		t.Run(string(tc.mode), func(t *testing.T) {
			ds, err := Load("testdata", tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Mode != tc.mode || ds.Len() != tc.wantLen {
				t.Fatalf("got mode %s with %d images, want %s with %d", ds.Mode, ds.Len(), tc.mode, tc.wantLen)
			}
			if len(ds.Pixels) != ds.Len()*NumPixels {
				t.Fatalf("got %d pixels for %d images", len(ds.Pixels), ds.Len())
			}
			for j := range NumPixels {
				if got, want := ds.Image(0)[j], fixturePixel(tc.firstImage, j); got != want {
					t.Fatalf("pixel %d of the first image: got %d, want %d", j, got, want)
				}
			}
			if got, want := ds.Labels[0], uint8(tc.firstImage%10); got != want {
				t.Errorf("first label: got %d, want %d", got, want)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for _, s := range []string{"train", "valid", "eval"} {
		if m, err := ParseMode(s); err != nil || string(m) != s {
			t.Errorf("ParseMode(%q) = %q, %v", s, m, err)
		}
	}
	for _, s := range []string{"", "test", "Train", "validation"} {
		if _, err := ParseMode(s); err == nil || !strings.Contains(err.Error(), "want train, valid or eval") {
			t.Errorf("ParseMode(%q): got %v, want an error", s, err)
		}
	}
	if _, err := Load("testdata", Mode("test")); err == nil {
		t.Error("Load with mode test: got no error")
	}
}

func TestLoadErrors(t *testing.T) {
	imgs12, labels12 := fixtureIDX(12, 0)
	_, labels11 := fixtureIDX(11, 0)
	badLabels := &IDX{Dims: []int{12}, Data: make([]uint8, 12)}
	badLabels.Data[5] = 10
	flat := &IDX{Dims: []int{12, 784}, Data: imgs12.Data}
	tests := []struct {
		name           string
		images, labels *IDX // nil: file missing
		wantErr        []string
	}{
		{"missing images", nil, labels12, []string{TrainImagesFile, "no such file"}},
		{"missing labels", imgs12, nil, []string{TrainLabelsFile, "no such file"}},
		{"count mismatch", imgs12, labels11, []string{"holds 12 images but", "holds 11 labels"}},
		{"label out of range", imgs12, badLabels, []string{"label 10 of sample 5 is not a digit"}},
		{"images not 28x28", flat, labels12, []string{"dimensions [12 784], want [N 28 28]"}},
		{"labels as images", imgs12, imgs12, []string{"labels have dimensions [12 28 28]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.images != nil {
				writeIDXFile(t, filepath.Join(dir, TrainImagesFile), tc.images)
			}
			if tc.labels != nil {
				writeIDXFile(t, filepath.Join(dir, TrainLabelsFile), tc.labels)
			}
			_, err := Load(dir, Train)
			if err == nil {
				t.Fatal("got no error")
			}
			for _, want := range append(tc.wantErr, "mnist: ") {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got error %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestLoadBadGzipNamesFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, TestImagesFile)
	os.WriteFile(path, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3}, 0o644)
	_, err := Load(dir, Eval)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("got %v, want an error naming %s", err, path)
	}
}
