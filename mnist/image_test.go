package mnist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// imageStats measures a 28x28 result: the longer side of the bounding box of
// its ink, its centre of mass in pixel indices, and its largest corner pixel.
func imageStats(px []uint8) (side int, cx, cy float64, corner uint8) {
	x0, x1, y0, y1 := ImageSize, -1, ImageSize, -1
	var m float64
	for y := range ImageSize {
		for x := range ImageSize {
			v := px[y*ImageSize+x]
			if v == 0 {
				continue
			}
			x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
			m += float64(v)
			cx += float64(v) * float64(x)
			cy += float64(v) * float64(y)
		}
	}
	if m == 0 {
		return 0, 0, 0, 0
	}
	last := ImageSize - 1
	corner = max(px[0], px[last], px[last*ImageSize], px[last*ImageSize+last])
	return max(x1-x0+1, y1-y0+1), cx / m, cy / m, corner
}

// meanAbsDiff is the mean absolute difference of two images, in 0..255.
func meanAbsDiff(a, b []uint8) float64 {
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i]) - float64(b[i]))
	}
	return s / float64(len(a))
}

// drawOne draws a thick "1" on img: a bar with a flag at its top left,
// placed off centre, its coordinates as fractions of the image's size.
func drawOne(img draw.Image, ink color.Color) {
	b := img.Bounds()
	rect := func(fx0, fy0, fx1, fy1 float64) image.Rectangle {
		w, h := float64(b.Dx()), float64(b.Dy())
		return image.Rect(b.Min.X+int(fx0*w), b.Min.Y+int(fy0*h), b.Min.X+int(fx1*w), b.Min.Y+int(fy1*h))
	}
	src := image.NewUniform(ink)
	draw.Draw(img, rect(0.55, 0.2, 0.7, 0.85), src, image.Point{}, draw.Over) // Bar.
	draw.Draw(img, rect(0.45, 0.2, 0.55, 0.3), src, image.Point{}, draw.Over) // Flag.
}

// digitImage returns a w x h RGBA image of background bg with a "1" in ink.
func digitImage(w, h int, bg, ink color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	drawOne(img, ink)
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPrepareImageSynthetic(t *testing.T) {
	white, black := color.White, color.Black
	tests := []struct {
		name string
		img  func() image.Image
	}{
		{"dark on white 300x300", func() image.Image { return digitImage(300, 300, white, black) }},
		{"light on dark 300x300", func() image.Image { return digitImage(300, 300, black, white) }},
		{"dark red on light blue", func() image.Image {
			return digitImage(300, 300, color.RGBA{173, 216, 230, 255}, color.RGBA{139, 0, 0, 255})
		}},
		{"black strokes on transparent", func() image.Image {
			img := image.NewNRGBA(image.Rect(0, 0, 300, 300)) // All transparent black.
			drawOne(img, black)
			return img
		}},
		{"grey, off-origin bounds", func() image.Image {
			img := image.NewGray(image.Rect(-50, 20, 250, 320))
			draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{230}), image.Point{}, draw.Src)
			drawOne(img, color.Gray{40})
			return img
		}},
		{"paletted", func() image.Image {
			img := image.NewPaletted(image.Rect(0, 0, 120, 90), color.Palette{white, black})
			drawOne(img, black)
			return img
		}},
		{"tiny 10x10", func() image.Image { return digitImage(10, 10, white, black) }},
		{"very wide 1000x100", func() image.Image { return digitImage(1000, 100, white, black) }},
		{"very tall 50x900", func() image.Image { return digitImage(50, 900, white, black) }},
		{"PNG round trip", func() image.Image {
			img, _, err := image.Decode(bytes.NewReader(encodePNG(t, digitImage(200, 150, white, black))))
			if err != nil {
				t.Fatal(err)
			}
			return img
		}},
		{"JPEG round trip (YCbCr)", func() image.Image {
			img, _, err := image.Decode(bytes.NewReader(encodeJPEG(t, digitImage(200, 150, color.RGBA{250, 245, 225, 255}, color.RGBA{20, 40, 160, 255}))))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := img.(*image.YCbCr); !ok {
				t.Fatalf("JPEG decoded as %T, want *image.YCbCr", img)
			}
			return img
		}},
		{"16-bit grey", func() image.Image {
			img := image.NewGray16(image.Rect(0, 0, 80, 80))
			draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
			drawOne(img, black)
			return img
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			px, err := PrepareImage(tc.img())
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if len(px) != NumPixels {
				t.Fatalf("got %d pixels, want %d", len(px), NumPixels)
			}
			side, cx, cy, corner := imageStats(px)
			if side < 19 || side > 20 {
				t.Errorf("got ink bounding box longer side %d, want 19-20", side)
			}
			if math.Abs(cx-comCenter) > 1 || math.Abs(cy-comCenter) > 1 {
				t.Errorf("got centre of mass (%.2f, %.2f), want within 1 px of (14, 14)", cx, cy)
			}
			if corner != 0 {
				t.Errorf("got corner pixel %d, want 0 (background)", corner)
			}
			var top uint8
			for _, v := range px {
				top = max(top, v)
			}
			if top != 255 {
				t.Errorf("got strongest pixel %d, want 255", top)
			}
		})
	}
}

