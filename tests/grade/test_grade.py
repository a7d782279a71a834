"""``shallow grade`` and ``shallow check`` end to end: real notebooks, real child processes, a
real SQLite gradebook."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.grade import Submission, find_submissions, grade_many, grade_submission
from autograder.gradebook import Gradebook
from autograder.rubric import ASSIGNMENTS, EXERCISES, exercises_for, review_questions
from notebooks import CORRECT, cells_of, notebook_json, replace_function, write_notebook

SHALLOW = str(Path(sys.executable).parent / "shallow")


def full(assignment):
    """An assignment's total: its exercises' points and its review questions' points."""
    return sum(e.points for e in exercises_for(assignment)) + sum(
        q.points for q in review_questions(assignment))


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


def grade(path, **kw):
    return grade_submission(Submission(str(path), kw.pop("student", "s"),
                                       kw.pop("assignment", "all")), **kw)


def test_correct_notebook_scores_full_marks_without_running_its_training_cell(tmp_path):
    result = grade(write_notebook(tmp_path / "alice.ipynb"))
    assert result.score == result.max_score == FULL
    assert len([t for t in result.tests if t.name.startswith("review question")]) == 10
    assert result.errors == []  # the last cell raises if run: it was not
    assert len(result.tests) >= 3 * len(EXERCISES) - 2 + 10
    assert all(t.status == "passed" for t in result.tests)
    assert {"rlimits", "session", "clean-env"} <= set(result.layers)
    assert len(result.sha256) == 64


def test_untouched_student_version_scores_zero_without_error(tmp_path):
    result = grade(write_notebook(tmp_path / "blank.ipynb", untouched_source()))
    assert result.score == 0 and result.max_score == FULL
    assert all(t.status == "failed" for t in result.tests)
    review = [t for t in result.tests if t.name.startswith("review question")]
    assert len(review) == 10 and all("is not answered yet" in t.output for t in review)
    assert all("raised NotImplementedError" in t.output for t in result.tests
               if t not in review)
    assert result.errors == []


def test_assignment_rubrics_and_guessing(tmp_path):
    activations = CORRECT[:CORRECT.index("def layer_sizes")] + "\n".join(REVIEW_ANSWERS[:4])
    path = write_notebook(tmp_path / "acts.ipynb", activations)
    guessed = grade_submission(Submission(str(path), "s", None))
    assert guessed.assignment == "activations"
    assert {t.exercise for t in guessed.tests} >= set(ASSIGNMENTS["activations"])
    assert guessed.score == guessed.max_score == full("activations")
    # An nbgrader folder name the rubric does not know is kept as the label; the rubric is
    # guessed from the notebook.
    week = grade_submission(Submission(str(path), "s", "week3"))
    assert week.assignment == "week3" and week.score == full("activations")


def test_missing_function_is_named_and_costs_only_its_exercise(tmp_path):
    source = replace_function(CORRECT, "forward_propagation", "")
    result = grade(write_notebook(tmp_path / "nofwd.ipynb", source))
    lost = {t.exercise for t in result.tests if t.status == "failed"}
    assert lost == {"forward_propagation"}
    assert all(t.output == "function forward_propagation not found in the notebook"
               for t in result.tests if t.exercise == "forward_propagation")
    # predict and nn_model call forward_propagation: a stand-in answered for it.
    assert result.exercise_scores()["predict"] == (5, 5)


