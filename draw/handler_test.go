package draw

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/godigits/digits/mnist"
)

// pngHeaderOnly is the start of a PNG file whose header claims a width x
// height image, with no pixel data: what a small file claiming a huge image
// looks like.
func pngHeaderOnly(width, height uint32) []byte {
	var ihdr bytes.Buffer
	ihdr.WriteString("IHDR")
	binary.Write(&ihdr, binary.BigEndian, width)
	binary.Write(&ihdr, binary.BigEndian, height)
	ihdr.Write([]byte{8, 0, 0, 0, 0}) // 8-bit grey, deflate, no filter, no interlace.
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(ihdr.Len()-4))
	b.Write(ihdr.Bytes())
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr.Bytes()))
	return b.Bytes()
}

// The page's server answers bad requests with a clear 4xx and keeps
// serving: every bad request below is sent first, then a good one, which
// must still get its answer.
func TestHandlerLimits(t *testing.T) {
	net := &fakeNet{digit: 1}
	handler, err := Handler(Model{Name: "fake", Net: net})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()

	drawing := smallOffCentreOne()
	good := encodePNG(t, drawing)
	blank := encodePNG(t, DrawStrokes(CanvasSize, CanvasSize, PenWidth))
	send := func(t *testing.T, method, path, contentType string, body []byte) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		text, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(text)
	}

	for _, tc := range []struct {
		name, method, path, contentType string
		body                            []byte
		wantStatus                      int
		wantBody                        string
	}{
		{"GET of the endpoint", "GET", PredictPath, "", nil, http.StatusMethodNotAllowed, "takes a POST"},
		{"PUT of the endpoint", "PUT", PredictPath, "image/png", good, http.StatusMethodNotAllowed, "takes a POST"},
		{"no content type", "POST", PredictPath, "", good, http.StatusUnsupportedMediaType, "image/png"},
		{"wrong content type", "POST", PredictPath, "application/json", []byte(`{"x":1}`), http.StatusUnsupportedMediaType, "image/png"},
		{"form upload", "POST", PredictPath, "multipart/form-data; boundary=x", good, http.StatusUnsupportedMediaType, "image/png"},
		{"oversized body", "POST", PredictPath, "image/png", make([]byte, MaxDrawingBytes+1), http.StatusRequestEntityTooLarge, "larger than"},
		{"not a PNG", "POST", PredictPath, "image/png", []byte("GIF89a not a png"), http.StatusBadRequest, "not a PNG"},
		{"empty body", "POST", PredictPath, "image/png", nil, http.StatusBadRequest, "not a PNG"},
		{"truncated PNG", "POST", PredictPath, "image/png", good[:len(good)/2], http.StatusBadRequest, "not a valid PNG"},
		{"huge image claimed", "POST", PredictPath, "image/png", pngHeaderOnly(100_000, 100_000), http.StatusBadRequest, "at most"},
		{"blank drawing", "POST", PredictPath, "image/png", blank, http.StatusUnprocessableEntity, "no digit found"},
		{"other path", "GET", "/etc/passwd", "", nil, http.StatusNotFound, ""},
		{"other file", "GET", "/canvas.js", "", nil, http.StatusNotFound, ""},
		{"POST of the page", "POST", "/", "image/png", good, http.StatusMethodNotAllowed, "GET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := send(t, tc.method, tc.path, tc.contentType, tc.body)
			if status != tc.wantStatus || !strings.Contains(body, tc.wantBody) {
				t.Errorf("%s %s: %d %q, want %d and a message containing %q", tc.method, tc.path, status, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
	if len(net.seen) != 0 {
		t.Errorf("the model was asked %d times by bad requests, want 0", len(net.seen))
	}

	t.Run("the page", func(t *testing.T) {
		status, body := send(t, "GET", "/", "", nil)
		if status != http.StatusOK || !strings.Contains(body, "function digitsCanvas") || !strings.Contains(body, "Models: fake.") {
			t.Errorf("GET /: %d, want 200 and the page with the canvas's script and the model's name; got:\n%.300s", status, body)
		}
	})
	t.Run("a drawing, after the bad requests", func(t *testing.T) {
		status, body := send(t, "POST", PredictPath, "image/png", good)
		if status != http.StatusOK {
			t.Fatalf("POST of a drawing: %d %q, want 200", status, body)
		}
		var got struct {
			Models []ModelAnswer
			HTML   string
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("the answer is not JSON: %v\n%s", err, body)
		}
		if len(got.Models) != 1 || got.Models[0].Name != "fake" || got.Models[0].Digit != 1 || got.Models[0].Scores[1] != 0.75 {
			t.Errorf("answer %+v, want the fake's digit 1 with score 0.75", got.Models)
		}
		if !strings.Contains(got.HTML, `data-digit="1"`) || !strings.Contains(got.HTML, "data:image/png;base64,") {
			t.Errorf("the answer's HTML %.200q lacks the digit or the picture", got.HTML)
		}
		want, err := mnist.PrepareImage(drawing)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(net.last(t), want) {
			t.Error("the model got other pixels than mnist.PrepareImage gives for the drawing")
		}
	})
}

func TestHandlerNeedsNamedModels(t *testing.T) {
	for _, tc := range []struct {
		name   string
		models []Model
		want   string
	}{
		{"none", nil, "no model"},
		{"no name", []Model{{Net: &fakeNet{}}}, "has no name"},
		{"same name", []Model{{Name: "CNN", Net: &fakeNet{}}, {Name: "CNN", Net: &fakeNet{}}}, `two models are named "CNN"`},
		{"no network", []Model{{Name: "CNN"}}, "no network"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Handler(tc.models...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Handler: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
