#!/usr/bin/env bash
# bench-gpu.sh runs `digits bench` on an NVIDIA GPU: GoMLX on XLA's CUDA
# plugin against PyTorch and JAX on CUDA, from the same initial weights and
# batch order, batch 100 and 1000 (`make bench-gpu` installs what it needs
# first and runs it). Every step says what it found; the tables go to
# $OUT_DIR/bench-gpu.md and the report to $OUT_DIR/bench-gpu.json.
#
# What it uses (environment variables):
#   DIGITS        the digits program (default: $VENV/bin/digits of make setup)
#   DIGITS_BENCH_PYTHON
#                 a Python whose torch sees the GPU and whose jax has its CUDA
#                 plugin (default: $BENCH_VENV/bin/python, as make bench-gpu
#                 installs it)
#   CUDA_PLUGIN   GoMLX's XLA CUDA plugin, pjrt_c_api_cuda_plugin.so with
#                 NVIDIA's libraries in the folder beside it, as
#                 `XLA_CUDA=1 make setup` installs it under $PLUGIN_DIR/nvidia.
#                 When that is missing and DIGITS_BENCH_PYTHON has the same
#                 jax-cuda13-pjrt as requirements-xla-cuda.txt (the same
#                 plugin file), the plugin and that Python's NVIDIA libraries
#                 are laid out the same way in $WORK_DIR instead.
#   DIGITS_DATA   the MNIST folder (default: digits' own, ~/.cache/digits/mnist)
#   OUT_DIR       where the results go (default testoutput/bench)
#   BENCH_FLAGS   more flags for digits bench (say -steps 50 for a smoke run)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
BENCH_VENV=${BENCH_VENV:-$ROOT/.venv-bench}
PLUGIN_DIR=${PLUGIN_DIR:-$HOME/.local/lib/go-xla}
DIGITS=${DIGITS:-$VENV/bin/digits}
PY=${DIGITS_BENCH_PYTHON:-$BENCH_VENV/bin/python}
CUDA_PLUGIN=${CUDA_PLUGIN:-$PLUGIN_DIR/nvidia/pjrt_c_api_cuda_plugin.so}
OUT_DIR=${OUT_DIR:-$ROOT/testoutput/bench}
WORK_DIR=${WORK_DIR:-${TMPDIR:-/tmp}/digits-bench-gpu}
BENCH_FLAGS=${BENCH_FLAGS:-}

say() { printf 'bench-gpu: %s\n' "$*"; }
die() { printf 'bench-gpu: error: %s\n' "$*" >&2; exit 1; }

# 1. The GPU, the program and the peers' Python.
command -v nvidia-smi >/dev/null || die "no nvidia-smi: this needs an NVIDIA GPU and its driver"
gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1) ||
  die "nvidia-smi finds no GPU"
say "GPU: $gpu"
[ -x "$DIGITS" ] || die "no digits program at $DIGITS: run make setup, or set DIGITS"
[ -x "$PY" ] || command -v "$PY" >/dev/null || die "no Python at $PY: run make bench-gpu, or set DIGITS_BENCH_PYTHON"
"$PY" - <<'PY' || die "$PY: the peers cannot use the GPU (above)"
import sys
import torch
if not torch.cuda.is_available():
    sys.exit(f"torch {torch.__version__} sees no GPU")
import jax
devices = jax.devices("cuda")
print(f"bench-gpu: peers: Python {sys.version.split()[0]}, torch {torch.__version__} "
      f"(CUDA {torch.version.cuda}) on {torch.cuda.get_device_name(0)}, jax {jax.__version__} on {devices[0].device_kind}")
PY

