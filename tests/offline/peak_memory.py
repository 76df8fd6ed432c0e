"""Peak memory of the GoNB kernels' process trees, read from /proc.

Polls every process of one user; the tree of each process whose command line
contains --match (the GoNB kernel) is the kernel with what it runs: `go build`
while compiling a cell, then the cell's program, which trains the model. On
SIGINT or SIGTERM it writes to --out the peak resident memory (RSS) of the whole tree
and the peak of each kind of process in it: the kernel (gonb), gopls (which
GoNB starts for code completion), the Go toolchain building a cell (go,
compile, link, cgo, gcc...), and the cells' programs (gonb_...).
"""

import argparse
import os
import signal
import sys
import time


def processes(uid):
    """Returns {pid: (ppid, name, rss_kib, cmdline)} for the user's processes."""
    procs = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
            if int(status["Uid"].split()[0]) != uid:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            rss = int(status.get("VmRSS", "0 kB").split()[0])
            procs[int(entry)] = (int(status["PPid"]), status["Name"].strip(), rss, cmdline)
        except (OSError, KeyError, ValueError):
            continue
    return procs


def kind_of(name):
    if name == "gonb":
        return "kernel (gonb)"
    if name.startswith("gonb_"):
        return "cell program"
    if name == "gopls":
        return "gopls"
    return "Go toolchain"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uid", type=int, required=True)
    parser.add_argument("--match", default="gonb")
    parser.add_argument("--out", required=True)
    parser.add_argument("--interval", type=float, default=0.1)
    args = parser.parse_args()

    peak_tree, peaks = 0, {}
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        procs = processes(args.uid)
        children = {}
        for pid, (ppid, *_rest) in procs.items():
            children.setdefault(ppid, []).append(pid)
        roots = [pid for pid, p in procs.items() if args.match in p[3] and "--kernel" in p[3]]
        for root in roots:
            tree, todo = [], [root]
            while todo:
                pid = todo.pop()
                tree.append(pid)
                todo.extend(children.get(pid, []))
            total = sum(procs[pid][2] for pid in tree)
            peak_tree = max(peak_tree, total)
            for pid in tree:
                kind = kind_of(procs[pid][1])
                peaks[kind] = max(peaks.get(kind, 0), procs[pid][2])
        time.sleep(args.interval)
    with open(args.out, "w") as f:
        f.write(f"peak RSS of a kernel's process tree {peak_tree / 1024:.0f} MiB; peak per process: "
                + ", ".join(f"{kind} {rss / 1024:.0f} MiB" for kind, rss in sorted(peaks.items())) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
