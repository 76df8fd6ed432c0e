package draw

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
)

// How long the notebook cell waits, and why it ends.
const (
	// PageWait is how long Show waits for the canvas's JavaScript to say
	// hello once the cell has shown it. In JupyterLab the hello comes in
	// well under a second: GoNB has connected to the page before the canvas
	// is shown (it gives that connection 3 seconds). In a headless run
	// (nbclient, nbconvert) no page runs JavaScript, no hello comes, and
	// Show answers for SampleDrawing and ends when PageWait has passed.
	// There is no earlier sign that no page is there: GoNB does not tell
	// the program that its connection failed.
	PageWait = 10 * time.Second
	// IdleLimit ends the cell when the page has sent nothing for that long:
	// the student closed the page or forgot the cell, which would otherwise
	// keep the kernel busy.
	IdleLimit = 15 * time.Minute
	// reconnectAfter is when Show, still without the page's hello, asks
	// GoNB once more for its connection to the page. GoNB's page script gives the
	// kernel 500 ms to acknowledge the connection; on a busy machine the
	// acknowledgement can come later, and the page script then closes its
	// connection while the kernel believes it open. GoNB checks the
	// connection (a heartbeat) and installs its page script again when the
	// program next talks to the page: this is that talk, and the canvas's
	// JavaScript waits for the new connection. Once, late enough for the
	// first attempt to have failed, and early enough for GoNB's second
	// attempt (up to 3 seconds) to end before PageWait in a headless run.
	reconnectAfter = 4 * time.Second
)

// Show displays, in a GoNB notebook cell, a canvas to draw a digit on, and
// answers while the student draws: the drawing framed as the models see it
// (28x28), each model's predicted digit and its ten class probabilities as
// bars, side by side. Chapter 9 (动转静 / 部署) introduces it, with the MLP
// and the CNN:
//
//	draw.Show(draw.Model{Name: "MLP", Net: mlp}, draw.Model{Name: "CNN", Net: cnn})
//
// The cell's program runs while the student draws (the kernel is busy: other
// cells wait) and ends when they press Done, when the kernel is interrupted
// (■), or after IdleLimit without a drawing. It then replaces the canvas by
// a static picture of the last answer (an <img> holding a PNG), which the
// saved notebook keeps and every viewer shows.
//
// With no page to run the canvas (a headless run), Show answers for
// SampleDrawing, a 7 drawn with the canvas's pen, shows that picture and
// ends after PageWait. The answer is also printed as one line of text.
// Outside a notebook it only prints that line.
func Show(models ...Model) error {
	if err := checkModelNames(models); err != nil {
		return err
	}
	sample, err := Ask(SampleDrawing(), models...)
	if err != nil {
		return fmt.Errorf("draw: the sample drawing: %w", err)
	}
	if !gonbui.IsNotebook {
		fmt.Printf("Sample drawing of a 7: %s\n", sample.Text())
		return nil
	}

	// One address carries everything the page sends: "hello" when the
	// canvas is up, each drawing as a PNG data URL, "done". One subscription
	// means one attempt of GoNB to connect to the page (it waits up to 3
	// seconds for it, and leaves its script in a headless run's output),
	// and a second one after reconnectAfter if no hello came.
	id := gonbui.UniqueID()
	address := "/digits/draw/" + id
	fromPage := comms.Listen[string](address)
	defer fromPage.Close()

	blockID := "digits_draw_block_" + id
	rootID := "digits_draw_" + id
	gonbui.UpdateHTML(blockID, fmt.Sprintf(`<div id="%s" data-pending="0">Starting the canvas…</div>`, rootID))
	dom.TransientJavascript(notebookScript(rootID, address))

	last, title := sample, "Sample drawing of a 7"
	finish := func() error {
		fmt.Printf("%s: %s\n", title, last.Text())
		page, err := last.HTML(title)
		if err != nil {
			return err
		}
		gonbui.UpdateHTML(blockID, page)
		return nil
	}

	pageWait := time.After(PageWait)        // Set to nil by the page's hello,
	reconnect := time.After(reconnectAfter) // and so is this.
	interrupted, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	idle := time.NewTimer(IdleLimit)
	defer idle.Stop()
	for {
		select {
		case msg := <-fromPage.C:
			switch msg {
			case helloMessage:
				pageWait, reconnect = nil, nil
				continue
			case doneMessage:
				return finish()
			}
			idle.Reset(IdleLimit)
			answer, reply := answerDrawing(msg, models)
			if answer != nil {
				last, title = answer, "Your last drawing"
			}
			comms.Send(address+"/answer", reply)
		case <-reconnect:
			reconnect = nil
			comms.Send(address+"/reconnect", "")
		case <-pageWait:
			fmt.Printf("No page showed the canvas within %v (a headless run, or an untrusted notebook): the answer is for a sample drawing.\n", PageWait)
			return finish()
		case <-interrupted.Done():
			return finish()
		case <-idle.C:
			title += fmt.Sprintf(" (the canvas closed after %v without a drawing)", IdleLimit)
			return finish()
		}
	}
}

