package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"testing"
)

// TestWithoutHome runs the command's packages in a child process with HOME
// unset: the command takes the home directory of the user database before
// go-xla's initialisation looks for it, so nothing is logged about it.
func TestWithoutHome(t *testing.T) {
	if os.Getenv("DIGITS_TEST_CHILD") == "no-home" {
		fmt.Printf("HOME=%s\n", os.Getenv("HOME"))
		return
	}
	u, err := user.Current()
	if err != nil || u.HomeDir == "" {
		t.Skip("this user has no home directory in the user database")
	}
	want := u.HomeDir
	cmd := exec.Command(os.Args[0], "-test.run=^TestWithoutHome$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "DIGITS_TEST_CHILD=no-home")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if !strings.Contains(string(out), "HOME="+want+"\n") || strings.Contains(string(out), "home directory") {
		t.Errorf("the child said:\n%s\nwant HOME=%s and no complaint about a home directory", out, want)
	}
}
