package viz

import (
	"regexp"
	"strings"
	"testing"
)

// Expected ticks are hand-computed: the smallest 1-2-5 step giving at most
// maxTicks intervals, and the multiples of it in the range.
func TestLinearTicker(t *testing.T) {
	tests := []struct {
		name     string
		lo, hi   float64
		maxTicks int
		integer  bool
		want     string
	}{
		{"steps to ten thousand", 0, 12000, 8, false, "0 2000 4000 6000 8000 10000 12000"},
		{"no mixed formats", 0, 10000, 2, false, "0 5000 10000"},
		{"thousands beyond 100,000", 0, 250000, 5, false, "0 50k 100k 150k 200k 250k"},
		{"millions", -1e6, 4e6, 6, false, "-1M 0 1M 2M 3M 4M"},
		{"half millions", 0, 2.5e6, 5, false, "0.0 0.5M 1.0M 1.5M 2.0M 2.5M"},
		{"one decimal for all", 0, 1.5, 6, false, "0.0 0.5 1.0 1.5"},
		{"accuracies", 0.9, 1, 5, false, "0.90 0.92 0.94 0.96 0.98 1.00"},
		{"negative", -1.2, 0.6, 6, false, "-1.0 -0.5 0.0 0.5"},
		{"epochs, whole numbers", 1, 3, 8, true, "1 2 3"},
		{"many epochs", 0, 40, 8, true, "0 5 10 15 20 25 30 35 40"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, tk := range (linearTicker{maxTicks: tc.maxTicks, integer: tc.integer}).Ticks(tc.lo, tc.hi) {
				got = append(got, tk.Label)
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("got ticks %q, want %q", g, tc.want)
			}
		})
	}
}

func TestLogTicker(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
		want   string
	}{
		{"losses", 0.01, 5, "0.01 0.02 0.05 0.1 0.2 0.5 1 2 5"},
		{"one decade", 0.1, 1, "0.1 0.2 0.5 1"},
		{"past ten", 0.5, 20, "0.5 1 2 5 10 20"},
		{"wide: powers of ten", 1e-3, 1e3, "0.001 0.01 0.1 1 10 100 1000"},
		{"very wide: one format", 1e-8, 1e4, "1e-08 1e-06 1e-04 1e-02 1e+00 1e+02 1e+04"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, tk := range (logTicker{}).Ticks(tc.lo, tc.hi) {
				got = append(got, tk.Label)
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("got ticks %q, want %q", g, tc.want)
			}
		})
	}
}

func TestLogRange(t *testing.T) {
	tests := []struct{ lo, hi, wantLo, wantHi float64 }{ // By hand.
		{0.013, 2.3, 0.01, 5},    // Widened to 1-2-5 values.
		{0.0013, 2.3, 0.001, 10}, // Over three decades: to powers of ten.
		{0.2, 0.5, 0.2, 0.5},     // Already there.
	}
	for _, tc := range tests {
		if lo, hi := logRange(tc.lo, tc.hi); lo != tc.wantLo || hi != tc.wantHi {
			t.Errorf("logRange(%g, %g) = [%g, %g], want [%g, %g]", tc.lo, tc.hi, lo, hi, tc.wantLo, tc.wantHi)
		}
	}
}

// badTick matches tick labels a student should never see: 0.3162 (a
// half-decade), long runs of zeros (rounding noise).
var badTick = regexp.MustCompile(`^(3\.162|0\.3162|31\.62)$|\.\d*0000\d|\.\d*9999`)

// TestTickLabelsReadable sweeps many ranges and checks every axis's labels
// against badTick and for one format per axis (the same number of
// decimals, or all in thousands).
func TestTickLabelsReadable(t *testing.T) {
	for _, lo := range []float64{0, 0.001, 0.03, 0.5, 1, 7, 120} {
		for _, span := range []float64{0.01, 0.7, 1, 3.3, 12, 150, 9999, 60000, 3e5} {
			for _, log := range []bool{false, true} {
				hi := lo + span
				var ticks []string
				if log {
					if lo <= 0 {
						continue
					}
					l, h := logRange(lo, hi)
					for _, tk := range (logTicker{}).Ticks(l, h) {
						ticks = append(ticks, tk.Label)
					}
				} else {
					for _, tk := range (linearTicker{maxTicks: 6}).Ticks(lo, hi) {
						ticks = append(ticks, tk.Label)
					}
				}
				if len(ticks) < 2 {
					t.Errorf("range [%g, %g] log=%v: got ticks %q, want at least 2", lo, hi, log, ticks)
				}
				decimals := -1
				for _, s := range ticks {
					if badTick.MatchString(s) {
						t.Errorf("range [%g, %g] log=%v: got tick %q", lo, hi, log, s)
					}
					if log {
						if strings.Contains(s, "e") != strings.Contains(ticks[0], "e") {
							t.Errorf("range [%g, %g]: got log ticks %q in mixed formats", lo, hi, ticks)
						}
						continue
					}
					d := 0
					if i := strings.IndexByte(s, '.'); i >= 0 {
						d = len(strings.TrimRight(s[i+1:], "kM"))
					}
					if decimals >= 0 && d != decimals {
						t.Errorf("range [%g, %g]: got ticks %q in mixed formats", lo, hi, ticks)
						break
					}
					decimals = d
				}
			}
		}
	}
}
