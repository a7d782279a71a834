"""``shallow grade`` and ``shallow check`` end to end: real notebooks, real isolated children,
a real SQLite gradebook, structured results with exact points."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.batch import grade_many
from autograder.cli import main
from autograder.course import default_course
from autograder.grade import Submission
from autograder.gradebook import Gradebook
from autograder.reports.text import case_text
from notebooks import (
    ALL_COURSE,
    CORRECT,
    cells_of,
    full,
    grade,
    notebook_json,
    options,
    replace_function,
    write_notebook,
)

SHALLOW = str(Path(sys.executable).parent / "shallow")
COURSE = default_course(str(ALL_COURSE))
EXERCISES = COURSE.assignment("all").exercises
FULL = full("all")
REVIEW_ANSWERS = [line for line in CORRECT.splitlines() if line.startswith("q_")]


def untouched_source():
    """The student version: every graded function raises NotImplementedError and every answer
    variable is None."""
    source = CORRECT
    for name in EXERCISES:
        source = replace_function(source, name, f"""
def {name}(*args, **kwargs):
    # YOUR CODE HERE
    raise NotImplementedError()
""")
    for line in REVIEW_ANSWERS:
        source = source.replace(line, line.split(" = ")[0] + " = None  # YOUR ANSWER HERE")
    return source


def lost(result):
    return {e for e, (got, top) in result.exercise_points().items() if got < top}


def test_correct_notebook_scores_full_marks_exactly_without_running_its_training_cell(tmp_path):
    result = grade(write_notebook(tmp_path / "alice.ipynb"))
    assert result.points == result.max_points == FULL
    assert isinstance(result.points, Fraction)  # 10 points over 3 cases sum exactly
    assert len([c for c in result.cases if c.kind == "review"]) == 10
    assert result.errors == []  # the last cell raises if run: it was not
    assert all(c.status == "passed" for c in result.cases)
    assert {"rlimits", "session", "clean-env"} <= set(result.layers)
    assert len(result.sha256) == 64 and result.status == "graded"


def test_untouched_student_version_scores_zero_with_a_reason_per_case(tmp_path):
    result = grade(write_notebook(tmp_path / "blank.ipynb", untouched_source()))
    assert result.points == 0 and result.max_points == FULL
    review = [c for c in result.cases if c.kind == "review"]
    assert len(review) == 10 and all("is not answered yet" in c.problem for c in review)
    code = [c for c in result.cases if c.kind == "code"]
    assert all(c.status == "error" and "raised NotImplementedError" in c.problem for c in code)
    assert result.errors == []


def test_assignments_come_from_the_course_and_a_notebook_is_guessed(tmp_path):
    activations = CORRECT[:CORRECT.index("def layer_sizes")] + "\n".join(REVIEW_ANSWERS[:4])
    path = write_notebook(tmp_path / "acts.ipynb", activations)
    builtin = grade(path, assignment=None, course_root=None)
    assert builtin.assignment == "activations"
    assert builtin.points == builtin.max_points == 22


def test_a_notebook_of_another_assignment_is_empty_and_says_which(tmp_path):
    activations = CORRECT[:CORRECT.index("def layer_sizes")]
    path = write_notebook(tmp_path / "acts.ipynb", activations)
    result = grade(path, assignment="planar_classifier", course_root=None)
    assert result.status == "empty" and result.points == 0
    assert "defines none of planar_classifier's functions" in result.reason
    assert "looks like activations" in result.reason


def test_missing_function_is_named_and_costs_only_its_exercise(tmp_path):
    source = replace_function(CORRECT, "forward_propagation", "")
    result = grade(write_notebook(tmp_path / "nofwd.ipynb", source))
    assert lost(result) == {"forward_propagation"}
    cases = [c for c in result.cases if c.exercise == "forward_propagation"]
    assert all(c.status == "missing" and c.problems == [
        "function forward_propagation not found in the notebook"] for c in cases)
    # predict and nn_model call forward_propagation: its stand-in answered their own calls.
    assert result.exercise_points()["predict"] == (5, 5)
    assert result.exercise_points()["nn_model"] == (7, 7)


@pytest.mark.parametrize("content, reason", [
    (b"{not json", "not valid JSON"),
    (json.dumps(notebook_json(cells_of(CORRECT))).encode()[:500], "not valid JSON"),
    ("caf\xe9".encode("latin-1"), "not a text notebook"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text notebook"),
    (b"", "empty file"),
    (json.dumps({"nbformat": 2, "worksheets": []}).encode(), "nbformat 2 is not supported"),
    (json.dumps({"metadata": {}}).encode(), "no cells"),
])
def test_bad_files_are_unreadable_with_a_one_line_reason(tmp_path, content, reason):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    result = grade(path)
    assert result.status == "unreadable" and result.points == 0 and result.max_points == FULL
    assert reason in result.reason and str(path) in result.reason
    assert "\n" not in result.reason and "Traceback" not in result.reason
    assert all(c.status == "not-graded" and c.problems == [f"not graded: {result.reason}"]
               for c in result.cases)


def test_a_huge_notebook_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.ipynb"
    with open(path, "wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB of nothing
    result = grade(path)
    assert "100.0 MB" in result.reason and result.points == 0


def test_syntax_error_cell_is_skipped_and_reported(tmp_path):
    source = CORRECT.replace("def relu(z):\n", "def relu(z) oops\n")
    result = grade(write_notebook(tmp_path / "syntax.ipynb", source))
    assert any("syntax error" in e or "could not be parsed" in e for e in result.errors)
    # the whole activations cell is skipped, as in Jupyter; everything else still counts
    assert lost(result) == {"sigmoid", "tanh", "relu", "leaky_relu"}


def test_last_definition_wins(tmp_path):
    source = CORRECT + "\n# %%\ndef sigmoid(z):\n    return z\n"
    result = grade(write_notebook(tmp_path / "redef.ipynb", source))
    assert lost(result) == {"sigmoid"}


def test_magics_and_shell_escapes_are_ignored(tmp_path):
    source = "%matplotlib inline\n!pip install numpy\n" + CORRECT
    result = grade(write_notebook(tmp_path / "magic.ipynb", source))
    assert result.points == FULL


def test_same_seed_same_result_other_seed_other_hidden_cases_same_visible(tmp_path):
    source = replace_function(CORRECT, "layer_sizes", """
