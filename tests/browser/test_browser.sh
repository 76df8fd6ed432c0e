#!/usr/bin/env bash
# test_browser.sh: the real-browser tests of chapter 3.
#
# Starts JupyterLab (from .venv, with .venv/digits.env and DIGITS_QUICK, 20
# unless set) on 127.0.0.1 on a copy of notebooks/03_network_structure.ipynb
# in a temporary folder, then lets Chromium (driven by Playwright, see
# run_notebook.mjs) run all its cells as a person would, and checks that the
# loss plot shows and that no cell failed. A picture of the plot is kept in
# testoutput/browser/network_structure.png. Before that, Chromium opens the
# committed notebook as it is, without running it (view_notebook.mjs), as a
# reader who has just cloned the repository: JupyterLab does not trust it,
# and every picture it holds must still show (screenshots in
# testoutput/browser/view_03_network_structure-cell*.png). The last line says
# "2 passed, 0 failed" or how many failed.
#
# Needs: /usr/bin/chromium (apt-get install chromium) and
# tests/browser/node_modules (npm ci --prefix tests/browser), both installed
# by scripts/setup.sh. Without them the test is skipped, except under CI
# (CI=true), where it fails.
#
# Settings: VENV, DIGITS_QUICK, CHROMIUM (default /usr/bin/chromium),
# BROWSER_TEST_TIMEOUT (seconds for Run All, default 600), and
# BROWSER_TEST_NOTEBOOK (the notebook file to copy, to check the test itself
# with a broken one; default notebooks/03_network_structure.ipynb).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VENV=${VENV:-$ROOT/.venv}
NOTEBOOK=03_network_structure.ipynb
NOTEBOOK_SRC=${BROWSER_TEST_NOTEBOOK:-$ROOT/notebooks/$NOTEBOOK}
OUTDIR=$ROOT/testoutput/browser
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export DIGITS_QUICK=${DIGITS_QUICK:-20}

say() { printf 'browser: %s\n' "$*"; }
fail() { say "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }
missing() {
  if [ "${CI:-}" = true ]; then fail "$*"; fi
  say "SKIPPED: $*"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
}

[ -x "$CHROMIUM" ] || missing "$CHROMIUM not found (apt-get install chromium, as root; scripts/setup.sh does it)"
command -v node >/dev/null || missing "node not found (Node.js 18 or newer)"
[ -d "$HERE/node_modules/playwright-core" ] || missing "playwright-core not installed (npm ci --prefix tests/browser; scripts/setup.sh does it)"
[ -x "$VENV/bin/jupyter" ] || fail "$VENV/bin/jupyter not found (run scripts/setup.sh)"
[ -f "$VENV/digits.env" ] || fail "$VENV/digits.env not found (run scripts/setup.sh)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/digits-browser.XXXXXX")
JUPYTER_PID=
LOG=$OUTDIR/jupyter.log
mkdir -p "$OUTDIR"

