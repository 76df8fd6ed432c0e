#!/usr/bin/env bash
# test_image.sh: the classroom image (docker/Dockerfile), built and run as a
# classroom runs it.
#
#  1. A Docker engine: the one DOCKER_HOST (or the default socket) reaches;
#     else, on Debian as root, Debian's docker.io (pinned below), started here
#     with its data in the cache folder and stopped at the end; else the test
#     says SKIPPED and why.
#  2. A base: Docker Hub may be out of reach (it is on the project's machines
#     and behind many school firewalls), so the base is made from Debian's
#     packages: debootstrap's minimal Debian 13, the machine's certificate
#     authorities added, imported into the engine. It is kept as a cache.
#  3. The build: docker/Dockerfile unchanged, its base, Python and apt
#     packages given as build arguments (Debian 13's Python 3.13; Debian 12's
#     is older than the pins need).
#  4. The classroom checks, in a container started as a classroom would, with
#     no network at all and a volume over /home/jovyan as JupyterHub mounts
#     one: it becomes healthy; JupyterLab refuses a request without the token
#     and serves one with it; every process runs as uid 1000; the GoNB kernel,
#     MNIST and the XLA plugin are found under the volume; notebooks 00 and 03
#     execute (quick mode) with no cell error; the image's size, build time
#     and the container's peak memory while chapter 3 trains are printed.
#  5. JupyterHub spawning the image for two students with DockerSpawner
#     (tests/hub/test_hub.sh with HUB_SPAWNER=docker).
#
# It stops every container and daemon it started and removes the volumes and
# the image it built (KEEP_IMAGE=1 keeps the image). IMAGE=NAME tests an image
# already built (docker build -f docker/Dockerfile -t NAME .) instead of
# building one. Transcripts go to testoutput/image/. The last line says
# "1 passed, 0 failed", "0 passed, 1 failed" or "0 passed, 0 failed, 1 skipped".
#
# Settings: VENV, IMAGE, KEEP_IMAGE, DIGITS_QUICK (20), DIGITS_IMAGE_CACHE
# (the engine's data and nothing else, when this test starts the engine).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export VENV=${VENV:-$ROOT/.venv}
OUTDIR=$ROOT/testoutput/image
CACHE=${DIGITS_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/digits/image-test}
QUICK=${DIGITS_QUICK:-20}
RUN_ID=digits-test-$$-$(date +%s)

# Debian's packages, pinned: the engine and debootstrap for the machine's own
# Debian release, and what the image's base and build install (Debian 13).
declare -A DOCKER_IO=([bookworm]=20.10.24+dfsg1-1+deb12u1+b6 [trixie]=26.1.5+dfsg1-9+deb13u1+b1)
declare -A DEBOOTSTRAP=([bookworm]=1.0.128+nmu2+deb12u2 [trixie]=1.0.141)
BASE_SUITE=trixie
BASE_CA_CERTIFICATES=ca-certificates=20250419+deb13u1
BUILD_PYTHON=/usr/bin/python3
BUILD_APT_PACKAGES="python3=3.13.5-1 python3-venv=3.13.5-1 gcc=4:14.2.0-1 libc6-dev=2.41-12+deb13u5 tini=0.19.0-3+b8"

say() { printf 'image: %s\n' "$*"; }
# The verdict is the last line, printed once everything is cleaned up.
VERDICT="0 passed, 1 failed"
fail() { say "FAIL: $*"; exit 1; }
skip() { say "SKIPPED: $*"; VERDICT="0 passed, 0 failed, 1 skipped"; exit 0; }
elapsed() { echo $(( $(date +%s) - $1 )); }
mib() { echo $(( $1 / 1048576 )); }

