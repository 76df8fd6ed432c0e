package main

import (
	"bytes"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godigits/digits/draw"
	"github.com/godigits/digits/mnist"
)

func TestServeFlags(t *testing.T) {
	dir := t.TempDir()
	notCheckpoint := filepath.Join(dir, "notes.ckpt")
	if err := os.WriteFile(notCheckpoint, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOMLX_BACKEND", "go")
	for _, tc := range []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"no checkpoint", []string{"serve"}, 2, "-checkpoint is required"},
		{"empty checkpoint", []string{"serve", "-checkpoint", ""}, 2, "must name a checkpoint file"},
		{"missing checkpoint", []string{"serve", "-checkpoint", filepath.Join(dir, "nope.ckpt")}, 1, "nope.ckpt: no such file or directory"},
		{"directory", []string{"serve", "-checkpoint", dir}, 1, "is a directory, not a checkpoint file"},
		{"not a checkpoint", []string{"serve", "-checkpoint", notCheckpoint}, 1, "notes.ckpt"},
		{"bad address", []string{"serve", "-checkpoint", notCheckpoint, "-addr", "8080"}, 2, "-addr 8080: not a host:port address"},
		{"extra argument", []string{"serve", "-checkpoint", notCheckpoint, "image.png"}, 2, "unexpected arguments"},
		{"help", []string{"serve", "-h"}, 0, "Usage: digits serve"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCaptured(t, tc.args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantStderr) || strings.Contains(stderr, "goroutine ") {
				t.Errorf("digits %s: exit %d, stderr:\n%s\nwant exit %d and %q, no stack trace", strings.Join(tc.args, " "), code, stderr, tc.wantCode, tc.wantStderr)
			}
		})
	}
}

// freeAddr returns a local address no one listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// digits serve with two checkpoints answers a drawing with both models,
// and stops cleanly, exit 0, on Ctrl-C (SIGINT).
func TestServeAnswersAndStopsOnInterrupt(t *testing.T) {
	backend, err := mnist.StartBackend("go")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	dir := t.TempDir()
	var args []string
	for _, arch := range []mnist.Architecture{mnist.MLP, mnist.CNN} {
		m, err := mnist.NewModel(backend, mnist.TrainConfig{Model: mnist.ModelConfig{Arch: arch, Task: mnist.Classification}})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, string(arch)+".ckpt")
		if err := m.Save(path); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-checkpoint", path)
	}
	addr := freeAddr(t)
	exit := make(chan error, 1)
	go func() { exit <- runServe(append(args, "-addr", addr, "-backend", "go")) }()

	var body bytes.Buffer
	if err := png.Encode(&body, draw.SampleDrawing()); err != nil {
		t.Fatal(err)
	}
	var res *http.Response
	for deadline := time.Now().Add(60 * time.Second); ; {
		res, err = http.Post("http://"+addr+draw.PredictPath, "image/png", bytes.NewReader(body.Bytes()))
		if err == nil {
			break
		}
		select {
		case err := <-exit:
			t.Fatalf("digits serve ended before serving: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("digits serve does not answer on %s after 60s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var answer bytes.Buffer
	answer.ReadFrom(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(answer.String(), `"name":"MLP"`) || !strings.Contains(answer.String(), `"name":"CNN"`) {
		t.Errorf("POST of a drawing: %d %.300s, want 200 and the answers of the MLP and the CNN", res.StatusCode, answer.String())
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exit:
		if err != nil {
			t.Errorf("digits serve after Ctrl-C: %v, want a clean stop", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("digits serve still runs 20s after Ctrl-C")
	}
	if _, err := http.Get(fmt.Sprintf("http://%s/", addr)); err == nil {
		t.Error("the page is still served after Ctrl-C")
	}
}
