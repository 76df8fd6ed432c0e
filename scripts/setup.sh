#!/usr/bin/env bash
# setup.sh installs everything the course needs, from package registries only
# (PyPI and the Go module proxy), and is safe to run again: steps that are
# already done are checked and skipped.
#
#   1. a Python virtual environment (.venv) with the pinned JupyterLab,
#      notebook runner and test packages of requirements.txt;
#   2. GoNB, goimports and gopls built from the versions pinned in go.mod,
#      and the `digits` command (with ONNX export: -tags onnx), into .venv/bin;
#   3. the GoNB kernel, registered inside .venv (not in ~/.local/share/jupyter);
#   4. the XLA CPU PJRT plugin of requirements-xla.txt, copied where go-xla
#      finds it ($PLUGIN_DIR, default ~/.local/lib/go-xla);
#   5. the MNIST files, from the Go module that ships them, verified
#      ($DIGITS_DATA, default ~/.cache/digits/mnist);
#   6. for the tests: Debian's Chromium (when root or sudo allows) and the
#      pinned playwright-core of tests/browser, and configurable-http-proxy
#      for the JupyterHub test (tests/hub), all with npm ci.
#
# Settings (environment variables): VENV, PLUGIN_DIR, DIGITS_DATA, PYTHON,
# KERNEL_DIR (where the GoNB kernel is registered; default inside VENV),
# CELL_LDFLAGS (the linker flags of the program GoNB builds for every cell;
# default "-s -linkmode=internal", empty for Go's defaults) and CELL_GOPROXY
# (the kernel's GOPROXY; default: the module cache first; see step 3).
#
# Shared installation (the classroom image, docker/Dockerfile, and
# tests/offline): with DIGITS_PREFIX set, everything goes under that folder
# or into system folders, nothing into the home directory, and the result
# works without a network:
#   - VENV defaults to $DIGITS_PREFIX/venv, PLUGIN_DIR to /usr/local/lib/go-xla,
#     DIGITS_DATA to $DIGITS_PREFIX/data/mnist (left read-only);
#   - the Go module cache ($DIGITS_PREFIX/go/mod) holds every module the
#     notebooks need, and the Go build cache ($DIGITS_PREFIX/go/cache) holds
#     GoMLX and the course's packages compiled as a notebook compiles them;
#   - the kernel and $VENV/digits.env use that cache with GOPROXY=off;
#   - XLA_CUDA=1 also installs the XLA CUDA plugin and NVIDIA's libraries
#     (requirements-xla-cuda.txt) under $PLUGIN_DIR/nvidia;
#   - the test tools of step 6 are skipped.
# Prerequisites: Go >= 1.26 with a C compiler (cgo), Python >= 3.11.5 with venv.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIGITS_PREFIX=${DIGITS_PREFIX:-}
if [ -n "$DIGITS_PREFIX" ]; then
  VENV=${VENV:-$DIGITS_PREFIX/venv}
  PLUGIN_DIR=${PLUGIN_DIR:-/usr/local/lib/go-xla}
  export DIGITS_DATA=${DIGITS_DATA:-$DIGITS_PREFIX/data/mnist}
  export GOPATH=$DIGITS_PREFIX/go GOMODCACHE=$DIGITS_PREFIX/go/mod GOCACHE=$DIGITS_PREFIX/go/cache
  export PIP_NO_CACHE_DIR=1 GOTOOLCHAIN=local
