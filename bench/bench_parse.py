"""Benchmark of reading a submission: how the time to read a notebook grows with its size.

Run with `.venv/bin/python bench/bench_parse.py [--sizes 1,5,20] [--shapes a,b] [--repeats N]`.
For each shape of notebook (many small cells, one huge cell, very long lines, many magics, many
continuations, deep brackets, huge outputs, many statements, broken cells...) it builds notebooks
of about 1, 5 and 20 MB, reads each with `read_submission` (the grader's call), and prints the
best time, the time per MB and the ratio of the time per MB to the smallest size's: a ratio near
1 (or below) means the cost is linear in the size. A 20 MB notebook (the size limit) must be read
or refused in about 2 s.

`--impl FILE` reads with another copy of `autograder/notebook.py` (for example the previous
version, from `git show HEAD~1:autograder/notebook.py > /tmp/old.py`), each size in a child
process stopped after `--timeout` seconds, to compare before and after. A second table reads
the same shapes with the code limit lifted, so that the parser's own cost per MB shows.

Latest figures (2 shared cores, CPU seconds, best of 3):

| notebook | before (all parsed, GC on) | after (512 KB of code parsed) |
|---|---|---|
| one huge cell, 6.9 MB / 19.6 MB | 9.8-12.2 s / 40.1 s | 0.22 s / 0.68 s |
| many continuations, 8.7 MB / 19.6 MB | 11.9-12.6 s / 29.2 s | 0.83 s / 1.04 s |
| escaped strings, 9.0 MB / 19.6 MB | 16.0 s / 34.9 s | 0.13 s / 0.31 s |
| course-like cells, 5.7 MB / 18.9 MB | 2.8-4.4 s / 14.6 s | 0.50 s / 1.12 s |
| many magics, 7.8 MB / 19.6 MB | 2.8 s / 6.8 s | 0.69 s / 1.15 s |
| slowest 20 MB notebook of all shapes | 40 s | 1.15 s |

With the limit lifted the parser costs 0.3-0.9 s per MB of code, the same at 1 and 5 MB.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024

GRADED = frozenset(
    {
        "sigmoid",
        "layer_sizes",
        "initialize_parameters",
        "forward_propagation",
        "compute_cost",
        "backward_propagation",
        "update_parameters",
        "nn_model",
        "predict",
    }
)


# --------------------------------------------------------------------------------------------
# Shapes of notebooks: each returns the code cells (strings) of about ``size`` characters


def _course_cell(i: int) -> str:
    return (
        f"# GRADED FUNCTION: layer_sizes_{i}\n"
        "import numpy as np\n"
        f"SCALE_{i} = np.sqrt(1e-4)\n"
        f"def layer_sizes_{i}(X, Y):\n"
        '    """Sizes of the layers.\n\n    Arguments: X, Y\n    """\n'
        "    n_x = X.shape[0]  # input size\n"
        "    n_h = 4\n"
        "    n_y = Y.shape[0]\n"
        f"    return (n_x, n_h, n_y, SCALE_{i})\n"
        "%matplotlib inline\n"
        f"X_{i}, Y_{i} = load_planar_dataset()\n"
        f"print(layer_sizes_{i}(X_{i}, Y_{i}))\n"
    )


def shape_many_cells(size: int) -> list[str]:
    cells, total, i = [], 0, 0
    while total < size:
        cell = f"def f_{i}(x):\n    return x * {i}\n" if i % 2 else f"x_{i} = {i}\nprint(x_{i})\n"
        cells.append(cell)
        total += len(cell) + 120  # the JSON around a cell
        i += 1
    return cells


def shape_course(size: int) -> list[str]:
    cells, total, i = [], 0, 0
    while total < size:
        cell = _course_cell(i)
        cells.append(cell)
        total += len(cell) + 200
        i += 1
    return cells


def shape_one_cell(size: int) -> list[str]:
    parts, total, i = [], 0, 0
    while total < size:
        part = _course_cell(i)
        parts.append(part)
        total += len(part) + 20
        i += 1
    return ["".join(parts)]


def shape_long_lines(size: int) -> list[str]:
    line = 2 * MB
    cells, total, i = [], 0, 0
    while total < size:
        n = min(line, size - total) // 8 + 1
        if i % 3 == 0:
            cells.append("DATA = [" + ", ".join(["1.5e-3"] * n) + "]\n")
        elif i % 3 == 1:
            cells.append("TEXT = '" + "héllo wörld " * n + "'\n")
        else:
            cells.append(";".join(f"a{k} = {k}; show(a{k})" for k in range(n // 3)) + "\n")
        total += len(cells[-1]) + 100
        i += 1
    return cells


def shape_magics(size: int) -> list[str]:
    block = (
        "%matplotlib inline\n"
        "!pip install numpy\n"
        "files = !ls -la\n"
        "t = %time compute()\n"
        "np.sqrt?\n"
        "def g_{i}(x):\n"
        "    %time y = x + 1\n"
        "    !echo inside\n"
        "    return x\n"
        "%timeit g_{i}(3)\n"
    )
    cells, total, i = [], 0, 0
    while total < size:
        cell = "".join(block.replace("{i}", str(i * 50 + k)) for k in range(50))
        cells.append(cell)
        total += len(cell) + 100
        i += 1
    return cells


def shape_continuations(size: int) -> list[str]:
    block = (
        "total = 1 + \\\n    2 + \\\n    3\n"
        'DOC = """line one\n%not a magic\n!nor this\n"""\n'
        "VALUES = (1,\n          2,\n          3)\n"
        "NAME = ('a'\n        'b'\n        \"c\")\n"
        "def h_{i}(x):\n    return (x\n            % 7)\n"
    )
    cells, total, i = [], 0, 0
    while total < size:
        cell = "".join(block.replace("{i}", str(i * 100 + k)) for k in range(100))
        cells.append(cell)
        total += len(cell) + 100
        i += 1
    return cells


def shape_nested(size: int) -> list[str]:
    expr = "(" * 90 + "1" + ")" * 90
    cells, total, i = [], 0, 0
    while total < size:
        cell = "".join(f"v_{i}_{k} = {expr}\n" for k in range(200))
        cells.append(cell)
        total += len(cell) + 100
        i += 1
    return cells


def shape_statements(size: int) -> list[str]:
    cells, total, i = [], 0, 0
    while total < size:
        cell = "".join(f"train({k})\nprint('cost', {k})\nlr_{k} = 0.{k}\n" for k in range(300))
        cells.append(cell)
        total += len(cell) + 100
        i += 1
    return cells


def shape_escaped_strings(size: int) -> list[str]:
    cells, total, i = [], 0, 0
    while total < size:
        n = min(MB, size - total) // 2 + 1
        cells.append("%matplotlib inline\nNOTE = '" + "\\n" * n + "'\n")
        total += len(cells[-1]) + 100
        i += 1
    return cells


def shape_broken(size: int) -> list[str]:
    cells, total, i = [], 0, 0
    while total < size:
        cell = f"def nn_model_{i}(X, Y:\n    return X\n" + "x = (1,\n" * 20
        cells.append(cell)
        total += len(cell) + 100
        i += 1
    return cells


SHAPES = {
    "course": shape_course,
    "many-cells": shape_many_cells,
    "one-cell": shape_one_cell,
    "long-lines": shape_long_lines,
    "magics": shape_magics,
    "continuations": shape_continuations,
    "nested": shape_nested,
    "statements": shape_statements,
    "escaped-strings": shape_escaped_strings,
    "broken": shape_broken,
    "outputs": None,  # built by outputs_notebook
}


def outputs_notebook(size: int) -> dict:
    """A small notebook whose outputs (images, long text streams) make up the size."""
    image = base64.b64encode(os.urandom(min(size // 2, 8 * MB) * 3 // 4)).decode()
    stream_lines = max(1, (size - len(image)) // 40)
    outputs = [
        {"output_type": "display_data", "data": {"image/png": image}, "metadata": {}},
        {"output_type": "stream", "name": "stdout",
         "text": [f"cost after iteration {k}: 0.693\n" for k in range(stream_lines)]},
    ]
    cells = [_code(_course_cell(0), outputs), _code("x = 1\n")]
    return _notebook(cells)


def _code(source: str, outputs: list | None = None) -> dict:
    return {"cell_type": "code", "execution_count": 1, "metadata": {},
            "outputs": outputs or [], "source": source.splitlines(keepends=True)}


def _notebook(cells: list[dict]) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def build(shape: str, size: int) -> bytes:
    """The bytes of a notebook of about ``size`` bytes (never more than the 20 MB limit)."""
    if shape == "outputs":
        nb = outputs_notebook(size)
    else:
        nb = _notebook([_code(c) for c in SHAPES[shape](size)])
    data = json.dumps(nb, ensure_ascii=False).encode()
    return data[: 20 * MB] if len(data) <= 20 * MB else _shrink(shape, size, data)


def _shrink(shape: str, size: int, data: bytes) -> bytes:
    while len(data) > 20 * MB:  # the estimate overshot: ask for a little less
        size = int(size * 20 * MB / len(data) * 0.98)
        data = build(shape, size)
    return data


# --------------------------------------------------------------------------------------------
# Timing


def _load(impl: str | None):
    if impl is None:
        from autograder import notebook

        return notebook
    spec = importlib.util.spec_from_file_location("notebook_impl", impl)
    module = importlib.util.module_from_spec(spec)
    sys.modules["notebook_impl"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _time_read(impl, path, repeats, unbounded, queue):
    module = _load(impl)
    best, outcome = float("inf"), ""
    options = {"max_code_chars": 10**9} if unbounded else {}
    for _ in range(repeats):
        start = time.process_time()
        try:
            gs = module.read_submission(path, graded_names=GRADED, **options)
            outcome = f"{len(gs.chunks)} chunks, {len(gs.problems)} problems"
        except module.NotebookError as exc:
            outcome = f"refused: {exc.problem}"
        best = min(best, time.process_time() - start)
    queue.put((best, outcome))


def measure(impl, path, repeats, timeout, unbounded=False):
    """Best CPU time of ``repeats`` reads, in a child process stopped after ``timeout`` s."""
    queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=_time_read,
                                    args=(impl, path, repeats, unbounded, queue))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return None, f"stopped after {timeout:.0f} s"
    return queue.get() if not queue.empty() else (None, "crashed")


def table(title, shapes, sizes, impl, repeats, timeout, unbounded):
    """Print one table; return the slowest time among the notebooks of 19 MB or more."""
    print(title)
    print(f"{'shape':>15} | {'MB':>6} | {'time':>9} | {'s per MB':>8} | {'ratio':>5} | outcome")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for shape in shapes:
            base = None
            for mb in sizes:
                data = build(shape, int(mb * MB))
                path = Path(tmp) / f"{shape}.ipynb"
                path.write_bytes(data)
                seconds, outcome = measure(impl, str(path), repeats, timeout, unbounded)
                real_mb = len(data) / MB
                if seconds is None:
                    print(f"{shape:>15} | {real_mb:6.2f} | {'-':>9} | {'-':>8} | {'-':>5} | "
                          f"{outcome}")
                    continue
                per = seconds / real_mb
                base = base or per
                if real_mb > 19:
                    worst = max(worst, seconds)
                print(f"{shape:>15} | {real_mb:6.2f} | {seconds:7.3f} s | {per:8.3f} | "
                      f"{per / base:5.2f} | {outcome[:60]}", flush=True)
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,20", help="sizes in MB (default 1,5,20)")
    parser.add_argument("--parser-sizes", default="1,5",
                        help="sizes in MB for the table without the code limit ('' for none)")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--impl", help="another copy of autograder/notebook.py to time")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    shapes = args.shapes.split(",")
    sizes = [float(s) for s in args.sizes.split(",") if s]
    print(f"read_submission, CPU time (best of {args.repeats}); {os.cpu_count()} CPUs; "
          f"{args.impl or 'autograder/notebook.py'}")
    worst = table("As the grader reads (the default code limit):", shapes, sizes, args.impl,
                  args.repeats, args.timeout, unbounded=False)
    print(f"slowest 20 MB notebook: {worst:.2f} s (target: about 2 s)")
    parser_sizes = [float(s) for s in args.parser_sizes.split(",") if s]
    if parser_sizes and not args.impl:
        print()
        table("The parser itself (max_code_chars lifted: every cell is parsed):", shapes,
              parser_sizes, args.impl, args.repeats, args.timeout, unbounded=True)
    print("ratio = time per MB relative to the smallest size: linear means near 1 (or below, "
          "where the code limit stops the parsing)")


if __name__ == "__main__":
    main()
