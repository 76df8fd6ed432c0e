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
		wantSize   string // width and height: cols*62+6 by rows*80+6.
		wantInText []string
	}{
		{"one row", []Digit{{ink, "label 1", false}, {ink, "label 2", false}}, 8, "", `width="130" height="86"`,
			[]string{">label 1<", ">label 2<"}},
		{"two rows, a wrong one", []Digit{{ink, "a", false}, {ink, "b", true}, {ink, "c&d", false}}, 2, "",
			`width="130" height="166"`, []string{`fill="#d62728">b<`, ">c&amp;d<"}},
		{"no digits", nil, 4, "no digits", "", nil},
		{"bad size", []Digit{{make([]uint8, 10), "x", false}}, 4, "digit 0 has 10 pixels", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svg, err := DigitGrid(tc.digits, tc.cols)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkContains(t, svg, append(tc.wantInText, tc.wantSize, "data:image/png;base64,")...)
			if n := strings.Count(svg, `<use href="#digits"/>`); n != len(tc.digits) {
				t.Errorf("got %d digits drawn, want %d", n, len(tc.digits))
			}
		})
	}
}