fi
VENV=${VENV:-$ROOT/.venv}
PLUGIN_DIR=${PLUGIN_DIR:-$HOME/.local/lib/go-xla}
KERNEL_DIR=${KERNEL_DIR:-$VENV/share/jupyter/kernels/gonb}
PYTHON=${PYTHON:-python3}
XLA_CUDA=${XLA_CUDA:-}
CELL_LDFLAGS=${CELL_LDFLAGS--s -linkmode=internal}
case "$CELL_LDFLAGS" in *[\'\"]*) echo "setup: error: CELL_LDFLAGS must not hold quotes: $CELL_LDFLAGS" >&2; exit 1 ;; esac
export GOMLX_NO_AUTO_INSTALL=1 GOFLAGS=${GOFLAGS:--mod=readonly}

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# Prerequisites.
command -v go >/dev/null || die "Go is not installed (https://go.dev/dl/, version 1.26 or newer)"
command -v "$PYTHON" >/dev/null || die "$PYTHON is not installed (Python 3.11.5 or newer)"
command -v cc >/dev/null || command -v gcc >/dev/null || die "no C compiler: GoMLX's XLA backend needs cgo (apt-get install gcc)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11, 5))' || die "$PYTHON is older than 3.11.5 (the pinned packages of requirements.txt need 3.11.5 or newer)"

# 1. Python environment. A stamp holding the hash of requirements.txt tells
#    whether the installed packages are current.
. "$ROOT/scripts/venv.sh"
ensure_venv "$VENV" "$ROOT/requirements.txt" "$PYTHON" "the Python environment"

# 2. Go tools, from the versions pinned in go.mod (go build is a no-op when
#    nothing changed). A shared installation first downloads every module
#    of the build list, so that notebooks compile with the network off.
if [ -n "$DIGITS_PREFIX" ]; then
  say "downloading the Go modules into $GOMODCACHE"
  (cd "$ROOT" && go mod download all)
fi
say "building gonb, goimports, gopls and digits into $VENV/bin"
(cd "$ROOT" && go build -o "$VENV/bin/" github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports golang.org/x/tools/gopls \
  && go build -tags onnx -o "$VENV/bin/" ./cmd/digits)

# The environment that Go programs of the course need: the ONNX Runtime
# library of the onnxruntime wheel (for the ONNX export) and the build tag
# that compiles the export in. The Makefile and the kernel read this file.
onnx_lib=$("$VENV/bin/python" -c 'import glob, os, onnxruntime as o; print(sorted(glob.glob(os.path.join(os.path.dirname(o.__file__), "capi", "libonnxruntime.so*")))[0])')
go_bin=$(dirname "$(command -v go)")
cat > "$VENV/digits.env" <<ENV
export ONNXRUNTIME_SHARED_LIBRARY_PATH=$onnx_lib
export GOFLAGS="-tags=onnx"
export GOMLX_NO_AUTO_INSTALL=1
ENV
# A shared installation's digits.env is all a Jupyter server needs (the
# image's start script reads it): tools on PATH, the data, the Go caches and
# no network for Go. GOCACHE, GOPROXY and GOSUMDB keep a value set before.
plugin_path=
case "$PLUGIN_DIR" in
  /usr/local/lib/go-xla|"$HOME/.local/lib/go-xla") ;;
  *) plugin_path=$PLUGIN_DIR ;;
esac
if [ "$XLA_CUDA" = 1 ]; then plugin_path=$PLUGIN_DIR/nvidia:$PLUGIN_DIR; fi
if [ -n "$DIGITS_PREFIX" ]; then
  cat >> "$VENV/digits.env" <<ENV
export PATH="$VENV/bin:$go_bin:\$PATH"
export DIGITS_ROOT=$ROOT
export DIGITS_DATA=$DIGITS_DATA
export GOMODCACHE=$GOMODCACHE
export GOCACHE=\${GOCACHE:-$GOCACHE}
export GOPROXY=\${GOPROXY:-off}
export GOSUMDB=\${GOSUMDB:-off}
export GOTOOLCHAIN=local
ENV
  [ -z "$plugin_path" ] || echo "export PJRT_PLUGIN_LIBRARY_PATH=$plugin_path" >> "$VENV/digits.env"
fi

