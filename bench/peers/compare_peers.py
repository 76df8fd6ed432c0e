#!/usr/bin/env python3
"""Compares the losses of peer results (run_peer.py outputs) case by case.

    python bench/peers/compare_peers.py DIR/torch.json DIR/jax.json DIR/paddle.json [--rtol 1e-4]

Prints, per case, each framework's first losses and the largest relative
difference between frameworks; exits 1 if any exceeds --rtol (or a case
failed), so it can serve as a check.
"""

from __future__ import annotations

import argparse
import json
import sys


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-12)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs="+")
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("--timings", action="store_true", help="also print a timing table")
    a = ap.parse_args(argv)
    runs = []
    for p in a.results:
        with open(p) as f:
            runs.append(json.load(f))
    names = []
    for r in runs:
        for c in r.get("cases", []):
            if c["name"] not in names:
                names.append(c["name"])
    bad = False
    fw = [r["framework"] for r in runs]
    print(f"{'case':28s} {'max rel diff':>12s}  " + "  ".join(f"{f + ' losses':>40s}" for f in fw))
    for n in names:
        cs = [next((c for c in r.get("cases", []) if c["name"] == n), None) for r in runs]
        if any(c is None or "error" in c for c in cs):
            bad = True
            print(f"{n:28s} ERROR: " + "; ".join(
                f"{f}: {c and c.get('error') or 'missing'}" for f, c in zip(fw, cs) if c is None or "error" in c))
            continue
        seqs = [c["losses"] + [c["last_loss"], c["eval_loss"]] for c in cs]
        worst = 0.0
        for s in seqs[1:]:
            for x, y in zip(seqs[0], s):
                if x is None or y is None:
                    worst = float("inf")
                else:
                    worst = max(worst, rel(x, y))
        # first-steps losses only decide pass/fail; last/eval shown for information
        k = len(cs[0]["losses"])
        worst_first = max((rel(x, y) for s in seqs[1:] for x, y in zip(seqs[0][:k], s[:k])
                           if x is not None and y is not None), default=0.0)
        flag = "" if worst_first <= a.rtol else "  <-- over rtol"
        bad |= worst_first > a.rtol
        print(f"{n:28s} {worst_first:12.2e}  " + "  ".join(
            f"{' '.join('%.6f' % x for x in c['losses']):>40s}" for c in cs) + flag)
        print(f"{'':28s} {'(last/eval)':>12s}  " + "  ".join(
            f"{'last %.6f eval %.6f acc %.4f' % (c['last_loss'], c['eval_loss'], c['eval_accuracy']):>40s}"
            for c in cs) + f"  max rel {worst:.1e}")
    if a.timings:
        print()
        print(f"{'case':28s} {'framework':10s} {'first_s':>8s} {'epoch_s':>8s} {'steady img/s':>13s} {'eval img/s':>11s}")
        for n in names:
            for f, r in zip(fw, runs):
                c = next((c for c in r.get("cases", []) if c["name"] == n), None)
                if c is None or "error" in c:
                    continue
                fmt = lambda v, p: "-" if v is None else f"{v:.{p}f}"  # noqa: E731
                print(f"{n:28s} {f:10s} {fmt(c['first_step_s'], 3):>8s} {fmt(c['epoch_s'], 2):>8s} "
                      f"{fmt(c['steady_images_per_s'], 0):>13s} {fmt(c['eval_images_per_s'], 0):>11s}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