// What the canvas sends besides drawings.
const (
	helloMessage = "hello"
	doneMessage  = "done"
)

// answerDrawing answers a drawing sent by the canvas as a PNG data URL. It
// returns the answer, or nil, and the JSON reply for the canvas: {"html"}
// or {"error"}.
func answerDrawing(dataURL string, models []Model) (*Answer, string) {
	reply := func(key, value string) string {
		b, _ := json.Marshal(map[string]string{key: value})
		return string(b)
	}
	body, err := decodeDataURL(dataURL)
	if err != nil {
		return nil, reply("error", err.Error())
	}
	img, err := decodeDrawing(body)
	if err != nil {
		return nil, reply("error", err.Error())
	}
	answer, err := Ask(img, models...)
	if err != nil {
		return nil, reply("error", err.Error())
	}
	html, err := answer.HTML("Your drawing")
	if err != nil {
		return nil, reply("error", err.Error())
	}
	return answer, reply("html", html)
}

// notebookScript is the canvas's JavaScript for the notebook: it waits for
// GoNB's connection to the page (globalThis.gonb_comm, once connected: a
// connection that fails to open is replaced by a new gonb_comm, see
// reconnectAfter) and the canvas's element, builds the canvas, says hello,
// and sends each drawing as a PNG data URL to address, then "done"; the Go
// program replies on address+"/answer".
func notebookScript(rootID, address string) string {
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	return canvasJS + fmt.Sprintf(`
(() => {
  const rootID = %s, address = %s, started = Date.now();
  const retry = () => {
    if (Date.now() - started < 60000) { setTimeout(boot, 100); return; }
    const root = document.getElementById(rootID);
    if (root) root.textContent = 'No connection to the Go kernel: run the cell again.';
  };
  const boot = () => {
    const comm = globalThis.gonb_comm, root = document.getElementById(rootID);
    if (!comm || !root) { retry(); return; }
    // GoNB 0.11's promise of an open connection; one that failed is
    // dropped, and boot waits for the next gonb_comm.
    Promise.resolve(comm._is_connected).then(() => start(comm), retry);
  };
  const start = (comm) => {
    const root = document.getElementById(rootID);
    let waiting = null;
    comm.subscribe(address + '/answer', (_, value) => {
      const w = waiting;
      waiting = null;
      if (w) w(JSON.parse(value));
    });
    const ask = (canvas) => new Promise((resolve) => {
      waiting = resolve;
      comm.send(address, canvas.toDataURL('image/png'));
    });
    digitsCanvas(root, ask, () => comm.send(address, 'done'));
    comm.send(address, 'hello');
  };
  boot();
})();
`, quote(rootID), quote(address))
}