// TestPrepareImagePolarity checks that the same digit gives the same result
// whichever way round its colours are.
func TestPrepareImagePolarity(t *testing.T) {
	dark, err := PrepareImage(digitImage(300, 300, color.White, color.Black))
	if err != nil {
		t.Fatal(err)
	}
	light, err := PrepareImage(digitImage(300, 300, color.Black, color.White))
	if err != nil {
		t.Fatal(err)
	}
	if d := meanAbsDiff(dark, light); d != 0 {
		t.Errorf("got mean difference %.2f between dark-on-light and light-on-dark, want 0", d)
	}
}

// evalData loads the real eval set, or skips the test.
func evalData(t *testing.T) *Dataset {
	t.Helper()
	dir := DefaultDataDir()
	for _, f := range []string{TestImagesFile, TestLabelsFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Skipf("MNIST not in %s (run `digits data`): %v", dir, err)
		}
	}
	ds, err := Load(dir, Eval)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// upscale draws an MNIST image x scale, nearest-neighbour, at (x0, y0) on
// img, blending paper and ink by the pixel's level (ink nil: black ink with
// the level as alpha, over whatever img holds).
func upscale(img draw.Image, px []uint8, scale, x0, y0 int, paper, ink color.RGBA) {
	for y := range ImageSize * scale {
		for x := range ImageSize * scale {
			a := float64(px[(y/scale)*ImageSize+x/scale]) / 255
			mix := func(p, i uint8) uint8 { return uint8(math.Round(float64(p)*(1-a) + float64(i)*a)) }
			img.Set(x0+x, y0+y, color.RGBA{mix(paper.R, ink.R), mix(paper.G, ink.G), mix(paper.B, ink.B), mix(paper.A, ink.A)})
		}
	}
}

// Bounds on the mean absolute difference, out of 255, between a real MNIST
// digit and PrepareImage's output for its upscaled picture. Upscaling x5 is
// exact, so the difference comes only from the noise floor (levels below
// 15% of full ink are dropped, and the bounding box can shrink by a pixel)
// and the rounding of the centre of mass. For scale, on the eval set a digit
// shifted by one pixel differs from itself by 16.6 on average, and two
// neighbouring eval digits differ by 40.7. Measured: 0.44 on average over
// the first 20 eval images (worst 0.85), 0.90 over all 10,000 (worst 28.9,
// eval image 7184, whose own centre of mass is a pixel off (14, 14)).
const (
	roundTripMeanBound  = 4  // Mean over several images, or one example file.
	roundTripImageBound = 17 // Any one digit: at most a one-pixel shift.
)

