"""Tests of the cell-latency benchmark (bench/cells/cells.py) and of the GOFLAGS
that scripts/setup.sh writes into the GoNB kernel.

The parsing tests read a fixture: GoNB's klog lines for one cell, as GoNB
v0.11.5 writes them with --logtostderr -v=2 (trimmed from a real log). The
kernel test reads the kernel.json of `make setup` and skips without one.
"""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench", "cells"))

import cells  # noqa: E402

# One trivial cell of a real GoNB log (ids and paths shortened); the ESC bytes
# colour GoNB's kernel id.
LOG = """\
I1130 18:25:54.978110   32299 execcode.go:81] \x1b[7;39;32m[6719ac67]\x1b[0m ExecuteCell: ["%%" "fmt.Println(mnist.NumClasses, 1)"]
I1130 18:25:54.978182   32299 execcode.go:94] \x1b[7;39;32m[6719ac67]\x1b[0m ExecuteCell: after AutoTrack
I1130 18:25:54.979019   32299 execcode.go:313] \x1b[7;39;32m[6719ac67]\x1b[0m Executing /venv/bin/goimports -w /tmp/gonb_6719ac67/main.go
I1130 18:25:54.988517   32299 parser.go:181] \x1b[7;39;32m[6719ac67]\x1b[0m > Declaration *ast.GenDecl: import
I1130 18:25:54.989204   32299 execcode.go:365] \x1b[7;39;32m[6719ac67]\x1b[0m Executing /usr/local/go/bin/go get
I1130 18:25:55.349034   32299 execcode.go:107] \x1b[7;39;32m[6719ac67]\x1b[0m ExecuteCell: after s.GoImports()
I1130 18:25:55.349118   32299 execcode.go:280] \x1b[7;39;32m[6719ac67]\x1b[0m Executing /usr/local/go/bin/go build -o /tmp/gonb_6719ac67/gonb_6719ac67
I1130 18:25:58.070056   32299 execcode.go:120] \x1b[7;39;32m[6719ac67]\x1b[0m ExecuteCell: after s.Compile()
I1130 18:25:58.070262   32299 jpyexec.go:187] \x1b[7;39;32m[6719ac67]\x1b[0m Executing: /tmp/gonb_6719ac67/gonb_6719ac67 []
"""


def test_percentile():
    # Expected values: numpy.percentile's default (linear) method, by hand.
    cases = [
        ("odd", [3, 1, 2], 50, 2),
        ("interpolated", [1, 2, 3, 4], 90, 3.7),
        ("one value", [5], 90, 5),
        ("twenty", list(range(1, 21)), 90, 18.1),
    ]
    for name, xs, p, want in cases:
        assert cells.percentile(xs, p) == pytest.approx(want), name


def test_gonb_phases(tmp_path):
    log = tmp_path / "gonb.log"
    log.write_text(LOG)
    events = cells.klog_times(str(log))
    assert events[2][1].startswith("Executing /venv/bin/goimports"), "the kernel id prefix is not stripped"
    start = events[0][0] - 0.001  # the request was sent 1 ms before GoNB logged it
    first = events[-1][0] + 0.011  # the output arrived 11 ms after the program started
    (phases,) = cells.gonb_phases(str(log), [(start, first)])
    # Differences of the fixture's timestamps, by hand.
    want = {"receive": 0.001 + 0.000909, "goimports": 0.010185, "go get": 0.359914,
            "go build": 2.720938, "run": 0.000206 + 0.011}
    for phase, seconds in want.items():
        assert phases[phase] == pytest.approx(seconds, abs=2e-6), phase


def test_gonb_phases_ignores_the_next_cell(tmp_path):
    # The next cell is sent within a millisecond of this one's output: its
    # lines must not be taken for this cell's.
    log = tmp_path / "gonb.log"
    log.write_text(LOG + LOG.replace("18:25:5", "18:26:0"))
    events = cells.klog_times(str(log))
    start, first = events[0][0] - 0.001, events[8][0] + 0.011
    (phases,) = cells.gonb_phases(str(log), [(start, first)])
    assert phases["go build"] == pytest.approx(2.720938, abs=2e-6)


def test_gonb_phases_incomplete_cell(tmp_path):
    # A cell whose build is not in the log (a failed compile) has no phases.
    log = tmp_path / "gonb.log"
    log.write_text("".join(line + "\n" for line in LOG.splitlines()[:5]))
    events = cells.klog_times(str(log))
    assert cells.gonb_phases(str(log), [(events[0][0], events[-1][0] + 1)]) == [None]


def test_kernel_goflags():
    """The kernel of make setup: GOFLAGS keep the onnx tag, and go accepts them."""
    path = os.path.join(os.environ.get("VENV", os.path.join(ROOT, ".venv")), "share", "jupyter", "kernels", "gonb",
                        "kernel.json")
    if not os.path.exists(path):
        pytest.skip(f"no GoNB kernel at {path} (make setup)")
    with open(path) as f:
        goflags = json.load(f)["env"]["GOFLAGS"]
    assert "-tags=onnx" in goflags.split(), f"kernel GOFLAGS {goflags!r} lose the onnx tag"
    got = subprocess.run(["go", "list", "runtime"], env={**os.environ, "GOFLAGS": goflags}, cwd=ROOT,
                         capture_output=True, text=True)
    assert got.returncode == 0, f"go rejects the kernel's GOFLAGS {goflags!r}: {got.stderr}"
