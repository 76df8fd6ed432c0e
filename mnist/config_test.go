package mnist

import (
	"strings"
	"testing"
)

func TestBatchesPerEpoch(t *testing.T) {
	tests := []struct {
		name   string
		cfg    TrainConfig
		images int
		want   int
	}{
		// 50,000 / 100, by hand.
		{"course", TrainConfig{}, 50_000, 500},
		// 10 images in batches of 4: 4, 4 and a partial 2.
		{"partial batch", TrainConfig{BatchSize: 4}, 10, 3},
		{"drop last", TrainConfig{BatchSize: 4, DropLast: true}, 10, 2},
		{"quick", TrainConfig{MaxBatches: 20}, 50_000, 20},
		{"quick beyond the epoch", TrainConfig{BatchSize: 4, MaxBatches: 20}, 10, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.BatchesPerEpoch(tc.images); got != tc.want {
				t.Errorf("BatchesPerEpoch(%d) = %d, want %d", tc.images, got, tc.want)
			}
		})
	}
}

func TestCheckExportBatch(t *testing.T) {
	tests := []struct {
		batch   int
		wantErr string // "" for none
	}{
		{1, ""},
		{MaxExportBatch, ""},
		{0, "must be positive"},
		// 1e9 images * 784 pixels * 4 bytes = 3.136e12 bytes, by hand.
		{1_000_000_000, "needs 3.1 TB of float32 images per call"},
	}
	for _, tc := range tests {
		err := CheckExportBatch(tc.batch)
		if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("CheckExportBatch(%d) = %v, want %q", tc.batch, err, tc.wantErr)
		}
	}
}
