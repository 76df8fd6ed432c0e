# jupyter.sh: a private JupyterLab for the browser tests, sourced by
# test_browser.sh and test_draw.sh.
#
#   lab_start DIR LOG   starts JupyterLab from $VENV on 127.0.0.1, a free port
#                       and a fresh token, serving the notebooks in
#                       $TMP/notebooks, with every Jupyter folder in $TMP and
#                       the kernel's TMPDIR at $TMP/tmp; waits until its API
#                       answers (at most 60s). Sets JUPYTER_PID, PORT, TOKEN
#                       and LAB_URL; returns 1, with the log's tail, if it
#                       does not come up.
#   lab_stop            stops it, kernels included, and kills what is left
#                       of its process group.
#   kill_leftovers      kills every process with $TMP in its command line
#                       (the kernel runs in its own session, and the cell
#                       programs GoNB builds live in $TMP).
#   free_port           prints a free TCP port on 127.0.0.1.
#   lab_cleanup         lab_stop, kill_leftovers, then removes $TMP: what a
#                       test's exit trap does.
#
# The caller sets VENV and TMP, and exports whatever the kernel needs
# (.venv/digits.env, DIGITS_QUICK).

JUPYTER_PID='' PORT='' TOKEN='' LAB_URL=''

free_port() { "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

lab_start() {
  local log=$1
  mkdir -p "$TMP/notebooks" "$TMP/config" "$TMP/data" "$TMP/runtime" "$TMP/workspaces" "$TMP/tmp" \
    "$TMP/settings/@jupyterlab/apputils-extension" "$TMP/settings/@jupyterlab/notebook-extension"
  # No news or update checks (no network here), and every cell kept in the page.
  echo '{"fetchNews": "false", "checkForUpdates": false}' > "$TMP/settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
  echo '{"windowingMode": "none"}' > "$TMP/settings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
  PORT=$(free_port)
  TOKEN=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(16))')
  LAB_URL="http://127.0.0.1:$PORT"
  # setsid: the server leads its own process group, which lab_stop kills.
  # The GoNB kernel is still found: it is registered in sys.prefix
  # (.venv/share/jupyter/kernels), which Jupyter always searches.
  VENV=$VENV TMP=$TMP PORT=$PORT TOKEN=$TOKEN setsid bash -c '
    export JUPYTER_CONFIG_DIR="$TMP/config" JUPYTER_DATA_DIR="$TMP/data" \
      JUPYTER_RUNTIME_DIR="$TMP/runtime" JUPYTERLAB_SETTINGS_DIR="$TMP/settings" \
      JUPYTERLAB_WORKSPACES_DIR="$TMP/workspaces" TMPDIR="$TMP/tmp" PATH="$VENV/bin:$PATH"
    exec "$VENV/bin/jupyter" lab --no-browser --port="$PORT" --ServerApp.token="$TOKEN" \
      --ServerApp.ip=127.0.0.1 --notebook-dir="$TMP/notebooks" --allow-root \
      --ServerApp.port_retries=0 --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
      --LabApp.extension_manager=readonly
  ' > "$log" 2>&1 < /dev/null &
  JUPYTER_PID=$!
  local _
  for _ in $(seq 120); do
    curl -s -m 2 -o /dev/null -H "Authorization: token $TOKEN" "$LAB_URL/api/status" && return 0
    kill -0 "$JUPYTER_PID" 2>/dev/null || break
    sleep 0.5
  done
  tail -20 "$log" | sed 's/^/  /'
  return 1
}

lab_stop() {
  if [ -n "$JUPYTER_PID" ] && kill -0 "$JUPYTER_PID" 2>/dev/null; then
    # A clean stop shuts the kernels down too.
    curl -s -m 5 -X POST -H "Authorization: token $TOKEN" "$LAB_URL/api/shutdown" >/dev/null 2>&1
    local _
    for _ in $(seq 50); do kill -0 "$JUPYTER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -TERM -- "-$JUPYTER_PID" 2>/dev/null
    sleep 1
    kill -KILL -- "-$JUPYTER_PID" 2>/dev/null
  fi
  JUPYTER_PID=''
}

kill_leftovers() {
  local pid
  for pid in $(grep -lsF -- "$TMP/" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    [ "$pid" != $$ ] && kill -KILL "$pid" 2>/dev/null
  done
}

lab_cleanup() {
  lab_stop
  kill_leftovers
  rm -rf "$TMP"
}
