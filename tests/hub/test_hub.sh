#!/usr/bin/env bash
# test_hub.sh: the course under JupyterHub, with two students.
#
# Starts JupyterHub (from .venv, jupyterhub of requirements.txt) with
# configurable-http-proxy (tests/hub/node_modules, npm ci) and the dummy
# authenticator (jupyterhub_config.py), with everything it writes in a
# temporary folder. Its spawner: a local process per student (the default),
# or, with HUB_SPAWNER=docker (tests/image/test_image.sh sets it), a
# container of the classroom image HUB_IMAGE per student, with DockerSpawner.
# hub_client.py then logs alice and bob in, starts their servers, runs a Go
# cell in a GoNB kernel of each, checks that their files and servers stay
# apart and stops alice's server; the hub itself must stop bob's when it
# stops. Last, the test checks that none of its processes (and containers) is
# left. The last line says "1 passed, 0 failed" or "0 passed, 1 failed".
#
# Settings: VENV; HUB_SPAWNER=docker with HUB_IMAGE and HUB_RUN_ID (the
# prefix of the containers' and volumes' names), and DOCKER_HOST if needed.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export VENV=${VENV:-$ROOT/.venv}
OUTDIR=$ROOT/testoutput/hub

say() { printf 'hub: %s\n' "$*"; }
fail() { say "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }

[ -x "$VENV/bin/jupyterhub" ] || fail "$VENV/bin/jupyterhub not found (run scripts/setup.sh)"
[ -x "$HERE/node_modules/.bin/configurable-http-proxy" ] || fail "configurable-http-proxy not installed (npm ci --prefix tests/hub; scripts/setup.sh does it)"
command -v node >/dev/null || fail "node not found (Node.js 20 or newer)"
[ -f "$VENV/digits.env" ] || fail "$VENV/digits.env not found (run scripts/setup.sh)"

export HUB_TMP
HUB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/digits-hub.XXXXXX")
mkdir -p "$OUTDIR" "$HUB_TMP/home" "$HUB_TMP/jupyter-config"
LOG=$OUTDIR/jupyterhub.log
HUB_PID=
export HUB_SPAWNER=${HUB_SPAWNER:-local}
if [ "$HUB_SPAWNER" = docker ]; then
  : "${HUB_IMAGE:?HUB_SPAWNER=docker needs HUB_IMAGE}" "${HUB_RUN_ID:?HUB_SPAWNER=docker needs HUB_RUN_ID}"
  export HUB_RUN_ID=$HUB_RUN_ID-hub
  # The containers reach the hub's API on the bridge's own address: the
  # network's gateway, or, when the engine does not report one (dockerd 20.10
  # on a fresh data folder), the address of the bridge's interface (docker0).
  export HUB_BRIDGE_IP
  HUB_BRIDGE_IP=$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}')
  if [ -z "$HUB_BRIDGE_IP" ]; then
    bridge_if=$(docker network inspect bridge -f '{{index .Options "com.docker.network.bridge.name"}}')
    HUB_BRIDGE_IP=$(ip -4 -o addr show dev "${bridge_if:-docker0}" 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4; exit}')
  fi
  [ -n "$HUB_BRIDGE_IP" ] || fail "no address for Docker's bridge network (docker network inspect bridge; ip addr show docker0)"
fi
# The students' containers and volumes (HUB_SPAWNER=docker).
containers() { [ "$HUB_SPAWNER" = docker ] && docker ps -aq --filter "name=^$HUB_RUN_ID-"; }
volumes() { [ "$HUB_SPAWNER" = docker ] && docker volume ls -q --filter "name=^$HUB_RUN_ID-"; }

