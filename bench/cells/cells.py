"""Cell latency: how long a student waits between running a cell and its output.

Starts the GoNB kernel registered by `make setup` (kernel "gonb") and runs, as
a notebook does, the notebooks' binding cell (the first code cell of
notebooks/00_getting_started.ipynb), a cell that imports mnist and viz, then
--cells trivial cells (`fmt.Println(mnist.NumClasses, i)`, each a little
different, as a student's cells are). It does the equivalent on the Python
kernel of the same environment (ipykernel, "python3") and prints, per kernel,
the median and 90th percentile of execute-to-output time: from sending the
execute request to the arrival of the cell's first output.

GoNB logs each step of a cell (klog, -v=2); the kernel's log is parsed to
split a GoNB cell into its phases:

  receive    the request reaching GoNB, parsing the cell, composing main.go
  goimports  `goimports -w main.go`
  go get     `go get` (GoNB's automatic download of missing modules)
  go build   `go build -o <binary>`: compiling main.go and linking
  run        starting the program until its first output reaches the client

--env KEY=VALUE replaces a variable of the kernel's environment (as its
kernel.json sets it; an empty VALUE removes it) for a run, e.g.
--env GOFLAGS=-tags=onnx --env GOPROXY= for the kernel without this
project's settings for cells; --compare runs the kernel as installed and the
one of --env alternately, --rounds times, so that a busy machine slows both
alike.
--first-plot also times chapter 3's notebook up to its first picture in
quick mode (DIGITS_QUICK=20). --build-trace times `go build` of the trivial
cell's program outside GoNB, split into loading packages, compiling and
linking (go build -debug-trace), with the CPU time of go and the tools it
runs (steadier than wall time on a shared machine), for each set of link
flags.

Run by `make bench-cells`; the table also goes to --out as JSON.
"""

import argparse
import datetime
import json
import os
import platform
import queue
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from jupyter_client.manager import KernelManager

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIND_NOTEBOOK = os.path.join(ROOT, "notebooks", "00_getting_started.ipynb")
PLOT_NOTEBOOK = os.path.join(ROOT, "notebooks", "03_network_structure.ipynb")
CELL_TIMEOUT = 900  # seconds; a cold Go build cache compiles GoMLX in the import cell.

IMPORT_CELL = """import (
\t"fmt"

\t"github.com/godigits/digits/mnist"
\t"github.com/godigits/digits/viz"
)

// lossPlot keeps viz in every cell's program, as a notebook's helpers do.
func lossPlot(title string) viz.LinePlot { return viz.LinePlot{Title: title} }
"""
GO_TRIVIAL = "%%\nfmt.Println(mnist.NumClasses, {i})"
PY_BIND = "import sys"
PY_IMPORT = "import json, math"
PY_TRIVIAL = "print(10, {i})"

PHASES = ["receive", "goimports", "go get", "go build", "run"]
# klog's header: I1130 18:25:01.123456   12345 file.go:123] message
# GoNB's prefix of each message: the kernel's id, coloured, then "> " at times.
GONB_PREFIX = re.compile(r"^(\x1b\[[0-9;]*m)?\[[0-9a-f]+\](\x1b\[0m)?\s*(> )?")
KLOG = re.compile(r"^[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})\s+\d+ \S+\] (.*)$")


def machine():
    """The CPU model, its vector extensions, core count and load average."""
    model, flags = platform.processor() or "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
    except OSError:
        pass
    vec = [x for x in ("avx2", "avx512f") if x in flags]
    return {"cpu": model, "vector": vec or ["none of avx2, avx512f"], "cores": os.cpu_count(),
            "load": os.getloadavg()}


def percentile(xs, p):
    """The p-th percentile of xs, interpolated between closest ranks (numpy's default)."""
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def bind_cell():
    """The first code cell of the notebooks: `!*go mod edit -replace ...`."""
    with open(BIND_NOTEBOOK) as f:
        nb = json.load(f)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            return "".join(cell["source"])
    sys.exit(f"bench-cells: {BIND_NOTEBOOK} has no code cell")


def has_image(content):
    data = content.get("data", {})
    html = data.get("text/html", "")
    return "image/png" in data or "image/svg+xml" in data or "<svg" in html or "data:image/png" in html