func TestPrepareImageRoundTrip(t *testing.T) {
	ds := evalData(t)
	var total, worst float64
	const n = 20
	for i := range n {
		orig := ds.Image(i)
		img := image.NewRGBA(image.Rect(0, 0, ImageSize*5, ImageSize*5))
		upscale(img, orig, 5, 0, 0, color.RGBA{255, 255, 255, 255}, color.RGBA{0, 0, 0, 255})
		px, err := PrepareImage(img)
		if err != nil {
			t.Fatalf("eval image %d: got error %v, want none", i, err)
		}
		d := meanAbsDiff(px, orig)
		total += d
		worst = max(worst, d)
		if d > roundTripImageBound {
			t.Errorf("eval image %d: got mean abs difference %.2f, want < %d", i, d, roundTripImageBound)
		}
	}
	t.Logf("mean abs difference over %d eval images: %.2f/255 (worst %.2f)", n, total/n, worst)
	if mean := total / n; mean > roundTripMeanBound {
		t.Errorf("got mean abs difference %.2f, want < %d", mean, roundTripMeanBound)
	}
}

func TestPrepareImageLarge(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = 240
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	drawOne(&yDrawer{img}, color.Gray{30})
	start := time.Now()
	px, err := PrepareImage(img)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if side, cx, cy, _ := imageStats(px); side != 20 || math.Abs(cx-comCenter) > 1 || math.Abs(cy-comCenter) > 1 {
		t.Errorf("got side %d, centre (%.2f, %.2f), want 20, (14, 14)", side, cx, cy)
	}
	t.Logf("PrepareImage of a 4000x3000 image: %v", elapsed)
	if elapsed > 2*time.Second {
		t.Errorf("got %v for a 4000x3000 image, want well under a second", elapsed)
	}
}

// yDrawer draws on the luma plane of a YCbCr image.
type yDrawer struct{ *image.YCbCr }

func (d *yDrawer) Set(x, y int, c color.Color) {
	d.Y[d.YOffset(x, y)] = color.GrayModel.Convert(c).(color.Gray).Y
}

func BenchmarkPrepareImage4000x3000(b *testing.B) {
	img := digitImage(4000, 3000, color.White, color.Black)
	for b.Loop() {
		if _, err := PrepareImage(img); err != nil {
			b.Fatal(err)
		}
	}
}

// hugePNGHeader is a PNG signature and an IHDR chunk claiming a w x h RGB
// image, and nothing else.
func hugePNGHeader(w, h uint32) []byte {
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB; compression, filter, interlace 0.
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&buf, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr[:]...)
	buf.Write(chunk)
	binary.Write(&buf, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return buf.Bytes()
}

func TestReadImageErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	valid := encodePNG(t, digitImage(60, 60, color.White, color.Black))
	grey := image.NewGray(image.Rect(0, 0, 50, 40))
	for i := range grey.Pix {
		grey.Pix[i] = 128
	}
	tests := []struct {
		name string
		path string
		want []string // Parts of the error message.
	}{
		{"missing file", filepath.Join(dir, "photo.png"), []string{"mnist: ", "photo.png: ", "not found"}},
		{"directory", dir, []string{"mnist: ", "directory"}},
		{"empty file", write("empty.png", nil), []string{"mnist: ", "empty.png: ", "empty"}},
		{"text named .png", write("text.png", []byte("this is not a picture\n")), []string{"mnist: ", "text.png: ", "not a PNG or JPEG image"}},
		{"truncated PNG", write("cut.png", valid[:len(valid)/2]), []string{"mnist: ", "cut.png: ", "PNG"}},
		{"huge header", write("huge.png", hugePNGHeader(100000, 100000)), []string{"mnist: ", "huge.png: ", "too large", "100000x100000", "40000000"}},
		{"uniform grey", write("grey.png", encodePNG(t, grey)), []string{"mnist: ", "grey.png: ", "no digit found"}},
		{"white JPEG", write("white.jpg", encodeJPEG(t, digitImage(64, 64, color.White, color.White))), []string{"mnist: ", "white.jpg: ", "no digit found"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			px, err := ReadImage(tc.path)
			if err == nil {
				t.Fatalf("got %d pixels and no error, want an error", len(px))
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "mnist: ") {
				t.Errorf("got error %q, want it to start with %q", msg, "mnist: ")
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("got error %q, want it to contain %q", msg, w)
				}
			}
		})
	}
	t.Run("valid", func(t *testing.T) {
		px, err := ReadImage(write("one.png", valid))
		if err != nil || len(px) != NumPixels {
			t.Errorf("got %d pixels, error %v, want %d pixels", len(px), err, NumPixels)
		}
	})
}