def layer_sizes(X, Y):
    return (X.shape[1], 4, Y.shape[1])
""")
    path = write_notebook(tmp_path / "s.ipynb", source)
    first, second, other = grade(path), grade(path), grade(path, seed=7)

    def strip(result, visibility):
        return [(c.exercise, c.number, c.points, c.status, c.call) for c in result.cases
                if c.visibility == visibility]

    assert strip(first, "hidden") == strip(second, "hidden")
    assert strip(first, "hidden") != strip(other, "hidden")
    assert strip(first, "visible") == strip(other, "visible")


def test_per_student_seeds_from_the_course_secret(tmp_path):
    from autograder.seeds import load_secret, student_seed

    secret = load_secret(tmp_path)
    assert (tmp_path / ".shallow" / "secret").stat().st_mode & 0o777 == 0o600
    assert load_secret(tmp_path) == secret
    path = write_notebook(tmp_path / "nb.ipynb")
    ann = grade(path, student="ann", seed=None, secret=secret)
    bob = grade(path, student="bob", seed=None, secret=secret)
    assert ann.seed == student_seed(secret, "ann", "all", ann.sha256) != bob.seed
    assert ann.seed_source == "course-secret"
    hidden = {r.student: [c.call for c in r.cases if c.visibility == "hidden"]
              for r in (ann, bob)}
    assert hidden["ann"] != hidden["bob"]
    assert ann.points == bob.points == FULL
    # the same file always gets the same cases; the student's next notebook, other ones
    assert grade(path, student="ann", seed=None, secret=secret).seed == ann.seed
    again = write_notebook(tmp_path / "nb2.ipynb", CORRECT + "\n# a second attempt\n")
    assert grade(again, student="ann", seed=None, secret=secret).seed != ann.seed


def test_hidden_cases_show_shapes_not_values(tmp_path):
    source = replace_function(CORRECT, "compute_cost", """
def compute_cost(A2, Y):
    return 0.5
