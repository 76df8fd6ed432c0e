package draw

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"image"
	"image/png"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
)

// The page's limits. "digits serve" introduces them (chapter 9).
const (
	// PredictPath is the one endpoint that takes a drawing: a POST of the
	// canvas as a PNG file (Content-Type: image/png).
	PredictPath = "/predict"
	// MaxDrawingBytes bounds the body of a POST: a CanvasSize canvas is a
	// PNG of 3 to 20 KB; 1 MiB leaves room for a high-density screen.
	MaxDrawingBytes = 1 << 20
	// MaxDrawingSide bounds the width and the height of a posted drawing,
	// checked from the PNG header before decoding, so that a small file
	// claiming a huge image cannot make the server allocate gigabytes.
	MaxDrawingSide = 4 * CanvasSize
)

//go:embed assets/canvas.js
var canvasJS string

//go:embed assets/page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// Handler returns the web page of "digits serve" (chapter 9, for a
// classroom projector): GET / shows the canvas,
// and while the student draws, the page POSTs the drawing as a PNG to
// PredictPath, which answers with JSON: {"models": [{"name", "digit",
// "scores"}], "html": "..."} (the Answer and its HTML). Nothing else is
// served. A bad request gets a 4xx status and a one-line message:
// 405 for a method other than POST, 415 for a body that is not image/png,
// 413 for a body over MaxDrawingBytes, 400 for a file that is not a PNG
// drawing of at most MaxDrawingSide pixels a side, 422 for a drawing
// without a digit. The models answer one drawing at a time.
func Handler(models ...Model) (http.Handler, error) {
	if err := checkModelNames(models); err != nil {
		return nil, err
	}
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.Name
	}
	var page bytes.Buffer
	err := pageTemplate.Execute(&page, map[string]any{
		"Models":      strings.Join(names, ", "),
		"Script":      template.JS(canvasJS),
		"PredictPath": PredictPath,
	})
	if err != nil {
		return nil, fmt.Errorf("draw: the page's template: %w", err) // Unreachable: the template is embedded.
	}
	s := &server{models: models, page: page.Bytes()}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", s.servePage)
	mux.HandleFunc(PredictPath, s.predict)
	return mux, nil
}

// server holds the models and the page.
type server struct {
	models []Model
	page   []byte
	mu     sync.Mutex // One drawing at a time through the models.
}

func (s *server) servePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "draw: the page is read with GET", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'")
	w.Write(s.page)
}

func (s *server) predict(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "draw: "+PredictPath+" takes a POST of the drawing as a PNG, not "+r.Method, http.StatusMethodNotAllowed)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "image/png" {
		http.Error(w, fmt.Sprintf("draw: the drawing must be sent as Content-Type image/png, not %q", r.Header.Get("Content-Type")),
			http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxDrawingBytes))
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			http.Error(w, fmt.Sprintf("draw: the drawing is larger than %d bytes", MaxDrawingBytes), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "draw: reading the drawing: "+err.Error(), http.StatusBadRequest)
		return
	}
	img, err := decodeDrawing(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	answer, err := Ask(img, s.models...)
	s.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	html, err := answer.HTML("Your drawing")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		*Answer
		HTML string `json:"html"`
	}{answer, html})
}

// decodeDrawing decodes a posted PNG, its size checked from its header
// first.
func decodeDrawing(body []byte) (image.Image, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("draw: the drawing is not a PNG image: %v", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxDrawingSide || cfg.Height > MaxDrawingSide {
		return nil, fmt.Errorf("draw: the drawing is %dx%d pixels; it must be at most %dx%d", cfg.Width, cfg.Height, MaxDrawingSide, MaxDrawingSide)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("draw: the drawing is not a valid PNG image: %v", err)
	}
	return img, nil
}