// TestDecodeImageTooLarge checks that a header claiming 100000x100000
// pixels is refused from image.DecodeConfig, before anything that size is
// allocated.
func TestDecodeImageTooLarge(t *testing.T) {
	data := hugePNGHeader(100000, 100000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := DecodeImage(bytes.NewReader(data))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("got error %v, want a \"too large\" error", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("got %d bytes allocated, want under 1 MiB", alloc)
	}
	t.Log(err)
}

func TestPrepareImageErrors(t *testing.T) {
	grey := image.NewGray(image.Rect(0, 0, 30, 30))
	for i := range grey.Pix {
		grey.Pix[i] = 77
	}
	noisy := image.NewGray(image.Rect(0, 0, 30, 30))
	for i := range noisy.Pix {
		noisy.Pix[i] = 200 + uint8(i*7%5) // Less than 2% contrast.
	}
	tests := []struct {
		name string
		img  image.Image
		want string
	}{
		{"nil", nil, "no image"},
		{"zero size", image.NewGray(image.Rect(0, 0, 0, 10)), "zero size"},
		{"uniform grey", grey, "no digit found"},
		{"faint noise", noisy, "no digit found"},
		{"uniform infinite", image.NewUniform(color.Black), "too large"},
		{"1x1", image.NewGray(image.Rect(0, 0, 1, 1)), "no digit found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PrepareImage(tc.img)
			if err == nil || !strings.HasPrefix(err.Error(), "mnist: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want \"mnist: ...%s...\"", err, tc.want)
			}
		})
	}
}

func FuzzDecodeImage(f *testing.F) {
	f.Add(encodePNG(f, digitImage(40, 30, color.White, color.Black)))
	f.Add(encodePNG(f, image.NewNRGBA(image.Rect(0, 0, 8, 8))))
	f.Add(encodeJPEG(f, digitImage(32, 32, color.RGBA{173, 216, 230, 255}, color.RGBA{139, 0, 0, 255})))
	f.Add(hugePNGHeader(100000, 100000))
	f.Add(hugePNGHeader(3, 2))
	f.Add([]byte{})
	f.Add([]byte("not an image"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10})
	f.Fuzz(func(t *testing.T, data []byte) {
		px, err := DecodeImage(bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "mnist: ") {
				t.Errorf("got error %q, want the prefix \"mnist: \"", err)
			}
			return
		}
		if len(px) != NumPixels {
			t.Errorf("got %d pixels, want %d", len(px), NumPixels)
		}
	})
}

// The example images in testdata/images are real eval digits, upscaled and
// drawn the way a student's picture might be; their names give the eval
// index and the true label. Regenerate them with
//
//	UPDATE_FIXTURES=1 go test ./mnist -run TestWriteImageFixtures
const imageFixtureDir = "testdata/images"

var imageFixtureName = regexp.MustCompile(`^eval(\d{4})-digit(\d)\.(png|jpg)$`)

// maxFixtureBytes bounds the size of each example file.
const maxFixtureBytes = 20 << 10

