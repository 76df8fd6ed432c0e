"""Execute GoNB notebooks headlessly and check what they show.

A notebook passes when every cell runs without error (a Go panic or a non-zero
exit fails its cell) and every cell meets the expectations written in its
metadata:

  "expect_image": true        the cell displays an SVG or PNG picture;
  "expect": ["regex", ...]    each regular expression matches the cell's text
                              output (stdout, stderr and text/plain results);
  "expect_full": ["regex", ...]
                              the same, for outputs of a full run only (make
                              notebooks): the numbers the prose states. Quick
                              runs skip them; tests/test_notebooks.py checks
                              them against the committed outputs.

Every picture must render where the notebook is not trusted (JupyterLab
before it runs the notebook, code hosts' viewers): an output that carries
SVG must carry a PNG too.

Used by tests/test_notebooks.py (make test) and by `make notebooks`, which
saves the executed notebooks in place.
"""

import argparse
import os
import re
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

KERNEL = "gonb"
CELL_TIMEOUT = 1800  # seconds; the first cell compiles GoMLX when the Go cache is cold.


def joined(value):
    """A notebook text field, stored as a string or a list of lines, as one string."""
    return value if isinstance(value, str) else "".join(value)


def cell_text(cell):
    """All text a code cell printed, in order. A displayed output (plain text,
    HTML) ends its own line, as it is its own block on the page: printed
    text that reaches the notebook after it starts a new line. (GoNB sends a
    program's printed text and its displays through separate pipes, so text
    printed just before a display can arrive just after it.)"""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(joined(out.get("text", "")))
        elif "data" in out:
            for mime in ("text/plain", "text/html"):
                text = joined(out["data"].get(mime, ""))
                parts.append(text + "\n" if text and not text.endswith("\n") else text)
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])))
    return "".join(parts)


def pictures(out):
    """Whether an output shows an SVG picture, and whether a PNG one, as a
    MIME type of its own or inside its HTML."""
    data = out.get("data", {})
    html = joined(data.get("text/html", ""))
    return "image/svg+xml" in data or "<svg" in html, "image/png" in data or "data:image/png" in html


def has_image(cell):
    return any(any(pictures(out)) for out in cell.get("outputs", []))


def svg_without_png(out):
    """Whether an output shows SVG with no PNG beside it (invisible untrusted)."""
    svg, png = pictures(out)
    return svg and not png


def check(nb, full=False):
    """Returns the list of unmet expectations of an executed notebook;
    full says its outputs come from a full run (expect_full applies)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        label = f"cell {i}"
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"{label}: {out.get('ename')}: {out.get('evalue')}")
            if svg_without_png(out) and out.get("output_type") != "update_display_data":
                problems.append(f"{label}: a picture in SVG only (no PNG): it does not render in an untrusted notebook")
        meta = cell.get("metadata", {})
        if meta.get("expect_image") and not has_image(cell):
            problems.append(f"{label}: expected a picture, found none")
        text = cell_text(cell)
        for pattern in meta.get("expect", []) + (meta.get("expect_full", []) if full else []):
            if not re.search(pattern, text):
                problems.append(f"{label}: output does not match {pattern!r}; output was:\n{text[-2000:]}")
    return problems


def quick_batches():
    """The quick mode of this run: DIGITS_QUICK batches per epoch, 0 for full
    runs; as mnist.QuickBatchesFromEnv reads it, anything but a positive
    number means a full run."""
    try:
        return max(int(os.environ.get("DIGITS_QUICK", "")), 0)
    except ValueError:
        return 0


def execute(path, save_to=None):
    """Executes the notebook at path; returns (executed notebook, problems, seconds)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=CELL_TIMEOUT, allow_errors=False)
    start = time.monotonic()
    problems = []
    # Each run gets its own temporary directory (the kernel inherits TMPDIR),
    # so the checkpoints a notebook keeps there between cells cannot be
    # overwritten by another run of the same notebook.
    saved_tmpdir = os.environ.get("TMPDIR")
    with tempfile.TemporaryDirectory(prefix="digits-nb-") as tmp:
        os.environ["TMPDIR"] = tmp
        try:
            client.execute()
        except CellExecutionError as err:
            problems.append(str(err)[-3000:])
        finally:
            if saved_tmpdir is None:
                del os.environ["TMPDIR"]
            else:
                os.environ["TMPDIR"] = saved_tmpdir
    problems += check(nb, full=quick_batches() == 0)
    seconds = time.monotonic() - start
    if save_to and not problems:
        nbformat.write(nb, save_to)
    return nb, problems, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--inplace", action="store_true", help="save each passing notebook with its outputs")
    args = parser.parse_args()
    failed = 0
    for path in args.notebooks:
        _, problems, seconds = execute(path, save_to=path if args.inplace else None)
        status = "ok" if not problems else "FAILED"
        print(f"{path}: {status} ({seconds:.1f}s)")
        for p in problems:
            print("  " + p.replace("\n", "\n  "))
        failed += bool(problems)
    print(f"{len(args.notebooks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