""")
    result = grade(write_notebook(tmp_path / "c.ipynb", source))
    cases = [c for c in result.cases if c.exercise == "compute_cost"]
    visible = [c for c in cases if c.visibility == "visible"]
    hidden = [c for c in cases if c.visibility == "hidden"]
    assert visible and hidden
    assert "got 0.5, expected" in visible[0].problem
    for case in hidden:
        assert "expected" not in case.problem and not case.expected
        assert re.search(r"A2=array\(1, \d+\)", case.call)


def test_a_hang_costs_its_own_budget_once(tmp_path):
    source = replace_function(CORRECT, "tanh", "def tanh(z):\n    while True:\n        pass\n")
    source = replace_function(source, "relu", "def relu(z):\n    import time\n"
                                              "    time.sleep(3600)\n")
    path = write_notebook(tmp_path / "hang.ipynb", source)
    result = grade(path, timeout=1.0)
    assert lost(result) == {"tanh", "relu"}
    assert all("did not finish within its 1 s budget" in c.problem and c.status == "timeout"
               for c in result.cases if c.exercise in {"tanh", "relu"})
    assert result.points == FULL - 4


def test_exiting_inside_a_function_costs_only_that_exercise(tmp_path):
    source = replace_function(CORRECT, "relu", "def relu(z):\n    import os\n    os._exit(0)\n")
    result = grade(write_notebook(tmp_path / "exit.ipynb", source))
    assert lost(result) == {"relu"}
    relu = [c for c in result.cases if c.exercise == "relu"]
    assert all("relu ended the grading process" in c.problem for c in relu)
    assert any("relu ended the grading process" in e for e in result.errors)


def test_exiting_while_loading_scores_zero_with_a_reason(tmp_path):
    source = "import os\nos_exit = os._exit(3)\n" + CORRECT
    result = grade(write_notebook(tmp_path / "exit_at_load.ipynb", source))
    assert result.points == FULL  # a call at top level is not a definition: it never runs
    source = "import os\ndef relu(z):\n    pass\nclass X:\n    os._exit(3)\n" + CORRECT
    result = grade(write_notebook(tmp_path / "exit_in_class.ipynb", source))
    assert result.points == 0
    assert any("exit status 3" in e for e in result.errors)


def test_grader_packages_are_not_importable_by_students(tmp_path):
    source = CORRECT + "\n# %%\nfrom shallow_ref import sigmoid\n" \
                       "from shallow_ref.network import forward_propagation\n"
    result = grade(write_notebook(tmp_path / "cheat.ipynb", source))
    assert any("shallow_ref.network is not available while grading" in e for e in result.errors)
    assert result.points == FULL  # their own functions are graded, not the reference's


def test_printing_fake_results_changes_nothing(tmp_path):
    source = replace_function(CORRECT, "sigmoid", """
def sigmoid(z):
    print('{"score": 100, "max_score": 100}')
    import sys
    sys.__stdout__.write('{"event": "result"}\\n')
    return z
""")
    result = grade(write_notebook(tmp_path / "liar.ipynb", source))
    assert result.exercise_points()["sigmoid"] == (0, 2)
    assert result.points == FULL - 2


def test_gradescope_results_json_from_the_cli(tmp_path):
    path = write_notebook(tmp_path / "bob.ipynb")
    out = CliRunner().invoke(main, ["grade", str(path), "--student", "bob", "--assignment",
                                    "all", "--format", "json", "--gradebook",
                                    str(tmp_path / "g.db"), "--results-dir",
                                    str(tmp_path / "res"), "--course", str(ALL_COURSE)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["score"] == data["max_score"] == FULL
    assert data["extra_data"]["points"] == str(FULL)
    for test in data["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
    written = json.loads((tmp_path / "res" / "bob" / "all" / "results.json").read_text())
    assert written["tests"] == data["tests"]


def _class_folder(root, students):
    for name, source in students.items():
        write_notebook(root / "submitted" / name / "all" / "all.ipynb", source)
    return root


def test_batch_nbgrader_layout_gradebook_export_and_resume(tmp_path):
    course = _class_folder(tmp_path / "course", {
        "ann": CORRECT,
        "ben": replace_function(CORRECT, "compute_cost", "def compute_cost(A2, Y):\n"
                                "    return -float(np.mean(Y * np.log(A2)))\n"),
        "cat": untouched_source(),
    })
    (course / "submitted" / "dan" / "all").mkdir(parents=True)
    (course / "submitted" / "dan" / "all" / "all.ipynb").write_bytes(b"\x00\x01")
    db = tmp_path / "grades.db"
    runner = CliRunner()
    args = ["--course", str(ALL_COURSE), "--seed", "0", "--gradebook", str(db)]
    out = runner.invoke(main, ["grade", str(course), "--jobs", "2", *args])
    assert out.exit_code == 0, out.output
    assert "4 graded, 0 skipped" in out.stdout
    with Gradebook(db) as book:
        latest = {r.student: r for r in book.latest_per_student("all")}
    assert latest["ann"].points == FULL == latest["ann"].max_points
    assert latest["ben"].points == FULL - 10
    assert latest["cat"].points == 0 and latest["dan"].points == 0
    assert latest["dan"].status == "unreadable" and "not a text notebook" in latest["dan"].reason

    again = runner.invoke(main, ["grade", str(course), "--resume", *args])
    assert "0 graded, 4 skipped" in again.stdout, again.output

    out = runner.invoke(main, ["export", "--gradebook", str(db), "-o", str(tmp_path / "g.csv"),
                               "--course", str(ALL_COURSE)])
    assert out.exit_code == 0, out.output
    lines = (tmp_path / "g.csv").read_text().splitlines()
    assert lines[0].split(",")[:11] == ["assignment", "duedate", "timestamp", "student_id",
                                        "last_name", "first_name", "email", "raw_score",
                                        "late_submission_penalty", "score", "max_score"]
    assert lines[0].split(",")[11:14] == ["status", "reason", "sigmoid"]
    assert len(lines) == 5 and ",unreadable," in lines[4]


def test_check_runs_visible_cases_only_and_exits_1_on_failure(tmp_path):
    source = replace_function(CORRECT, "backward_propagation", """
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - A1 ** 2)
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1) / m,
            "dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}
