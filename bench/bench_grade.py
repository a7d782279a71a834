"""Grading throughput: `shallow grade` against stock `nbgrader autograde`, side by side.

Run with `make bench` or `.venv/bin/python bench/bench_grade.py [--students N]`. It builds an
nbgrader course from the released notebooks: for each assignment, N students who filled in the
solution cells, most with one catalogued mistake (tests/test_mistakes.py), two with a broken
file and one whose nn_model hangs. Then, in the same run on the same machine:

- `shallow grade --jobs 1` and `--jobs 2` (every isolation layer on): per-submission median and
  90th percentile, throughput, peak memory per worker process;
- stock `nbgrader autograde` on the same course (its per-cell timeout lowered to --timeout so the
  hanging notebook does not take minutes): time per notebook and throughput;
- the speed ratio, and whether both tools gave the same verdict (full marks or not) on every
  exercise that nbgrader's test cells cover;
- the wall time of a whole `shallow grade one.ipynb` and `shallow check one.ipynb` command.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import nbformat  # noqa: E402
from bugs import BUGS  # noqa: E402

from autograder.batch import grade_many  # noqa: E402
from autograder.course import default_course  # noqa: E402
from autograder.grade import Options  # noqa: E402
from autograder.submissions import find_submissions  # noqa: E402

ASSIGNMENTS = {name: a.exercises for name, a in default_course().assignments.items()}

BIN = Path(sys.executable).parent
HANG = "def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):\n    while True:\n" \
       "        pass\n"


def _student_source(source):
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def make_course(course, students, hang=True):
    """An nbgrader course folder with `students` submissions per assignment."""
    shutil.copytree(ROOT / "solutions", course / "solutions")
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    for assignment in ASSIGNMENTS:
        release = nbformat.read(ROOT / "assignments" / assignment / f"{assignment}.ipynb", 4)
        solution = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", 4)
        solved = {c.metadata["nbgrader"]["grade_id"]: _student_source(c.source)
                  for c in solution.cells if c.metadata["nbgrader"].get("solution")}
        bugs = [(f"{e}_solution", code) for _, e, code in BUGS
                if e in ASSIGNMENTS[assignment]]
        for i in range(students):
            nb = nbformat.from_dict(release)
            bug = None if i % 4 == 0 else bugs[i % len(bugs)]
            if hang and assignment == "planar_classifier" and i == 3:
                bug = ("nn_model_solution", HANG)
            for cell in nb.cells:
                grade_id = cell.metadata["nbgrader"]["grade_id"]
                if grade_id in solved:
                    cell.source = bug[1] if bug and bug[0] == grade_id else solved[grade_id]
            path = course / "submitted" / f"s{i:03d}" / assignment / f"{assignment}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(ROOT / "assignments" / assignment / "shallow_checks",
                            path.parent / "shallow_checks", dirs_exist_ok=True)
            if i in (1, 2):  # a truncated notebook and a binary file
                text = nbformat.writes(nb)
                path.write_bytes(text[: len(text) // 2].encode() if i == 1 else b"\0PNG")
            else:
                nbformat.write(nb, path)


class MemorySampler(threading.Thread):
    """Peak resident memory of each process started below this one (polls /proc)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = {}
        self.names = {}
        self.stopped = threading.Event()

    def run(self):
        me = str(os.getpid())
        while not self.stopped.wait(0.05):
            parents = {}
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/status") as handle:
                        fields = dict(line.split(":", 1) for line in handle if ":" in line)
                except OSError:
                    continue
                parents[pid] = (fields.get("PPid", "").strip(), fields)
            for pid, (_, fields) in parents.items():
                chain, seen = pid, 0
                while chain in parents and chain != me and seen < 20:
                    chain, seen = parents[chain][0], seen + 1
                if chain == me and "VmRSS" in fields:
                    rss = int(fields["VmRSS"].split()[0]) / 1024
                    self.peak[pid] = max(self.peak.get(pid, 0), rss)
                    self.names[pid] = fields.get("Name", "").strip()


def shallow_run(course, jobs, timeout):
    submissions = find_submissions([course], course=default_course()).submissions
    sampler = MemorySampler()
    sampler.start()
    start = time.perf_counter()
    results = grade_many(submissions, jobs=jobs, options=Options(seed=0, timeout=timeout))
    wall = time.perf_counter() - start
    sampler.stopped.set()
    sampler.join()
    return results, wall, sampler


