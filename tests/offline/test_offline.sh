#!/usr/bin/env bash
# test_offline.sh: the classroom image's installation, without the image.
#
# Runs scripts/setup.sh as the image's Dockerfile does (a shared installation:
# DIGITS_PREFIX, see setup.sh) into a fresh temporary prefix, as an
# unprivileged user with a fresh, empty HOME, with a fresh Go build cache.
# The installation itself downloads from the registries. Then, with the
# network gone (a new network namespace holding only a loopback interface),
# it checks that a deliberate download fails and executes two notebooks with
# the GoNB kernel of that installation: 00 (getting started) and 03 (the
# CNN of chapter 3, in quick mode) while measuring the memory of the kernel's
# process tree, and starts the image's entry point (docker/start.sh) twice,
# checking its HEALTHCHECK, its token and that a student's edit survives.
# Last, it reports the size of the installation on disk.
# The last line says "1 passed, 0 failed" or "0 passed, 1 failed".
#
# Needs: root, or unprivileged user namespaces (unshare -c -n); Go, a C
# compiler and Python 3 with venv (PYTHON, default /usr/bin/python3 when
# present, as in the image), ip (iproute2).
# Settings: OFFLINE_UID / OFFLINE_GID (the user to run as when root; default
# 64123 / 100), DIGITS_QUICK (default 20), KEEP=1 keeps the temporary folder.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUTDIR=$ROOT/testoutput/offline
# Python >= 3.11.5 (what requirements.txt needs): Debian's when it is recent
# enough, as in the image, else the one on PATH.
new_enough='import sys; sys.exit(sys.version_info < (3, 11, 5))'
if [ -z "${PYTHON:-}" ]; then
  if /usr/bin/python3 -c "$new_enough" 2>/dev/null; then PYTHON=/usr/bin/python3
  else PYTHON=$(python3 -c 'import os, sys; print(os.path.join(sys.base_prefix, "bin", "python3"))'); fi
fi
export DIGITS_QUICK=${DIGITS_QUICK:-20}

say() { printf 'offline: %s\n' "$*"; }
fail() { say "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }

command -v go >/dev/null || fail "go not found"
command -v ip >/dev/null || fail "ip not found (apt-get install iproute2)"
GO_BIN=$(dirname "$(command -v go)")

# Who runs the installation and the notebooks: an unprivileged uid when we
# are root (setpriv drops to it), else ourselves.
if [ "$(id -u)" = 0 ]; then
  RUN_UID=${OFFLINE_UID:-64123} RUN_GID=${OFFLINE_GID:-100}
  # The unprivileged user runs in a private mount namespace where Python's
  # installation is reachable even when it sits in a folder closed to
  # others (pyenv under /root): a tmpfs over the closed folder, with
  # Python's folder bound back into it. Nothing else changes.
  py_prefix=$("$PYTHON" -c 'import sys; print(sys.base_prefix)')
  closed=
  dir=$py_prefix
  while [ "$dir" != / ]; do
    [ "$(( 0$(stat -c %a "$dir") & 1 ))" = 1 ] || closed=$dir
    dir=$(dirname "$dir")
  done
  mounts=
  if [ -n "$closed" ]; then
    mounts='mkdir -p "$SANDBOX/python" && mount --bind "$PY_PREFIX" "$SANDBOX/python" &&
      mount -t tmpfs -o mode=755 tmpfs "$CLOSED" && mkdir -p "$PY_PREFIX" &&
      mount --bind "$SANDBOX/python" "$PY_PREFIX" && '
  fi
  AS_USER=(setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --clear-groups)
  sandbox() { SANDBOX=$TMP PY_PREFIX=$py_prefix CLOSED=$closed unshare --mount --propagation private bash -c "$mounts"'exec "$@"' sandbox "$@"; }
  offline() { SANDBOX=$TMP PY_PREFIX=$py_prefix CLOSED=$closed unshare --mount --propagation private --net bash -c "$mounts"'ip link set lo up && exec "$@"' offline "$@"; }
else
  RUN_UID=$(id -u) RUN_GID=$(id -g)
  AS_USER=()
  sandbox() { "$@"; }
  offline() { unshare --map-current-user --net bash -c 'ip link set lo up && exec "$@"' offline "$@"; }
  offline true 2>/dev/null || fail "cannot create a network namespace (unshare -c -n): run as root or allow user namespaces"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/digits-offline.XXXXXX")
chmod 755 "$TMP"
PREFIX=$TMP/opt/digits
USER_HOME=$TMP/home/student
cleanup() {
  local rc=$?
  local pid
  for pid in $(grep -lsF -- "$TMP/" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    [ "$pid" != $$ ] && kill -KILL "$pid" 2>/dev/null
  done
  if [ "${KEEP:-}" = 1 ]; then say "kept $TMP"; else chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$PREFIX/src" "$USER_HOME" "$TMP/tmp" "$OUTDIR"

# The repository as the image's COPY gives it: what .dockerignore leaves
# out (.git, virtual environments, node_modules, test output) is not copied.
excludes=()
while read -r pattern; do
  case "$pattern" in
    ''|'#'*) ;;
    '**/'*) excludes+=(--no-anchored --exclude="${pattern#\*\*/}") ;;
    *) excludes+=(--anchored --exclude="./$pattern") ;;
  esac
