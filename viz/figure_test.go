package viz

import (
	"bytes"
	"encoding/gob"
	"encoding/xml"
	"errors"
	"flag"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

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

// checkPNG decodes the figure's PNG and checks its size (pngScale times
// the layout size, or 1x for a large picture) and that it is not blank:
// it must have dark pixels (text, lines) besides the white background.
func checkPNG(t *testing.T, f Figure, wantW, wantH int) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(f.PNG))
	if err != nil {
		t.Fatalf("got a PNG that does not decode: %v", err)
	}
	b := img.Bounds()
	if !(b.Dx() == wantW*pngScale && b.Dy() == wantH*pngScale) && !(b.Dx() == wantW && b.Dy() == wantH) {
		t.Errorf("got a PNG of %dx%d, want %dx%d or %dx%d", b.Dx(), b.Dy(), wantW*pngScale, wantH*pngScale, wantW, wantH)
	}
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			if r, g, bl, _ := img.At(x, y).RGBA(); r+g+bl < 3*0x8000 {
				dark++
			}
		}
	}
	if dark < 50 {
		t.Errorf("got a PNG with %d dark pixels, want a picture", dark)
	}
	if !strings.HasPrefix(f.SVG, `<svg width="`) {
		t.Errorf("got SVG %.80q, want an <svg> element", f.SVG)
	}
	checkXML(t, f.SVG)
	return img
}

// checkXML fails the test if doc is not well-formed XML.
func checkXML(t *testing.T, doc string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("got malformed SVG: %v", err)
		}
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./viz -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("got an SVG that differs from %s (%d bytes, want %d); look at it and run go test ./viz -update if the change is meant", path, len(got), len(want))
	}
}

func TestDisplayBundle(t *testing.T) {
	f := Must(LinePlot{Title: "t", Series: []Series{{Name: "a", X: []float64{0, 1}, Y: []float64{1, 2}}}}.Figure())
	d := figureData(f)
	if got, ok := d.Data[protocol.MIMEImagePNG].([]byte); !ok || !bytes.Equal(got, f.PNG) {
		t.Errorf("got image/png %T, want the figure's PNG", d.Data[protocol.MIMEImagePNG])
	}
	if got := d.Data[protocol.MIMETextPlain]; got != f.Alt || f.Alt == "" {
		t.Errorf("got text/plain %q, want the description %q", got, f.Alt)
	}
	if got := d.Data[protocol.MIMEImageSVG]; got != f.SVG {
		t.Errorf("got image/svg+xml of %T, want the figure's SVG", got)
	}
	if _, ok := d.Data[protocol.MIMETextHTML]; ok {
		t.Errorf("got text/html in the bundle, want none (untrusted notebooks sanitise it)")
	}
	meta, _ := d.Metadata[string(protocol.MIMEImagePNG)].(map[string]int)
	if meta["width"] != defaultWidth || meta["height"] != defaultHeight {
		t.Errorf("got PNG metadata %v, want the layout size %dx%d", meta, defaultWidth, defaultHeight)
	}
	// GoNB carries the bundle from the cell's program to the kernel with
	// encoding/gob (gonbui.SendData): it must encode and decode.
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(d); err != nil {
		t.Fatalf("got a bundle that GoNB cannot send: %v", err)
	}
	var back protocol.DisplayData
	if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
		t.Fatalf("got a bundle that GoNB cannot receive: %v", err)
	}
	if png, _ := back.Data[protocol.MIMEImagePNG].([]byte); !bytes.Equal(png, f.PNG) {
		t.Errorf("got a bundle back without the PNG")
	}
}

// TestDisplayInNotebook records what Display sends to GoNB: one output.
func TestDisplayInNotebook(t *testing.T) {
	var sent []*protocol.DisplayData
	oldSend, oldNotebook := send, gonbui.IsNotebook
	send = func(d *protocol.DisplayData) { sent = append(sent, d) }
	gonbui.IsNotebook = true
	defer func() { send, gonbui.IsNotebook = oldSend, oldNotebook }()
	f := Must(LinePlot{Series: []Series{{Name: "a", X: []float64{0, 1}, Y: []float64{1, 2}}}}.Figure())
	Display(f)
	if len(sent) != 1 {
		t.Fatalf("got %d outputs, want 1", len(sent))
	}
	for _, mime := range []protocol.MIMEType{protocol.MIMEImagePNG, protocol.MIMETextPlain, protocol.MIMEImageSVG} {
		if _, ok := sent[0].Data[mime]; !ok {
			t.Errorf("got a bundle without %s", mime)
		}
	}
}

func TestDisplayOutsideNotebook(t *testing.T) {
	var sent []*protocol.DisplayData
	old := send
	send = func(d *protocol.DisplayData) { sent = append(sent, d) }
	defer func() { send = old }()
	Display(Figure{Alt: "x"}) // Not in a notebook: prints a line, sends nothing.
	if len(sent) != 0 {
		t.Errorf("got %d outputs sent outside a notebook, want none", len(sent))
	}
}

func TestWriteFile(t *testing.T) {
	f := Must(LinePlot{Series: []Series{{X: []float64{0, 1}, Y: []float64{1, 2}}}}.Figure())
	dir := t.TempDir()
	tests := []struct {
		name, file string
		want       []byte
		wantErr    string
	}{
		{"png", "a.png", f.PNG, ""},
		{"svg, upper case", "a.SVG", []byte(f.SVG), ""},
		{"other", "a.pdf", nil, `unknown extension ".pdf", want .png or .svg`},
		{"none", "a", nil, `unknown extension ""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			if checkErr(t, f.WriteFile(path), tc.wantErr) {
				return
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Errorf("got %d bytes (%v), want %d", len(got), err, len(tc.want))
			}
		})
	}
	if err := (Figure{}).WriteFile(filepath.Join(dir, "empty.png")); err == nil {
		t.Errorf("got no error writing an empty figure, want one")
	}
}

func TestMust(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(error).Error(), "boom") {
			t.Errorf("got panic %v, want the error", r)
		}
	}()
	Must(Figure{}, errBoom{})
}

type errBoom struct{}

func (errBoom) Error() string { return "viz: boom" }

func TestCheckText(t *testing.T) {
	tests := []struct{ name, text, wantErr string }{
		{"ASCII", "loss (mean of 50)", ""},
		{"Latin, Greek and arrows", "Ä µ σ 1→20 ·", ""},
		{"Chinese", "损失函数", `the character '损' (U+635F), which the figures' font cannot draw`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkErr(t, checkText("title", tc.text), tc.wantErr) })
	}
}
