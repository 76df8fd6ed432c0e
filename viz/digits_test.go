package viz

import (
	"strings"
	"testing"
)

func TestDigitGrid(t *testing.T) {
	ink := make([]uint8, 784)
	tests := []struct {
		name       string
		digits     []Digit
		cols       int
		wantErr    string
		wantW      int // cols*62+6 by rows*80+6.
		wantH      int
		wantInText []string
	}{
		{"one row", []Digit{{ink, "label 1", false}, {ink, "label 2", false}}, 8, "", 130, 86,
			[]string{">label 1<", ">label 2<"}},
		{"two rows, a wrong one", []Digit{{ink, "a", false}, {ink, "b", true}, {ink, "c&d", false}}, 2, "",
			130, 166, []string{">b<", ">c&amp;d<"}},
		{"no digits", nil, 4, "no digits", 0, 0, nil},
		{"bad size", []Digit{{make([]uint8, 10), "x", false}}, 4, "digit 0 has 10 pixels", 0, 0, nil},
		{"Chinese caption", []Digit{{ink, "标签 1", false}}, 4, "caption of digit 0", 0, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := DigitGrid(tc.digits, tc.cols)
			if checkErr(t, err, tc.wantErr) {
				return
			}
			checkPNG(t, f, tc.wantW, tc.wantH)
			checkContains(t, f.SVG, append(tc.wantInText, "data:image/png;base64,")...)
			if n := strings.Count(f.SVG, "<image "); n != len(tc.digits) {
				t.Errorf("got %d digits drawn, want %d", n, len(tc.digits))
			}
		})
	}
}
