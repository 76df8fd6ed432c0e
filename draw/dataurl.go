package draw

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// pngDataURLPrefix starts the data URL of a canvas's PNG, as
// HTMLCanvasElement.toDataURL("image/png") writes it.
const pngDataURLPrefix = "data:image/png;base64,"

// decodeDataURL returns the PNG file held by a data URL, at most
// MaxDrawingBytes long.
func decodeDataURL(dataURL string) ([]byte, error) {
	payload, ok := strings.CutPrefix(dataURL, pngDataURLPrefix)
	if !ok {
		head := dataURL[:min(len(dataURL), len(pngDataURLPrefix))]
		return nil, fmt.Errorf("draw: the drawing must be a PNG data URL (%q...), not %q...", pngDataURLPrefix, head)
	}
	if base64.StdEncoding.DecodedLen(len(payload)) > MaxDrawingBytes {
		return nil, fmt.Errorf("draw: the drawing is larger than %d bytes", MaxDrawingBytes)
	}
	body, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return nil, errors.New("draw: the drawing's data URL is not valid base64")
	}
	return body, nil
}
