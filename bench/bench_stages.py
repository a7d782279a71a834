"""Where one notebook's grading time goes, stage by stage (issue 15.4).

Run with `.venv/bin/python bench/bench_stages.py [--students N]`. It builds the same class as
`bench_grade.py` (correct notebooks and notebooks with one catalogued mistake; no hanging one,
so the figures are the cost of ordinary work), grades it in this process with every isolation
layer on, and times each stage with wrappers put around the grader's own functions (nothing of
the grader is changed):

- parse: the file read, hashed and parsed into the statements kept;
- plan: the cases and expected values (computed once per seed, then cached), compile: the
  statements compiled and marshalled for the children, jobs: the calls encoded;
- fork: the zygote forks a child and passes it its pipes (one round trip per child);
- child: from the request sent to the child's last answer: its isolation (namespaces, tmpfs,
  uid, seccomp), the definitions run again, the calls, the stand-in round trips (whose grader
  side is also shown on its own: standin);
- kill: the child and every process of its uid killed (answered asynchronously, so mostly off
  the critical path);
- judge: the results compared and the mistakes diagnosed; record: the row written into a real
  SQLite gradebook.

It also prints the CPU time of the whole process tree per notebook (grader, zygote and every
child, read from getrusage once the sandbox is closed), the floor of one child (a submission
with nothing to run: fork, isolate, load, exit), and children per notebook.
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from bench_grade import make_course  # noqa: E402

from autograder import grade as G  # noqa: E402
from autograder import notebook as N  # noqa: E402
from autograder.course import default_course  # noqa: E402
from autograder.gradebook import open_gradebook  # noqa: E402
from autograder.isolation import protocol as P  # noqa: E402
from autograder.isolation import sandbox as S  # noqa: E402
from autograder.submissions import find_submissions  # noqa: E402

SPENT = collections.defaultdict(float)  # stage -> seconds, for the notebook being graded
COUNT = collections.defaultdict(int)


def _timed(owner, name, stage):
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SPENT[stage] += time.perf_counter() - start
            COUNT[stage] += 1

    setattr(owner, name, wrapper)


def instrument():
    _timed(N, "read_submission", "parse")
    _timed(G, "plan_for", "plan")
    _timed(G, "compile_chunks", "compile")
    _timed(G, "_jobs", "jobs")
    _timed(S._Zygote, "spawn", "fork")
    _timed(S.Sandbox, "_converse", "child")
    _timed(P.Conversation, "_standin", "standin")
    _timed(S._ZygoteChild, "kill", "kill")
    _timed(G, "exercise_cases", "judge")
    _timed(G, "review_cases", "judge")


def floor_per_child(sandbox, rounds=30):
    """The fixed cost of one child: a submission with nothing to load and nothing to call."""
    jobs = [S.ExerciseJob(f"e{i}", [], 5.0) for i in range(4)]
    sandbox.run([], jobs)
    start = time.perf_counter()
    for _ in range(rounds):
        sandbox.run([], jobs)
    return (time.perf_counter() - start) / (rounds * 5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        make_course(course, args.students, hang=False)
        submissions = [s for s in find_submissions([course], course=default_course()).submissions
                       if s.assignment == "planar_classifier"]
        instrument()
        sandbox = S.Sandbox()
        sandbox.warm()
        book = open_gradebook(str(Path(tmp) / "gradebook.db"))
        options = G.Options(seed=0)
        G.grade_submission(submissions[0], options, sandbox=sandbox)  # caches, zygote ready
        per_stage = collections.defaultdict(list)
        walls = []
        cpu_before, own_before = _cpu(), _own_cpu()
        zygote_before = _zygote_cpu(sandbox)
        busy_before = _machine_busy()
        for submission in submissions:
            SPENT.clear()
            start = time.perf_counter()
            result = G.grade_submission(submission, options, sandbox=sandbox)
            t = time.perf_counter()
            book.record(result)
            SPENT["record"] += time.perf_counter() - t
            walls.append(time.perf_counter() - start)
            for stage, seconds in SPENT.items():
                per_stage[stage].append(seconds)
        forks = COUNT["fork"]
        zygote_after = _zygote_cpu(sandbox)
        busy = _machine_busy() - busy_before
        floor = floor_per_child(sandbox)
        sandbox.close()
        own = _own_cpu() - own_before
        cpu = _cpu() - cpu_before + zygote_after - zygote_before
        book.close()
    n = len(walls)
    total = sum(walls)
    print(f"{n} planar_classifier notebooks, graded one after another, every layer on "
          f"({', '.join(sandbox.layers)})")
    print(f"  wall per notebook: median {statistics.median(walls) * 1e3:.1f} ms, "
          f"mean {total / n * 1e3:.1f} ms  ({n / total:.1f} notebooks/s on one worker)")
    print(f"  CPU of the whole process tree per notebook: {cpu / n * 1e3:.1f} ms (-> at most "
          f"{2 * n / cpu:.0f} notebooks/s on 2 cores); the grader's own share "
          f"{own / n * 1e3:.1f} ms, the zygote's and its children's {(cpu - own) / n * 1e3:.1f} ms")
    print(f"  CPU of the whole machine per notebook: {busy / n * 1e3:.1f} ms (every process: "
          f"exact on an idle machine; -> at most {2 * n / busy:.0f} notebooks/s on 2 cores)")
    print(f"  children per notebook: {forks / (n + 1):.1f}; floor of one child (fork, isolate, "
          f"load nothing, exit): {floor * 1e3:.2f} ms")
    print(f"  {'stage':<10}{'median ms':>11}{'mean ms':>10}{'share':>8}")
    order = ["parse", "plan", "compile", "jobs", "fork", "child", "standin", "kill",
             "judge", "record"]
    for stage in order:
        values = per_stage.get(stage, [0.0])
        values += [0.0] * (n - len(values))
        share = sum(values) / total
        note = "  (inside child)" if stage == "standin" else ""
        print(f"  {stage:<10}{statistics.median(values) * 1e3:>11.2f}"
              f"{statistics.mean(values) * 1e3:>10.2f}{share:>8.0%}{note}")
    accounted = sum(sum(per_stage.get(s, [])) for s in order if s != "standin")
    print(f"  {'other':<10}{'':>11}{(total - accounted) / n * 1e3:>10.2f}"
          f"{(total - accounted) / total:>8.0%}")


def _zygote_cpu(sandbox):
    """CPU seconds of the zygote and of every child it has reaped (from /proc: bubblewrap's
    pid 1 is killed, not waited for, so getrusage never sees them)."""
    bwrap = sandbox._zygote.proc.pid
    total = 0.0
    with open(f"/proc/{bwrap}/task/{bwrap}/children") as handle:
        for pid in handle.read().split():
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def _machine_busy():
    """Seconds of CPU the whole machine spent busy (all CPUs, from /proc/stat)."""
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


if __name__ == "__main__":
    main()