mkdir -p "$OUTDIR"
test_start=$(date +%s)
DOCKERD_PID= CONTAINER= VOLUME= BUILT_IMAGE= BRIDGE_BEFORE= ROOTFS=

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$CONTAINER" ]; then docker rm -f "$CONTAINER" >/dev/null 2>&1; fi
  if [ -n "$VOLUME" ]; then docker volume rm -f "$VOLUME" >/dev/null 2>&1; fi
  if [ -n "$ROOTFS" ]; then rm -rf "$ROOTFS"; fi
  if [ -n "$BUILT_IMAGE" ]; then
    if [ "${KEEP_IMAGE:-0}" = 1 ]; then
      say "kept the image $BUILT_IMAGE (KEEP_IMAGE=1)"
    else
      docker rmi "$BUILT_IMAGE" >/dev/null 2>&1 && say "removed the image $BUILT_IMAGE (KEEP_IMAGE=1 keeps it)"
    fi
  fi
  if [ -n "$DOCKERD_PID" ]; then
    kill -TERM "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 120); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$DOCKERD_PID" 2>/dev/null && kill -KILL "$DOCKERD_PID" 2>/dev/null
    # The bridge dockerd made, unless one was there before.
    [ -z "$BRIDGE_BEFORE" ] && ip link delete docker0 2>/dev/null
    say "stopped the Docker engine it started (pid $DOCKERD_PID)"
  fi
  echo "$VERDICT"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

debian_release() { (. /etc/os-release 2>/dev/null && [ "${ID:-}" = debian ] && echo "${VERSION_CODENAME:-}"); }

# apt_install PACKAGE=VERSION...: Debian's packages, as root.
apt_install() {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. The engine.
engine_start=$(date +%s)
if docker info >/dev/null 2>&1; then
  say "Docker engine: the running one ($(docker version -f 'server {{.Server.Version}}' 2>/dev/null))"
else
  release=$(debian_release)
  [ -n "$release" ] || skip "no Docker engine answers (docker info), and this machine is not Debian, where the test could install one"
  [ "$(id -u)" = 0 ] || skip "no Docker engine answers (docker info), and installing Debian's docker.io needs root"
  [ -n "${DOCKER_IO[$release]:-}" ] || skip "no Docker engine answers, and no docker.io version is pinned for Debian $release (tests/image/test_image.sh)"
  if ! command -v dockerd >/dev/null || ! dpkg -s docker.io >/dev/null 2>&1; then
    say "installing Debian's docker.io ${DOCKER_IO[$release]}"
    apt_install "docker.io=${DOCKER_IO[$release]}" || fail "apt-get install docker.io=${DOCKER_IO[$release]} failed"
  fi
  # Its own socket and folders, so that it meets no other engine.
  run_dir=/run/digits-test-docker
  mkdir -p "$CACHE/docker" "$run_dir"
  export DOCKER_HOST=unix://$run_dir/docker.sock
  ip link show docker0 >/dev/null 2>&1 && BRIDGE_BEFORE=1
  dockerd --data-root "$CACHE/docker" --exec-root "$run_dir/exec" --pidfile "$run_dir/dockerd.pid" \
    --host "$DOCKER_HOST" > "$OUTDIR/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  until docker info >/dev/null 2>&1; do
    kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -15 "$OUTDIR/dockerd.log"; fail "dockerd exited at start (log: $OUTDIR/dockerd.log)"; }
    [ "$(elapsed "$engine_start")" -lt 300 ] || fail "dockerd did not answer in 300s (log: $OUTDIR/dockerd.log)"
    sleep 0.5
  done
  say "Docker engine: Debian's docker.io, dockerd $(docker version -f '{{.Server.Version}}'), started here in $(elapsed "$engine_start")s (data in $CACHE/docker)"
fi

# 2 and 3. The image: given, or built on a Debian base.
if [ -n "${IMAGE:-}" ]; then
  docker image inspect "$IMAGE" >/dev/null 2>&1 || fail "IMAGE=$IMAGE: no such image in this engine"
  say "testing the image $IMAGE (IMAGE given: not built here)"
  build_seconds=
