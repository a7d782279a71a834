"""Reading takes time linear in the size of the notebook, whatever its shape.

The ratios are generous (four times the size must cost less than eight times the time) and
the sizes small, so that the tests stay quick on a busy machine; bench/bench_parse.py measures
the real figures. The bound on what is parsed at all is checked structurally.
"""

import ast
import json
import time

import pytest

from autograder import notebook
from autograder.notebook import extract_from_notebook_bytes, extract_from_python_source

KB = 1024


def notebook_of(cells, outputs=None):
    cells = [
        {"cell_type": "code", "execution_count": 1, "metadata": {},
         "outputs": outputs or [], "source": source}
        for source in cells
    ]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def repeat(piece, size):
    return piece * max(1, size // len(piece))


# Each shape: size in characters -> the bytes of a notebook of about that size.
SHAPES = {
    "many cells": lambda n: notebook_of(
        [f"def f{i}(x):\n    return x * {i}\nprint(f{i}(2))\n" for i in range(n // 40)]),
    "one huge cell": lambda n: notebook_of(
        [repeat("def g(x):\n    '''Doc.'''\n    return x + 1\nfor i in range(3):\n    g(i)\n",
                n)]),
    "long lines": lambda n: notebook_of(
        ["DATA = [" + "1.5, " * (n // 10) + "]\n", "TEXT = '" + "é" * (n // 2) + "'\n"]),
    "many magics": lambda n: notebook_of([repeat(
        "%matplotlib inline\n!ls -la\nfiles = !ls\nt = %time f()\nnp.sqrt?\n"
        "def h():\n    %time y = 1\n    return y\n", n)]),
    "continuations": lambda n: notebook_of([repeat(
        "total = 1 + \\\n    2\nDOC = '''a\n%not\n'''\nV = (1,\n     2)\n%time x\n", n)]),
    "nested brackets": lambda n: notebook_of(
        [repeat("v = " + "(" * 90 + "1" + ")" * 90 + "\n", n)]),
    "statements on a line": lambda n: notebook_of(
        [";".join(f"a{k} = {k}; show(a{k})" for k in range(n // 24)) + "\n%time x\n"]),
    "escaped string": lambda n: notebook_of(["%time x\ns = '" + "\\n" * (n // 2) + "'\n"]),
    "huge outputs": lambda n: notebook_of(
        ["x = 1\n"],
        [{"output_type": "stream", "name": "stdout", "text": ["cost 0.69\n"] * (n // 10)}]),
    "same name bound often": lambda n: notebook_of(
        ["import numpy as np\n" + repeat("S = np.sqrt(2.0)\nX = load()\n", n // 2),
         repeat("def f():\n    return S + X\n", n // 2)]),
    "help lines": lambda n: notebook_of([repeat("obj.attr?\nx = a" + "b" * 50 + "?\n", n)]),
    "unclosed magic brackets": lambda n: notebook_of(
        ["%time f(\n" * 50 + repeat("x = 1\n", n)]),
    "prompts and indentation": lambda n: notebook_of(
        [repeat(">>> def f():\n...     return 1\n", n // 2),
         repeat("    x = 1\n    \n    def g():\n        return x\n", n // 2)]),
    "autocalls": lambda n: notebook_of([repeat(",print a b\n;print a b\n/print 1 2\n", n)]),
}


def cpu_time(data, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        extract_from_notebook_bytes(data.encode(), "nb.ipynb", max_code_chars=10**8)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("shape", list(SHAPES))
def test_four_times_the_size_costs_less_than_eight_times_the_time(shape):
    small, large = SHAPES[shape](40 * KB), SHAPES[shape](160 * KB)
    assert 3 < len(large) / len(small) < 5
    cpu_time(small, repeats=1)  # warm up
    small_time, large_time = cpu_time(small), cpu_time(large)
    assert large_time < 8 * small_time + 0.05, (shape, small_time, large_time)


def test_at_most_max_code_chars_of_code_are_parsed(monkeypatch):
    parsed = []
    real_parse = ast.parse

    def counting_parse(source, *args, **kwargs):
        parsed.append(len(source))
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(notebook.ast, "parse", counting_parse)
    cells = [f"def f{i}():\n    return {i}\n" * 50 for i in range(400)]  # 400 cells of ~1 KB
    gs = extract_from_notebook_bytes(notebook_of(cells).encode(), "nb.ipynb",
                                     max_code_chars=100 * KB)
    assert sum(parsed) <= 100 * KB + 2 * len(cells)  # a "\n" may be added to each
    skipped = sorted(set(range(400)) - {chunk.cell for chunk in gs.chunks})
    assert len(skipped) > 250 and all(gs.unparsed[cell] == (
        "the notebook's code is over the 0.1 MB limit of what is read (each cell counting 256 "
        "characters more)") for cell in skipped)
    assert gs.broken_defs[f"f{skipped[-1]}"] == skipped[-1]  # found without parsing
    (problem,) = [p for p in gs.problems if "not read" in p]
    assert problem == (f"cell {skipped[0]} and {len(skipped) - 1} later cells were not read: "
                       "the notebook's code is over the 0.1 MB limit of what is read (each cell "
                       "counting 256 characters more)")


def test_a_huge_cell_does_not_stop_the_small_ones_after_it():
    cells = ["def before():\n    pass\n", "x = 1\n" * 50_000, "def after():\n    pass\n"]
    gs = extract_from_notebook_bytes(notebook_of(cells).encode(), max_code_chars=100 * KB)
    assert set(gs.defined) == {"before", "after"} and list(gs.unparsed) == [1]


def test_a_python_file_over_the_limit():
    gs = extract_from_python_source("x = 1\n" * 1000, max_code_chars=1000)
    assert gs.problems == ["not read: the file's code is over the 0.0 MB limit of what is read "
                           "(each cell counting 256 characters more)"]


def test_unclosed_brackets_after_many_magics_are_refused_not_slow():
    # IPython tokenizes the whole rest of the cell again after each of these magics.
    cell = "%time f(\n" * 2000 + "x = [\n" + "1,\n" * 20_000 + "]\n"
    start = time.process_time()
    gs = extract_from_notebook_bytes(notebook_of([cell]).encode())
    assert time.process_time() - start < 20  # generous: it is a few hundred milliseconds
    assert gs.unparsed[0].startswith("too complex to read")


def test_the_work_of_the_token_transformer_is_bounded_by_the_size():
    for cell in ["%time x\n" * 5000, ("x = (\n" + "%time y\n" * 100 + ")\n") * 50,
                 "?x\n" * 3000 + "f(a?\n" * 3000, ",f a b\n" * 3000]:
        text = notebook._jupyter_source(cell)
        assert len(text.text.split("\n")) == len(cell.split("\n"))
        lines = cell.split("\n")
        transformer = notebook._TokenTransformer(lines, notebook._CellText(), 0)
        try:
            transformer.run()
        except notebook._Unparsable:
            pass
        assert transformer.work <= transformer.budget <= 8 * (len(cell) + 1) + 100_000