def nbgrader_run(course, timeout):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    walls = {}
    for assignment in ("activations", "planar_classifier"):
        subprocess.run([str(BIN / "nbgrader"), "generate_assignment", assignment, "--force",
                        "--log-level=ERROR"], cwd=course, env=env, check=True)
        start = time.perf_counter()
        subprocess.run([str(BIN / "nbgrader"), "autograde", assignment, "--force",
                        f"--Execute.timeout={int(timeout)}", "--log-level=ERROR"], cwd=course,
                       env=env, check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        walls[assignment] = time.perf_counter() - start
    return walls


def nbgrader_verdicts(course):
    """{(student, assignment, exercise): full marks?} from nbgrader's own gradebook."""
    from nbgrader.api import Gradebook

    verdicts = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        for assignment in book.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        if grade.name.endswith("_test") and not grade.name.startswith("review"):
                            exercise = grade.name[: -len("_test")]
                            verdicts[(submission.student_id, assignment.name, exercise)] = (
                                grade.score >= grade.max_score - 1e-9)
    return verdicts


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def time_command(argv, repeats, cwd):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd,
                              text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:  # a refusal is fast: it must not pass for a grade
            raise SystemExit(f"`{' '.join(argv)}` failed ({done.returncode}): "
                             f"{done.stderr.strip()[-300:]}")
    return statistics.median(times), min(times), max(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20, help="per assignment")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="per-exercise budget (shallow) and per-cell timeout (nbgrader)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-nbgrader", action="store_true")
    parser.add_argument("--no-hang", action="store_true",
                        help="leave out the hanging nn_model (throughput of the work itself)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        make_course(course, args.students, hang=not args.no_hang)
        count = 2 * args.students
        print(f"class: {count} notebooks ({args.students} per assignment: correct ones, "
              f"catalogued mistakes, 2 broken files per assignment"
              f"{'' if args.no_hang else ', 1 hanging nn_model'}), {os.cpu_count()} CPUs")
        rates, ours = {}, None
        for jobs in (1, 2):
            results, wall, sampler = shallow_run(course, jobs, args.timeout)
            ours = ours or results
            per = [r.duration_s for r in results]
            rates[jobs] = len(results) / wall
            workers = [mb for pid, mb in sampler.peak.items()
                       if sampler.names.get(pid, "").startswith("python")]
            print(f"shallow grade --jobs {jobs}: {wall:6.2f} s, {rates[jobs]:5.1f} notebooks/s; "
                  f"per notebook median {statistics.median(per) * 1000:.0f} ms, p90 "
                  f"{percentile(per, 0.9) * 1000:.0f} ms; peak memory per process "
                  f"{max(workers, default=0):.0f} MB (largest of {len(workers)})")
        print(f"scaling 1 -> 2 jobs: x{rates[2] / rates[1]:.2f}")

        if not args.skip_nbgrader:
            walls = nbgrader_run(course, args.timeout)
            total = sum(walls.values())
            nb_rate = count / total
            for assignment, wall in walls.items():
                print(f"nbgrader autograde {assignment}: {wall:6.2f} s, "
                      f"{wall / args.students:.2f} s per notebook")
            print(f"nbgrader autograde: {total:6.2f} s, {nb_rate:5.2f} notebooks/s")
            print(f"speed ratio shallow (--jobs 2) / nbgrader: x{rates[2] / nb_rate:.1f}; "
                  f"--jobs 1: x{rates[1] / nb_rate:.1f}")
            theirs = nbgrader_verdicts(course)
            agree = disagree = 0
            differences = []
            for result in ours:
                scores = {e: (float(g), float(t)) for e, (g, t) in
                          result.exercise_points().items()}
                for exercise, (score, top) in scores.items():
                    key = (result.student, result.assignment, exercise)
                    if key not in theirs:
                        continue
                    if (score >= top - 1e-9) == theirs[key]:
                        agree += 1
                    else:
                        disagree += 1
                        differences.append(f"{key}: shallow {score:g}/{top:g}, nbgrader "
                                           f"{'full' if theirs[key] else 'not full'}")
            print(f"verdicts on the exercises nbgrader's tests cover: {agree} agree, "
                  f"{disagree} differ")
            for line in differences[:10]:
                print("  differs:", line)

        one = course / "submitted" / "s000" / "planar_classifier" / "planar_classifier.ipynb"
        plain = Path(tmp) / "plain"
        plain.mkdir()
        shutil.copy(one, plain / "s000.ipynb")
        for label, command in (
                ("grade one.ipynb", ["grade", str(plain / "s000.ipynb"), "--student", "s000",
                                     "--gradebook", str(plain / "one.db"), "--course",
                                     str(plain)]),
                ("grade one.ipynb in the nbgrader course (scores also written into nbgrader's "
                 "gradebook)" if (course / "gradebook.db").exists() else "grade one.ipynb in "
                 "the nbgrader course", ["grade", str(one), "--gradebook",
                                         str(Path(tmp) / "one.db"), "--course", str(course)]),
                ("check one.ipynb", ["check", str(one)])):
            median, low, high = time_command([str(BIN / "shallow"), *command], args.repeats,
                                             tmp)
            print(f"shallow {label}: median {median:.3f} s "
                  f"(min {low:.3f}, max {high:.3f}, {args.repeats} runs)")
        print("targets: one `shallow grade` <= 0.35 s; >= 29 notebooks/s at --jobs 2 "
              "(issue 11), >= 100 notebooks/s (issue 15); near-linear 1 -> 2 jobs")


if __name__ == "__main__":
    main()
