package viz

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// countElements parses doc as XML to the end, failing the test if it is not
// well formed, and counts its elements by name and by name.class, e.g.
// "rect" and "rect.cell".
func countElements(t *testing.T, doc string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	dec := xml.NewDecoder(strings.NewReader(doc))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return counts
		}
		if err != nil {
			t.Fatalf("got malformed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			counts[se.Name.Local]++
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					counts[se.Name.Local+"."+a.Value]++
				}
			}
		}
	}
}

// checkErr reports whether the test case expects an error, failing the test
// if err does not match wantErr.
func checkErr(t *testing.T, err error, wantErr string) bool {
	t.Helper()
	if wantErr == "" {
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Fatalf("got error %v, want one containing %q", err, wantErr)
	}
	if !strings.HasPrefix(err.Error(), "viz: ") {
		t.Errorf("got error %q, want the prefix \"viz: \"", err)
	}
	return true
}

// checkContains fails the test for each piece of text the SVG lacks.
func checkContains(t *testing.T, svg string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(svg, want) {
			t.Errorf("got an SVG without %q", want)
		}
	}
}
