"""Runs every notebook in notebooks/ with the GoNB kernel (see run_notebooks.py).

Each test fails if a cell fails (Go compile error, panic, non-zero exit) or
if a cell misses the output its metadata expects (a picture, a line of text).
"""

import os
import pathlib

import pytest

import run_notebooks

# Notebooks run in the package's quick mode here: training stops each epoch
# after this many batches, and every training notebook says so in its output.
# `make notebooks` runs them in full.
QUICK_BATCHES = "20"
os.environ.setdefault("DIGITS_QUICK", QUICK_BATCHES)

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"
    print(f"notebooks run in QUICK MODE: DIGITS_QUICK={os.environ['DIGITS_QUICK']} batches per epoch")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook(path):
    _, problems, seconds = run_notebooks.execute(str(path))
    print(f"{path.name}: executed in {seconds:.1f}s")
    assert not problems, "\n".join(problems)


def test_checker_catches_a_missing_picture():
    """The checker itself must fail a cell that promised a picture and showed none."""
    import nbformat

    cell = nbformat.v4.new_code_cell("", metadata={"expect_image": True, "expect": ["backend: "]})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
    nb = nbformat.v4.new_notebook(cells=[cell])
    problems = run_notebooks.check(nb)
    assert len(problems) == 2, problems


def test_checker_reads_text_printed_before_a_display_that_arrives_after_it():
    """A line printed just before a display can reach the notebook after it
    (chapter 6's table rows and its HTML table): it still starts a line of the
    cell's text, as it does on the page; a line the cell never printed is
    still missed."""
    import nbformat

    def cell(last_row):
        c = nbformat.v4.new_code_cell("", metadata={"expect": [r"(?m)^\s+4\s+25\s+\d+"]})
        c.outputs = [
            nbformat.v4.new_output("stream", name="stdout", text="      2        50       1633\n"),
            nbformat.v4.new_output("display_data", data={"text/html": "<table><tr><td>4</td></tr></table>"}),
            nbformat.v4.new_output("stream", name="stdout", text=last_row),
        ]
        return nbformat.v4.new_notebook(cells=[c])

    assert run_notebooks.check(cell("      4        25       1354\n")) == []
    assert len(run_notebooks.check(cell(""))) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs(path):
    """The committed notebook is what a reader opens without running it: its
    outputs come from a full run (make notebooks), every picture has a PNG
    (so it shows in an untrusted notebook and on code hosts), and the numbers
    its prose states are the ones its cells printed (expect_full)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    unrun = [i for i, c in enumerate(code) if c.source.strip() and c.get("execution_count") is None]
    assert not unrun, f"{path.name}: code cells {unrun} were not run: run make notebooks"
    problems = run_notebooks.check(nb, full=True)
    assert not problems, "\n".join(problems)
    text = "".join(run_notebooks.cell_text(c) for c in code)
    assert "QUICK MODE" not in text, f"{path.name}: committed from a quick run; make notebooks runs them in full"


def test_checker_catches_svg_without_png():
    import nbformat

    cell = nbformat.v4.new_code_cell("", metadata={"expect_image": True})
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<svg></svg>"})]
    nb = nbformat.v4.new_notebook(cells=[cell])
    assert any("SVG only" in p for p in run_notebooks.check(nb)), run_notebooks.check(nb)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBOR", "image/svg+xml": "<svg/>", "text/plain": "a plot"})]
    assert run_notebooks.check(nb) == []


def results_rows(text):
    """The rows of the results table between <!-- results --> markers:
    (notebook file, our number) pairs."""
    import re

    m = re.search(r"<!-- results -->(.*?)<!-- /results -->", text, re.S)
    assert m, "no <!-- results --> table"
    rows = []
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        link = re.search(r"\((?:notebooks/)?(\d\d_\w+\.ipynb)\)", line)
        if not link or len(cells) < 4:
            continue
        rows.append((link.group(1), cells[-1].strip("* ")))
    return rows


def test_results_table_matches_notebooks():
    """Each number of the results table (README and notebook 00) is printed
    by the chapter it links to, in the committed outputs."""
    import nbformat

    root = pathlib.Path(__file__).parent.parent
    sources = {"README.md": (root / "README.md").read_text()}
    nb0 = nbformat.read(str(root / "notebooks" / "00_getting_started.ipynb"), as_version=4)
    sources["notebook 00"] = "\n".join(c.source for c in nb0.cells if c.cell_type == "markdown")
    tables = {}
    for where, text in sources.items():
        rows = results_rows(text)
        assert len(rows) >= 8, f"{where}: results table has {len(rows)} rows"
        tables[where] = rows
        for file, ours in rows:
            nb = nbformat.read(str(root / "notebooks" / file), as_version=4)
            printed = "".join(run_notebooks.cell_text(c) for c in nb.cells if c.cell_type == "code")
            assert ours in printed, f"{where}: {file} does not print {ours!r}"
    assert tables["README.md"] == tables["notebook 00"], "README's and notebook 00's results tables differ"
