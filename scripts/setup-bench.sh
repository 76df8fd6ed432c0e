#!/usr/bin/env bash
# setup-bench.sh installs the peer frameworks of `digits bench` (PyTorch, JAX,
# PaddlePaddle, CPU use) into their own virtual environment, $BENCH_VENV
# (default .venv-bench), at the exact versions of bench/requirements-peers.txt,
# from PyPI. About 7 GB: PyPI's PyTorch for Linux is its CUDA build, whose
# NVIDIA libraries come along even though the benchmark runs it on the CPU.
# Safe to run again: a stamp of the requirements' hash skips a current
# environment (scripts/venv.sh).
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

. "$ROOT/scripts/venv.sh"
ensure_venv "$BENCH_VENV" "$req" "$PYTHON" "PyTorch, JAX and PaddlePaddle"