@pytest.mark.parametrize("content, reason", [
    (b"{not json", "not valid JSON"),
    (json.dumps(notebook_json(cells_of(CORRECT))).encode()[:500], "not valid JSON"),
    ("caf\xe9".encode("latin-1"), "not a text notebook"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text notebook"),
    (b"", "empty file"),
    (json.dumps({"nbformat": 2, "worksheets": []}).encode(), "nbformat 2 is not supported"),
    (json.dumps({"metadata": {}}).encode(), "no cells"),
])
def test_bad_files_score_zero_with_a_one_line_reason(tmp_path, content, reason):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    result = grade(path)
    assert result.score == 0 and result.max_score == FULL
    assert len(result.errors) == 1
    assert reason in result.errors[0] and str(path) in result.errors[0]
    assert "\n" not in result.errors[0] and "Traceback" not in result.errors[0]
    assert all(t.output == f"not graded: {result.errors[0]}" for t in result.tests)


def test_a_huge_notebook_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.ipynb"
    with open(path, "wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: 100 MB of nothing
    start = time.perf_counter()
    result = grade(path)
    assert time.perf_counter() - start < 2
    assert "100.0 MB" in result.errors[0] and result.score == 0


def test_syntax_error_cell_is_skipped_and_reported(tmp_path):
    source = CORRECT.replace("def relu(z):\n", "def relu(z) oops\n")
    result = grade(write_notebook(tmp_path / "syntax.ipynb", source))
    assert any("syntax error" in e for e in result.errors)
    failed = {t.exercise for t in result.tests if t.status == "failed"}
    # the whole activations cell is skipped, as in Jupyter; everything else still counts
    assert failed == {"sigmoid", "tanh", "relu", "leaky_relu"}


def test_last_definition_wins(tmp_path):
    source = CORRECT + "\n# %%\ndef sigmoid(z):\n    return z\n"
    result = grade(write_notebook(tmp_path / "redef.ipynb", source))
    assert {t.exercise for t in result.tests if t.status == "failed"} == {"sigmoid"}


def test_magics_and_shell_escapes_are_ignored(tmp_path):
    source = "%matplotlib inline\n!pip install numpy\n" + CORRECT
    result = grade(write_notebook(tmp_path / "magic.ipynb", source))
    assert result.score == FULL


def test_same_seed_same_result_and_other_seed_other_cases(tmp_path):
    source = replace_function(CORRECT, "layer_sizes", """
def layer_sizes(X, Y):
    return (X.shape[1], 4, Y.shape[1])
""")
    path = write_notebook(tmp_path / "s.ipynb", source)
    first, second, other = grade(path), grade(path), grade(path, seed=7)
    strip = lambda r: [(t.name, t.score, t.status, t.output) for t in r.tests]  # noqa: E731
    assert strip(first) == strip(second)
    assert strip(first) != strip(other)


def test_hidden_cases_show_shapes_not_values(tmp_path):
    source = replace_function(CORRECT, "compute_cost", """
def compute_cost(A2, Y):
    return 0.5
""")
    result = grade(write_notebook(tmp_path / "c.ipynb", source))
    tests = [t for t in result.tests if t.exercise == "compute_cost"]
    visible = [t for t in tests if "(visible)" in t.name]
    hidden = [t for t in tests if "(visible)" not in t.name]
    assert visible and hidden
    assert "got 0.5, expected" in visible[0].output
    for test in hidden:
        assert "expected" not in test.output
        assert re.search(r"A2=array\(1, \d+\)", test.output)


def test_a_hang_costs_its_own_budget_once(tmp_path):
    source = replace_function(CORRECT, "tanh", """
def tanh(z):
    while True:
        pass
""")
    source = replace_function(source, "relu", """
def relu(z):
    import time
    time.sleep(3600)
""")
    path = write_notebook(tmp_path / "hang.ipynb", source)
    start = time.perf_counter()
    result = grade(path, timeout=1.0)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0 * 2 + 3, elapsed  # two budgets, plus the rest of the grading
    failed = {t.exercise for t in result.tests if t.status == "failed"}
    assert failed == {"tanh", "relu"}
    assert all("did not finish within its 1 s budget" in t.output
               for t in result.tests if t.exercise in failed)
    assert result.score == FULL - 4


def test_exiting_inside_a_function_costs_only_that_exercise(tmp_path):
    source = replace_function(CORRECT, "relu", """
def relu(z):
    import os
    os._exit(0)
""")
    result = grade(write_notebook(tmp_path / "exit.ipynb", source))
    failed = [t for t in result.tests if t.status == "failed"]
    assert {t.exercise for t in failed} == {"relu"}
    assert "ended the grading process" in failed[0].output
    assert any("relu ended the grading process" in e for e in result.errors)


def test_exiting_while_loading_scores_zero_with_a_reason(tmp_path):
    source = "import os\nos_exit = os._exit(3)\n" + CORRECT
    result = grade(write_notebook(tmp_path / "exit_at_load.ipynb", source))
    # a call at top level is not a definition, so it never runs
    assert result.score == FULL
    source = "import os\ndef relu(z):\n    pass\nclass X:\n    os._exit(3)\n" + CORRECT
    result = grade(write_notebook(tmp_path / "exit_in_class.ipynb", source))
    assert result.score == 0
    assert any("exit status 3" in e for e in result.errors)


def test_grader_packages_are_not_importable_by_students(tmp_path):
    source = CORRECT + "\n# %%\nfrom shallow_ref import sigmoid\n" \
                       "from shallow_ref.network import forward_propagation\n"
    result = grade(write_notebook(tmp_path / "cheat.ipynb", source))
    assert any("shallow_ref.network is not available while grading" in e for e in result.errors)
    assert result.score == FULL  # their own functions are graded, not the reference's


def test_printing_fake_results_changes_nothing(tmp_path):
    source = replace_function(CORRECT, "sigmoid", """
def sigmoid(z):
    print('{"score": 100, "max_score": 100}')
    import sys
    sys.__stdout__.write('{"event": "done"}\\n')
    return z
""")
    result = grade(write_notebook(tmp_path / "liar.ipynb", source))
    assert result.exercise_scores()["sigmoid"] == (0, 2)
    assert result.score == FULL - 2


def test_gradescope_results_json_from_the_cli(tmp_path):
    path = write_notebook(tmp_path / "bob.ipynb")
    out = CliRunner().invoke(main, ["grade", str(path), "--format", "json", "--gradebook",
                                    str(tmp_path / "g.db"), "--results-dir",
                                    str(tmp_path / "res")])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["score"] == data["max_score"] == FULL
    for test in data["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
    written = json.loads((tmp_path / "res" / "bob" / "all" / "results.json").read_text())
    assert written["tests"] == data["tests"]


def _class_folder(root, students):
    for name, source in students.items():
        write_notebook(root / "submitted" / name / "planar_classifier" / "planar.ipynb", source)
    return root


def test_batch_grading_nbgrader_layout_gradebook_and_export(tmp_path):
    course = _class_folder(tmp_path / "course", {
        "ann": CORRECT,
        "ben": replace_function(CORRECT, "compute_cost", "def compute_cost(A2, Y):\n"
                                "    return -float(np.mean(Y * np.log(A2)))\n"),
        "cat": untouched_source(),
    })
    (course / "submitted" / "dan" / "planar_classifier").mkdir(parents=True)
    (course / "submitted" / "dan" / "planar_classifier" / "planar.ipynb").write_bytes(b"\x00\x01")
    db = tmp_path / "grades.db"
    runner = CliRunner()
    out = runner.invoke(main, ["grade", str(course), "--jobs", "2", "--gradebook", str(db)])
    assert out.exit_code == 0, out.output
    assert "4 graded, 0 skipped" in out.stdout
    with Gradebook(db) as book:
        latest = {r.student: r for r in book.latest_per_student("planar_classifier")}
    assert latest["ann"].score == full("planar_classifier") == latest["ann"].max_score
    assert latest["ben"].score == full("planar_classifier") - 10
    assert latest["cat"].score == 0 and latest["dan"].score == 0
    assert "not a text notebook" in latest["dan"].errors[0]

    again = runner.invoke(main, ["grade", str(course), "--resume", "--gradebook", str(db)])
    assert "0 graded, 4 skipped" in again.stdout

    out = runner.invoke(main, ["export", "--gradebook", str(db), "-o", str(tmp_path / "g.csv")])
    assert out.exit_code == 0, out.output
    lines = (tmp_path / "g.csv").read_text().splitlines()
    assert lines[0].split(",")[:3] == ["student", "layer_sizes", "initialize_parameters"]
    assert len(lines) == 5


def test_find_submissions_layouts(tmp_path):
    write_notebook(tmp_path / "flat" / "amy.ipynb")
    write_notebook(tmp_path / "flat" / ".ipynb_checkpoints" / "amy-checkpoint.ipynb")
    write_notebook(tmp_path / "bydir" / "bo" / "anything.ipynb")
    flat = find_submissions([tmp_path / "flat"])
    assert [(s.student, s.assignment) for s in flat] == [("amy", None)]
    assert [s.student for s in find_submissions([tmp_path / "bydir"])] == ["bo"]
    named = find_submissions([tmp_path / "flat" / "amy.ipynb"], student="x1")
    assert named[0].student == "x1"
    one = write_notebook(tmp_path / "submitted" / "zoe" / "week3" / "nb.ipynb")
    assert find_submissions([one])[0] == Submission(str(one), "zoe", "week3")


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
    out = subprocess.run([SHALLOW, "check", str(path)], capture_output=True, text=True,
                         cwd=tmp_path)
    assert out.returncode == 1
    visible = len(EXERCISES) + len(REVIEW_ANSWERS)
    assert f"{visible - 1} of {visible} visible cases pass" in out.stdout
    assert "grads['db1'] has shape (4,) but should be (4, 1)" in out.stdout
    assert "keepdims=True" in out.stdout
    assert not (tmp_path / "shallow_gradebook.db").exists()
    ok = subprocess.run([SHALLOW, "check", str(write_notebook(tmp_path / "ok.ipynb"))],
                        capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0 and f"{visible} of {visible} visible cases pass" in ok.stdout


def test_cli_errors_are_one_line(tmp_path):
    runner = CliRunner()
    out = runner.invoke(main, ["grade", str(tmp_path / "nope.ipynb")])
    assert out.exit_code == 1 and "no such file or folder" in out.output
    assert "Traceback" not in out.output
    (tmp_path / "empty").mkdir()
    out = runner.invoke(main, ["grade", str(tmp_path / "empty")])
    assert out.exit_code == 1 and "no notebooks found" in out.output
    bad_db = tmp_path / "bad.db"
    bad_db.write_text("not a database at all" * 100)
    out = runner.invoke(main, ["grade", str(write_notebook(tmp_path / "a.ipynb")),
                               "--gradebook", str(bad_db)])
    assert out.exit_code == 1 and "not a gradebook database" in out.output
    out = runner.invoke(main, ["export", "--gradebook", str(tmp_path / "none.db")])
    assert out.exit_code == 1 and "no such gradebook" in out.output


def test_kill_9_loses_nothing_and_resume_finishes(tmp_path):
    hang = replace_function(CORRECT, "sigmoid", "def sigmoid(z):\n    while True:\n"
                                                "        pass\n")
    folder = tmp_path / "class"
    for i, source in enumerate([CORRECT, CORRECT, hang, CORRECT]):
        write_notebook(folder / f"s{i}.ipynb", source)
    db = tmp_path / "g.db"
    proc = subprocess.Popen([SHALLOW, "grade", str(folder), "--gradebook", str(db),
                             "--timeout", "30"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 20
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
    out = subprocess.run([SHALLOW, "grade", str(folder), "--gradebook", str(db), "--resume",
                          "--timeout", "1"], capture_output=True, text=True)
    assert "2 graded, 2 skipped" in out.stdout, out.stdout + out.stderr
    with Gradebook(db) as book:
        results = book.attempts()
    assert sorted(r.student for r in results) == ["s0", "s1", "s2", "s3"]
    assert {r.student: r.score for r in results}["s2"] == FULL - 2


def test_grade_many_in_process_results_are_recorded_in_order(tmp_path):
    paths = [write_notebook(tmp_path / f"p{i}.ipynb") for i in range(3)]
    seen = []
    results = grade_many([Submission(str(p), p.stem, "all") for p in paths],
                         gradebook=tmp_path / "g.db", jobs=2,
                         on_result=lambda kind, item: seen.append(kind))
    assert seen == ["graded"] * 3
    assert sorted(r.student for r in results) == ["p0", "p1", "p2"]


def test_notebook_test_helpers_are_harmless_while_grading(tmp_path):
    source = ("from autograder.notebook_checks import check, check_answer\n"
              "from autograder import rubric\n" + CORRECT +
              "\n# %%\ncheck('sigmoid', sigmoid)\nq_keepdims_shape = tuple([4, 1])\n")
    result = grade(write_notebook(tmp_path / "nb.ipynb", source))
    assert result.score == FULL
    assert result.errors == [f"{tmp_path / 'nb.ipynb'}: cell 1: ImportError: "
                             "autograder.rubric is not available while grading (cell 1, line 2)"]
