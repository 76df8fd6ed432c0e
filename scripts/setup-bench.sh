#!/usr/bin/env bash
# setup-bench.sh installs the peer frameworks of `digits bench` (PyTorch, JAX,
# PaddlePaddle, CPU use) into their own virtual environment, $BENCH_VENV
# (default .venv-bench), at the exact versions of bench/requirements-peers.txt,
# from PyPI. About 7 GB: PyPI's PyTorch for Linux is its CUDA build, whose
# NVIDIA libraries come along even though the benchmark runs it on the CPU.
# Safe to run again: a stamp of the requirements' hash skips a current
# environment.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_VENV=${BENCH_VENV:-$ROOT/.venv-bench}
PYTHON=${PYTHON:-python3}
req="$ROOT/bench/requirements-peers.txt"

say() { printf 'bench-setup: %s\n' "$*"; }
die() { printf 'bench-setup: error: %s\n' "$*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null || die "$PYTHON is not installed"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
  die "$PYTHON is not Python 3.11, the version bench/requirements-peers.txt is pinned for (set PYTHON)"

hash=$(sha256sum < "$req" | cut -c1-16)
if [ "$(cat "$BENCH_VENV/.requirements" 2>/dev/null)" = "$hash" ]; then
  say "peer environment up to date ($BENCH_VENV)"
  exit 0
fi
say "installing PyTorch, JAX and PaddlePaddle into $BENCH_VENV (several GB, once)"
[ -x "$BENCH_VENV/bin/python" ] || "$PYTHON" -m venv "$BENCH_VENV"
"$BENCH_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req"
echo "$hash" > "$BENCH_VENV/.requirements"
say "done"
