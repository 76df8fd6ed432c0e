package viz

import (
	"fmt"
	"io"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/godigits/digits/internal/atomicfile"
)

// Display shows an SVG picture inline when running in a GoNB notebook; in a
// terminal it prints a note instead, since a terminal cannot show it (use
// [WriteFile] there).
func Display(svg string) {
	if gonbui.IsNotebook {
		gonbui.DisplaySVG(svg)
		// Wait until GoNB has the picture: a cell's program may end right
		// after this call, and what is still in the pipe would be lost.
		gonbui.Sync()
		return
	}
	fmt.Printf("(an SVG picture of %d bytes: display it in a notebook or write it with viz.WriteFile)\n", len(svg))
}

// WriteFile writes an SVG picture to path, under a temporary name renamed
// into place once complete: a failed write (a full disk) leaves any earlier
// file at path as it was, never an empty or half-written one.
func WriteFile(path, svg string) error {
	err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := io.WriteString(w, svg)
		return err
	})
	if err != nil {
		return fmt.Errorf("viz: writing %s: %w", path, err)
	}
	return nil
}