""")
    path = write_notebook(tmp_path / "me.ipynb", source)
    args = ["--assignment", "all", "--course", str(ALL_COURSE)]
    out = subprocess.run([SHALLOW, "check", str(path), *args], capture_output=True, text=True,
                         cwd=tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    visible = len(EXERCISES) + len(REVIEW_ANSWERS)
    assert f"{visible - 1} of {visible} visible checks pass" in out.stdout
    assert "grads['db1'] has shape (4,) but should be (4, 1)" in out.stdout
    assert "keepdims=True" in out.stdout
    assert not (tmp_path / "shallow_gradebook.db").exists()
    ok = subprocess.run([SHALLOW, "check", str(write_notebook(tmp_path / "ok.ipynb")), *args],
                        capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0 and f"{visible} of {visible} visible checks pass" in ok.stdout


def test_cli_errors_are_one_line(tmp_path):
    runner = CliRunner()
    out = runner.invoke(main, ["grade", str(tmp_path / "nope.ipynb")])
    assert out.exit_code == 1 and "nope.ipynb: no such file or folder" in out.output
    assert "Traceback" not in out.output
    (tmp_path / "empty").mkdir()
    out = runner.invoke(main, ["grade", str(tmp_path / "empty")])
    assert out.exit_code == 1 and "no notebooks found" in out.output
    bad_db = tmp_path / "bad.db"
    bad_db.write_text("not a database at all" * 100)
    notebook = write_notebook(tmp_path / "a.ipynb")
    out = runner.invoke(main, ["grade", str(notebook), "--student", "a", "--gradebook",
                               str(bad_db), "--seed", "0"])
    assert out.exit_code == 1 and f"{bad_db}: not a gradebook database" in out.output
    assert len(out.output.strip().splitlines()) == 1
    out = runner.invoke(main, ["export", "--gradebook", str(tmp_path / "none.db")])
    assert out.exit_code == 1 and "no such gradebook" in out.output
    out = runner.invoke(main, ["grade", str(notebook), "--assignment", "nosuch"])
    assert out.exit_code == 1 and "'nosuch' is not an assignment of this course" in out.output


def test_kill_9_loses_nothing_and_resume_finishes(tmp_path):
    hang = replace_function(CORRECT, "sigmoid", "def sigmoid(z):\n    while True:\n"
                                                "        pass\n")
    folder = tmp_path / "class"
    for i, source in enumerate([CORRECT, CORRECT, hang, CORRECT]):
        write_notebook(folder / f"s{i}.ipynb", source)
    db = tmp_path / "g.db"
    args = ["--gradebook", str(db), "--course", str(ALL_COURSE), "--assignment", "all",
            "--seed", "0"]
    proc = subprocess.Popen([SHALLOW, "grade", str(folder), *args, "--timeout", "30"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 30
    count = 0
    while time.monotonic() < deadline and count < 2:
        time.sleep(0.1)
        if db.exists():
            with sqlite3.connect(db) as con:
                try:
                    count = con.execute("select count(*) from attempts").fetchone()[0]
                except sqlite3.OperationalError:
                    count = 0
    assert count == 2, "the first two submissions were not recorded in time"
    os.killpg(proc.pid, signal.SIGKILL)  # in the middle of the hanging one
    proc.wait()
    out = subprocess.run([SHALLOW, "grade", str(folder), *args, "--resume", "--timeout", "1"],
                         capture_output=True, text=True)
    assert "2 graded, 2 skipped" in out.stdout, out.stdout + out.stderr
    with Gradebook(db) as book:
        results = book.attempts()
    assert sorted(r.student for r in results) == ["s0", "s1", "s2", "s3"]
    assert {r.student: r.points for r in results}["s2"] == FULL - 2


def test_grade_many_records_each_result_in_the_gradebook_as_it_arrives(tmp_path):
    paths = [write_notebook(tmp_path / f"p{i}.ipynb") for i in range(3)]
    db = tmp_path / "g.db"
    counts = []

    def on_result(kind, item):
        with Gradebook(db) as book:  # another connection sees it already committed
            counts.append(len(book.attempts()))

    results = grade_many([Submission(str(p), p.stem, "all") for p in paths], gradebook=db,
                         jobs=2, options=options(), on_result=on_result)
    assert counts == [1, 2, 3]
    assert [r.student for r in results] == ["p0", "p1", "p2"]  # in submission order
    with Gradebook(db) as book:
        assert sorted(r.student for r in book.attempts()) == ["p0", "p1", "p2"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_all_of_a_students_notebooks_share_one_grading_budget(tmp_path, jobs):
    """A student who hands in many notebooks that each hang costs the batch at most their
    budget (plus what other workers had already started): the rest are recorded as not
    graded, with the reason; another student's notebook is graded as usual."""
    hang = replace_function(CORRECT, "sigmoid", "def sigmoid(z):\n    while True:\n"
                                                "        pass\n")
    submissions = []
    for i in range(4):
        path = write_notebook(tmp_path / "eve" / f"n{i}.ipynb", hang)
        submissions.append(Submission(str(path), "eve", "all"))
    honest = write_notebook(tmp_path / "bob.ipynb")
    submissions.append(Submission(str(honest), "bob", "all"))
    results = grade_many(submissions, jobs=jobs, options=options(timeout=0.5,
                                                                 student_budget_s=0.4))
    eve = [r for r in results if r.student == "eve"]
    refused = [r for r in eve if r.status == "failed"]
    assert len(eve) == 4 and 4 - len(refused) <= jobs
    assert refused and all("used up their 0.4 s grading budget" in r.reason for r in refused)
    assert [r.points for r in results if r.student == "bob"] == [FULL]