func TestWriteImageFixtures(t *testing.T) {
	if os.Getenv("UPDATE_FIXTURES") == "" {
		t.Skip("set UPDATE_FIXTURES=1 to regenerate testdata/images/")
	}
	ds := evalData(t)
	if err := os.MkdirAll(imageFixtureDir, 0o755); err != nil {
		t.Fatal(err)
	}
	white := color.RGBA{255, 255, 255, 255}
	black := color.RGBA{0, 0, 0, 255}
	fixtures := []struct {
		ext  string
		draw func(px []uint8) image.Image
	}{
		{".png", func(px []uint8) image.Image { // Grey, 140x140, black on white.
			rgba := image.NewRGBA(image.Rect(0, 0, 140, 140))
			upscale(rgba, px, 5, 0, 0, white, black)
			grey := image.NewGray(rgba.Bounds())
			draw.Draw(grey, grey.Bounds(), rgba, image.Point{}, draw.Src)
			return grey
		}},
		{".png", func(px []uint8) image.Image { // Colour, 220x160: blue ballpoint on cream paper, off centre.
			img := image.NewRGBA(image.Rect(0, 0, 220, 160))
			paper := color.RGBA{250, 244, 222, 255}
			draw.Draw(img, img.Bounds(), image.NewUniform(paper), image.Point{}, draw.Src)
			upscale(img, px, 5, 60, 12, paper, color.RGBA{25, 45, 150, 255})
			return img
		}},
		{".png", func(px []uint8) image.Image { // Drawing-app export: black strokes on transparency.
			img := image.NewNRGBA(image.Rect(0, 0, 140, 140))
			upscale(img, px, 5, 0, 0, color.RGBA{0, 0, 0, 0}, black)
			return img
		}},
		{".jpg", func(px []uint8) image.Image { // Photo-like: dark grey pencil on off-white, 168x196.
			img := image.NewRGBA(image.Rect(0, 0, 168, 196))
			paper := color.RGBA{236, 232, 226, 255}
			draw.Draw(img, img.Bounds(), image.NewUniform(paper), image.Point{}, draw.Src)
			upscale(img, px, 5, 14, 38, paper, color.RGBA{45, 45, 55, 255})
			return img
		}},
	}
	for i, fx := range fixtures {
		img := fx.draw(ds.Image(i))
		var data []byte
		if fx.ext == ".png" {
			data = encodePNG(t, img)
		} else {
			data = encodeJPEG(t, img)
		}
		name := fmt.Sprintf("eval%04d-digit%d%s", i, ds.Labels[i], fx.ext)
		if len(data) > maxFixtureBytes {
			t.Errorf("%s: got %d bytes, want at most %d", name, len(data), maxFixtureBytes)
		}
		if err := os.WriteFile(filepath.Join(imageFixtureDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", name, len(data))
	}
}

func TestImageExamples(t *testing.T) {
	entries, err := os.ReadDir(imageFixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if imageFixtureName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) < 4 {
		t.Fatalf("got %d example images in %s, want at least 4", len(names), imageFixtureDir)
	}
	var ds *Dataset
	if dir := DefaultDataDir(); fileExists(filepath.Join(dir, TestImagesFile)) && fileExists(filepath.Join(dir, TestLabelsFile)) {
		if ds, err = Load(dir, Eval); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(imageFixtureDir, name)
			if fi, err := os.Stat(path); err != nil || fi.Size() > maxFixtureBytes {
				t.Errorf("got size %v (%v), want at most %d bytes", fi.Size(), err, maxFixtureBytes)
			}
			px, err := ReadImage(path)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if len(px) != NumPixels {
				t.Fatalf("got %d pixels, want %d", len(px), NumPixels)
			}
			if ds == nil {
				t.Skip("MNIST eval set not in DefaultDataDir: decoding checked, comparison skipped")
			}
			m := imageFixtureName.FindStringSubmatch(name)
			i, _ := strconv.Atoi(m[1])
			label, _ := strconv.Atoi(m[2])
			if got := int(ds.Labels[i]); got != label {
				t.Errorf("got eval label %d for image %d, want %d as in the name", got, i, label)
			}
			d := meanAbsDiff(px, ds.Image(i))
			t.Logf("mean abs difference from eval image %d: %.2f/255", i, d)
			if d > roundTripMeanBound {
				t.Errorf("got mean abs difference %.2f, want < %d", d, roundTripMeanBound)
			}
		})
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
