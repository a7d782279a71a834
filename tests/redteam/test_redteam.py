"""Red-team findings outside the sandbox corpus: each test is what the grader promises
(SECURITY.md), written as an attack; a strict xfail marks a hole that is open today.

- the hidden inputs of a student's own cases reach their feedback through an exception's text,
  and the per-student seed does not change between batches: a lookup table built from the
  first batch's feedback scores the hidden cases of an exercise the notebook never implements;
- one line on the result channel of a few tens of MB of ``{},`` costs the grader (the parent,
  not the child) about 30 times its size in memory and seconds of parsing outside any budget;
- an LMS roster row is matched greedily, in roster order, on its weaker keys (the email's local
  part): a student whose (editable) email is ``ann@...`` takes ann's grade and ann's row is
  dropped from the import file;
- the printed-cost check accepts one line holding every iteration and a grid of numbers.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

from autograder.grade import Submission, grade_submission
from notebooks import CORRECT, options, replace_function, write_notebook

REPO = Path(__file__).resolve().parents[2]


# -- (a) hidden inputs in the feedback, and a lookup table in the next batch ------------------

LEAKING_COST = '''
def compute_cost(A2, Y):
    bits = "".join("1" if y else "0" for y in np.ravel(Y))
    raise ValueError("LEAK " + np.ascontiguousarray(A2, dtype=np.float64).tobytes().hex()
                     + " " + bits)
'''


def _lookup_cost(table):
    return f'''
_ADV_COSTS = {table!r}


def compute_cost(A2, Y):
    return _ADV_COSTS.get(A2.tobytes().hex(), 0.0)
'''


def test_hidden_inputs_learnt_from_feedback_score_in_the_next_batch(tmp_path):
    import numpy as np

    secret = b"r" * 32
    grading = options(seed=None, secret=secret, timeout=5.0)
    # Batch 1: compute_cost only tells its inputs, in an exception.
    first = write_notebook(tmp_path / "b1" / "mallory.ipynb",
                           replace_function(CORRECT, "compute_cost", LEAKING_COST))
    result = grade_submission(Submission(str(first), "mallory", "all"), grading)
    feedback = json.dumps(result.to_gradescope())  # what Gradescope shows the student
    table = {}
    for a2_hex, bits in re.findall(r"LEAK ([0-9a-f]+) ([01]+)", feedback):
        A2 = np.frombuffer(bytes.fromhex(a2_hex), dtype=np.float64).reshape(1, -1)
        Y = np.array([[float(b) for b in bits]])  # offline, anybody's formula: not the notebook
        table[a2_hex] = float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))
    # Batch 2: the same student, a table instead of an implementation.
    second = write_notebook(tmp_path / "b2" / "mallory.ipynb",
                            replace_function(CORRECT, "compute_cost", _lookup_cost(table)))
    result = grade_submission(Submission(str(second), "mallory", "all"), grading)
    hidden = [c for c in result.cases if c.exercise == "compute_cost" and
              c.visibility == "hidden"]
    assert hidden
    earned = sum((c.points for c in hidden), Fraction(0))
    assert earned == 0, f"a lookup table learnt from the feedback earned {earned} points on " \
                        f"compute_cost's hidden cases ({len(table)} inputs leaked)"


# -- (c) the grader's own memory and time for one line on the channel -------------------------

_MEMORY_PROBE = textwrap.dedent('''
    import json, resource, sys, time
    sys.path[:0] = [{tests!r}, {repo!r}]
    from notebooks import CORRECT, options, replace_function, write_notebook
    from autograder.grade import Submission, grade_submission

    FLOOD = """
    def relu(z):
        import os
        line = b'{{"event":"noise","pad":[' + b"{{}}," * ((24 << 20) // 3) + b'{{}}]}}\\\\n'
        for fd in range(3, 64):
            try:
                view = memoryview(line)
                while view:
                    view = view[os.write(fd, view):]
            except OSError:
                pass
        return np.maximum(0, z)
    """
    honest = write_notebook({folder!r} + "/honest.ipynb")
    hostile = write_notebook({folder!r} + "/hostile.ipynb",
                             replace_function(CORRECT, "relu", FLOOD))
    grading = options(timeout=5.0)
    grade_submission(Submission(str(honest), "warm", "all"), grading)  # zygote, caches
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    result = grade_submission(Submission(str(hostile), "mallory", "all"), grading)
    print(json.dumps({{"grown_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                    - before) / 1024,
                      "seconds": time.monotonic() - start, "errors": result.errors}}))
''')


def test_one_channel_line_costs_the_grader_at_most_a_few_times_its_size(tmp_path):
    script = _MEMORY_PROBE.format(tests=str(REPO / "tests"), repo=str(REPO),
                                  folder=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert any("relu" in e for e in report["errors"]), report  # the line did arrive
    # 24 MB on the channel; the grader may hold it and a few copies, not 30 of them.
    assert report["grown_mb"] < 128, f"the grader grew by {report['grown_mb']:.0f} MB " \
                                     f"for a 24 MB line ({report['seconds']:.1f} s)"


# -- (b) an LMS roster row takes another student's grade ---------------------------------------

def test_a_roster_email_cannot_take_another_students_grade(tmp_path):
    from autograder.gradebook import Gradebook
    from autograder.integrations.lms import read_lms_roster, table
    from autograder.results import CaseResult, SubmissionResult

    db = tmp_path / "g.db"
    with Gradebook(db) as book:
        book.record(SubmissionResult(
            student="ann", assignment="week3", sha256="a" * 64, grader_version="t",
            graded_at="2026-03-02T00:00:00Z", submitted_at="2026-03-01T10:00:00Z",
            cases=[CaseResult("compute_cost", "code", 1, "hidden", Fraction(10), Fraction(10),
                              "passed")]))
    # A Moodle export: mallory (no notebook of her own) changed her profile's email.
    roster = tmp_path / "moodle.csv"
    roster.write_text("First name,Last name,ID number,Email address,Username\n"
                      "Mallory,Aaron,20260,ann@evil.example,mallory\n"
                      "Ann,Lee,20261,ann@uni.example,ann\n")
    with Gradebook(db) as book:
        header, rows = table(book, ["week3"], layout="moodle",
                             roster=read_lms_roster(roster))
    by_username = {row[4]: row for row in rows}
    assert "ann" in by_username, f"ann's row is gone: {rows}"
    assert by_username["ann"][5] == 10, rows
    assert by_username.get("mallory", [""] * 6)[5] == "", rows


# -- (a) the printed costs of nn_model ----------------------------------------------------------

def test_printed_costs_need_the_costs():
    from autograder.course.judge import printed_costs_problem

    costs = {0: 0.693147, 1000: 0.258761, 2000: 0.239862}  # unknown to the student
    grid = " ".join(f"{x / 5000:.4f}" for x in range(1, 5000))
    shotgun = "cost " + " ".join(str(i) for i in range(0, 10001, 1000)) + " " + grid
    assert len(shotgun) < 65536  # fits in one call's printed output
    assert printed_costs_problem(costs, shotgun, 3000) is not None
