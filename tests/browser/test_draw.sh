#!/usr/bin/env bash
# test_draw.sh: the real-browser test of the drawing canvas (package draw).
#
# Chromium, driven by Playwright (draw_digits.mjs), draws a 1, a 7 and a 0
# with the mouse, and checks that both models, an MLP and a CNN classifier,
# show the digit drawn:
#   1. on the page of `digits serve -checkpoint mlp.ckpt -checkpoint cnn.ckpt`,
#      which must then stop cleanly (exit 0) on Ctrl-C (SIGINT);
#   2. on the canvas that draw.Show puts in a notebook cell: JupyterLab runs
#      tests/browser/draw_widget.ipynb; after the digits, Done must end the
#      cell and leave a static picture of the last answer, also in the file.
# Before them, the notebook runs headless (tests/run_notebooks.py, nbclient,
# no page): its canvas cell must end by itself, within CANVAS_CELL_LIMIT
# seconds (default 90), and keep a picture of its answer for the sample
# drawing.
#
# The models are trained once, one epoch each (Adam, lr 0.001), with
# `digits train`, and kept in testoutput/browser/draw/ with the digits
# binary; later runs reuse them. Screenshots: testoutput/browser/draw-*.png.
# The last line says "N passed, M failed".
#
# Needs what test_browser.sh needs (Chromium, node, tests/browser/node_modules,
# .venv from scripts/setup.sh); without the browser parts the test is
# skipped, except under CI (CI=true), where it fails.
#
# Settings: VENV, CHROMIUM (default /usr/bin/chromium), BROWSER_TEST_TIMEOUT
# (seconds for the notebook's cells to show the canvas, default 600), and
# DRAW_SKIP_HEADLESS=1 to skip step 0.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VENV=${VENV:-$ROOT/.venv}
NOTEBOOK=draw_widget.ipynb
OUTDIR=$ROOT/testoutput/browser
WORK=$OUTDIR/draw
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export SCREENSHOT_DIR=$OUTDIR DRAW_MODELS=MLP,CNN BROWSER_TEST_TIMEOUT=${BROWSER_TEST_TIMEOUT:-600}

say() { printf 'draw: %s\n' "$*"; }
passed=0 failed=0
result() { # name rc
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); say "PASS: $1"; else failed=$((failed + 1)); say "FAIL: $1"; fi
}
missing() {
  if [ "${CI:-}" = true ]; then say "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; fi
  say "SKIPPED: $*"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
}
die() { say "FAIL: $*"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }

[ -x "$CHROMIUM" ] || missing "$CHROMIUM not found (apt-get install chromium, as root; scripts/setup.sh does it)"
command -v node >/dev/null || missing "node not found (Node.js 18 or newer)"
[ -d "$HERE/node_modules/playwright-core" ] || missing "playwright-core not installed (npm ci --prefix tests/browser; scripts/setup.sh does it)"
[ -x "$VENV/bin/jupyter" ] || die "$VENV/bin/jupyter not found (run scripts/setup.sh)"
[ -f "$VENV/digits.env" ] || die "$VENV/digits.env not found (run scripts/setup.sh)"
# shellcheck disable=SC1091
. "$VENV/digits.env"
export PATH="$VENV/bin:$PATH" GOMLX_NO_AUTO_INSTALL=1

TMP=$(mktemp -d "${TMPDIR:-/tmp}/digits-draw.XXXXXX")
SERVE_PID=''
mkdir -p "$OUTDIR" "$WORK"
rm -f "$OUTDIR"/draw-*.png

# shellcheck source=jupyter.sh
. "$HERE/jupyter.sh"

