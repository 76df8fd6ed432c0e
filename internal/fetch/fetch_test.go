package fetch

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/mod/module"
)

// testModule has capitals in its path so that the module cache and the proxy
// must use the escaped form "example.com/!fix/!data".
var testModule = Module{Path: "example.com/Fix/Data", Version: "v1.0.0", Dir: "data"}

// testContent is the content of the two files every test fetches, in order.
var testContent = map[string][]byte{
	"one.gz": []byte("the first file"),
	"two.gz": []byte("the second file"),
}

var testFiles = []File{
	{Name: "one.gz", SHA256: sha256Hex(testContent["one.gz"])},
	{Name: "two.gz", SHA256: sha256Hex(testContent["two.gz"])},
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// newMirror starts a fake download mirror of the given kind and returns its
// base URL and a counter of the requests it got:
//
//	"good":  serves testContent
//	"wrong": serves other bytes under the right names (hash mismatch)
//	"404":   answers 404 Not Found to everything
//	"dead":  a server that was closed, so connections are refused
func newMirror(t *testing.T, kind string) (string, *atomic.Int32) {
	t.Helper()
	hits := new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		data, ok := testContent[strings.TrimPrefix(r.URL.Path, "/")]
		switch {
		case kind == "404" || !ok:
			http.NotFound(w, r)
		case kind == "wrong":
			w.Write([]byte("not what you wanted"))
		default:
			w.Write(data)
		}
	}))
	switch kind {
	case "dead":
		srv.Close()
	case "good", "wrong", "404":
		t.Cleanup(srv.Close)
	default:
		t.Fatalf("unknown mirror kind %q", kind)
	}
	return srv.URL, hits
}

