#!/usr/bin/env python3
"""Writes a peer-benchmark spec (the format `digits bench` writes) from the
real MNIST files, with seeded random parameters and batch order, to check the
peers against each other without Go:

    python bench/peers/make_test_spec.py --out /tmp/spec [--max-steps 5]
    for f in torch jax paddle; do
        python bench/peers/run_peer.py --framework $f --spec /tmp/spec/spec.json --out /tmp/spec/$f.json
    done
    python bench/peers/compare_peers.py /tmp/spec/{torch,jax,paddle}.json

Parameters: He-normal conv kernels (std sqrt(2/fan_in)), Xavier-uniform dense
weights (limit sqrt(6/(fan_in+fan_out))), every bias --bias (default 0);
numpy, seeded. Cases: linear, mlp and cnn, each as regression and
classification, at each batch.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def init_params(case: common.Case, rng: np.random.Generator, bias: float = 0.0) -> dict[str, np.ndarray]:
    out = {}
    for name, shape in common.expected_params(case):
        if name.endswith("/biases"):
            out[name] = np.full(shape, bias, np.float32)
        elif len(shape) == 4:  # conv kernel [out, in, 5, 5]
            fan_in = shape[1] * shape[2] * shape[3]
            out[name] = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        else:  # dense [in, out]
            limit = np.sqrt(6.0 / (shape[0] + shape[1]))
            out[name] = rng.uniform(-limit, limit, shape).astype(np.float32)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="spec directory to create")
    ap.add_argument("--mnist", default=os.path.expanduser("~/.cache/digits/mnist"))
    ap.add_argument("--batches", default="100,1000")
    ap.add_argument("--archs", default="linear,mlp,cnn")
    ap.add_argument("--tasks", default="regression,classification")
    ap.add_argument("--max-steps", type=int, default=0)
    ap.add_argument("--warmup-steps", type=int, default=10)
    ap.add_argument("--loss-steps", type=int, default=5)
    ap.add_argument("--learning-rate", type=float, default=0.01)
    ap.add_argument("--hidden", default="10,10")
    ap.add_argument("--activation", default="sigmoid")
    ap.add_argument("--channels", type=int, default=20)
    ap.add_argument("--scale", default="zero_to_one")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bias", type=float, default=0.0,
                    help="initial value of every bias (e.g. 0.1: tied positive activations in blank "
                         "regions from step 0, to check the pooling gradient's tie rule)")
    a = ap.parse_args(argv)

    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    train_count, valid_offset, valid_count = 50000, 50000, 10000
    order = rng.permutation(train_count).astype("<i4")
    order.tofile(os.path.join(out, "order.i32"))
    hidden = [int(h) for h in a.hidden.split(",") if h]
    cases = []
    for arch in a.archs.split(","):
        for task in a.tasks.split(","):
            c = common.Case(name="", arch=arch, task=task, batch=1, learning_rate=a.learning_rate,
                            hidden=hidden if arch == "mlp" else [], activation=a.activation,
                            channels=a.channels)
            pdir = os.path.join(out, f"{arch}-{task}")
            os.makedirs(pdir, exist_ok=True)
            plist = []
            for name, arr in init_params(c, rng, a.bias).items():
                f = os.path.join(pdir, name.replace("/", ".") + ".f32")
                arr.astype("<f4").tofile(f)
                plist.append({"name": name, "shape": list(arr.shape), "file": f})
            for b in (int(x) for x in a.batches.split(",")):
                cases.append({"name": f"{arch}-{task}-b{b}", "arch": arch, "task": task, "batch": b,
                              "learning_rate": a.learning_rate, "hidden": c.hidden,
                              "activation": a.activation, "channels": a.channels, "params": plist})
    spec = {
        "version": common.SPEC_VERSION,
        "train_images": os.path.join(a.mnist, "train-images-idx3-ubyte.gz"),
        "train_labels": os.path.join(a.mnist, "train-labels-idx1-ubyte.gz"),
        "train_count": train_count, "valid_offset": valid_offset, "valid_count": valid_count,
        "scale": a.scale, "order": os.path.join(out, "order.i32"),
        "warmup_steps": a.warmup_steps, "loss_steps": a.loss_steps, "max_steps": a.max_steps,
        "cases": cases,
    }
    with open(os.path.join(out, "spec.json"), "w") as f:
        json.dump(spec, f, indent=1)
    print(os.path.join(out, "spec.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
