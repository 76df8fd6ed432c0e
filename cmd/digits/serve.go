package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/godigits/digits/draw"
	"github.com/godigits/digits/mnist"
)

// defaultServeAddr keeps the page on this computer; a classroom projector
// plugged into it needs nothing more.
const defaultServeAddr = "127.0.0.1:8080"

// checkpointList is the value of a flag that may be given several times.
type checkpointList []string

func (c *checkpointList) String() string { return strings.Join(*c, ",") }

func (c *checkpointList) Set(path string) error {
	if path == "" {
		return errors.New("must name a checkpoint file")
	}
	*c = append(*c, path)
	return nil
}

func runServe(args []string) error {
	fs := newFlagSet("serve", "", "Serve a page where you draw a digit and each checkpoint's model answers while you draw\n"+
		"(the canvas of chapter 9, for a classroom projector). The drawing is framed as \"digits predict\"\n"+
		"frames an image. Ctrl-C stops the server.")
	var checkpoints checkpointList
	var addr, backendName string
	fs.Var(&checkpoints, "checkpoint", "checkpoint `file` (required; repeat it to compare models side by side)")
	fs.StringVar(&addr, "addr", defaultServeAddr, "address to listen on, host:port (the default keeps the page on this computer)")
	backendFlag(fs, &backendName)
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(checkpoints) == 0 {
		return usageError{errors.New("-checkpoint is required")}
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return flagError(fs, "addr", "not a host:port address, such as "+defaultServeAddr)
	}
	for _, path := range checkpoints {
		if st, err := os.Stat(path); err != nil {
			return fmt.Errorf("-checkpoint %s: %w", path, errors.Unwrap(err))
		} else if st.IsDir() {
			return fmt.Errorf("-checkpoint %s is a directory, not a checkpoint file", path)
		}
	}

	backend, err := startBackend(backendName)
	if err != nil {
		return err
	}
	defer backend.Finalize()
	var nets []*mnist.Model
	for _, path := range checkpoints {
		m, err := mnist.LoadModel(backend, path)
		if err != nil {
			return err
		}
		nets = append(nets, m)
	}
	handler, err := draw.Handler(namedModels(checkpoints, nets)...)
	if err != nil {
		return err
	}

	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("-addr %s: %w", addr, err)
	}
	server := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	fmt.Printf("digits serve: draw a digit on http://%s/ (Ctrl-C stops)\n", listener.Addr())
	if ip := listener.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		fmt.Printf("digits serve: %s is reachable from other computers: anyone on the network can draw on the page\n", listener.Addr())
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Println("digits serve: stopping")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return server.Shutdown(shutdown)
}

// namedModels names each model after its network ("CNN", "MLP"), adding
// the checkpoint's file name where two networks are the same kind.
func namedModels(paths []string, nets []*mnist.Model) []draw.Model {
	count := map[string]int{}
	for _, m := range nets {
		count[kindName(m)]++
	}
	models := make([]draw.Model, len(nets))
	for i, m := range nets {
		name := kindName(m)
		if count[name] > 1 {
			name += " (" + filepath.Base(paths[i]) + ")"
		}
		models[i] = draw.Model{Name: name, Net: m}
	}
	// Two checkpoints with the same file name in different folders.
	seen := map[string]bool{}
	for i := range models {
		if seen[models[i].Name] {
			models[i].Name += fmt.Sprintf(" #%d", i+1)
		}
		seen[models[i].Name] = true
	}
	return models
}

func kindName(m *mnist.Model) string { return strings.ToUpper(string(m.Config.Model.Arch)) }