def test_a_killed_worker_is_replaced_and_its_submission_retried_then_failed(tmp_path):
    """A worker process that dies (here: it kills itself while grading one notebook) costs
    that notebook a retry, then a 'failed' record with the reason; the batch goes on."""
    import autograder.batch as batch

    paths = [write_notebook(tmp_path / f"w{i}.ipynb") for i in range(4)]
    original = batch._grade_safely

    def dying(submission, options, sandbox=None):
        if submission.student == "w2":
            os.kill(os.getpid(), signal.SIGKILL)
        return original(submission, options, sandbox)

    batch._grade_safely = dying
    try:
        results = grade_many([Submission(str(p), p.stem, "all") for p in paths],
                             gradebook=tmp_path / "g.db", jobs=2, options=options())
    finally:
        batch._grade_safely = original
    by = {r.student: r for r in results}
    assert sorted(by) == ["w0", "w1", "w2", "w3"]
    assert by["w2"].status == "failed" and "died twice" in by["w2"].reason
    assert all(by[s].points == FULL for s in ("w0", "w1", "w3"))


def test_notebook_test_helpers_are_harmless_while_grading(tmp_path):
    source = ("from autograder.notebook_checks import check, check_answer\n"
              "from shallow_checks import check as self_check\n"
              "from autograder import rubric\n" + CORRECT +
              "\n# %%\ncheck('sigmoid', sigmoid)\nq_keepdims_shape = tuple([4, 1])\n")
    result = grade(write_notebook(tmp_path / "nb.ipynb", source))
    assert result.points == FULL
    assert result.errors == [f"{tmp_path / 'nb.ipynb'}: cell 1: ImportError: "
                             "autograder.rubric is not available while grading (cell 1, line 3)"]


def test_text_views_say_the_problem_the_mistake_and_the_hint(tmp_path):
    source = replace_function(CORRECT, "relu", "def relu(z):\n    return max(0, z)\n")
    result = grade(write_notebook(tmp_path / "r.ipynb", source))
    case = next(c for c in result.cases if c.exercise == "relu")
    text = case_text(case)
    assert text.startswith("Called relu(z=array(1, 5))")
    assert "Problem: raised ValueError: The truth value of an array" in text
    assert "Likely mistake: Python's max() or an if on a whole array" in text
    assert "Hint: max(0, z) and `if z > 0` work on one number only" in text
