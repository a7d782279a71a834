"""``shallow report`` and ``shallow feedback``: a class graded for real (notebooks, child
processes, the SQLite gradebook), quiz attempts, then the pages checked for their content, for
escaping, for leaks of hidden test data, in nbgrader's feedback layout, and in a real browser."""

import base64
import csv
import dataclasses
import hashlib
import html
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from autograder.cli_reports import feedback as feedback_command
from autograder.cli_reports import report as report_command
from autograder.grade import Submission, grade_many
from autograder.gradebook import Gradebook
from autograder.report import ReportError, build_feedback, build_report, parse_due, read_roster
from autograder.rubric import exercises_for
from notebooks import CORRECT, replace_function, write_notebook
from quizzes.bank import load_bank

ASSIGNMENT = "planar_classifier"
EVIL = "<script>alert('x')</script>"
PNG = b"\x89PNG\r\n\x1a\n"
DUE = "2025-03-02T23:59:00Z"

KEEPDIMS = """
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1 = cache["A1"]
    A2 = cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1)
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = (1 / m) * np.sum(dZ1, axis=1)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""
ZEROS = """
def initialize_parameters(n_x, n_h, n_y):
    return {"W1": np.zeros((n_h, n_x)), "b1": np.zeros((n_h, 1)),
            "W2": np.zeros((n_y, n_h)), "b2": np.zeros((n_y, 1))}
"""
RAISES = """
def predict(parameters, X):
    raise ValueError("<img src=x onerror=alert(1)>")
"""

_KEEP = replace_function(CORRECT, "backward_propagation", KEEPDIMS).replace(
    "q_keepdims_shape = (4, 1)", "q_keepdims_shape = (4,)")
# (student, attempt) -> (notebook source, graded_at). Bob fixed his zero weights in a second
# attempt after the due date; Carol was first graded after it; the last id is hostile.
CLASS = {
    ("alice", 1): (CORRECT, "2025-03-01T10:00:00Z"),
    ("bob", 1): (replace_function(_KEEP, "initialize_parameters", ZEROS), "2025-03-01T09:00:00Z"),
    ("bob", 2): (_KEEP, "2025-03-03T08:00:00Z"),
    ("carol", 1): (_KEEP, "2025-03-05T12:00:00Z"),
    ("dave", 1): (replace_function(CORRECT, "initialize_parameters", ZEROS).replace(
        'q_zero_init = "d"', 'q_zero_init = "a"'), "2025-03-02T20:00:00Z"),
    (EVIL, 1): (replace_function(CORRECT, "predict", RAISES).replace(
        'q_zero_init = "d"', 'q_zero_init = "<script>alert(3)</script>"'),
        "2025-03-02T21:00:00Z"),
}
ROSTER = "id,first_name\nalice,Alice\nbob,Bob\ncarol,Carol\ndave,Dave\nfrank,Frank\ngrace,Grace\n"


def _answer(question_id, answer, correct):
    return {"question_id": question_id, "answer": answer, "correct": correct,
            "score": float(correct), "max_score": 1.0}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A graded class: nbgrader's submitted/ layout (with timestamp.txt and
    submission_secret.txt as nbgrader's collect leaves them), except the hostile student's
    flat file; each attempt recorded with its own grading time; two quiz attempts."""
    root = tmp_path_factory.mktemp("course")
    submissions = []
    for (student, attempt), (source, _) in CLASS.items():
        if student == EVIL:
            path = write_notebook(root / "flat" / f"{ASSIGNMENT}.ipynb", source)
        else:
            folder = root / f"attempt{attempt}" / "submitted" / student / ASSIGNMENT
            path = write_notebook(folder / f"{ASSIGNMENT}.ipynb", source)
            (folder / "timestamp.txt").write_text("2025-03-01 09:00:00.000000 UTC")
            (folder / "submission_secret.txt").write_text(f"secret-{student}-{attempt}")
        submissions.append(Submission(str(path), student, ASSIGNMENT))
    graded = {result.path: result for result in grade_many(submissions, jobs=3)}
    gradebook = root / "gradebook.db"
    with Gradebook(gradebook) as book:
        for (_, graded_at), submission in zip(CLASS.values(), submissions, strict=True):
            book.record(dataclasses.replace(graded[submission.path], graded_at=graded_at))
        book.record_quiz("alice", ASSIGNMENT, "shallow-networks", [
            _answer("lecture-05-keepdims", "(4, 1)", True),
            _answer("lecture-06-zero-init", "d", True)])
        book.record_quiz("frank", ASSIGNMENT, "shallow-networks", [
            _answer("lecture-05-keepdims", "(4,)", False),
            _answer("lecture-06-zero-init", "A", False)])
        results = {r.student: r for r in book.latest_per_student(ASSIGNMENT)}
    roster = root / "roster.csv"
    roster.write_text(ROSTER)
    return SimpleNamespace(root=root, gradebook=gradebook, roster=roster, results=results)


