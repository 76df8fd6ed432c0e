// Package userhome gives the digits command a home directory when its
// environment has none (HOME unset or empty, as under some service managers
// and `env -i`): the one the user database (/etc/passwd) gives the user.
// Without it, go-xla's package initialisation logs an error to standard
// error in every command, -h included, and skips ~/.local/lib/go-xla, where
// `make setup` installs the XLA plugin.
//
// It does its work in its init function, which must run before go-xla's:
// Go initialises packages in the order of their import paths, among those
// whose imports are ready, and this package imports only the standard
// library and sorts before github.com/gomlx/... (cmd/digits tests it).
package userhome

import (
	"os"
	"strconv"
	"strings"
)

func init() {
	if os.Getenv("HOME") != "" {
		return
	}
	if home := FromPasswd("/etc/passwd", os.Getuid()); home != "" {
		os.Setenv("HOME", home)
	}
}

// FromPasswd returns the home directory of the user uid in the passwd file
// at path (lines "name:password:uid:gid:gecos:home:shell"), or "".
func FromPasswd(path string, uid int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Split(line, ":")
		if len(fields) < 7 || strings.HasPrefix(line, "#") {
			continue
		}
		if id, err := strconv.Atoi(fields[2]); err == nil && id == uid && strings.HasPrefix(fields[5], "/") {
			return fields[5]
		}
	}
	return ""
}
