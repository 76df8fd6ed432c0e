#!/usr/bin/env bash
# start.sh: the classroom image's entry point (tini runs it, as jovyan).
#
# It prepares the user's session, then starts:
#   - with no command, JupyterLab on port 8888 with token authentication (the
#     token of JUPYTER_TOKEN, or a random one printed in the log), or
#     jupyterhub-singleuser when JupyterHub started the container
#     (JUPYTERHUB_API_TOKEN is set);
#   - with a command (Zero to JupyterHub passes `jupyterhub-singleuser`, or
#     `docker run ... bash`), that command, in the same environment.
#
# Preparing the session: the environment of the shared installation
# (/opt/digits/venv/digits.env: tools on PATH, MNIST, the Go caches,
# GOPROXY=off), a private temporary folder, a writable Go build cache, and the
# course's notebooks copied into ~/work: files that are missing are copied,
# a student's file is never overwritten (delete a notebook to get the
# original back at the next start).
set -euo pipefail

DIGITS_PREFIX=${DIGITS_PREFIX:-/opt/digits}
# shellcheck source=/dev/null
. "$DIGITS_PREFIX/venv/digits.env"

# Temporary files (GoNB's per-kernel Go modules, checkpoints) stay private.
export TMPDIR=${TMPDIR:-/tmp/$(id -u)}
mkdir -p -m 700 "$TMPDIR"

# The Go build cache, prebuilt with GoMLX and the course's packages, belongs
# to jovyan; any other uid gets its own copy of it on first use.
if [ ! -w "$GOCACHE" ]; then
  own_cache=${XDG_CACHE_HOME:-$HOME/.cache}/digits-go-build
  if [ ! -d "$own_cache" ]; then
    mkdir -p "$(dirname "$own_cache")"
    cp -r "$GOCACHE" "$own_cache.tmp" && mv "$own_cache.tmp" "$own_cache"
  fi
  export GOCACHE=$own_cache
fi
# Go deletes build-cache entries left unused for 5 days, and the prebuilt ones
# date from the image's build: each start marks them used, so that a chapter
# opened weeks later still finds GoMLX compiled.
find "$GOCACHE" -type f -mtime +3 -exec touch -c {} + 2>/dev/null || true

# The notebooks, into the student's work folder, never over their edits.
work=$HOME/work
(cd "$DIGITS_ROOT/notebooks" && find . -type f -name '*.ipynb') | while read -r nb; do
  [ -e "$work/$nb" ] || install -D -m 644 "$DIGITS_ROOT/notebooks/$nb" "$work/$nb"
done

if [ $# -eq 0 ]; then
  if [ -n "${JUPYTERHUB_API_TOKEN:-}" ]; then
    set -- jupyterhub-singleuser
  else
    set -- jupyter lab --ServerApp.ip=0.0.0.0 --ServerApp.port=8888 --no-browser \
      --ServerApp.root_dir="$HOME" --LabApp.default_url=/lab/tree/work \
      --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate
  fi
fi
exec "$@"