class Kernel:
    """A started kernel and a blocking client, with the kernel's log in a file."""

    def __init__(self, name, overrides=(), log=None, env=None):
        self.km = KernelManager(kernel_name=name)
        spec = self.km.kernel_spec
        for key, value in overrides:
            if value:
                spec.env[key] = value
            else:
                spec.env.pop(key, None)
        self.label = " ".join(f"{k}={v}" for k, v in overrides) or "as installed"
        self.env = {k: spec.env.get(k, os.environ.get(k, "")) for k in ("GOFLAGS", "GOPROXY")}
        self.log_path = None
        kw = {}
        if log:
            spec.argv = spec.argv + ["--logtostderr", "-v=2"]
            self.log_path = log
            self.log_file = open(log, "w")
            kw = {"stderr": self.log_file, "stdout": self.log_file}
        if env:
            kw["env"] = {**os.environ, **env}
        self.km.start_kernel(**kw)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def run(self, code, stop_at_image=False):
        """Executes code; returns (sent time, first output time, image time, idle time, error)."""
        kc = self.kc
        sent = time.time()
        msg_id = kc.execute(code, store_history=False)
        first = image = err = None
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=CELL_TIMEOUT)
            except queue.Empty:
                raise SystemExit(f"bench-cells: no answer in {CELL_TIMEOUT}s to:\n{code}")
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            now, kind, content = time.time(), msg["msg_type"], msg["content"]
            if kind in ("stream", "display_data", "execute_result", "update_display_data"):
                first = first or now
                if image is None and kind != "stream" and has_image(content):
                    image = now
            elif kind == "error":
                err = f"{content.get('ename')}: {content.get('evalue')}"
                first = first or now
            elif kind == "status" and content["execution_state"] == "idle":
                reply = kc.get_shell_msg(timeout=CELL_TIMEOUT)
                if reply["content"].get("status") == "error" and not err:
                    err = reply["content"].get("evalue", "error")
                return sent, first, image, now, err

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel()  # GoNB then stops its gopls and removes its folder
        if self.log_path:
            self.log_file.close()


def klog_times(path):
    """(time, message) for each klog line of a GoNB log, times in seconds since the epoch."""
    year = datetime.datetime.now().year
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = KLOG.match(line.rstrip("\n"))
            if not m:
                continue
            mo, d, h, mi, s, us, text = m.groups()
            text = GONB_PREFIX.sub("", text)
            t = datetime.datetime(year, int(mo), int(d), int(h), int(mi), int(s), int(us)).timestamp()
            out.append((t, text))
    return out


def gonb_phases(log, cells):
    """Splits each timed cell (sent, first output) into PHASES with GoNB's log."""
    events = klog_times(log)
    result = []
    for sent, first in cells:
        marks = {}
        for t, text in events:
            if t < sent or t > first:  # the next cell is sent within a millisecond of this one's output
                continue
            for phase, pattern in (("receive", r"ExecuteCell: "), ("goimports", r"Executing \S*goimports "),
                                   ("go get", r"Executing \S*go get\b"), ("go build", r"Executing \S*go build "),
                                   ("run", r"ExecuteCell: after s\.Compile\(\)")):
                if phase not in marks and re.match(pattern, text):
                    marks[phase] = t
        if set(marks) != set(PHASES):
            result.append(None)
            continue
        bounds = [sent, marks["goimports"], marks["go get"], marks["go build"], marks["run"], first]
        result.append(dict(zip(PHASES, [b - a for a, b in zip(bounds, bounds[1:])])))
    return result


def run_kernel(name, cells, overrides=(), workdir=None):
    """Runs the bind, import and trivial cells on kernel name; returns its report."""
    go = name != "python3"
    log = os.path.join(workdir, f"{name}-{time.monotonic_ns()}.log") if go else None
    k = Kernel(name, overrides=overrides, log=log)
    try:
        timed = {}
        for label, code in (("bind", bind_cell() if go else PY_BIND), ("import", IMPORT_CELL if go else PY_IMPORT)):
            sent, first, _, idle, err = k.run(code)
            if err:
                raise SystemExit(f"bench-cells: the {label} cell failed on {name}: {err}")
            timed[label] = (idle - sent, [])
        trivial = []
        for i in range(cells):
            code = (GO_TRIVIAL if go else PY_TRIVIAL).format(i=i + 1)
            sent, first, _, idle, err = k.run(code)
            if err or first is None:
                raise SystemExit(f"bench-cells: trivial cell {i + 1} failed on {name}: {err or 'no output'}")
            trivial.append((sent, first))
    finally:
        k.close()
    lat = [f - s for s, f in trivial]
    report = {"kernel": name, "label": k.label if go else "", "env": k.env if go else None,
              "bind_s": timed["bind"][0], "import_s": timed["import"][0],
              "cells": len(lat), "median_s": statistics.median(lat), "p90_s": percentile(lat, 90),
              "latencies_s": lat}
    if go:
        phases = [p for p in gonb_phases(log, trivial) if p]
        report["phases_median_s"] = {ph: statistics.median(p[ph] for p in phases) for ph in PHASES} if phases else None
        report["phases_cells"] = len(phases)
    return report


