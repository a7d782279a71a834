"""Benchmark of `shallow grade`: a generated class graded in one run, and single commands.

Run with `make bench` or `.venv/bin/python bench/bench_grade.py [--students N]`. The class holds
correct submissions, one per catalogued mistake, a few broken files and one that hangs. Prints
per-submission median and 90th percentile, throughput for 1 and 2 jobs, and the wall time of a
whole `shallow grade one.ipynb` and `shallow check one.ipynb` command (medians of several runs).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_mistakes import BUGS  # noqa: E402

from autograder.grade import find_submissions, grade_many  # noqa: E402
from notebooks import CORRECT, replace_function, write_notebook  # noqa: E402

SHALLOW = str(Path(sys.executable).parent / "shallow")


def make_class(folder, students):
    """Write `students` notebooks: mostly correct or one catalogued mistake each, 2 broken, 1
    hanging."""
    hang = replace_function(CORRECT, "relu", "def relu(z):\n    while True:\n        pass\n")
    sources = [CORRECT] + [replace_function(CORRECT, e, code) for _, e, code in BUGS]
    for i in range(students):
        path = folder / f"student{i:04d}.ipynb"
        if i == 1:
            path.write_bytes(b"\x00broken")
        elif i == 2:
            path.write_text('{"cells": [')
        elif i == 3:
            write_notebook(path, hang)
        else:
            write_notebook(path, sources[i % len(sources)])


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def time_command(argv, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--timeout", type=float, default=2.0,
                        help="per-exercise budget cap (the hanging submission pays it once)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        make_class(folder, args.students)
        submissions = find_submissions([folder])
        print(f"class of {len(submissions)} submissions ({len(BUGS)} catalogued mistakes, "
              f"2 broken files, 1 hanging exercise capped at {args.timeout:g} s)")
        rates = {}
        for jobs in (1, 2):
            db = Path(tmp) / f"grades{jobs}.db"
            start = time.perf_counter()
            results = grade_many(submissions, gradebook=db, jobs=jobs, timeout=args.timeout)
            wall = time.perf_counter() - start
            per = [r.duration_s for r in results]
            rates[jobs] = len(results) / wall
            print(f"jobs={jobs}: {wall:6.2f} s wall, {rates[jobs]:5.1f} submissions/s, "
                  f"per submission median {statistics.median(per) * 1000:4.0f} ms, "
                  f"p90 {percentile(per, 0.9) * 1000:4.0f} ms, max {max(per):.2f} s")
        print(f"scaling 1 -> 2 jobs: x{rates[2] / rates[1]:.2f}")

        one = write_notebook(Path(tmp) / "one.ipynb")
        for command in (["grade", str(one), "--gradebook", str(Path(tmp) / "one.db")],
                        ["check", str(one)]):
            median, low, high = time_command([SHALLOW, *command], args.repeats)
            print(f"shallow {command[0]} one.ipynb: median {median:.3f} s "
                  f"(min {low:.3f}, max {high:.3f}, {args.repeats} runs)")
        print("targets: single `shallow grade` at most 0.5 s")


if __name__ == "__main__":
    main()