// moduleZip builds a module zip as the Go module proxy serves it: entries
// named <module path>@<version>/<file>, here under the module's Dir.
func moduleZip(t *testing.T, m Module, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	// A file outside Dir, as real modules have (go.mod, sources).
	for name, data := range map[string][]byte{"go.mod": []byte("module " + m.Path + "\n")} {
		w, err := zw.Create(m.Path + "@" + m.Version + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	for name, data := range files {
		w, err := zw.Create(path.Join(m.Path+"@"+m.Version, m.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// newProxy starts a fake Go module proxy that serves zipData (when not nil)
// at GET /<escaped path>/@v/<version>.zip and 404 for everything else. It
// returns its URL and a counter of all the requests it got.
func newProxy(t *testing.T, zipData []byte) (string, *atomic.Int32) {
	t.Helper()
	// The escaped path is written out here, not computed: "!f" stands for "F"
	// in the module proxy protocol (go help goproxy).
	const zipPath = "/example.com/!fix/!data/@v/v1.0.0.zip"
	hits := new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Method != http.MethodGet || r.URL.Path != zipPath || zipData == nil {
			http.NotFound(w, r)
			return
		}
		w.Write(zipData)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, hits
}

// writeModCache lays files out in a fake module cache as the go command
// extracts modules: <cache>/<escaped module path>@<version>/<Dir>/<file>.
func writeModCache(t *testing.T, cache string, m Module, files map[string][]byte) {
	t.Helper()
	esc, err := module.EscapePath(m.Path)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		p := filepath.Join(cache, esc+"@"+m.Version, m.Dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFill(t *testing.T) {
	wrongOne := map[string][]byte{"one.gz": []byte("corrupted")}
	tests := []struct {
		name    string
		mirrors []string          // kinds of fake mirrors, see newMirror
		cache   map[string][]byte // files of testModule's Dir in the module cache
		zip     map[string][]byte // files of testModule's Dir in the proxy's zip; nil: proxy answers 404
		noProxy bool              // Config.Proxies is empty: no proxy at all
		present map[string][]byte // files in dir before Fill
		// want says where each file came from: "mirror N" (Mirrors[N]),
		// "cache", "proxy" or "present"; it is turned into Fill's wording.
		want       map[string]string
		wantErr    []string // substrings of the error; nil for no error
		wantErrIn  string   // a file whose full path in dir the error must name
		wantHash   bool     // the error wraps ErrHash
		wantHits   []int    // requests per mirror
		wantZipGet int32    // requests to the proxy
		wantLog    []string // substrings of the log
	}{
		{
			name:     "first mirror",
			mirrors:  []string{"good", "good"},
			want:     map[string]string{"one.gz": "mirror 0", "two.gz": "mirror 0"},
			wantHits: []int{2, 0},
			wantLog:  []string{"one.gz: fetched and verified, from http://", "two.gz: fetched and verified"},
		},
		{
			name:     "dead mirror skipped",
			mirrors:  []string{"dead", "good"},
			want:     map[string]string{"one.gz": "mirror 1", "two.gz": "mirror 1"},
			wantHits: []int{0, 2},
			wantLog:  []string{"skipping this mirror"},
		},
		{
			// A skipped mirror is not asked again for the second file.
			name:     "404 mirror skipped",
			mirrors:  []string{"404", "good"},
			want:     map[string]string{"one.gz": "mirror 1", "two.gz": "mirror 1"},
			wantHits: []int{1, 2},
			wantLog:  []string{"404 Not Found"},
		},
		{
			name:     "mirror with wrong content skipped",
			mirrors:  []string{"wrong", "good"},
			want:     map[string]string{"one.gz": "mirror 1", "two.gz": "mirror 1"},
			wantHits: []int{1, 2},
			wantLog:  []string{"sha256 mismatch"},
		},
		{
			name:     "module cache when all mirrors fail",
			mirrors:  []string{"dead", "404", "wrong"},
			cache:    testContent,
			zip:      testContent,
			want:     map[string]string{"one.gz": "cache", "two.gz": "cache"},
			wantHits: []int{0, 1, 1},
		},
		{
			name:       "proxy when mirrors and cache fail",
			mirrors:    []string{"dead", "404"},
			zip:        testContent,
			want:       map[string]string{"one.gz": "proxy", "two.gz": "proxy"},
			wantHits:   []int{0, 1},
			wantZipGet: 1, // One zip for both files.
		},
		{
			name:       "proxy when the cached copy is corrupt",
			mirrors:    []string{"404"},
			cache:      wrongOne,
			zip:        testContent,
			want:       map[string]string{"one.gz": "proxy", "two.gz": "proxy"},
			wantHits:   []int{1},
			wantZipGet: 1,
			wantLog:    []string{filepath.Join("!fix", "!data@v1.0.0", "data", "one.gz") + ": sha256 mismatch"},
		},
		{
			name:       "cache for one file, proxy for the other",
			cache:      map[string][]byte{"two.gz": testContent["two.gz"]},
			zip:        testContent,
			want:       map[string]string{"one.gz": "proxy", "two.gz": "cache"},
			wantZipGet: 1,
		},
		{
			name:     "already present",
			mirrors:  []string{"good"},
			present:  testContent,
			want:     map[string]string{"one.gz": "present", "two.gz": "present"},
			wantHits: []int{0},
			wantLog:  []string{"one.gz: verified (already present)"},
		},
		{
			name:     "one present, one fetched",
			mirrors:  []string{"good"},
			present:  map[string][]byte{"two.gz": testContent["two.gz"]},
			want:     map[string]string{"one.gz": "mirror 0", "two.gz": "present"},
			wantHits: []int{1},
		},
		{
			name:      "present with wrong hash",
			mirrors:   []string{"good"},
			zip:       testContent,
			present:   wrongOne,
			want:      map[string]string{},
			wantErr:   []string{"sha256 mismatch", "delete it"},
			wantErrIn: "one.gz",
			wantHash:  true,
			wantHits:  []int{0},
		},
		{
			name:       "everything fails",
			mirrors:    []string{"dead", "404"},
			want:       map[string]string{},
			wantErr:    []string{"one.gz: no source could provide it", "404 Not Found"},
			wantHits:   []int{0, 1},
			wantZipGet: 1,
		},
		{
			name:    "no proxy configured",
			mirrors: []string{"dead"},
			noProxy: true,
			want:    map[string]string{},
			wantErr: []string{"one.gz: no source could provide it", "no Go module proxy configured"},
		},
		{
			name:       "module zip lacks a file",
			zip:        map[string][]byte{"one.gz": testContent["one.gz"]},
			want:       map[string]string{"one.gz": "proxy"},
			wantErr:    []string{"two.gz from Go module example.com/Fix/Data@v1.0.0", "module zip has no example.com/Fix/Data@v1.0.0/data/two.gz"},
			wantZipGet: 1,
		},
		{
			name:       "module zip with wrong content",
			zip:        wrongOne,
			want:       map[string]string{},
			wantErr:    []string{"one.gz from Go module", "sha256 mismatch"},
			wantHash:   true,
			wantZipGet: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, cache := t.TempDir(), t.TempDir()
			for name, data := range tt.present {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			writeModCache(t, cache, testModule, tt.cache)
			var zipData []byte
			if tt.zip != nil {
				zipData = moduleZip(t, testModule, tt.zip)
			}
			proxyURL, zipGets := newProxy(t, zipData)
			var mirrors []string
			var hits []*atomic.Int32
			for _, kind := range tt.mirrors {
				u, h := newMirror(t, kind)
				mirrors, hits = append(mirrors, u), append(hits, h)
			}
			var log bytes.Buffer
			cfg := Config{
				Files:    testFiles,
				Mirrors:  mirrors,
				Module:   testModule,
				Proxies:  []string{proxyURL},
				ModCache: cache,
				Log:      &log,
			}
			if tt.noProxy {
				cfg.Proxies = []string{} // Not nil, which would mean $GOPROXY.
			}

			got, err := Fill(t.Context(), dir, cfg)

			// The wording of Result's values comes from Fill and fromModuleCache.
			want := Result{}
			for name, src := range tt.want {
				switch {
				case src == "present":
					want[name] = "already present"
				case src == "cache":
					want[name] = "the Go module cache (" +
						filepath.Join(cache, "example.com", "!fix", "!data@v1.0.0", "data", name) + ")"
				case src == "proxy":
					want[name] = "Go module example.com/Fix/Data@v1.0.0 via " + proxyURL
				case strings.HasPrefix(src, "mirror "):
					i, _ := strconv.Atoi(strings.TrimPrefix(src, "mirror "))
					want[name] = mirrors[i] + "/" + name
				default:
					t.Fatalf("bad want source %q", src)
				}
			}
			if len(got) != len(want) {
				t.Errorf("Fill returned %d results %q, want %d %q", len(got), got, len(want), want)
			}
			for name, w := range want {
				if got[name] != w {
					t.Errorf("result[%q] = %q, want %q", name, got[name], w)
				}
			}

			if tt.wantErr == nil && err != nil {
				t.Fatalf("Fill: %v", err)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Fill succeeded, want an error with %q", tt.wantErr)
				}
				msg := err.Error()
				for _, s := range tt.wantErr {
					if !strings.Contains(msg, s) {
						t.Errorf("error %q does not contain %q", msg, s)
					}
				}
				if tt.wantErrIn != "" {
					if p := filepath.Join(dir, tt.wantErrIn); !strings.Contains(msg, p) {
						t.Errorf("error %q does not name the file %s", msg, p)
					}
				}
			}
			if gotHash := errors.Is(err, ErrHash); gotHash != tt.wantHash {
				t.Errorf("errors.Is(%v, ErrHash) = %v, want %v", err, gotHash, tt.wantHash)
			}

			for i, h := range hits {
				want := 0
				if i < len(tt.wantHits) {
					want = tt.wantHits[i]
				}
				if got := int(h.Load()); got != want {
					t.Errorf("mirror %d (%s) got %d requests, want %d", i, tt.mirrors[i], got, want)
				}
			}
			if got := zipGets.Load(); got != tt.wantZipGet {
				t.Errorf("proxy got %d requests, want %d", got, tt.wantZipGet)
			}
			for _, s := range tt.wantLog {
				if !strings.Contains(log.String(), s) {
					t.Errorf("log does not contain %q; log:\n%s", s, log.String())
				}
			}

			// Present files are never rewritten; fetched ones hold their
			// content; nothing else is in dir, temporary files included.
			var wantNames []string
			for _, f := range testFiles {
				p := filepath.Join(dir, f.Name)
				data, err := os.ReadFile(p)
				wantData, present := tt.present[f.Name]
				if !present {
					wantData = testContent[f.Name]
				}
				switch _, fetched := want[f.Name]; {
				case present || fetched:
					wantNames = append(wantNames, f.Name)
					if err != nil {
						t.Errorf("%s: %v", f.Name, err)
					} else if !bytes.Equal(data, wantData) {
						t.Errorf("%s holds %q, want %q", f.Name, data, wantData)
					}
				case err == nil:
					t.Errorf("%s was written with %q, want no file", f.Name, data)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			slices.Sort(wantNames)
			if !slices.Equal(names, wantNames) {
				t.Errorf("dir holds %q, want %q", names, wantNames)
			}
		})
	}
}

func TestProxies(t *testing.T) {
	// The expected lists follow "go help goproxy": entries are separated by
	// "," or "|", "direct" and "off" are not proxies, and an unset or empty
	// GOPROXY means the default https://proxy.golang.org.
	tests := []struct {
		name    string
		cfg     []string // Config.Proxies
		goproxy string
		want    []string
	}{
		{"empty", nil, "", []string{"https://proxy.golang.org"}},
		{"default", nil, "https://proxy.golang.org,direct", []string{"https://proxy.golang.org"}},
		{"direct dropped", nil, "https://a,direct", []string{"https://a"}},
		{"off", nil, "off", nil},
		{"direct only", nil, "direct", nil},
		{"pipe", nil, "https://a|https://b", []string{"https://a", "https://b"}},
		{"mixed", nil, "https://a,https://b|https://c,off", []string{"https://a", "https://b", "https://c"}},
		{"config wins", []string{"http://mine"}, "https://a", []string{"http://mine"}},
		{"empty config means none", []string{}, "https://a", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOPROXY", tt.goproxy)
			t.Setenv("GOENV", "off") // An unset GOPROXY then means Go's default, not a `go env -w` setting.
			got := proxies(Config{Proxies: tt.cfg})
			if !slices.Equal(got, tt.want) {
				t.Errorf("proxies with GOPROXY=%q, Proxies=%q = %q, want %q", tt.goproxy, tt.cfg, got, tt.want)
			}
		})
	}
}

// TestFillChecksTheFolderFirst: a data folder that cannot be created fails
// before any mirror is asked, with the folder's name.
func TestFillChecksTheFolderFirst(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	dir := filepath.Join(file, "data") // Under a file: it cannot be created.
	mirror, hits := newMirror(t, "good")
	_, err := Fill(t.Context(), dir, Config{Files: testFiles, Mirrors: []string{mirror}, Module: testModule, Proxies: []string{}})
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("got %v, want an error naming %s", err, file)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the mirror was asked %d times before the folder was checked", n)
	}
}