def first_plot(overrides=(), workdir=None, quick="20"):
    """Seconds from the kernel's start to chapter 3's first picture, in quick mode."""
    with open(PLOT_NOTEBOOK) as f:
        nb = json.load(f)
    start = time.time()
    log = os.path.join(workdir, f"first-plot-{time.monotonic_ns()}.log")
    k = Kernel("gonb", overrides=overrides, log=log, env={"DIGITS_QUICK": quick})
    try:
        ready = time.time()
        for n, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
            _, _, image, _, err = k.run("".join(cell["source"]))
            if err:
                raise SystemExit(f"bench-cells: {PLOT_NOTEBOOK}: code cell {n} failed: {err}")
            if image:
                return {"from_kernel_start_s": image - start, "from_ready_s": image - ready, "code_cells_run": n + 1,
                        "label": k.label}
    finally:
        k.close()
    raise SystemExit(f"bench-cells: {PLOT_NOTEBOOK} shows no picture")


def build_trace(variants, rounds, workdir):
    """go build of the trivial cell's program per link-flags variant: compile and link seconds."""
    mod = os.path.join(workdir, "buildtrace")
    os.makedirs(mod, exist_ok=True)
    env = {**os.environ, "GOFLAGS": "-tags=onnx"}

    def go(*args):
        subprocess.run(["go", *args], cwd=mod, env=env, check=True, stdout=subprocess.DEVNULL)

    def write_main(n):
        with open(os.path.join(mod, "main.go"), "w") as f:
            f.write(IMPORT_CELL.replace("import (", "package main\n\nimport (", 1)
                    + f"\nfunc main() {{ fmt.Println(mnist.NumClasses, {n}) }}\n")

    # The module as the binding cell and GoNB's `go get` leave it.
    go("mod", "init", "gonb_trace")
    go("mod", "edit", f"-replace=github.com/godigits/digits={ROOT}")
    go("mod", "edit", "-require=github.com/godigits/digits@v0.0.0", "-require=github.com/janpfeifer/gonb@v0.11.5")
    write_main(0)
    go("get")
    results = {v: [] for v in variants}
    n = 0
    for _ in range(rounds):
        for v in variants:  # interleaved: a busy machine slows every variant alike
            n += 1
            write_main(n)
            trace = os.path.join(mod, "trace.json")
            start, cpu = time.time(), resource.getrusage(resource.RUSAGE_CHILDREN)
            go("build", f"-ldflags={v}", f"-debug-trace={trace}", "-o", os.path.join(mod, "cell"), ".")
            total, cpu_end = time.time() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_s = (cpu_end.ru_utime - cpu.ru_utime) + (cpu_end.ru_stime - cpu.ru_stime)
            spans = {"load": 0.0, "compile": 0.0, "link": 0.0}
            with open(trace) as f:
                events = json.load(f)
            begins = {}
            for e in events:
                name = e.get("name", "")
                kind = "link" if re.fullmatch(r"Executing action \(link [^)]*\)", name) else (
                    "compile" if re.fullmatch(r"Executing action \(build (?!check cache)[^)]*\)", name) else (
                        "load" if name == "load.PackagesAndErrors" else None))
                if kind is None:
                    continue
                key = (name, e.get("tid"))
                if e.get("ph") == "B":
                    begins[key] = e["ts"]
                elif e.get("ph") == "E" and key in begins:
                    spans[kind] += (e["ts"] - begins.pop(key)) / 1e6
            size = os.path.getsize(os.path.join(mod, "cell"))
            results[v].append({"total_s": total, **{k + "_s": s for k, s in spans.items()}, "cpu_s": cpu_s,
                               "bytes": size})
    return {v: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for v, rs in results.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cells", type=int, default=20, help="trivial cells per kernel (default 20; 0: no kernels)")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="replace a variable of the GoNB kernel's environment (repeatable; empty VALUE: remove)")
    ap.add_argument("--compare", action="store_true",
                    help="run the kernel as installed and with --env alternately, --rounds times each")
    ap.add_argument("--rounds", type=int, default=1, help="rounds of --compare or --build-trace (default 1)")
    ap.add_argument("--no-python", action="store_true", help="skip the Python kernel")
    ap.add_argument("--first-plot", action="store_true", help="also time chapter 3 up to its first picture")
    ap.add_argument("--build-trace", action="append", metavar="LDFLAGS",
                    help="time go build outside GoNB with these -ldflags (repeatable; --build-trace= for none)")
    ap.add_argument("--out", help="write the report as JSON to this file")
    args = ap.parse_args()
    if args.compare and not args.env:
        ap.error("--compare needs --env (the kernel environment to compare the installed one with)")
    if any("=" not in e for e in args.env):
        ap.error("--env takes KEY=VALUE")
    overrides = tuple(tuple(e.split("=", 1)) for e in args.env)

    m = machine()
    print(f"machine: {m['cpu']}; {m['cores']} cores; vector extensions: {', '.join(m['vector'])}")
    print("load average at start: %.2f %.2f %.2f" % m["load"])
    go_version = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    print(f"{go_version}; GoNB {shutil.which('gonb') or 'gonb (not on PATH)'}")
    report = {"machine": m, "go": go_version, "runs": []}
    workdir = tempfile.mkdtemp(prefix="bench-cells-")

    if args.build_trace:
        bt = build_trace(args.build_trace, args.rounds, workdir)
        report["build_trace"] = bt
        print(f"\ngo build of a trivial cell's program outside GoNB, median of {args.rounds} interleaved rounds:")
        print(f"{'-ldflags':<28} {'total s':>8} {'load s':>7} {'compile s':>10} {'link s':>7} {'CPU s':>6} {'MB':>6}")
        for v, r in bt.items():
            print(f"{repr(v):<28} {r['total_s']:8.2f} {r['load_s']:7.2f} {r['compile_s']:10.2f} {r['link_s']:7.2f} {r['cpu_s']:6.2f} {r['bytes'] / 1e6:6.1f}")

    kernels = [()] if args.cells > 0 else []
    if args.cells <= 0:
        args.no_python = True  # --cells 0: only --build-trace
    elif args.compare:
        kernels = [(), overrides] * args.rounds
    elif overrides:
        kernels = [overrides]
    for kernel_env in kernels:
        report["runs"].append(run_kernel("gonb", args.cells, kernel_env, workdir))
    if not args.no_python:
        report["runs"].append(run_kernel("python3", args.cells, workdir=workdir))
    if args.first_plot:
        for kernel_env in dict.fromkeys(kernels):
            report.setdefault("first_plot", []).append(first_plot(kernel_env, workdir))

    # Per kernel environment: all the trivial cells of its runs together.
    groups = {}
    for r in report["runs"]:
        groups.setdefault((r["kernel"], r["label"]), []).append(r)
    if not report["runs"]:
        print("load average at end: %.2f %.2f %.2f" % os.getloadavg())
        if args.out:
            with open(args.out, "w") as f:
                json.dump(report, f, indent=1)
        shutil.rmtree(workdir, ignore_errors=True)
        return
    print(f"\nexecute-to-output of a trivial cell, {args.cells} cells per run, warm kernel:")
    print(f"{'kernel':<8} {'environment':<44} {'cells':>5} {'median s':>9} {'p90 s':>6} {'bind s':>7} {'import s':>9}")
    summary = []
    for (kernel, label), runs in groups.items():
        lat = [x for r in runs for x in r["latencies_s"]]
        row = {"kernel": kernel, "label": label, "env": runs[0]["env"], "cells": len(lat), "median_s": statistics.median(lat),
               "p90_s": percentile(lat, 90), "bind_s": statistics.median(r["bind_s"] for r in runs),
               "import_s": statistics.median(r["import_s"] for r in runs)}
        phase_runs = [r["phases_median_s"] for r in runs if r.get("phases_median_s")]
        if phase_runs:
            row["phases_median_s"] = {ph: statistics.median(p[ph] for p in phase_runs) for ph in PHASES}
        summary.append(row)
        print(f"{kernel:<8} {label:<44} {row['cells']:>5} {row['median_s']:9.3f}"
              f" {row['p90_s']:6.3f} {row['bind_s']:7.2f} {row['import_s']:9.2f}")
    report["summary"] = summary
    for row in summary:
        if row["env"]:
            print(f"  {row['label']}: " + ", ".join(f"{k}={v!r}" if v else f"{k} unset (Go's default)"
                                                     for k, v in row["env"].items()))
    print("\nGoNB phases of a trivial cell, median seconds:")
    print(f"{'environment':<44} " + " ".join(f"{ph:>9}" for ph in PHASES))
    for row in summary:
        if "phases_median_s" in row:
            print(f"{row['label']:<44} " + " ".join(f"{row['phases_median_s'][ph]:9.3f}" for ph in PHASES))
    for fp in report.get("first_plot", []):
        print(f"\nchapter 3, DIGITS_QUICK=20, kernel {fp['label']}: first picture {fp['from_kernel_start_s']:.1f} s"
              f" after starting the kernel ({fp['from_ready_s']:.1f} s after it was ready; {fp['code_cells_run']} code cells)")
    print("load average at end: %.2f %.2f %.2f" % os.getloadavg())
    report["load_end"] = os.getloadavg()
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)
        print(f"report: {args.out}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
