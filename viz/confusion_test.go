package viz

import (
	"testing"
)

func TestConfusionMatrix(t *testing.T) {
	var diagonal, full, negative, sparse [10][10]int
	for i := range 10 {
		diagonal[i][i] = 100
		for j := range 10 {
			full[i][j] = 1 + i + j
		}
	}
	negative[3][4] = -1
	sparse[7][1] = 20000 // A row with only misses, and a five-digit count.
	sparse[2][2] = 5
	tests := []struct {
		name       string
		confusion  [10][10]int
		title      string
		wantErr    string
		wantCounts int
		wantInText []string
	}{
		{"diagonal", diagonal, "MLP, test set", "", 10, []string{`>MLP, test set<`, `fill="white">100<`}},
		{"every cell", full, "a<b", "", 100, []string{`>a&lt;b<`, `>19<`}},
		{"sparse rows", sparse, "", "", 2, []string{`font-size="9"`, `>20000<`, `fill="#ffffff"`}},
		{"empty", [10][10]int{}, "nothing", "counts no images", 0, nil},
		{"negative", negative, "", "confusion[3][4] is -1", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svg, err := ConfusionMatrix(tc.confusion, tc.title)
			if checkErr(t, err, tc.wantErr) {
				return
			}
			counts := countElements(t, svg)
			if got := counts["rect.cell"]; got != 100 {
				t.Errorf("got %d cells, want 100", got)
			}
			if got := counts["text.count"]; got != tc.wantCounts {
				t.Errorf("got %d counts written, want %d", got, tc.wantCounts)
			}
			checkContains(t, svg, append(tc.wantInText, ">true digit<", ">predicted digit<")...)
		})
	}
}

func TestBlues(t *testing.T) {
	tests := []struct {
		name string
		frac float64
		want string
	}{
		{"none", 0, "#ffffff"},
		{"all", 1, "#08306b"},
		{"half", 0.5, "#8498b5"},
		{"clamped", 2, "#08306b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := blues(tc.frac); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