done < "$ROOT/.dockerignore"
tar -C "$ROOT" "${excludes[@]}" -cf - . | tar -xf - -C "$PREFIX/src" || fail "copying $ROOT"
chown -R "$RUN_UID:$RUN_GID" "$TMP/opt" "$TMP/home" "$TMP/tmp" 2>/dev/null || [ "$(id -u)" != 0 ] || fail "chown $TMP"

# A clean environment: no proxy settings, caches or Go settings of ours.
user_env=(env -i HOME="$USER_HOME" USER=student LOGNAME=student LANG=C.UTF-8 TMPDIR="$TMP/tmp"
  PATH="$GO_BIN:/usr/local/bin:/usr/bin:/bin" PYTHON="$PYTHON" DIGITS_QUICK="$DIGITS_QUICK")

say "installing as uid $RUN_UID into $PREFIX (HOME=$USER_HOME, Python $PYTHON, $(go version | cut -d' ' -f3))"
start=$(date +%s)
sandbox "${AS_USER[@]}" "${user_env[@]}" DIGITS_PREFIX="$PREFIX" PLUGIN_DIR="$PREFIX/lib/go-xla" \
  bash "$PREFIX/src/scripts/setup.sh" > "$OUTDIR/install.log" 2>&1 \
  || { tail -30 "$OUTDIR/install.log"; fail "scripts/setup.sh (log: $OUTDIR/install.log)"; }
install_s=$(( $(date +%s) - start ))
sed 's/^/  /' "$OUTDIR/install.log"
say "installed in ${install_s}s"
cache_mb=$(du -sm "$PREFIX/go/cache" | cut -f1)

# Nothing of the installation may live in the home directory.
leftovers=$(cd "$USER_HOME" && find . -mindepth 1 -not -path './.cache/go-build*' -not -path './.config/go*' | head -20)
[ -z "$leftovers" ] || say "files in HOME after the installation (not needed by it):"$'\n'"$leftovers"

# Offline: the probe must fail, the notebooks must pass. The memory poller
# runs outside the namespace (it only reads /proc).
say "network namespace: $(offline ip -brief address | tr -s ' ' | paste -sd';')"
probe='
. "$0/venv/digits.env"
echo "probe: Go module proxy (GOPROXY=https://proxy.golang.org):"
if GOPROXY=https://proxy.golang.org GOFLAGS=-mod=mod go mod download -json golang.org/x/example@v0.0.0-20240925201426-a6e43e1e5ea3 >"$HOME/probe.json" 2>&1; then
  echo "  REACHED THE NETWORK"; exit 1
