package viz

import (
	"fmt"
	"strings"
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
		{"diagonal", diagonal, "MLP, test set", "", 10, []string{`>MLP, test set<`, `>100<`}},
		{"every cell", full, "a<b", "", 100, []string{`>a&lt;b<`, `>19<`}},
		{"sparse rows", sparse, "", "", 2, []string{`font-size:9px`, `>20000<`}},
		{"empty", [10][10]int{}, "nothing", "counts no images", 0, nil},
		{"negative", negative, "", "confusion[3][4] is -1", 0, nil},
		{"Chinese title", diagonal, "混淆矩阵", "which the figures' font cannot draw", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ConfusionMatrix(tc.confusion, tc.title)
			if checkErr(t, err, tc.wantErr) {
				return
			}
			checkPNG(t, f, 440, 452) // 64 + 10*36 + 16 by 40 + 10*36 + 52.
			// Texts: the title if any, 20 digits on the axes, 2 labels and the counts.
			want := 22 + tc.wantCounts
			if tc.title != "" {
				want++
			}
			if got := strings.Count(f.SVG, "<text "); got != want {
				t.Errorf("got %d texts, want %d (%d counts)", got, want, tc.wantCounts)
			}
			checkContains(t, f.SVG, append(tc.wantInText, ">true digit<", ">predicted digit<")...)
			if !strings.Contains(f.Alt, "confusion matrix") {
				t.Errorf("got description %q", f.Alt)
			}
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
		{"half", 0.5, "#8498b5"}, // (255+8)/2 = 131.5 -> 0x84, by hand.
		{"clamped", 2, "#08306b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := blues(tc.frac)
			if got := fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
