package userhome

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFromPasswd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passwd")
	os.WriteFile(path, []byte("# comment\nroot:x:0:0:root:/root:/bin/bash\njovyan:x:1000:100::/home/jovyan:/bin/bash\nodd:x:1001:100::relative:/bin/sh\nshort:x:1002\n"), 0o644)
	for _, tc := range []struct {
		uid  int
		want string
	}{
		{0, "/root"}, {1000, "/home/jovyan"},
		{1001, ""}, // A home that is not an absolute path is not one.
		{1002, ""}, // A line with too few fields.
		{4242, ""}, // No such user.
	} {
		if got := FromPasswd(path, tc.uid); got != tc.want {
			t.Errorf("uid %d: got %q, want %q", tc.uid, got, tc.want)
		}
	}
	if got := FromPasswd(filepath.Join(t.TempDir(), "none"), 0); got != "" {
		t.Errorf("missing file: got %q", got)
	}
}