fi
python3 -c "import json, sys; print(\"  failed as expected:\", json.load(open(sys.argv[1]))[\"Error\"])" "$HOME/probe.json"
echo "probe: PyPI (https://pypi.org/simple/):"
python3 -c "
import urllib.request, sys
try:
    urllib.request.urlopen(\"https://pypi.org/simple/\", timeout=10)
except Exception as e:
    print(\"  failed as expected:\", e); sys.exit(0)
print(\"  REACHED THE NETWORK\"); sys.exit(1)"
'
offline "${AS_USER[@]}" "${user_env[@]}" bash -c "$probe" "$PREFIX" > "$OUTDIR/probe.log" 2>&1
probe_rc=$?
sed 's/^/  /' "$OUTDIR/probe.log"
[ $probe_rc = 0 ] || fail "the network was reachable from the namespace"

run_nb='
. "$0/venv/digits.env"
cd "$0/src" && exec "$0/venv/bin/python" tests/offline/run_timed.py "$@"
'
"$PYTHON" "$HERE/peak_memory.py" --uid "$RUN_UID" --match gonb --out "$OUTDIR/memory.txt" &
POLLER=$!
offline "${AS_USER[@]}" "${user_env[@]}" bash -c "$run_nb" "$PREFIX" \
  notebooks/00_getting_started.ipynb notebooks/03_network_structure.ipynb > "$OUTDIR/notebooks.log" 2>&1
nb_rc=$?
kill -INT "$POLLER" 2>/dev/null; wait "$POLLER"
# The runner's lines (GoNB's own log lines stay in the log file).
grep -E '\.ipynb: |passed|^  ' "$OUTDIR/notebooks.log" | grep -vE '^ +[IWE][0-9]{4} ' | sed 's/^/  /'
[ $nb_rc = 0 ] || fail "notebooks without network (log: $OUTDIR/notebooks.log)"
say "kernel memory: $(cat "$OUTDIR/memory.txt")"

# The image's entry point (docker/start.sh) and HEALTHCHECK, offline: the
# first start copies the notebooks into ~/work and serves JupyterLab with a
# token; a second start keeps a student's edit.
entry='
export DIGITS_PREFIX=$0 JUPYTER_TOKEN=offline-test
for run in 1 2; do
  bash "$0/src/docker/start.sh" > "$HOME/start$run.log" 2>&1 &
  pid=$!
  ok=
  for _ in $(seq 60); do
    if "$0/venv/bin/python" "$0/src/docker/healthcheck.py" 2>/dev/null; then ok=1; break; fi
    sleep 1
  done
  code=$("$0/venv/bin/python" -c "import urllib.request as u, urllib.error as e
try: print(u.urlopen(\"http://127.0.0.1:8888/api/contents/work\").status)
except e.HTTPError as x: print(x.code)")
  echo "start $run: healthcheck $([ -n "$ok" ] && echo passed || echo FAILED); the contents API without the token answers $code"
  echo "start $run: ~/work holds $(ls "$HOME/work" | wc -l) notebooks; 00: $(head -c 40 "$HOME/work/00_getting_started.ipynb" | tr -d "\n")"
  kill -TERM "$pid"; wait "$pid"
  [ -n "$ok" ] && [ "$code" = 403 ] || { tail -20 "$HOME/start$run.log"; exit 1; }
  echo "a student edit" > "$HOME/work/00_getting_started.ipynb"
done
grep -q "a student edit" "$HOME/work/00_getting_started.ipynb" || { echo "the edit was overwritten"; exit 1; }
'
offline "${AS_USER[@]}" "${user_env[@]}" bash -c "$entry" "$PREFIX" > "$OUTDIR/entrypoint.log" 2>&1
entry_rc=$?
sed 's/^/  /' "$OUTDIR/entrypoint.log"
[ $entry_rc = 0 ] || fail "docker/start.sh (log: $OUTDIR/entrypoint.log)"

# Sizes on disk.
say "installation on disk (du):"
{ du -sh "$PREFIX/venv" "$PREFIX/go/mod" "$PREFIX/go/cache" "$PREFIX/lib/go-xla" "$PREFIX/data" "$PREFIX/src"
  du -sh "$PREFIX"
  du -sh "$(dirname "$GO_BIN")"; } 2>/dev/null | sed 's/^/  /' | tee "$OUTDIR/sizes.txt"
say "the student's HOME at the end: $(du -sh "$USER_HOME" | cut -f1); the Go build cache grew by $(( $(du -sm "$PREFIX/go/cache" | cut -f1) - cache_mb )) MB while the notebooks ran"
say "took $(( $(date +%s) - start ))s"
echo "1 passed, 0 failed"