# Stops whatever this test started: the server, JupyterLab and its kernel,
# then any process left with the temporary folder in its command line.
cleanup() {
  local rc=$?
  [ -n "$SERVE_PID" ] && kill -KILL "$SERVE_PID" 2>/dev/null
  lab_cleanup
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_http URL PID SECONDS: until URL answers, while PID lives.
wait_http() {
  local i
  for i in $(seq $((2 * $3))); do
    curl -s -m 2 -o /dev/null "${@:4}" "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

start=$(date +%s)
# The digits binary and the two models, built and trained once.
say "building digits"
(cd "$ROOT" && go build -o "$WORK/digits" ./cmd/digits) || die "go build ./cmd/digits"
train() { # model checkpoint flags...
  local name=$1 ckpt=$2
  shift 2
  [ -f "$ckpt" ] && return 0
  say "training the $name classifier, one epoch (kept in $ckpt)"
  "$WORK/digits" train -model "$name" -task classification -optimizer adam -lr 0.001 -epochs 1 \
    -checkpoint "$ckpt.tmp" "$@" > "$WORK/train-$name.log" 2>&1 || { tail -5 "$WORK/train-$name.log"; return 1; }
  mv "$ckpt.tmp" "$ckpt"
}
train mlp "$WORK/mlp.ckpt" -hidden 128 -activation relu || die "training the MLP (log: $WORK/train-mlp.log)"
train cnn "$WORK/cnn.ckpt" || die "training the CNN (log: $WORK/train-cnn.log)"
say "models ready in $(( $(date +%s) - start ))s"

# 0. Headless: the canvas cell ends by itself, within CANVAS_CELL_LIMIT
# seconds (draw.PageWait is 10s; building the cell's program takes most of
# the rest), and the saved notebook keeps a PNG picture of its answer.
CANVAS_CELL_LIMIT=${CANVAS_CELL_LIMIT:-90}
if [ "${DRAW_SKIP_HEADLESS:-}" != 1 ]; then
  say "headless run of $NOTEBOOK (nbclient, quick mode)"
  t=$(date +%s)
  cp "$HERE/$NOTEBOOK" "$TMP/headless.ipynb"
  (cd "$ROOT" && TMPDIR="$TMP" DIGITS_QUICK=20 timeout 900 "$VENV/bin/python" tests/run_notebooks.py --inplace "$TMP/headless.ipynb") \
    > "$WORK/headless.log" 2>&1
  rc=$?
  grep -E '(ok|FAILED) \(|^  ' "$WORK/headless.log" | grep -v '^I[0-9]' | head -20
  if [ $rc -eq 0 ]; then
    "$VENV/bin/python" - "$TMP/headless.ipynb" "$CANVAS_CELL_LIMIT" <<'PY' || rc=1
import datetime, json, sys
nb = json.load(open(sys.argv[1]))
cell = [c for c in nb["cells"] if c["cell_type"] == "code"][-1]
times = cell["metadata"]["execution"]
parse = lambda k: datetime.datetime.fromisoformat(times[k].replace("Z", "+00:00"))
took = (parse("shell.execute_reply") - parse("iopub.execute_input")).total_seconds()
html = "".join("".join(o.get("data", {}).get("text/html", "")) for o in cell["outputs"])
text = "".join("".join(o.get("text", "")) for o in cell["outputs"])
print(f"draw: headless canvas cell took {took:.0f}s; it says: {text.strip()}")
problems = []
if took > float(sys.argv[2]):
    problems.append(f"the canvas cell took {took:.0f}s, more than {sys.argv[2]}s")
if 'class="digits-answer"' not in html or 'src="data:image/png;base64,' not in html:
    problems.append("the saved canvas cell lacks the static picture of its answer")
if "digits-canvas" in html:
    problems.append("the saved canvas cell keeps a live canvas")
for p in problems:
    print("draw: " + p)
sys.exit(1 if problems else 0)
PY
  fi
  say "headless run took $(( $(date +%s) - t ))s"
  result "headless notebook" $rc
fi

# 1. The page of digits serve.
PORT=$(free_port)
SERVE_LOG=$WORK/serve.log
"$WORK/digits" serve -checkpoint "$WORK/mlp.ckpt" -checkpoint "$WORK/cnn.ckpt" -addr "127.0.0.1:$PORT" > "$SERVE_LOG" 2>&1 &
SERVE_PID=$!
if wait_http "http://127.0.0.1:$PORT/" "$SERVE_PID" 120; then
  SERVE_URL="http://127.0.0.1:$PORT/" DRAW_MODE=page node "$HERE/draw_digits.mjs"
  rc=$?
  kill -INT "$SERVE_PID"
  wait "$SERVE_PID"
  serve_rc=$?
  SERVE_PID=''
  if [ $serve_rc -ne 0 ] || ! grep -q 'digits serve: stopping' "$SERVE_LOG"; then
    say "digits serve did not stop cleanly on Ctrl-C (exit $serve_rc):"; sed 's/^/  /' "$SERVE_LOG"
    rc=1
  fi
else
  say "digits serve did not start:"; sed 's/^/  /' "$SERVE_LOG"
  rc=1
fi
result "digits serve page" $rc

# 2. The notebook's canvas in JupyterLab. The kernel's TMPDIR is $TMP/tmp,
# where the notebook looks for its checkpoints: the models above.
mkdir -p "$TMP/notebooks" "$TMP/tmp/digits-notebooks/draw"
cp "$HERE/$NOTEBOOK" "$TMP/notebooks/$NOTEBOOK"
cp "$WORK/mlp.ckpt" "$WORK/cnn.ckpt" "$TMP/tmp/digits-notebooks/draw/"
LOG=$WORK/jupyter.log
if lab_start "$LOG"; then
  LAB_URL=$LAB_URL LAB_TOKEN=$TOKEN LAB_NOTEBOOK=$NOTEBOOK DRAW_MODE=notebook node "$HERE/draw_digits.mjs"
  rc=$?
  [ $rc -ne 0 ] && { say "last lines of the Jupyter log:"; grep -v '^I[0-9]' "$LOG" | tail -15 | sed 's/^/  /'; }
else
  say "JupyterLab did not start (log above)"
  rc=1
fi
result "notebook canvas in JupyterLab" $rc

say "took $(( $(date +%s) - start ))s; screenshots: $OUTDIR/draw-*.png"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
