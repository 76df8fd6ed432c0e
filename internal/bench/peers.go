package bench

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/godigits/digits/internal/atomicfile"
)

// peerOutput is what bench/peers/run_peer.py writes.
type peerOutput struct {
	Framework string   `json:"framework"`
	Version   string   `json:"version"`
	Threads   int      `json:"threads"`
	Device    string   `json:"device"`
	Python    string   `json:"python"`
	Note      string   `json:"note"`
	Error     string   `json:"error"`
	Cases     []Result `json:"cases"`
}

// runPeer runs one peer script over the spec and returns its column; a peer
// that fails gives a column with its error, so the others still report.
func runPeer(o Options, peer, specPath string) *Column {
	col := &Column{Name: peer, Results: map[string]Result{}}
	out := filepath.Join(o.Dir, peer+".json")
	_ = os.Remove(out)
	args := []string{o.PeerScript, "--framework", peer, "--spec", specPath, "--out", out}
	if o.PeerDevice != "" {
		args = append(args, "--device", o.PeerDevice)
	}
	cmd := exec.Command(o.Python, args...)
	var stderr bytes.Buffer
	lw := &lineWriter{w: o.Log, prefix: "bench: " + peer + ": ", keep: &stderr}
	cmd.Stdout, cmd.Stderr = lw, lw
	runErr := cmd.Run()
	lw.flush()
	data, err := os.ReadFile(out)
	if err != nil {
		col.Error = fmt.Sprintf("%s %s: %v: %s", o.Python, o.PeerScript, firstErr(runErr, err), lastLine(stderr.String()))
		return col
	}
	var po peerOutput
	if err := json.Unmarshal(data, &po); err != nil {
		col.Error = fmt.Sprintf("%s: %v", out, err)
		return col
	}
	col.Version, col.Threads, col.Device, col.Note, col.Error = po.Version, po.Threads, po.Device, po.Note, po.Error
	for _, r := range po.Cases {
		col.Results[r.Name] = r
	}
	return col
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// lineWriter copies what a peer prints to w (when not nil), a line at a
// time with a prefix, and keeps it all in keep.
type lineWriter struct {
	w       io.Writer
	prefix  string
	keep    *bytes.Buffer
	pending []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.keep.Write(p)
	l.pending = append(l.pending, p...)
	for {
		i := bytes.IndexByte(l.pending, '\n')
		if i < 0 {
			break
		}
		if l.w != nil {
			fmt.Fprintf(l.w, "%s%s\n", l.prefix, l.pending[:i])
		}
		l.pending = l.pending[i+1:]
	}
	return len(p), nil
}

func (l *lineWriter) flush() {
	if len(l.pending) > 0 && l.w != nil {
		fmt.Fprintf(l.w, "%s%s\n", l.prefix, l.pending)
	}
	l.pending = nil
}

func newReport(backend compute.Backend, o Options) *Report {
	r := &Report{
		Date:    time.Now().UTC().Format(time.RFC3339),
		Machine: cpuModel(),
		Cores:   runtime.NumCPU(),
		Go:      runtime.Version(),
		GoMLX:   moduleVersion("github.com/gomlx/gomlx"),
		Backend: backend.Name() + ": " + backend.Description(),
		Cases:   o.Cases,

		CPUExtensions: cpuVectorExtensions(),
		MaxISA:        o.MaxISA,
		CapEnv:        o.CapEnv,
		CPUIDMasked:   o.CPUIDMasked,
	}
	r.Options.Seed, r.Options.WarmupSteps, r.Options.LossSteps, r.Options.MaxSteps = o.Seed, o.WarmupSteps, o.LossSteps, o.MaxSteps
	r.Options.Epochs = o.Epochs
	return r
}

// cpuModel returns the CPU's model name from /proc/cpuinfo, or GOARCH.
func cpuModel() string {
	if name, ok := cpuInfoField(readCPUInfo(), "model name"); ok {
		return name
	}
	return runtime.GOARCH
}

func moduleVersion(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == path {
				return m.Version
			}
		}
	}
	return "unknown"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func float32Bytes(data []float32) []byte {
	out := make([]byte, 4*len(data))
	for i, v := range data {
		putUint32(out[4*i:], math.Float32bits(v))
	}
	return out
}

func putUint32(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }

// writeFile writes data to path atomically.
func writeFile(path string, data []byte) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteJSON writes the report as indented JSON to path, atomically.
func (r *Report) WriteJSON(path string) error {
	data, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	return writeFile(path, append(data, '\n'))
}