# 3. The GoNB kernel, inside the environment: Jupyter finds kernels under
#    sys.prefix/share/jupyter. Its env puts go and the tools on PATH and tells
#    notebooks where this repository is.
#    A shared installation's kernel also carries the data folder, the
#    module cache and GOPROXY=off, so it works offline wherever it starts.
#    GoNB builds and links a new program for every cell, and linking is most
#    of a cell's wait (BENCHMARKS.md, "Cell latency"): the kernel's GOFLAGS
#    add CELL_LDFLAGS, by default -s (no symbol table and, since Go 1.22, no
#    DWARF: nothing a notebook uses; panics keep their file:line traces) and
#    -linkmode=internal (Go's own linker instead of gcc's; go-xla's cgo and
#    its dlopen of the PJRT plugin work with it). GOFLAGS takes a value with
#    spaces in quotes: -tags=onnx '-ldflags=-s -linkmode=internal'.
#    GoNB also runs `go get` before each build, which asks GOPROXY for the
#    version list of every module the cell needs (to check for retractions):
#    about 0.3 s a cell. Outside a shared installation (whose kernel has
#    GOPROXY=off) the kernel's GOPROXY puts the module cache first, served
#    as a file:// proxy: it answers for every module already downloaded and
#    passes the others to the GOPROXY that setup ran with (CELL_GOPROXY=
#    leaves GOPROXY alone; `go get M@latest` of a module in the cache then
#    gives the newest version there).
kernel_goflags=-tags=onnx
[ -z "$CELL_LDFLAGS" ] || kernel_goflags="$kernel_goflags '-ldflags=$CELL_LDFLAGS'"
kernel_goproxy=
if [ -z "$DIGITS_PREFIX" ]; then
  kernel_goproxy=${CELL_GOPROXY-file://$(go env GOMODCACHE)/cache/download,$(go env GOPROXY)}
fi
kernel_dir=$KERNEL_DIR
mkdir -p "$kernel_dir"
"$VENV/bin/python" - "$kernel_dir/kernel.json" "$VENV/bin/gonb" "$VENV/bin:$go_bin" "$ROOT" "$onnx_lib" \
  "$DIGITS_PREFIX" "${DIGITS_DATA:-}" "${GOMODCACHE:-}" "$plugin_path" "$kernel_goflags" "$kernel_goproxy" <<'PY'
import json, sys
path, gonb, bins, root, onnx_lib, prefix, data, modcache, plugin_path, goflags, goproxy = sys.argv[1:]
spec = {
    "argv": [gonb, "--kernel", "{connection_file}"],
    "display_name": "Go (gonb)",
    "language": "go",
    "interrupt_mode": "message",
    "env": {"PATH": bins + ":${PATH}", "GOMLX_NO_AUTO_INSTALL": "1", "DIGITS_ROOT": root,
            "ONNXRUNTIME_SHARED_LIBRARY_PATH": onnx_lib, "GOFLAGS": goflags},
}
if goproxy:
    spec["env"]["GOPROXY"] = goproxy
if prefix:
    spec["env"].update({"DIGITS_DATA": data, "GOMODCACHE": modcache, "GOPROXY": "off",
                        "GOSUMDB": "off", "GOTOOLCHAIN": "local"})
    if plugin_path:
        spec["env"]["PJRT_PLUGIN_LIBRARY_PATH"] = plugin_path
with open(path, "w") as f:
    json.dump(spec, f, indent=1)
PY
cp "$ROOT/docs/gonb-logo.svg" "$kernel_dir/logo-svg.svg" 2>/dev/null || true
(cd "$kernel_dir" && GOFLAGS=$kernel_goflags go list runtime >/dev/null) \
  || die "the kernel's GOFLAGS ($kernel_goflags) are not valid for go (see CELL_LDFLAGS)"
say "GoNB kernel registered in $kernel_dir (GOFLAGS=$kernel_goflags${kernel_goproxy:+ GOPROXY=$kernel_goproxy})"

# 4. XLA CPU plugin. The wheel is hash-checked by pip; the library inside it
#    is copied (to a temporary name, then renamed) to where go-xla finds it.
plugin="$PLUGIN_DIR/pjrt_c_api_cpu_plugin.so"
plugin_sha=ad1309ac822b1b24d51b7f9947c7c9fa9ef5d67f390584cbc3d1fa2428fed9c2
if [ -f "$plugin" ] && [ "$(sha256sum < "$plugin" | cut -d' ' -f1)" = "$plugin_sha" ]; then
  say "XLA CPU plugin up to date ($plugin)"
else
  say "installing the XLA CPU plugin into $PLUGIN_DIR"
  wheels="$VENV/wheels"
  mkdir -p "$wheels" "$PLUGIN_DIR"
  "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r "$ROOT/requirements-xla.txt" -d "$wheels"
  "$VENV/bin/python" - "$wheels" "$plugin" "$plugin_sha" <<'PY'
import glob, hashlib, os, sys, zipfile
wheels, dest, want = sys.argv[1:]
wheel = sorted(glob.glob(os.path.join(wheels, "lammps_jax_pjrt_cpu-0.11.2-*.whl")))[-1]
tmp = dest + ".tmp"
h = hashlib.sha256()
with zipfile.ZipFile(wheel) as z, z.open("lammps_jax_pjrt_cpu/pjrt_c_api_cpu_plugin.so") as src, open(tmp, "wb") as out:
    while chunk := src.read(1 << 20):
        h.update(chunk)
        out.write(chunk)
if h.hexdigest() != want:
    os.remove(tmp)
    sys.exit(f"setup: {wheel}: plugin sha256 {h.hexdigest()}, want {want}")
os.chmod(tmp, 0o755)
os.replace(tmp, dest)
PY
  say "XLA CPU plugin installed: $plugin"
fi

# 4b. XLA CUDA plugin (XLA_CUDA=1), as go-xla's own installer lays it out:
#    the plugin in $PLUGIN_DIR/nvidia, next to NVIDIA's libraries (their
#    wheels' nvidia/ folders), which it finds through its RPATH
#    ($ORIGIN/../nvidia/...). Wheels and versions: requirements-xla-cuda.txt.
if [ "$XLA_CUDA" = 1 ]; then
  cuda_plugin="$PLUGIN_DIR/nvidia/pjrt_c_api_cuda_plugin.so"
  cuda_stamp=$(sha256sum < "$ROOT/requirements-xla-cuda.txt" | cut -c1-16)
  if [ "$(cat "$PLUGIN_DIR/nvidia/.requirements" 2>/dev/null)" = "$cuda_stamp" ] && [ -f "$cuda_plugin" ]; then
    say "XLA CUDA plugin up to date ($cuda_plugin)"
  else
    say "installing the XLA CUDA plugin and NVIDIA's libraries into $PLUGIN_DIR/nvidia"
    cuda_wheels=$(mktemp -d)
    "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --require-hashes -r "$ROOT/requirements-xla-cuda.txt" -d "$cuda_wheels"
    rm -rf "$PLUGIN_DIR/nvidia"
    "$VENV/bin/python" - "$cuda_wheels" "$PLUGIN_DIR" <<'PY'
import glob, os, sys, zipfile
wheels, plugin_dir = sys.argv[1:]
for wheel in sorted(glob.glob(os.path.join(wheels, "*.whl"))):
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name.endswith("/xla_cuda_plugin.so"):
                dest = os.path.join(plugin_dir, "nvidia", "pjrt_c_api_cuda_plugin.so")
            elif name.startswith("nvidia/") and not name.endswith("/"):
                dest = os.path.join(plugin_dir, name)
            else:
                continue
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with z.open(name) as src, open(dest, "wb") as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
            os.chmod(dest, 0o755 if (".so" in name or "/bin/" in name) else 0o644)
PY
    rm -rf "$cuda_wheels"
    # As go-xla's installer does: ptxas where XLA looks for it, and cuBLAS
    # in the library folder above the plugins (/usr/local/lib in the image),
    # where the NVIDIA libraries look for it.
    mkdir -p "$PLUGIN_DIR/nvidia/bin"
    ln -sfn ../cu13/bin/ptxas "$PLUGIN_DIR/nvidia/bin/ptxas"
    if [ -w "$(dirname "$PLUGIN_DIR")" ]; then
      for lib in libcublasLt.so.13 libcublas.so.13; do
        ln -sfn "$PLUGIN_DIR/nvidia/cu13/lib/$lib" "$(dirname "$PLUGIN_DIR")/$lib"
      done
    fi
    echo "$cuda_stamp" > "$PLUGIN_DIR/nvidia/.requirements"
    say "XLA CUDA plugin installed: $cuda_plugin"
  fi
  [ -n "$DIGITS_PREFIX" ] || say "to use it, set PJRT_PLUGIN_LIBRARY_PATH=$plugin_path"
fi

# 5. MNIST data, from the Go module that ships it (through the Go module
#    proxy, a package registry, like everything else here; `digits data`
#    alone would try the dataset's download hosts first). A shared
#    installation keeps it read-only.
if [ -n "$DIGITS_PREFIX" ] && [ -d "$DIGITS_DATA" ]; then chmod -R u+w "$DIGITS_DATA"; fi
"$VENV/bin/digits" data -source module
if [ -n "$DIGITS_PREFIX" ]; then chmod -R a-w "$DIGITS_DATA"; fi

# 5b. A shared installation compiles what the notebooks import into the Go
#    build cache, the way GoNB compiles a cell: a module that binds this
#    repository with `go mod edit -replace`, as each notebook's first cell
#    does, and a program that imports every package the notebooks import.
if [ -n "$DIGITS_PREFIX" ]; then
  say "compiling the notebooks' packages into the Go build cache ($GOCACHE)"
  warm=$(mktemp -d)
  "$VENV/bin/python" - "$ROOT/notebooks" "$warm/main.go" <<'PY'
import glob, json, os, re, sys
notebooks, main_go = sys.argv[1:]
imports = {"github.com/janpfeifer/gonb/gonbui"}
for path in glob.glob(os.path.join(notebooks, "*.ipynb")):
    for cell in json.load(open(path))["cells"]:
        src = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
        for block in re.findall(r"^import\s*\((.*?)^\)", src, re.S | re.M):
            imports.update(re.findall(r'"([^"]+)"', block))
        imports.update(re.findall(r'^import\s+(?:\w+\s+)?"([^"]+)"', src, re.M))
with open(main_go, "w") as f:
    f.write("package main\n\nimport (\n")
    f.writelines(f'\t_ "{p}"\n' for p in sorted(imports))
    f.write(")\n\nfunc main() {}\n")
PY
  (cd "$warm" && go mod init gonb_warmup >/dev/null 2>&1 \
    && go mod edit -replace "github.com/godigits/digits=$ROOT" \
    && go mod edit -require github.com/godigits/digits@v0.0.0 \
    && go mod edit -require github.com/janpfeifer/gonb@v0.11.5 \
    && GOPROXY=off GOSUMDB=off GOFLAGS=$kernel_goflags go get \
    && GOPROXY=off GOSUMDB=off GOFLAGS=$kernel_goflags go build -o "$warm/warm" .) \
    || die "compiling the notebooks' packages failed (see above)"
  rm -rf "$warm"
fi

# 6. Test tools (not in a shared installation): Chromium from Debian and
#    Playwright from npm for the browser test; without them it says it is
#    skipped (and fails under CI=true). configurable-http-proxy from npm for
#    the JupyterHub test.
if [ -n "$DIGITS_PREFIX" ]; then
  say "done (shared installation in $DIGITS_PREFIX)"
  exit 0
fi
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian's chromium for the browser test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif sudo -n true 2>/dev/null; then
    say "installing Debian's chromium for the browser test"
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    say "no /usr/bin/chromium and no root: the browser test will be skipped (apt-get install chromium)"
  fi
fi
# npm_ci DIR WHAT: installs the pinned npm packages of DIR/package-lock.json
# (npm ci), unless the lock file's hash says they are current.
npm_ci() {
  local dir=$1 what=$2 hash
  hash=$(sha256sum < "$dir/package-lock.json" | cut -c1-16)
  [ "$(cat "$dir/node_modules/.lock-hash" 2>/dev/null)" = "$hash" ] && return 0
  if command -v npm >/dev/null; then
    say "installing $what"
    npm ci --prefix "$dir" --no-audit --no-fund --silent && echo "$hash" > "$dir/node_modules/.lock-hash"
  else
    say "no npm: the tests that need $what will not run (apt-get install npm)"
  fi
}
npm_ci "$ROOT/tests/browser" "playwright-core for the browser test"
npm_ci "$ROOT/tests/hub" "configurable-http-proxy for the JupyterHub test"

say "done"
