package mnist

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func gz(data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

func TestReadIDX(t *testing.T) {
	// A 2x2x2 image file: the header layout is from the IDX specification.
	good := []byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8}
	tests := []struct {
		name     string
		data     []byte
		wantDims []int
		wantErr  string
	}{
		{"plain", good, []int{2, 2, 2}, ""},
		{"gzip", gz(good), []int{2, 2, 2}, ""},
		{"labels", []byte{0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9}, []int{3}, ""},
		{"empty", nil, nil, "file ends too early"},
		{"bad magic", append([]byte{1, 2}, good[2:]...), nil, "not IDX data, nor gzip: it starts with 01 02 08 03"},
		{"text", []byte("hello, world"), nil, "not IDX data, nor gzip: it starts with 68 65 6c 6c"},
		{"float data", append([]byte{0, 0, 0x0d, 3}, good[4:]...), nil, "unsupported IDX data type 0x0d"},
		{"rank 0", []byte{0, 0, 8, 0}, nil, "bad IDX rank 0"},
		{"rank 4", []byte{0, 0, 8, 4}, nil, "bad IDX rank 4"},
		{"zero dimension", []byte{0, 0, 8, 1, 0, 0, 0, 0}, nil, "bad IDX dimension 0: 0"},
		{"huge dimension", []byte{0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff}, nil, "bad IDX dimension 0: 4294967295"},
		{"huge product", []byte{0, 0, 8, 3, 0, 0x0f, 0, 0, 0, 0x0f, 0, 0, 0, 0x0f, 0, 0}, nil, "too large"},
		{"header cut", good[:10], nil, "reading IDX dimension 1: file ends too early"},
		{"truncated data", good[:20], nil, "truncated IDX data: header [2 2 2] promises 8 bytes, file holds 4"},
		{"bad gzip", []byte{0x1f, 0x8b, 0, 1, 2, 3}, nil, "bad gzip data"},
		{"gzip of truncated", gz(good[:20]), nil, "truncated IDX data"},
		// The gzip stream itself cut short, as by an interrupted download.
		{"truncated gzip", gz(good)[:20], nil, "file ends too early"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			idx, err := ReadIDX(bytes.NewReader(tc.data))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if !equalInts(idx.Dims, tc.wantDims) {
				t.Errorf("got dims %v, want %v", idx.Dims, tc.wantDims)
			}
		})
	}
}

func TestReadIDXFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.gz")
	os.WriteFile(path, []byte{0, 0, 8, 1, 0, 0, 0, 9, 1}, 0o644)
	_, err := ReadIDXFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("got %v, want an error naming %s and saying truncated", err, path)
	}
	_, err = ReadIDXFile(filepath.Join(t.TempDir(), "missing.gz"))
	if err == nil || !strings.Contains(err.Error(), "missing.gz") || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("got %v, want an error naming missing.gz", err)
	}
}

func TestWriteIDXRoundTrip(t *testing.T) {
	want, _ := fixtureIDX(3, 0)
	var buf bytes.Buffer
	if err := WriteIDX(&buf, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadIDX(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !equalInts(got.Dims, want.Dims) || !bytes.Equal(got.Data, want.Data) {
		t.Errorf("round trip changed the data: dims %v, want %v", got.Dims, want.Dims)
	}
}

// FuzzReadIDX checks that no input makes the IDX reader panic, and that what
// it accepts is consistent with its header.
func FuzzReadIDX(f *testing.F) {
	for _, name := range []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 2, 5, 6})
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := ReadIDX(bytes.NewReader(data))
		if err != nil {
			return
		}
		n := 1
		for _, d := range idx.Dims {
			n *= d
		}
		if n != len(idx.Data) {
			t.Errorf("dims %v hold %d items, data has %d", idx.Dims, n, len(idx.Data))
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
