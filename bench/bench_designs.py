"""This checkout against an earlier revision of the grader, side by side, in one run.

Run with `.venv/bin/python bench/bench_designs.py [--against REV ...] [--rounds N]`. Each
revision is extracted from git (`git archive`) into a temporary folder, byte-compiled, and run
with this venv's interpreter and packages, the checkout first on its path, so only the grader's
code differs (not the install mode: each runs as a plain path entry). The class is the one of
`bench_grade.py` without the hanging notebook: correct notebooks, notebooks with one catalogued
mistake, a truncated and a binary file per assignment. Each round runs every variant once, in
turn, so that a machine whose speed drifts (a virtual machine's does, by half within an hour)
treats them alike; the figures are medians over rounds and the medians of the ratios paired
within a round:

- single: the wall time of one whole `shallow grade one.ipynb --seed 0` command (the correct
  `planar_classifier` notebook; interpreter start, imports, zygote, grading, gradebook);
- class: `shallow grade CLASS --jobs 2 --seed 0` over the whole class: notebooks per second and
  the machine's CPU per notebook (every process, from /proc/stat: exact on an idle machine).

The default revision is 8816f16, the last design with one child per submission (before the
unforgeable-scores issue gave every exercise a process of its own).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from bench_grade import make_course  # noqa: E402
from bench_stages import _machine_busy  # noqa: E402

OLD_DESIGN = "8816f16"


def extract(revision, into):
    """The grader of ``revision`` as files under ``into`` (byte-compiled); its short hash."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", *[
        str(into / d) for d in ("autograder", "quizzes", "shallow_ref") if (into / d).exists()]],
        check=True)
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", revision],
                          check=True, capture_output=True, text=True).stdout.strip()


def command(checkout):
    """How to run ``shallow`` from ``checkout``: its console entry point, as installed."""
    entry = "autograder.entry" if (checkout / "autograder" / "entry.py").exists() \
        else "autograder.cli"
    return [sys.executable, "-c",
            f"import sys; sys.argv[0] = 'shallow'; from {entry} import main; sys.exit(main())"]


def timed(argv, checkout, cwd):
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    busy = _machine_busy()
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: some notebook lost points, as expected
        raise SystemExit(f"{' '.join(argv[3:])} failed in {checkout}: "
                         f"{done.stderr.strip().splitlines()[-1:]}")
    return wall, _machine_busy() - busy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", action="append", default=None,
                        help=f"a git revision to compare with (default {OLD_DESIGN}; repeatable)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--singles", type=int, default=4, help="single grades per round")
    parser.add_argument("--students", type=int, default=60, help="per assignment")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-designs-") as tmp:
        tmp = Path(tmp)
        variants = {}
        for revision in args.against or [OLD_DESIGN]:
            folder = tmp / f"rev-{len(variants)}"
            variants[extract(revision, folder)] = folder
        variants["this checkout"] = ROOT
        course = tmp / "course"
        make_course(course, args.students, hang=False)
        total = sum(1 for _ in (course / "submitted").rglob("*.ipynb"))
        one = course / "submitted" / "s000" / "planar_classifier" / "planar_classifier.ipynb"
        single = {name: [] for name in variants}
        rate = {name: [] for name in variants}
        cpu = {name: [] for name in variants}
        print(f"{total} notebooks; {args.rounds} rounds, each variant in turn; "
              f"{os.cpu_count()} CPUs", flush=True)
        for round_ in range(args.rounds):
            for name, checkout in variants.items():
                run = command(checkout)
                for i in range(args.singles):
                    book = tmp / f"one-{i}.db"
                    book.unlink(missing_ok=True)
                    wall, _ = timed([*run, "grade", str(one), "--seed", "0", "--gradebook",
                                     str(book)], checkout, tmp)
                    single[name].append(wall)
                book = tmp / "class.db"
                book.unlink(missing_ok=True)
                wall, busy = timed([*run, "grade", str(course / "submitted"), "--jobs", "2",
                                    "--seed", "0", "--gradebook", str(book)], checkout, tmp)
                rate[name].append(total / wall)
                cpu[name].append(busy / total)
                print(f"  round {round_ + 1} {name}: class {total / wall:.1f} notebooks/s, "
                      f"{1e3 * busy / total:.0f} ms CPU each; single grade median "
                      f"{statistics.median(single[name][-args.singles:]):.3f} s", flush=True)
        base = "this checkout"
        print(f"\n{'':16s} {'single grade':>22s} {'class, --jobs 2':>26s} {'CPU/notebook':>13s}")
        for name in variants:
            pair_single = [b / a for a, b in zip(single[name], single[base], strict=True)]
            pair_rate = [b / a for a, b in zip(rate[name], rate[base], strict=True)]
            print(f"{name:16s} median {statistics.median(single[name]):.3f} s "
                  f"(min {min(single[name]):.3f}) "
                  f"{statistics.median(rate[name]):10.1f} notebooks/s "
                  f"(max {max(rate[name]):.1f}) {1e3 * statistics.median(cpu[name]):9.0f} ms")
            if name != base:
                print(f"{'':16s} this checkout / {name}: single grade time "
                      f"{statistics.median(pair_single):.2f}x, class throughput "
                      f"{statistics.median(pair_rate):.2f}x (paired medians)")


if __name__ == "__main__":
    main()
