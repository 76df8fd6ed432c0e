package mnist

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRealMNIST checks the course's split on the real files, when `make
// setup` (or `digits data`) has put them in DefaultDataDir.
func TestRealMNIST(t *testing.T) {
	dir := DefaultDataDir()
	for _, f := range canonicalFiles {
		if _, err := os.Stat(filepath.Join(dir, f.Name)); err != nil {
			t.Skipf("MNIST not in %s (run `make setup`): %v", dir, err)
		}
	}
	if _, err := Download(t.Context(), dir, nil); err != nil { // Verifies the hashes only.
		t.Fatal(err)
	}
	// The first labels of the standard training and test files are well
	// known (LeCun's MNIST page shows the same digits).
	tests := []struct {
		mode        Mode
		wantLen     int
		firstLabels []uint8
	}{
		{Train, 50000, []uint8{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}},
		{Valid, 10000, nil},
		{Eval, 10000, []uint8{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}},
	}
	all, err := LoadIDXFiles(filepath.Join(dir, TrainImagesFile), filepath.Join(dir, TrainLabelsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		ds, err := Load(dir, tc.mode)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Len() != tc.wantLen {
			t.Errorf("%s: got %d images, want %d", tc.mode, ds.Len(), tc.wantLen)
		}
		if tc.firstLabels != nil && !slices.Equal(ds.Labels[:10], tc.firstLabels) {
			t.Errorf("%s: first labels %v, want %v", tc.mode, ds.Labels[:10], tc.firstLabels)
		}
		if tc.mode == Valid && !slices.Equal(ds.Labels, all.Labels[50000:]) {
			t.Error("valid is not the last 10,000 images of the training file")
		}
	}
}
