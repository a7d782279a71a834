"""Cluster throughput: local `--jobs 2`, a Dask `local:2` cluster and nbgrader; gradebook writes.

Run with `.venv/bin/python bench/bench_cluster.py [--students N]`. It builds the class as
bench/bench_grade.py does (N students per assignment, correct notebooks, catalogued mistakes,
broken files; no hanging notebook, so the figures are the work itself), then in the same run:

- `grade_many(jobs=2)` and `grade_on_cluster("local:2")` (every isolation layer on, per-student
  seeds): wall time with and without the start-up, notebooks/s, the worker-seconds one notebook
  costs, the ratio, and whether both gave the same results (minus timing fields);
- stock `nbgrader autograde` on the first `--nbgrader-students` students of the same class (the
  same notebooks: the class is generated deterministically), its notebooks/s measured there and
  the whole class's time extrapolated from it (nbgrader needs seconds per notebook: the whole
  2,000 would take hours), with the ratios to both shallow runs;
- the scheduler alone: trivial tasks per second through the same window of tasks in flight;
- the gradebook's write rate, records/s (a real result of ~30 cases each): SQLite and
  PostgreSQL (a throwaway server, fsync on, as tests/cluster/pgserver.py starts it), one writer
  and two writer processes at once, plain `record` and the cluster client's `is_graded` +
  `record_once`.

It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from bench_grade import make_course, nbgrader_run  # noqa: E402

from autograder.batch import grade_many  # noqa: E402
from autograder.cluster import grade_on_cluster, local_cluster  # noqa: E402
from autograder.course import default_course  # noqa: E402
from autograder.grade import Options  # noqa: E402
from autograder.gradebook import open_gradebook  # noqa: E402
from autograder.submissions import find_submissions  # noqa: E402

TIMING = ("graded_at", "duration_s")


class Clock:
    """on_result for a run: when each result arrived."""

    def __init__(self):
        self.start = time.perf_counter()
        self.times = []

    def __call__(self, kind, item):
        self.times.append(time.perf_counter() - self.start)

    def steady(self):
        """Notebooks/s from the first result to the last (the start-up left out)."""
        if len(self.times) < 2 or self.times[-1] <= self.times[0]:
            return float("nan")
        return (len(self.times) - 1) / (self.times[-1] - self.times[0])


def comparable(results):
    out = {}
    for result in results:
        data = result.to_dict()
        for name in TIMING:
            data.pop(name)
        out[(result.student, result.assignment)] = data
    return out


def scheduler_rates(count, windows=(8, 256)):
    """{window: trivial tasks/s} through a local:2 cluster, ``window`` tasks kept in flight as
    the grader keeps them (8 is what it keeps for two worker threads)."""
    from distributed import Client, as_completed

    cluster = local_cluster(2)
    rates = {}
    try:
        with Client(cluster, set_as_default=False) as client:
            for window in windows:
                start = time.perf_counter()
                todo = iter(range(count))
                queue = as_completed([client.submit(abs, next(todo), pure=False)
                                      for _ in range(window)], loop=client.loop)
                for _ in queue:
                    for number in todo:
                        queue.add(client.submit(abs, number, pure=False))
                        break
                rates[window] = count / (time.perf_counter() - start)
    finally:
        cluster.close()
    return rates


def _write(location, worker, count, sample, once, barrier):
    import dataclasses

    barrier.wait(timeout=60)
    with open_gradebook(location) as book:
        for i in range(count):
            result = dataclasses.replace(sample, student=f"w{worker}-{i:06d}",
                                         sha256=f"{worker:02d}{i:062d}")
            if once:
                book.is_graded(result.student, result.assignment, result.sha256,
                               result.grader_version, result.seed)
                book.record_once(result)
            else:
                book.record(result)


def write_rate(location_of, sample, count, writers, once):
    """Records/s into a fresh gradebook by ``writers`` processes at once."""
    location = location_of()
    open_gradebook(location).close()  # the schema exists before the clock starts
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(writers + 1)
    procs = [context.Process(target=_write, args=(location, w, count, sample, once, barrier))
             for w in range(writers)]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=60)
    start = time.perf_counter()
    for proc in procs:
        proc.join()
    return writers * count / (time.perf_counter() - start)


def gradebook_rates(sample, count, tmp):
    from cluster.pgserver import PostgresServer, find_bin

    counter = iter(range(1000))
    backends = {"SQLite": lambda: str(Path(tmp) / f"bench{next(counter)}.db")}
    server = None
    bindir = find_bin()
    if bindir is None:
        print("PostgreSQL: not measured (initdb is not installed: `make test` installs it)")
    else:
        server = PostgresServer(bindir, fsync=True)
        backends["PostgreSQL"] = server.create_database
    try:
        for name, location_of in backends.items():
            figures = []
            for writers in (1, 2):
                for once in (False, True):
                    rate = write_rate(location_of, sample, count // writers, writers, once)
                    how = "is_graded+record_once" if once else "record"
                    figures.append(f"{writers} writer{'s' if writers > 1 else ''} {how} "
                                   f"{rate:6.0f}/s")
            print(f"gradebook {name:10s}: " + "; ".join(figures))
    finally:
        if server is not None:
            server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000,
                        help="per assignment (two assignments: 1000 makes a 2,000-notebook class)")
    parser.add_argument("--nbgrader-students", type=int, default=10,
                        help="per assignment, graded by nbgrader autograde (0: not at all)")
    parser.add_argument("--timeout", type=float, default=5.0, help="per-exercise budget")
    parser.add_argument("--records", type=int, default=1000, help="per gradebook figure")
    parser.add_argument("--tasks", type=int, default=5000, help="trivial tasks, scheduler")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        try:
            make_course(course, args.students, hang=False)
        except TypeError:  # an older bench_grade without the hang switch
            make_course(course, args.students)
        submissions = find_submissions([course], course=default_course()).submissions
        sizes = [os.path.getsize(s.path) for s in submissions]
        options = Options(secret=b"bench secret: per-student seeds", timeout=args.timeout)
        print(f"class: {len(submissions)} notebooks (mean {statistics.mean(sizes) / 1024:.0f} "
              f"KiB), {os.cpu_count()} CPUs")

        clock = Clock()
        local = grade_many(submissions, jobs=2, options=options, on_result=clock)
        local_wall, local_steady = clock.times[-1], clock.steady()
        print(f"local --jobs 2     : {local_wall:6.2f} s, {len(local) / local_wall:5.1f} "
              f"notebooks/s ({local_steady:5.1f}/s after the first result); "
              f"{2 * local_wall / len(local) * 1000:.0f} worker-ms per notebook")

        clock = Clock()
        run = grade_on_cluster(submissions, address="local:2", options=options,
                               on_result=clock)
        wall, steady = clock.times[-1], clock.steady()
        print(f"--cluster local:2  : {wall:6.2f} s, {len(run.results) / wall:5.1f} notebooks/s "
              f"({steady:5.1f}/s after the first result, the cluster's start-up left out); "
              f"{2 * (len(run.results) - 1) / steady / len(run.results) * 1000:.0f} "
              f"worker-ms per notebook")
        print(f"ratio cluster/local: {local_wall / wall:.2f} with start-up, "
              f"{steady / local_steady:.2f} steady")
        same = comparable(local) == comparable(run.results)
        print(f"same results (minus timing): {'yes' if same else 'NO'}, "
              f"{len(run.results)} of {len(local)}")

        if args.nbgrader_students:
            few = min(args.nbgrader_students, args.students)
            sub = Path(tmp) / "nbgrader-course"
            make_course(sub, few, hang=False)
            walls = nbgrader_run(sub, args.timeout)
            measured = 2 * few / sum(walls.values())
            print(f"nbgrader autograde : {sum(walls.values()):6.2f} s for the first {2 * few} "
                  f"notebooks of the class, {measured:5.2f} notebooks/s (one process, as "
                  f"nbgrader runs); the whole class extrapolated: "
                  f"{len(submissions) / measured / 60:.0f} min")
            print(f"ratio to nbgrader  : local --jobs 2 x{len(local) / local_wall / measured:.0f}"
                  f", --cluster local:2 x{len(run.results) / wall / measured:.0f}")

        rates = scheduler_rates(args.tasks)
        print("scheduler alone    : " + "; ".join(f"{rate:6.0f} trivial tasks/s with {window} "
                                                  f"in flight" for window, rate in rates.items()))
        sample = max(local, key=lambda r: len(r.cases))
        print(f"gradebook sample   : a result of {len(sample.cases)} cases, "
              f"{len(str(sample.to_dict())) / 1024:.0f} KiB as JSON")
        gradebook_rates(sample, args.records, tmp)


if __name__ == "__main__":
    main()