@pytest.fixture(scope="module")
def report(course, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    paths = build_report(course.gradebook, ASSIGNMENT, out, roster=course.roster, due=DUE)
    page = paths.html.read_text(encoding="utf-8")
    with open(paths.csv, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return SimpleNamespace(paths=paths, page=page, rows=rows,
                           by={(row["kind"], row["item"]): row for row in rows})


@pytest.fixture(scope="module")
def pages(course, tmp_path_factory):
    out = tmp_path_factory.mktemp("feedback")
    return SimpleNamespace(out=out, paths=build_feedback(course.gradebook, ASSIGNMENT, out))


def section(page, title):
    """The HTML between the <h2> or <h3> titled ``title`` and the next heading of that level."""
    match = re.search(rf"<(h[23])>{re.escape(title)}", page)
    assert match, f"no section {title!r}"
    level = match.group(1)
    end = page.find(f"<{level}>", match.end())
    return page[match.end():end if end >= 0 else len(page)]


def embedded_pngs(page):
    return [base64.b64decode(data, validate=True)
            for data in re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


# -- the class report -------------------------------------------------------------------------

def test_report_files_and_plots(report):
    assert report.paths.html.name == f"report-{ASSIGNMENT}.html"
    assert report.paths.csv.name == f"report-{ASSIGNMENT}.csv"
    images = embedded_pngs(report.page)
    assert len(images) == 3  # score histogram, pass rate per exercise, review questions
    assert all(image.startswith(PNG) and len(image) > 2000 for image in images)
    assert 'alt="Histogram of the scores"' in report.page
    assert 'alt="Pass rate per exercise"' in report.page
    # Self-contained: nothing is fetched, no script at all.
    assert not re.search(r"""(src|href)=["'](?!data:)""", report.page)
    assert "<script" not in report.page.lower() and "@import" not in report.page
    assert "Content-Security-Policy" in report.page


def test_report_pass_rates_come_from_the_latest_attempts(report, course):
    graded = len(course.results)
    assert graded == 5
    backward = report.by[("exercise", "backward_propagation")]
    assert (backward["n"], backward["count"], backward["rate"]) == ("5", "3", "0.6")
    assert backward["most_common"] == "missing_keepdims" and backward["most_common_count"] == "2"
    # Bob's first attempt had zero weights; only his latest counts.
    init = report.by[("exercise", "initialize_parameters")]
    assert (init["count"], init["most_common"], init["most_common_count"]) == \
        ("4", "zero_weights", "1")
    assert report.by[("exercise", "predict")]["count"] == "4"
    assert report.by[("exercise", "layer_sizes")]["rate"] == "1.0"
    case = report.by[("case", "backward_propagation: case 2")]
    assert (case["n"], case["count"], case["rate"]) == ("5", "3", "0.6")
    kinds = [row["kind"] for row in report.rows]
    cases = sum(len(e.cases()) for e in exercises_for(ASSIGNMENT))
    assert kinds.count("exercise") == 8 and kinds.count("case") == cases
    assert kinds.count("question") == 8 and kinds.count("mistake") == 2
    # Each exercise's mean points agree with the gradebook.
    scores = [r.exercise_scores()["backward_propagation"][0] for r in course.results.values()]
    assert float(backward["mean_points"]) == pytest.approx(sum(scores) / graded, abs=1e-4)
    rows = re.findall(r"<tr><td><code>(\w+)</code></td>.*?(\d+) %</span></td>",
                      section(report.page, "Exercises"))
    assert ("backward_propagation", "60") in rows and ("initialize_parameters", "80") in rows


def test_report_lists_the_most_frequent_mistake_first_with_its_count_and_hint(report):
    table = section(report.page, "Most frequent mistakes")
    first = re.search(r"<tbody>\s*<tr>(.*?)</tr>", table, re.S).group(1)
    assert "np.sum without keepdims=True" in first and "missing_keepdims" in first
    assert '<td class="num">2</td>' in first and "40 %" in first
    assert html.escape("np.sum(dZ, axis=1, keepdims=True)") in first
    assert "zero_weights" in table
    mistake = report.by[("mistake", "missing_keepdims")]
    assert (mistake["n"], mistake["count"]) == ("5", "2")
    assert "keepdims=True" in mistake["hint"]


def test_report_review_question_difficulty_from_notebooks_and_quizzes(report):
    keepdims = report.by[("question", "lecture-05-keepdims")]
    # Notebooks: alice, dave and the third student right, bob and carol (4,); quiz: alice
    # right, frank (4,).
    assert (keepdims["n"], keepdims["count"]) == ("7", "4")
    assert (keepdims["most_common"], keepdims["most_common_count"]) == ("(4,)", "3")
    zero = report.by[("question", "lecture-06-zero-init")]
    # Dave's notebook "a" and Frank's quiz "A" are the same wrong answer; the unreadable one
    # counts apart.
    assert zero["most_common"].startswith("a) Each hidden unit") and \
        zero["most_common_count"] == "2"
    table = section(report.page, "Review questions")
    assert "If A.shape = (4, 3), what is B.shape" in table
    assert "(4,) (3)" in table and "notebook 5, quiz 2" in table
    # Hardest first.
    assert table.index("lecture-05-keepdims") < table.index("lecture-02-forward-vectorized")


def test_report_missing_late_and_off_roster_students(report):
    missing = section(report.page, "Missing")
    assert "frank" in missing and "grace" in missing and "took the quiz" in missing
    assert "alice" not in missing and "bob" not in missing
    assert html.escape(EVIL) in section(report.page, "Not on the roster")
    late = section(report.page, "Late (due 2025-03-02T23:59:00Z)")
    assert "carol" in late and "first graded after the due date" in late
    assert "bob" in late and "first seen after the due date" in late
    assert "alice" not in late and "dave" not in late
    assert "FIRST attempt was graded after the due date" in late


def test_report_lists_the_isolation_layers(report, course):
    layers = section(report.page, "Isolation layers")
    used = {layer for result in course.results.values() for layer in result.layers}
    assert {"rlimits", "session", "clean-env"} <= used
    for layer in used:
        assert f"<code>{layer}</code>" in layers


def test_report_leaves_pyplot_alone(course, tmp_path):
    """Plots are drawn on Figure objects by Agg: pyplot (and its backend) is never touched, so
    calling the API from a notebook leaves the notebook's figures alone."""
    code = ("import sys; from autograder.report import build_report; "
            f"build_report({str(course.gradebook)!r}, None, {str(tmp_path)!r}); "
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_report_escapes_student_text(report):
    assert "<script" not in report.page.lower()
    assert "onerror=alert" not in report.page.replace("&lt;img src=x onerror=alert", "")
    assert html.escape(EVIL) in report.page


def test_report_without_roster_or_due_and_the_only_assignment(course, tmp_path):
    paths = build_report(course.gradebook, None, tmp_path)
    page = paths.html.read_text()
    assert paths.html.name == f"report-{ASSIGNMENT}.html"
    assert "No roster given" in page and "Late" not in page
    assert len(embedded_pngs(page)) == 3


def test_report_errors_are_one_line(course, tmp_path):
    missing = tmp_path / "none.db"
    with pytest.raises(ReportError, match="no such gradebook"):
        build_report(missing, ASSIGNMENT, tmp_path)
    assert not missing.exists()  # not created by asking
    with pytest.raises(ReportError, match=r"no attempts at assignment 'week9'.*planar_classifier"):
        build_report(course.gradebook, "week9", tmp_path)
    with pytest.raises(ReportError, match="not an ISO 8601 date"):
        build_report(course.gradebook, ASSIGNMENT, tmp_path, due="next friday")
    with pytest.raises(ReportError, match="no such roster"):
        build_report(course.gradebook, ASSIGNMENT, tmp_path, roster=tmp_path / "nope.txt")
    two = tmp_path / "two.db"
    shutil.copy(course.gradebook, two)
    with Gradebook(two) as book:
        book.record_quiz("alice", "activations", "shallow-networks",
                         [_answer("lecture-01-tanh-vs-sigmoid", "true", True)])
    with pytest.raises(ReportError, match=r"holds 2 assignments \(activations, planar_"):
        build_report(two, None, tmp_path)
    not_a_gradebook = tmp_path / "notes.db"
    not_a_gradebook.write_text("hello")
    with pytest.raises(ReportError, match="not a gradebook"):
        build_feedback(not_a_gradebook, None, tmp_path)


def test_parse_due_and_read_roster(tmp_path):
    assert parse_due("2025-03-02T23:59:00Z").isoformat() == "2025-03-02T23:59:00+00:00"
    assert parse_due("2025-03-02T23:59").isoformat() == "2025-03-02T23:59:00+00:00"
    assert parse_due("2025-03-02T23:59:00+01:00").utcoffset().total_seconds() == 3600
    text = tmp_path / "roster.txt"
    text.write_text("# class of 2025\nalice\n\n bob \nalice\n")
    assert read_roster(text) == ["alice", "bob"]
    plain = tmp_path / "plain.csv"
    plain.write_text("carol,Carol C\ndave,Dave D\n")
    assert read_roster(plain) == ["carol", "dave"]
    nbgrader = tmp_path / "students.csv"
    nbgrader.write_text("first_name,last_name,id,email\nA,B,ab1,a@x\nC,D,cd2,c@x\n")
    assert read_roster(nbgrader) == ["ab1", "cd2"]


# -- feedback pages -----------------------------------------------------------------------

def test_feedback_pages_in_nbgrader_layout(pages, course):
    assert len(pages.paths) == 5
    bob = pages.out / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert bob in pages.paths
    # Like nbgrader's generate_feedback: the submission's files beside the page.
    assert (bob.parent / "submission_secret.txt").read_text() == "secret-bob-2"
    assert (bob.parent / "timestamp.txt").is_file()
    evil = [p for p in pages.paths if p.parts[-3] not in course.results]
    assert len(evil) == 1 and evil[0].resolve().is_relative_to(pages.out.resolve())
    assert "/" not in evil[0].parts[-3] and evil[0].parts[-3].startswith("%3Cscript")
    assert not (evil[0].parent / "submission_secret.txt").exists()  # not from submitted/


def test_feedback_page_says_what_failed_why_and_the_hint(pages, course):
    page = (pages.out / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    result = course.results["bob"]
    assert f"{result.score:.4g} / {result.max_score:.4g}" in page
    fix = section(page, "What to fix")
    assert "backward_propagation" in fix and "initialize_parameters" not in fix
    assert "<b>Likely mistake:</b> np.sum without keepdims=True" in fix
    assert html.escape("np.sum(dZ, axis=1, keepdims=True)") in fix
    assert html.escape("grads['db1'] has shape (") in fix
    assert "the same mistake as case 1 (visible)" in fix  # repeated cases are not repeated
    assert "X=array(" in fix  # hidden inputs by their shapes
    review = section(page, "Review questions in your notebook")
    question = load_bank().by_variable()["q_keepdims_shape"]
    assert html.escape(question.explanation) in review
    assert "Your answer: <code>(4,)</code>" in review
    assert "Quiz" not in page  # Bob took no quiz
    alice = (pages.out / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "What to fix" not in alice and "<h2>Quiz (2 / 2" in alice


def hidden_values():
    """Text forms of the numbers in the rubric's hidden test inputs (seed 0)."""
    texts = set()
    for exercise in exercises_for(ASSIGNMENT):
        for case in exercise.cases(0):
            if case.visible:
                continue
            stack = list(case.args) + list(case.kwargs.values())
            while stack:
                value = stack.pop()
                if isinstance(value, dict):
                    stack += value.values()
                elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
                    for number in value.ravel()[:20]:
                        if abs(number) > 1e-3:
                            texts |= {repr(float(number)), f"{number:.6g}"}
    return {text for text in texts if len(text.lstrip("-").replace(".", "")) >= 6}


def test_feedback_pages_hold_no_hidden_test_data(pages):
    hidden = hidden_values()
    assert len(hidden) > 200
    for path in pages.paths:
        page = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in page and "hidden=True" not in page
        leaked = [text for text in hidden if text in page]
        assert not leaked, f"{path}: {leaked[:5]}"


def test_feedback_escapes_student_text(pages, course):
    evil = next(p for p in pages.paths if p.parts[-3] not in course.results)
    page = evil.read_text()
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert html.escape(EVIL) in page
    assert html.escape("raised ValueError: <img src=x onerror=alert(1)>") in page
    assert "could not be read" in page and html.escape("<script>alert(3)</script>") in page
    for path in pages.paths:
        assert "<script" not in path.read_text().lower()


def test_feedback_for_chosen_students(course, tmp_path):
    paths = build_feedback(course.gradebook, ASSIGNMENT, tmp_path, students=["carol", "carol"])
    assert paths == [tmp_path / "carol" / ASSIGNMENT / f"{ASSIGNMENT}.html"]
    with pytest.raises(ReportError, match="no graded notebook for 'frank'"):
        build_feedback(course.gradebook, ASSIGNMENT, tmp_path, students=["frank"])


@pytest.mark.slow
def test_nbgrader_release_feedback_releases_the_pages(course, tmp_path):
    """nbgrader's own release_feedback finds the pages and releases each under the hash that
    the student's fetch_feedback looks for."""
    home = tmp_path / "course"
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    written = build_feedback(course.gradebook, ASSIGNMENT, home / "feedback",
                             students=["alice", "bob"])
    nbgrader = shutil.which("nbgrader", path=str(Path(sys.executable).parent)) or "nbgrader"
    run = subprocess.run(
        [nbgrader, "release_feedback", ASSIGNMENT, "--course=shallow-networks",
         f"--Exchange.root={exchange}", f"--CourseDirectory.root={home}"],
        cwd=home, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    released = exchange / "shallow-networks" / "feedback"
    for student, page in zip(["alice", "bob"], written, strict=True):
        key = hashlib.md5(f"secret-{student}-{1 if student == 'alice' else 2}{ASSIGNMENT}"
                          .encode()).hexdigest()
        assert (released / f"{key}.html").read_bytes() == page.read_bytes()


# -- the commands -----------------------------------------------------------------------------

def test_report_command(course, tmp_path):
    out = tmp_path / "reports"
    result = CliRunner().invoke(report_command, [
        "--gradebook", str(course.gradebook), "--out", str(out), "--roster", str(course.roster),
        "--due", DUE])
    assert result.exit_code == 0, result.output
    assert str(out / f"report-{ASSIGNMENT}.html") in result.output
    assert "5 graded, 2 missing, 2 late" in result.output
    assert (out / f"report-{ASSIGNMENT}.csv").is_file()


def test_feedback_command(course, tmp_path):
    out = tmp_path / "fb"
    result = CliRunner().invoke(feedback_command, [
        "--gradebook", str(course.gradebook), "--assignment", ASSIGNMENT, "--out", str(out),
        "--student", "bob", "--student", EVIL])
    assert result.exit_code == 0, result.output
    assert "2 feedback page(s)" in result.output
    assert (out / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    # The hostile student's page came from no nbgrader submission: release_feedback would stop.
    assert "1 page(s) lack nbgrader's submission_secret.txt" in result.output


@pytest.mark.parametrize("command, args, message", [
    (report_command, ["--gradebook", "{missing}"], "no such gradebook"),
    (feedback_command, ["--gradebook", "{missing}"], "no such gradebook"),
    (report_command, ["--assignment", "week9"], "no attempts at assignment 'week9'"),
    (feedback_command, ["--assignment", "week9"], "no attempts at assignment 'week9'"),
    (report_command, ["--due", "31/12/2025"], "not an ISO 8601 date and time"),
    (feedback_command, ["--student", "zoe"], "no graded notebook for 'zoe'"),
])
def test_command_errors_are_one_line(course, tmp_path, command, args, message):
    args = [arg.format(missing=tmp_path / "missing.db") for arg in args]
    if "--gradebook" not in args:
        args = ["--gradebook", str(course.gradebook), *args]
    result = CliRunner().invoke(command, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert message in result.output and result.output.startswith("Error: ")
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (tmp_path / "missing.db").exists()


def test_command_module_imports_only_click():
    code = ("import sys, autograder.cli_reports; "
            "print(sorted(m for m in ('numpy', 'matplotlib', 'yaml', 'sqlite3', "
            "'autograder.report', 'autograder.gradebook') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


# -- in a real browser ------------------------------------------------------------------------

def chromium_path():
    """Debian's chromium (installed by .ci/run), or $SHALLOW_CHROMIUM."""
    candidates = [os.environ.get("SHALLOW_CHROMIUM", ""), "chromium", "chromium-browser",
                  "google-chrome", "google-chrome-stable"]
    for candidate in candidates:
        found = candidate and shutil.which(candidate)
        if found:
            return found
    pytest.fail("Chromium is needed for the browser tests and was not found: install Debian's "
                "`chromium` package (apt-get install chromium; .ci/run does) or set "
                "SHALLOW_CHROMIUM to a Chrome or Chromium binary", pytrace=False)


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (Chromium reads commands
    on fd 3 and writes answers on fd 4, each a JSON message ended by NUL): no Python package and
    no network port needed."""

    def __init__(self, executable, profile):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def on_fds_3_and_4():  # in the child, before exec
            read_end, write_end = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self._log = open(profile / "chromium.log", "w+b")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [executable, "--headless=new", "--remote-debugging-pipe", "--no-sandbox",
             "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             "--mute-audio", f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            preexec_fn=on_fds_3_and_4, close_fds=False, start_new_session=True)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_chrome], [], [], max(0.0, left))
            if not ready:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                self._log.seek(0)
                tail = self._log.read().decode(errors="replace")[-1500:]
                raise RuntimeError(f"Chromium closed the DevTools pipe; its log ends:\n{tail}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None, timeout=30.0):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method, session, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["method"] == method and event.get("sessionId") == session:
                    return event
            self.events.append(self._read_message(deadline))

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    def load(self, path, *, width=1200, height=1600, screenshot=None):
        """Open ``path``; return its images, console errors and layout width."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session)
        self.call("Page.navigate", {"url": Path(path).resolve().as_uri()}, session=session)
        self.wait_for("Page.loadEventFired", session)
        images = self.call("Runtime.evaluate", {
            "expression": "Promise.all(Array.from(document.images, img => img.decode()"
                          ".then(() => true, () => false).then(decoded => ({decoded,"
                          " complete: img.complete, width: img.naturalWidth,"
                          " height: img.naturalHeight, alt: img.alt}))))",
            "awaitPromise": True, "returnByValue": True}, session=session)["result"]["value"]
        layout = self.call("Runtime.evaluate", {
            "expression": "({scroll: document.documentElement.scrollWidth,"
                          " view: window.innerWidth, title: document.title})",
            "returnByValue": True}, session=session)["result"]["value"]
        self.drain(0.3)
        if screenshot:
            shot = self.call("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True}, session=session)
            Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
        errors = []
        for event in self.events:
            if event.get("sessionId") != session:
                continue
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                errors.append(details.get("exception", {}).get("description")
                              or details.get("text"))
            elif event["method"] == "Runtime.consoleAPICalled" and \
                    params.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description")))
                                       for a in params.get("args", [])))
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(params["entry"]["text"])
        self.call("Target.closeTarget", {"targetId": target})
        return {"images": images, "errors": errors, **layout}

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the session this test started
            self.process.wait()
        for fd in (self._to_chrome, self._from_chrome):
            os.close(fd)
        self._log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chrome = Browser(chromium_path(), tmp_path_factory.mktemp("chromium-profile"))
    yield chrome
    chrome.close()


@pytest.mark.slow
def test_the_browser_check_sees_errors_and_broken_images(browser, tmp_path):
    """The check below is not vacuous: a broken image and a script error are both seen."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><title>t</title></head><body>'
                    '<img src="data:image/png;base64,iVBORw0KGgoAAAA=" alt="broken">'
                    f'<img src="data:image/png;base64,{base64.b64encode(PNG).decode()}">'
                    "<script>console.error('boom'); undefinedFunction();</script></body></html>")
    loaded = browser.load(page)
    assert [image["decoded"] for image in loaded["images"]] == [False, False]
    assert any("boom" in error for error in loaded["errors"])
    assert any("undefinedFunction" in error for error in loaded["errors"])


@pytest.mark.slow
def test_report_renders_in_chromium(browser, report):
    loaded = browser.load(report.paths.html)
    assert loaded["errors"] == []
    assert loaded["title"] == f"Class report: {ASSIGNMENT}"
    assert len(loaded["images"]) == 3
    for image in loaded["images"]:
        assert image["decoded"] and image["complete"] and image["width"] > 0, image
    assert loaded["scroll"] <= loaded["view"]  # nothing wider than the window


@pytest.mark.slow
def test_feedback_pages_render_in_chromium(browser, pages):
    for path in pages.paths:
        loaded = browser.load(path)
        assert loaded["errors"] == [], path
        assert loaded["title"].startswith(f"Feedback: {ASSIGNMENT}")
        assert all(image["decoded"] and image["width"] > 0 for image in loaded["images"])
        assert loaded["scroll"] <= loaded["view"], path
