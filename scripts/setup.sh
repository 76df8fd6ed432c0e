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
#   5. the MNIST files, fetched and verified ($DIGITS_DATA, default
#      ~/.cache/digits/mnist);
#   6. for the browser test: Debian's Chromium (when root or sudo allows) and
#      the pinned playwright-core of tests/browser (npm ci).
#
# Settings (environment variables): VENV, PLUGIN_DIR, DIGITS_DATA, PYTHON.
# Prerequisites: Go >= 1.26 with a C compiler (cgo), Python >= 3.10 with venv.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
PLUGIN_DIR=${PLUGIN_DIR:-$HOME/.local/lib/go-xla}
PYTHON=${PYTHON:-python3}
export GOMLX_NO_AUTO_INSTALL=1 GOFLAGS=${GOFLAGS:--mod=readonly}

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# Prerequisites.
command -v go >/dev/null || die "Go is not installed (https://go.dev/dl/, version 1.26 or newer)"
command -v "$PYTHON" >/dev/null || die "$PYTHON is not installed (Python 3.10 or newer)"
command -v cc >/dev/null || command -v gcc >/dev/null || die "no C compiler: GoMLX's XLA backend needs cgo (apt-get install gcc)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || die "$PYTHON is older than 3.10"

# 1. Python environment. A stamp holding the hash of requirements.txt tells
#    whether the installed packages are current.
req_hash=$(cat "$ROOT/requirements.txt" | sha256sum | cut -c1-16)
if [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$req_hash" ]; then
  say "creating the Python environment in $VENV"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" || die "could not create $VENV (on Debian: apt-get install python3-venv)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$ROOT/requirements.txt"
  echo "$req_hash" > "$VENV/.requirements"
else
  say "Python environment up to date ($VENV)"
fi

# 2. Go tools, from the versions pinned in go.mod (go build is a no-op when
#    nothing changed).
say "building gonb, goimports, gopls and digits into $VENV/bin"
(cd "$ROOT" && go build -o "$VENV/bin/" github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports golang.org/x/tools/gopls \
  && go build -tags onnx -o "$VENV/bin/" ./cmd/digits)

# The environment that Go programs of the course need: the ONNX Runtime
# library of the onnxruntime wheel (for the ONNX export) and the build tag
# that compiles the export in. The Makefile and the kernel read this file.
onnx_lib=$("$VENV/bin/python" -c 'import glob, os, onnxruntime as o; print(sorted(glob.glob(os.path.join(os.path.dirname(o.__file__), "capi", "libonnxruntime.so*")))[0])')
cat > "$VENV/digits.env" <<ENV
export ONNXRUNTIME_SHARED_LIBRARY_PATH=$onnx_lib
export GOFLAGS="-tags=onnx"
export GOMLX_NO_AUTO_INSTALL=1
ENV

# 3. The GoNB kernel, inside the environment: Jupyter finds kernels under
#    sys.prefix/share/jupyter. Its env puts go and the tools on PATH and tells
#    notebooks where this repository is.
kernel_dir="$VENV/share/jupyter/kernels/gonb"
mkdir -p "$kernel_dir"
go_bin=$(dirname "$(command -v go)")
"$VENV/bin/python" - "$kernel_dir/kernel.json" "$VENV/bin/gonb" "$VENV/bin:$go_bin" "$ROOT" "$onnx_lib" <<'PY'
import json, sys
path, gonb, bins, root, onnx_lib = sys.argv[1:]
spec = {
    "argv": [gonb, "--kernel", "{connection_file}"],
    "display_name": "Go (gonb)",
    "language": "go",
    "interrupt_mode": "message",
    "env": {"PATH": bins + ":${PATH}", "GOMLX_NO_AUTO_INSTALL": "1", "DIGITS_ROOT": root,
            "ONNXRUNTIME_SHARED_LIBRARY_PATH": onnx_lib, "GOFLAGS": "-tags=onnx"},
}
with open(path, "w") as f:
    json.dump(spec, f, indent=1)
PY
cp "$ROOT/docs/gonb-logo.svg" "$kernel_dir/logo-svg.svg" 2>/dev/null || true
say "GoNB kernel registered in $kernel_dir"

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

# 5. MNIST data.
"$VENV/bin/digits" data

# 6. Browser test tools: Chromium from Debian, Playwright from npm. Without
#    them the browser test says it is skipped (and fails under CI=true).
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
lock_hash=$(sha256sum < "$ROOT/tests/browser/package-lock.json" | cut -c1-16)
if [ "$(cat "$ROOT/tests/browser/node_modules/.lock-hash" 2>/dev/null)" != "$lock_hash" ]; then
  if command -v npm >/dev/null; then
    say "installing playwright-core for the browser test"
    npm ci --prefix "$ROOT/tests/browser" --no-audit --no-fund --silent && echo "$lock_hash" > "$ROOT/tests/browser/node_modules/.lock-hash"
  else
    say "no npm: the browser test will be skipped"
  fi
fi

say "done"
