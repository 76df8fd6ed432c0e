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
