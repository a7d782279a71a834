"""``shallow report`` and ``shallow feedback``: thin click wrappers, one-line errors, non-zero
exit codes, and a start-up that imports only click."""

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_class import ASSIGNMENT, EVIL

from autograder.cli_reports import feedback as feedback_command
from autograder.cli_reports import report as report_command
from autograder.gradebook import open_gradebook

ROOT = Path(__file__).parents[2]


def test_report_command(course, tmp_path):
    out = tmp_path / "reports"
    result = CliRunner().invoke(report_command, [
        "--gradebook", str(course.gradebook), "--out", str(out), "--roster", str(course.roster),
        "--course", str(course.root), "--feedback-dir", str(tmp_path / "fb")])
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout.splitlines() == [
        str(out / f"report-{ASSIGNMENT}.html"), str(out / f"report-{ASSIGNMENT}.csv"),
        "4 graded, 2 missing, 1 late, 2 not graded (file problems)"]
    page = (out / f"report-{ASSIGNMENT}.html").read_text()
    assert f'href="./../fb/alice/{ASSIGNMENT}/{ASSIGNMENT}.html"' in page


def test_feedback_command_warns_about_refused_files(course, tmp_path):
    out = tmp_path / "fb"
    result = CliRunner().invoke(feedback_command, [
        "--gradebook", str(course.gradebook), "--assignment", ASSIGNMENT, "--out", str(out),
        "--course", str(course.root), "--student", "bob", "--student", EVIL])
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout == f"2 feedback page(s) in {out}\n"
    assert "warning: bob: " in result.stderr and "symbolic link" in result.stderr
    assert "2 page(s) lack nbgrader's submission_secret.txt" in result.stderr
    assert "\x1b" not in result.stderr  # the hostile id is not printed raw
    assert (out / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()


@pytest.mark.parametrize("command, args, message", [
    (report_command, ["--gradebook", "{missing}"], "no such gradebook"),
    (feedback_command, ["--gradebook", "{missing}"], "no such gradebook"),
    (report_command, ["--assignment", "week9"], "no attempts at assignment 'week9'"),
    (feedback_command, ["--assignment", "week9"], "no attempts at assignment 'week9'"),
    (report_command, ["--roster", "{missing}"], "no such file"),
    (feedback_command, ["--student", "zoe"], "no graded notebook for 'zoe'"),
    (report_command, ["--course", "{missing}"], "no such course folder"),
])
def test_command_errors_are_one_line(course, tmp_path, command, args, message):
    args = [arg.format(missing=tmp_path / "missing.db") for arg in args]
    if "--gradebook" not in args:
        args = ["--gradebook", str(course.gradebook), *args]
    if "--course" not in args:
        args += ["--course", str(course.root)]
    result = CliRunner().invoke(command, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert message in result.output and result.output.startswith("Error: ")
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (tmp_path / "missing.db").exists()
    assert not (tmp_path / "out").exists()


def test_several_assignments_need_a_choice(course, tmp_path):
    two = tmp_path / "two.db"
    two.write_bytes(course.gradebook.read_bytes())
    with open_gradebook(two) as book:
        book.record_quiz("alice", "activations", "shallow-networks", [
            {"question_id": "lecture-01-tanh-vs-sigmoid", "answer": "true", "correct": True,
             "score": 1.0, "max_score": 1.0}])
    result = CliRunner().invoke(report_command, ["--gradebook", str(two), "--out",
                                                 str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "holds 2 assignments (activations, planar_classifier): choose one with " \
           "--assignment" in result.output
    only_quiz = CliRunner().invoke(feedback_command, [
        "--gradebook", str(two), "--assignment", "activations", "--out", str(tmp_path / "f")])
    assert only_quiz.exit_code == 1 and "no notebook of assignment 'activations'" in \
        only_quiz.output


def test_command_module_imports_only_click():
    code = ("import sys, autograder.cli_reports; "
            "print(sorted(m for m in ('numpy', 'matplotlib', 'jinja2', 'yaml', 'sqlite3', "
            "'autograder.reports.class_report', 'autograder.gradebook', 'quizzes') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