# Processes this test started: the hub's process group, and anything with
# the temporary folder in its command line or working directory (servers,
# kernels, the cell programs GoNB builds).
leftovers() {
  local pid found
  found=$(grep -lsF -- "$HUB_TMP" /proc/[0-9]*/cmdline | cut -d/ -f3)
  for pid in /proc/[0-9]*; do
    case "$(readlink "$pid/cwd" 2>/dev/null)" in "$HUB_TMP"/*) found+=" ${pid#/proc/}" ;; esac
  done
  if [ -n "$HUB_PID" ]; then found+=" $(pgrep -g "$HUB_PID" 2>/dev/null | tr '\n' ' ')"; fi
  # Not this shell, nor the grep above (gone by now).
  for pid in $found; do
    [ "$pid" != $$ ] && [ "$pid" != "$BASHPID" ] && [ -d "/proc/$pid" ] && echo "$pid"
  done
}
cleanup() {
  local rc=$? pid c v
  for pid in $(leftovers | sort -u); do kill -KILL "$pid" 2>/dev/null; done
  for c in $(containers); do docker rm -f "$c" >/dev/null 2>&1; done
  for v in $(volumes); do docker volume rm -f "$v" >/dev/null 2>&1; done
  rm -rf "$HUB_TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export HUB_PORT HUB_API_PORT HUB_PROXY_API_PORT HUB_PASSWORD HUB_GOCACHE HUB_GOMODCACHE
HUB_PORT=$(free_port) HUB_API_PORT=$(free_port) HUB_PROXY_API_PORT=$(free_port)
HUB_PASSWORD=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(12))')
HUB_GOCACHE=$(go env GOCACHE) HUB_GOMODCACHE=$(go env GOMODCACHE)
export HUB_URL="http://127.0.0.1:$HUB_PORT"

spawner="a local process per student"
[ "$HUB_SPAWNER" = docker ] && spawner="DockerSpawner $("$VENV/bin/python" -c 'import dockerspawner; print(dockerspawner.__version__)'), a container of $HUB_IMAGE per student, hub API on $HUB_BRIDGE_IP"
say "JupyterHub $("$VENV/bin/jupyterhub" --version), configurable-http-proxy $("$HERE/node_modules/.bin/configurable-http-proxy" --version) on $HUB_URL; $spawner (log: $LOG)"
start=$(date +%s)
# setsid: the hub leads its own process group.
(cd "$HUB_TMP" && . "$VENV/digits.env" && exec setsid "$VENV/bin/jupyterhub" -f "$HERE/jupyterhub_config.py") > "$LOG" 2>&1 < /dev/null &
HUB_PID=$!
# Up means what the client needs: the login page served by the hub through
# the proxy. Any answer is not enough: until the hub has registered its
# route, the proxy itself answers (404), and until the hub listens, the
# proxy's request to it is refused (503); curl -f waits for a success.
hub_ready() { curl -sf -m 2 -o /dev/null "$HUB_URL/hub/api" && curl -sf -m 2 -o /dev/null "$HUB_URL/hub/login"; }
for _ in $(seq 120); do
  hub_ready && break
  kill -0 "$HUB_PID" 2>/dev/null || { tail -20 "$LOG"; fail "JupyterHub exited at start"; }
  sleep 0.5
done
hub_ready || { tail -20 "$LOG"; fail "JupyterHub's login page was not served through the proxy in 60s"; }
say "JupyterHub up in $(( $(date +%s) - start ))s"

"$VENV/bin/python" "$HERE/hub_client.py" 2>&1 | tee "$OUTDIR/transcript.txt"
client_rc=${PIPESTATUS[0]}
if [ "$client_rc" != 0 ]; then
  say "last lines of the JupyterHub log:"; tail -25 "$LOG" | sed 's/^/  /'
fi

# A clean stop: SIGTERM to the hub, which stops the proxy (and any server).
kill -TERM "$HUB_PID" 2>/dev/null
for _ in $(seq 60); do kill -0 "$HUB_PID" 2>/dev/null || break; sleep 0.5; done
kill -0 "$HUB_PID" 2>/dev/null && fail "JupyterHub still running 30s after SIGTERM"
wait "$HUB_PID" 2>/dev/null
sleep 1
left=$(leftovers | sort -u | tr '\n' ' ')
[ -z "$left" ] || { ps -o pid,args -p "${left// /,}" 2>/dev/null | sed 's/^/  /'; fail "processes left after the hub stopped: $left"; }
if [ "$HUB_SPAWNER" = docker ]; then
  left=$(containers | tr '\n' ' ')
  [ -z "$left" ] || { docker ps -a --filter "name=^$HUB_RUN_ID-"; fail "containers left after the hub stopped: $left"; }
  say "JupyterHub stopped; no process and no container left (volumes: $(volumes | tr '\n' ' '), removed now)"
else
  say "JupyterHub stopped; no process left"
fi
say "took $(( $(date +%s) - start ))s"
[ "$client_rc" = 0 ] || fail "see the transcript above"
echo "1 passed, 0 failed"