# Kills, by process id, whatever this test started: the Jupyter server's
# process group, then any process left with the temporary folder in its
# command line (the kernel runs in its own session, with its connection file
# in $TMP/runtime, and the cell programs GoNB builds live in $TMP too).
cleanup() {
  local rc=$?
  if [ -n "$JUPYTER_PID" ] && kill -0 "$JUPYTER_PID" 2>/dev/null; then
    # A clean stop shuts the kernels down too.
    curl -s -m 5 -X POST -H "Authorization: token $TOKEN" "http://127.0.0.1:$PORT/api/shutdown" >/dev/null 2>&1
    for _ in $(seq 50); do kill -0 "$JUPYTER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -TERM -- "-$JUPYTER_PID" 2>/dev/null
    sleep 1
    kill -KILL -- "-$JUPYTER_PID" 2>/dev/null
  fi
  local pid
  for pid in $(grep -lsF -- "$TMP/" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    [ "$pid" != $$ ] && kill -KILL "$pid" 2>/dev/null
  done
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A copy of the notebook (JupyterLab saves into it), and Jupyter's own
# folders, all in $TMP. The GoNB kernel is still found: it is registered in
# sys.prefix (.venv/share/jupyter/kernels), which Jupyter always searches.
mkdir -p "$TMP/notebooks" "$TMP/config" "$TMP/data" "$TMP/runtime" "$TMP/workspaces" "$TMP/tmp" \
  "$TMP/settings/@jupyterlab/apputils-extension" "$TMP/settings/@jupyterlab/notebook-extension"
cp "$NOTEBOOK_SRC" "$TMP/notebooks/$NOTEBOOK"
VIEW_NOTEBOOK=view_$NOTEBOOK
cp "$ROOT/notebooks/$NOTEBOOK" "$TMP/notebooks/$VIEW_NOTEBOOK"
# No news or update checks (no network here), and every cell kept in the page.
echo '{"fetchNews": "false", "checkForUpdates": false}' > "$TMP/settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
echo '{"windowingMode": "none"}' > "$TMP/settings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings"

PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(16))')
export LAB_URL="http://127.0.0.1:$PORT" LAB_TOKEN=$TOKEN LAB_NOTEBOOK=$NOTEBOOK \
  SCREENSHOT=$OUTDIR/network_structure.png BROWSER_TEST_TIMEOUT=${BROWSER_TEST_TIMEOUT:-600}
rm -f "$SCREENSHOT"

export VENV TMP PORT TOKEN
say "JupyterLab on $LAB_URL (log: $LOG), DIGITS_QUICK=$DIGITS_QUICK"
start=$(date +%s)
# setsid: the server leads its own process group, which cleanup kills.
setsid bash -c '
  . "$VENV/digits.env" || exit 1
  export DIGITS_QUICK JUPYTER_CONFIG_DIR="$TMP/config" JUPYTER_DATA_DIR="$TMP/data" \
    JUPYTER_RUNTIME_DIR="$TMP/runtime" JUPYTERLAB_SETTINGS_DIR="$TMP/settings" \
    JUPYTERLAB_WORKSPACES_DIR="$TMP/workspaces" TMPDIR="$TMP/tmp" PATH="$VENV/bin:$PATH"
  exec "$VENV/bin/jupyter" lab --no-browser --port="$PORT" --ServerApp.token="$TOKEN" \
    --ServerApp.ip=127.0.0.1 --notebook-dir="$TMP/notebooks" --allow-root \
    --ServerApp.port_retries=0 --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
    --LabApp.extension_manager=readonly
' > "$LOG" 2>&1 < /dev/null &
JUPYTER_PID=$!

for _ in $(seq 120); do
  curl -s -m 2 -o /dev/null -H "Authorization: token $TOKEN" "$LAB_URL/api/status" && break
  kill -0 "$JUPYTER_PID" 2>/dev/null || { tail -20 "$LOG"; fail "JupyterLab exited at start"; }
  sleep 0.5
done
curl -s -m 2 -o /dev/null -H "Authorization: token $TOKEN" "$LAB_URL/api/status" || { tail -20 "$LOG"; fail "JupyterLab did not answer in 60s"; }
say "JupyterLab up in $(( $(date +%s) - start ))s"

rm -f "$OUTDIR"/view_*.png
VIEW_NOTEBOOK=$VIEW_NOTEBOOK SCREENSHOT_DIR=$OUTDIR node "$HERE/view_notebook.mjs"
view_rc=$?
[ $view_rc -eq 0 ] || say "FAIL: the committed $NOTEBOOK, opened without running it, does not show its pictures"

node "$HERE/run_notebook.mjs"
rc=$?
say "took $(( $(date +%s) - start ))s; screenshot: $SCREENSHOT"
if [ $rc -ne 0 ]; then
  say "last lines of the Jupyter log:"; tail -15 "$LOG" | sed 's/^/  /'
  say "FAIL: $NOTEBOOK run in Chromium (see above)"
fi
failed=$(( (rc != 0) + (view_rc != 0) ))
echo "$(( 2 - failed )) passed, $failed failed"
[ $failed -eq 0 ]