else
  # The base's name says what it is made of: the suite, the mirror, the
  # pinned ca-certificates and the machine's certificate authorities.
  mirror=$(grep -hoE '^(deb|URIs:) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | head -1 | awk '{print $2}')
  mirror=${mirror:-http://deb.debian.org/debian}
  base_key=$( { echo "$BASE_SUITE $mirror $BASE_CA_CERTIFICATES"; cat /usr/local/share/ca-certificates/* 2>/dev/null; } | sha256sum | cut -c1-12)
  BASE=digits-test-base:$BASE_SUITE-$base_key
  if docker image inspect "$BASE" >/dev/null 2>&1; then
    say "base: $BASE (made by an earlier run, kept as a cache)"
  else
    base_start=$(date +%s)
    if ! command -v debootstrap >/dev/null; then
      release=$(debian_release)
      [ -n "$release" ] && [ "$(id -u)" = 0 ] && [ -n "${DEBOOTSTRAP[$release]:-}" ] \
        || skip "the base is made with debootstrap, which is not installed (apt-get install debootstrap), or give IMAGE=NAME of a built image"
      say "installing Debian's debootstrap ${DEBOOTSTRAP[$release]}"
      apt_install "debootstrap=${DEBOOTSTRAP[$release]}" || fail "apt-get install debootstrap failed"
    fi
    ROOTFS=$(mktemp -d "${TMPDIR:-/tmp}/digits-base.XXXXXX")
    say "base: debootstrap --variant=minbase $BASE_SUITE from $mirror"
    debootstrap --variant=minbase "$BASE_SUITE" "$ROOTFS" "$mirror" > "$OUTDIR/debootstrap.log" 2>&1 \
      || { tail -5 "$OUTDIR/debootstrap.log"; fail "debootstrap failed (log: $OUTDIR/debootstrap.log)"; }
    # Outgoing HTTPS may be re-signed by a local authority (it is on the
    # project's machines): the base trusts what this machine trusts.
    mkdir -p "$ROOTFS/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/" 2>/dev/null
    cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
    chroot "$ROOTFS" bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $BASE_CA_CERTIFICATES >/dev/null && update-ca-certificates && apt-get clean && rm -rf /var/lib/apt/lists/*" >> "$OUTDIR/debootstrap.log" 2>&1 \
      || { tail -5 "$OUTDIR/debootstrap.log"; fail "installing $BASE_CA_CERTIFICATES into the base failed (log: $OUTDIR/debootstrap.log)"; }
    : > "$ROOTFS/etc/resolv.conf"
    # pip trusts certifi's list unless told otherwise.
    tar -C "$ROOTFS" -c . | docker import -c 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' -c 'CMD ["bash"]' \
      -m "debootstrap --variant=minbase $BASE_SUITE $mirror, with $BASE_CA_CERTIFICATES and this machine's certificate authorities" - "$BASE" >/dev/null \
      || fail "docker import of the base failed"
    rm -rf "$ROOTFS" && ROOTFS=
    say "base: $BASE made in $(elapsed "$base_start")s ($(mib "$(docker image inspect -f '{{.Size}}' "$BASE")") MiB; kept as a cache)"
  fi

  IMAGE=digits-classroom:$RUN_ID
  say "building $IMAGE: docker build -f docker/Dockerfile, BASE_IMAGE=$BASE, PYTHON=$BUILD_PYTHON, APT_PACKAGES=\"$BUILD_APT_PACKAGES\" (log: $OUTDIR/build.log)"
  build_start=$(date +%s)
  BUILT_IMAGE=$IMAGE
  docker build -f "$ROOT/docker/Dockerfile" -t "$IMAGE" \
    --build-arg "BASE_IMAGE=$BASE" --build-arg "PYTHON=$BUILD_PYTHON" --build-arg "APT_PACKAGES=$BUILD_APT_PACKAGES" \
    "$ROOT" > "$OUTDIR/build.log" 2>&1 || { tail -30 "$OUTDIR/build.log"; fail "docker build failed (log: $OUTDIR/build.log)"; }
  build_seconds=$(elapsed "$build_start")
  say "built in ${build_seconds}s"
  # Where MNIST came from: the Go module, through the Go module proxy.
  grep -E 'train-images-idx3-ubyte.gz: ' "$OUTDIR/build.log" | sed 's/^/  build: /'
  grep -qE 'train-images-idx3-ubyte.gz: fetched and verified, from Go module' "$OUTDIR/build.log" \
    || fail "the build did not take MNIST from the Go module (see $OUTDIR/build.log)"
fi
size_mib=$(mib "$(docker image inspect -f '{{.Size}}' "$IMAGE")")
say "image size: $size_mib MiB"

# 4. A classroom's container: no network, a volume over /home/jovyan.
CONTAINER=$RUN_ID VOLUME=$RUN_ID-home
TOKEN=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(16))')
docker volume create "$VOLUME" >/dev/null || fail "docker volume create failed"
run_start=$(date +%s)
docker run -d --name "$CONTAINER" --network none -v "$VOLUME:/home/jovyan" -e "JUPYTER_TOKEN=$TOKEN" "$IMAGE" >/dev/null \
  || fail "docker run failed"

# Healthy, by the image's own HEALTHCHECK and schedule.
while :; do
  state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$CONTAINER")
  case "$state" in
    "running healthy") break ;;
    "running unhealthy") docker inspect -f '{{range .State.Health.Log}}{{.Output}}{{end}}' "$CONTAINER" | tail -5
                         fail "the container became unhealthy" ;;
    running*) ;;
    *) docker logs "$CONTAINER" 2>&1 | tail -20; fail "the container stopped ($state)" ;;
  esac
  [ "$(elapsed "$run_start")" -lt 600 ] || fail "the container was not healthy in 600s ($state)"
  sleep 1
done
say "--network none: healthy in $(elapsed "$run_start")s ($(docker inspect -f '{{(index .State.Health.Log 0).Output}}' "$CONTAINER" | tr -d '\n'))"

# The token: refused without it, served with it (from inside: no network).
docker exec -i -e "TOKEN=$TOKEN" "$CONTAINER" /opt/digits/venv/bin/python - > "$OUTDIR/token.txt" 2>&1 <<'PY' || { cat "$OUTDIR/token.txt"; fail "the token check failed"; }
import os, urllib.error, urllib.request
def status(headers):
    req = urllib.request.Request("http://127.0.0.1:8888/api/contents/work", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
without, with_token = status({}), status({"Authorization": "token " + os.environ["TOKEN"]})
print(f"GET /api/contents/work: {without} without the token, {with_token} with it")
assert without == 403 and with_token == 200, "want 403 and 200"
PY
say "JupyterLab: $(cat "$OUTDIR/token.txt")"

# Every process of the container runs as uid 1000.
uids=$(docker top "$CONTAINER" -eo pid,uid,args | tail -n +2)
echo "$uids" | awk '$2 != 1000 {bad = 1} END {exit bad}' || { echo "$uids"; fail "a process of the container is not uid 1000"; }
say "processes: $(echo "$uids" | wc -l), all uid 1000 ($(docker exec "$CONTAINER" id))"

# What lives outside /home/jovyan is still found with a volume over it.
in_container() { docker exec -e "DIGITS_QUICK=$QUICK" -w /home/jovyan "$CONTAINER" /opt/digits/src/docker/start.sh "$@"; }
in_container jupyter kernelspec list > "$OUTDIR/kernels.txt" 2>&1 && grep -q '^ *gonb ' "$OUTDIR/kernels.txt" \
  || { cat "$OUTDIR/kernels.txt"; fail "the GoNB kernel is not registered"; }
say "under the volume: kernel $(grep '^ *gonb ' "$OUTDIR/kernels.txt" | awk '{print $1 " in " $2}')"
in_container digits data -source module > "$OUTDIR/data.txt" 2>&1 || { cat "$OUTDIR/data.txt"; fail "digits data failed in the container"; }
say "under the volume: MNIST $(grep -c 'verified (already present)' "$OUTDIR/data.txt") files verified, $(grep -E '^train ' "$OUTDIR/data.txt" | tr -s ' ')"
in_container digits backend > "$OUTDIR/backend.txt" 2>&1 || { cat "$OUTDIR/backend.txt"; fail "digits backend failed in the container"; }
say "under the volume: $(head -1 "$OUTDIR/backend.txt")"
[ "$(docker exec "$CONTAINER" ls /home/jovyan/work | grep -c '\.ipynb$')" -ge 10 ] || fail "the course's notebooks were not copied into ~/work"

# The container's peak memory, from its memory cgroup (v1 or v2): what a
# memory limit is held against, the file cache included (which the kernel
# takes back under a limit), so it varies from run to run.
peak_file() {
  local pid line
  pid=$(docker inspect -f '{{.State.Pid}}' "$CONTAINER")
  line=$(grep -E '^[0-9]+:memory:' "/proc/$pid/cgroup" 2>/dev/null)
  if [ -n "$line" ] && [ -f "/sys/fs/cgroup/memory${line#*:memory:}/memory.max_usage_in_bytes" ]; then
    echo "/sys/fs/cgroup/memory${line#*:memory:}/memory.max_usage_in_bytes"; return
  fi
  line=$(grep -E '^0::' "/proc/$pid/cgroup" 2>/dev/null)
  [ -n "$line" ] && [ -f "/sys/fs/cgroup${line#0::}/memory.peak" ] && echo "/sys/fs/cgroup${line#0::}/memory.peak"
}

# Notebooks 00 and 03, executed in the container (quick mode), offline.
mkdir -p "$OUTDIR/notebooks"
for nb in 00_getting_started 03_network_structure; do
  pf=$(peak_file)
  # Counted from here: a write resets the peak (cgroup v1; v2 from Linux 6.12).
  reset=no
  if [ -n "$pf" ] && echo 0 > "$pf" 2>/dev/null; then reset=yes; fi
  nb_start=$(date +%s)
  in_container jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=1800 \
    --output-dir /tmp/digits-test-notebooks "work/$nb.ipynb" > "$OUTDIR/notebooks/$nb.log" 2>&1 \
    || { tail -30 "$OUTDIR/notebooks/$nb.log"; fail "notebook $nb failed in the container (log: $OUTDIR/notebooks/$nb.log)"; }
  took=$(elapsed "$nb_start")
  docker cp "$CONTAINER:/tmp/digits-test-notebooks/$nb.ipynb" "$OUTDIR/notebooks/$nb.ipynb" >/dev/null
  cells=$("$VENV/bin/python" -c 'import json, sys; nb = json.load(open(sys.argv[1])); print(sum(1 for c in nb["cells"] if c["cell_type"] == "code"))' "$OUTDIR/notebooks/$nb.ipynb")
  peak= peak_mib=
  if [ -n "$pf" ]; then
    peak_mib=$(mib "$(cat "$pf")")
    peak=", peak memory $peak_mib MiB (memory cgroup, file cache included)"
    [ "$reset" = yes ] || peak+=" (since the container started: this kernel cannot reset the peak)"
  fi
  say "notebook $nb: $cells code cells, no error, ${took}s (quick mode, $QUICK batches per epoch)$peak"
  if [ "$nb" = 03_network_structure ]; then
    grep -q 'QUICK MODE' "$OUTDIR/notebooks/$nb.ipynb" || fail "notebook $nb did not run in quick mode: DIGITS_QUICK did not reach the kernel"
    peak_03=${peak_mib:+$peak_mib MiB}
  fi
done
docker rm -f "$CONTAINER" >/dev/null && CONTAINER=
docker volume rm "$VOLUME" >/dev/null && VOLUME=
say "container and its volume removed"

# 5. JupyterHub spawning the image for two students.
say "JupyterHub with DockerSpawner (tests/hub/test_hub.sh, HUB_SPAWNER=docker)"
hub_start=$(date +%s)
HUB_SPAWNER=docker HUB_IMAGE=$IMAGE HUB_RUN_ID=$RUN_ID bash "$ROOT/tests/hub/test_hub.sh" 2>&1 | tee "$OUTDIR/hub.txt" | sed 's/^/  /'
[ "${PIPESTATUS[0]}" = 0 ] || fail "the DockerSpawner hub test failed (transcript: $OUTDIR/hub.txt)"
hub_seconds=$(elapsed "$hub_start")

say "summary: image $size_mib MiB, built in ${build_seconds:-(not built here)}${build_seconds:+s}, peak memory while chapter 3 trains ${peak_03:-not measurable here}, DockerSpawner hub test ${hub_seconds}s, whole test $(elapsed "$test_start")s"
VERDICT="1 passed, 0 failed"
