package mnist

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCourseJSONRoundTrip(t *testing.T) {
	var sets []*Dataset
	for _, m := range Modes {
		sets = append(sets, loadFixture(t, m))
	}
	path := filepath.Join(t.TempDir(), CourseJSONFile)
	if err := WriteCourseJSON(path, sets[0], sets[1], sets[2]); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCourseJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range sets {
		if got[i].Mode != want.Mode || !bytes.Equal(got[i].Pixels, want.Pixels) || !bytes.Equal(got[i].Labels, want.Labels) {
			t.Errorf("%s set changed in the round trip", want.Mode)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("got %d files in the output directory, want only %s (no temporary files)", len(entries), CourseJSONFile)
	}
}

// courseJSON builds a gzip course file with one image of the given pixel
// values and label in each set.
func courseJSON(pixel, label string) []byte {
	img := "[" + strings.TrimSuffix(strings.Repeat(pixel+",", NumPixels), ",") + "]"
	set := "[[" + img + "],[" + label + "]]"
	return gz([]byte("[" + set + "," + set + "," + set + "]"))
}

func TestReadCourseJSON(t *testing.T) {
	tests := []struct {
		name      string
		data      []byte
		wantPixel uint8 // Raw pixel expected, hand-computed from the value.
		wantErr   string
	}{
		{"range [0,1]", courseJSON("0.5", "3"), 128, ""},
		{"range [-1,1]", courseJSON("-0.5", "3"), 64, ""},
		{"range [0,255]", courseJSON("200", "3"), 200, ""},
		{"out of range", courseJSON("300", "3"), 0, "pixel values span [300, 300]"},
		{"label not a digit", courseJSON("0.5", "10"), 0, "label 0 is 10, not a digit"},
		{"label not integer", courseJSON("0.5", "2.5"), 0, "label 0 is 2.5"},
		{"not gzip", []byte("[]"), 0, "bad gzip data"},
		{"not JSON", gz([]byte("{oops")), 0, "bad JSON"},
		{"two sets", gz([]byte("[[[],[]],[[],[]]]")), 0, "holds 2 sets, want 3"},
		{"set not a pair", gz([]byte("[[[]],[[],[]],[[],[]]]")), 0, "train set: want [images, labels]"},
		{"count mismatch", gz([]byte("[[[],[1]],[[],[]],[[],[]]]")), 0, "train set holds 0 images but 1 labels"},
		{"short image", gz([]byte("[[[[0,1]],[1]],[[],[]],[[],[]]]")), 0, "train image 0 has 2 values, want 784"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sets, err := readCourseJSON(bytes.NewReader(tc.data))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, ds := range sets {
				if ds.Len() != 1 || ds.Pixels[0] != tc.wantPixel || ds.Labels[0] != 3 {
					t.Errorf("%s: got %d images, pixel %d, label %v; want 1, %d, 3", ds.Mode, ds.Len(), ds.Pixels[0], ds.Labels, tc.wantPixel)
				}
			}
		})
	}
}

func TestReadCourseJSONNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), CourseJSONFile)
	os.WriteFile(path, []byte("not gzip"), 0o644)
	if _, err := ReadCourseJSON(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("got %v, want an error naming %s", err, path)
	}
}

func TestWriteCourseJSONRejectsBadSets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, CourseJSONFile)
	os.WriteFile(path, []byte("good data"), 0o644)
	bad := &Dataset{Mode: Train, Pixels: make([]uint8, NumPixels), Labels: []uint8{1, 2}}
	err := WriteCourseJSON(path, bad, bad, bad)
	if err == nil || !strings.Contains(err.Error(), "has 784 pixels for 2 labels") {
		t.Errorf("got %v, want an error about pixels and labels", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "good data" {
		t.Errorf("the existing file was changed to %q", got)
	}
}

// FuzzReadCourseJSON checks that no JSON content makes the reader panic.
func FuzzReadCourseJSON(f *testing.F) {
	f.Add([]byte("[[[],[]],[[],[]],[[],[]]]"))
	f.Add([]byte("[[[[0.5]],[1]],[[],[]],[[],[]]]"))
	f.Add([]byte(`[[[[1e999]],["x"]],{},null]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sets, err := readCourseJSON(bytes.NewReader(gz(data)))
		if err != nil {
			return
		}
		for _, ds := range sets {
			if len(ds.Pixels) != ds.Len()*NumPixels {
				t.Errorf("%s: %d pixels for %d labels", ds.Mode, len(ds.Pixels), ds.Len())
			}
		}
	})
}