# 2. GoMLX's CUDA plugin: the one make setup installed, else the peers'
#    Python's own (same version) laid out as go-xla expects: the plugin in
#    a folder nvidia/ that also holds NVIDIA's libraries (cu13/lib,
#    cudnn/lib, ...), which the plugin finds through its RPATH.
if [ ! -f "$CUDA_PLUGIN" ]; then
  want=$(sed -n 's/^jax-cuda13-pjrt==\([^ ]*\).*/\1/p' "$ROOT/requirements-xla-cuda.txt")
  found=$("$PY" - <<'PY'
import importlib.metadata, importlib.util, os
try:
    version = importlib.metadata.version("jax-cuda13-pjrt")
except importlib.metadata.PackageNotFoundError:
    raise SystemExit(0)
plugin = os.path.join(importlib.util.find_spec("jax_plugins.xla_cuda13").submodule_search_locations[0], "xla_cuda_plugin.so")
nvidia = importlib.util.find_spec("nvidia").submodule_search_locations[0]
print(version, plugin, nvidia)
PY
)
  read -r have plugin nvidia <<<"$found" || true
  [ -n "${have:-}" ] || die "no XLA CUDA plugin at $CUDA_PLUGIN, and $PY has no jax-cuda13-pjrt: run XLA_CUDA=1 make setup"
  [ "$have" = "$want" ] ||
    die "no XLA CUDA plugin at $CUDA_PLUGIN, and $PY's jax-cuda13-pjrt is $have, not $want (requirements-xla-cuda.txt): run XLA_CUDA=1 make setup"
  rm -rf "$WORK_DIR/xla-cuda" && mkdir -p "$WORK_DIR/xla-cuda/nvidia"
  cp "$plugin" "$WORK_DIR/xla-cuda/nvidia/pjrt_c_api_cuda_plugin.so"
  for d in "$nvidia"/*/; do ln -s "${d%/}" "$WORK_DIR/xla-cuda/nvidia/"; done
  CUDA_PLUGIN=$WORK_DIR/xla-cuda/nvidia/pjrt_c_api_cuda_plugin.so
  say "XLA CUDA plugin: jax-cuda13-pjrt $have of $PY, laid out in $WORK_DIR/xla-cuda/nvidia with its NVIDIA libraries ($nvidia)"
else
  say "XLA CUDA plugin: $CUDA_PLUGIN"
fi
# NVIDIA's libraries, for the plugin's own loads (as JAX preloads them).
nvidia_dir=$(dirname "$CUDA_PLUGIN")
for lib in "$nvidia_dir"/*/lib; do
  [ -d "$lib" ] && LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
done
export LD_LIBRARY_PATH
# ptxas and libdevice, which XLA's GPU compiler needs: the first CUDA folder
# that has both (go-xla otherwise points XLA at the plugin's nvidia folder).
if [[ " ${XLA_FLAGS:-} " != *" --xla_gpu_cuda_data_dir="* ]]; then
  for d in "$nvidia_dir"/cu13 "$nvidia_dir" /usr/local/cuda; do
    if [ -x "$d/bin/ptxas" ] && [ -f "$d/nvvm/libdevice/libdevice.10.bc" ]; then
      export XLA_FLAGS="${XLA_FLAGS:+$XLA_FLAGS }--xla_gpu_cuda_data_dir=$(cd "$d" && pwd -P)"
      say "ptxas: $d/bin/ptxas ($("$d/bin/ptxas" --version | tail -1))"
      break
    fi
  done
fi
GOMLX_BACKEND="xla:$CUDA_PLUGIN" "$DIGITS" backend || die "GoMLX cannot start its CUDA backend (above)"

# 3. The benchmark: peers on the GPU too (digits bench -peer-device auto),
#    over 5 epochs per case: an epoch takes a fraction of a second on a GPU,
#    too short a steady state to compare (a later -epochs in BENCH_FLAGS wins).
mkdir -p "$OUT_DIR"
flags=(-peers torch,jax -go-images 0 -epochs 5)
say "digits bench -backend xla:$CUDA_PLUGIN ${flags[*]} $BENCH_FLAGS"
# shellcheck disable=SC2086 # BENCH_FLAGS is a list of flags
"$DIGITS" bench -backend "xla:$CUDA_PLUGIN" -python "$PY" -peer-script "$ROOT/bench/peers/run_peer.py" \
  "${flags[@]}" -o "$OUT_DIR/bench-gpu.json" $BENCH_FLAGS | tee "$OUT_DIR/bench-gpu.md"
say "tables: $OUT_DIR/bench-gpu.md; report: $OUT_DIR/bench-gpu.json"

# 4. Time to a trained chapter-3 CNN on the GPU, compilation included, as
#    make run reports it on the CPU (BENCH_GPU_TRAIN=0 skips it).
if [ "${BENCH_GPU_TRAIN:-1}" = 1 ]; then
  rm -f "$WORK_DIR/cnn-regression.ckpt"
  start=$(date +%s)
  GOMLX_BACKEND="xla:$CUDA_PLUGIN" "$DIGITS" train -model cnn -task regression -checkpoint "$WORK_DIR/cnn-regression.ckpt"
  say "the chapter-3 CNN trained on the GPU in $(( $(date +%s) - start ))s, compilation included ($gpu)"
fi
