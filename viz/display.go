package viz

import (
	"fmt"
	"os"

	"github.com/janpfeifer/gonb/gonbui"
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

// WriteFile writes an SVG picture to path.
func WriteFile(path, svg string) error {
	if err := os.WriteFile(path, []byte(svg), 0o644); err != nil {
		return fmt.Errorf("viz: %w", err)
	}
	return nil
}
