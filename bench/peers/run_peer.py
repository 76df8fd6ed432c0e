#!/usr/bin/env python3
"""Runs one framework's peer benchmark over a spec written by `digits bench`.

    python bench/peers/run_peer.py --framework torch|jax|paddle \
        --spec DIR/spec.json --out DIR/<framework>.json

Only the chosen framework is imported. Progress goes to stderr; the JSON
result only to --out (written to a temporary file, then renamed). A case that
fails becomes {"name": ..., "error": ...} and the others still run; if the
spec or the framework cannot be loaded at all, the JSON has a top-level
"error" (and every case an error) and the exit status is 1.

Options (each also settable by environment, for runs started by Go):
  --torch-compile        DIGITS_TORCH_COMPILE=1   torch.compile the model (default off)
  --jax-data take|host   DIGITS_JAX_DATA          jax batch gather on device / on host
  --device cpu|cuda      DIGITS_BENCH_DEVICE      where the framework trains (default cpu;
                                                  cuda: the first NVIDIA GPU)
Threads: DIGITS_BENCH_THREADS, else OMP_NUM_THREADS, else os.cpu_count().
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import platform
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import common  # noqa: E402

MODULES = {"torch": "torch_peer", "jax": "jax_peer", "paddle": "paddle_peer"}
DEVICES = ("cpu", "cuda")


def env_bool(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--framework", required=True, choices=sorted(MODULES))
    ap.add_argument("--spec", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--torch-compile", action="store_true", default=env_bool("DIGITS_TORCH_COMPILE"))
    ap.add_argument("--jax-data", choices=("take", "host"), default=os.environ.get("DIGITS_JAX_DATA") or "take")
    ap.add_argument("--device", choices=DEVICES, default=os.environ.get("DIGITS_BENCH_DEVICE") or "cpu")
    ap.add_argument("--cases", default="", help="comma-separated case names to run (default all)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    opts = parse_args(argv)
    # The peers read it when they are imported (jax chooses its platform then).
    os.environ["DIGITS_BENCH_DEVICE"] = opts.device
    result = {"framework": opts.framework, "version": None, "threads": None, "device": opts.device,
              "python": platform.python_version(), "cases": []}
    try:
        spec = common.load_spec(opts.spec)
    except Exception as e:  # noqa: BLE001 - reported in the JSON
        common.log(f"cannot read the spec: {e}")
        result["error"] = f"spec: {e}"
        common.write_json_atomic(opts.out, result)
        return 1
    entries = common.case_entries(spec)
    if opts.cases:
        wanted = set(opts.cases.split(","))
        entries = [e for e in entries if e[0] in wanted]

    def fail_all(msg: str) -> int:
        result["error"] = msg
        result["cases"] = [{"name": name, "error": msg} for name, _, _ in entries]
        common.write_json_atomic(opts.out, result)
        return 1

    try:
        t = time.perf_counter()
        peer = importlib.import_module(MODULES[opts.framework])
        info = peer.setup(opts)
        result.update(version=info["version"], threads=info["threads"], note=info.get("note", ""),
                      options=info.get("options", {}), device=info.get("device", opts.device))
        common.log(f"{opts.framework} {info['version']}, {info['threads']} threads, "
                   f"imported in {time.perf_counter() - t:.1f}s, options {info.get('options')}")
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        return fail_all(f"{opts.framework} unavailable: {type(e).__name__}: {e}")
    try:
        t = time.perf_counter()
        data = common.load_data(spec)
        fdata = peer.prepare_data(data, opts)
        common.log(f"data: {len(data.train_y)} train, {len(data.valid_y)} valid images, "
                   f"loaded in {time.perf_counter() - t:.1f}s")
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        return fail_all(f"data: {type(e).__name__}: {e}")

    for name, case, err in entries:
        if err is not None:
            result["cases"].append({"name": name, "error": err})
            continue
        common.log(f"case {name}: {case.arch} {case.task}, batch {case.batch}, lr {case.learning_rate}")
        trainer = None
        try:
            params = common.load_params(case, os.path.dirname(spec.path))
            trainer = peer.make_trainer(case, params, fdata, common.num_steps(spec, case), opts)
            result["cases"].append(common.run_case(spec, case, trainer, data.valid_y))
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            result["cases"].append({"name": name, "error": f"{type(e).__name__}: {e}"})
        del trainer
        gc.collect()
    common.write_json_atomic(opts.out, result)
    common.log(f"wrote {opts.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
