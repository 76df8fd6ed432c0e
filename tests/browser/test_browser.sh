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
LOG=$OUTDIR/jupyter.log
mkdir -p "$OUTDIR"
# shellcheck source=jupyter.sh
. "$HERE/jupyter.sh"

# Stops whatever this test started: JupyterLab and its kernel, then any
# process left with the temporary folder in its command line.
cleanup() {
  local rc=$?
  lab_cleanup
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Copies of the notebook: one to run (JupyterLab saves into it) and the
# committed one to open as it is.
mkdir -p "$TMP/notebooks"
cp "$NOTEBOOK_SRC" "$TMP/notebooks/$NOTEBOOK"
VIEW_NOTEBOOK=view_$NOTEBOOK
cp "$ROOT/notebooks/$NOTEBOOK" "$TMP/notebooks/$VIEW_NOTEBOOK"

# shellcheck disable=SC1091
. "$VENV/digits.env" || fail "$VENV/digits.env"
export DIGITS_QUICK
say "starting JupyterLab (log: $LOG), DIGITS_QUICK=$DIGITS_QUICK"
start=$(date +%s)
lab_start "$LOG" || fail "JupyterLab did not start"
say "JupyterLab on $LAB_URL, up in $(( $(date +%s) - start ))s"
export LAB_URL LAB_TOKEN=$TOKEN LAB_NOTEBOOK=$NOTEBOOK \
  SCREENSHOT=$OUTDIR/network_structure.png BROWSER_TEST_TIMEOUT=${BROWSER_TEST_TIMEOUT:-600}
rm -f "$SCREENSHOT"

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
