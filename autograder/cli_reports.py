"""``shallow report`` and ``shallow feedback``: thin click wrappers over
``autograder.reports.class_report.build_report`` and ``autograder.reports.feedback.build_feedback``.

Both are plain click commands, attached to the ``shallow`` group in ``cli.py``. Like ``cli.py``,
this module imports only click at top level (start-up stays fast); each command imports what it
needs when it runs. Errors are one line (``Error: ...``) with exit code 1.
"""

from __future__ import annotations

import click

from . import DEFAULT_GRADEBOOK


def _fail(exc):
    from .safety import one_line

    raise click.ClickException(one_line(exc)) from None


@click.command()
@click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True,
              help="Gradebook of `shallow grade` (a SQLite file or a postgresql:// URL).")
@click.option("--assignment",
              help="Assignment to report on (default: the only one in the gradebook).")
@click.option("--out", default="reports", show_default=True, type=click.Path(file_okay=False),
              help="Folder for report-<assignment>.html and report-<assignment>.csv.")
@click.option("--roster", type=click.Path(dir_okay=False),
              help="Student ids, one a line, or a CSV with an id column: who is missing.")
@click.option("--course", type=click.Path(file_okay=False),
              help="Course folder (shallow.yaml: due dates, late policy; default: found from "
                   "the current folder).")
@click.option("--feedback-dir", default="feedback", show_default=True,
              type=click.Path(file_okay=False),
              help="Where `shallow feedback --out` writes the pages the report links to.")
def report(gradebook, assignment, out, roster, course, feedback_dir):
    """Write a class report: scores, students, pass rates, mistakes, review questions.

    The HTML page is self-contained (plots embedded, nothing loaded); the CSV has a row per
    submission status, exercise, test case, review question and diagnosed mistake. Uses each
    student's latest attempt, manual grades applied, and the course's late policy.
    """
    from .reports.class_report import build_report
    from .reports.source import ReportError

    try:
        written = build_report(gradebook, assignment=assignment, out=out, roster=roster,
                               course=course, feedback_dir=feedback_dir)
    except ReportError as exc:
        _fail(exc)
    figures = [f"{written.graded} graded"]
    if roster or written.missing:
        figures.append(f"{len(written.missing)} missing")
    figures.append(f"{len(written.late)} late")
    if written.not_graded:
        figures.append(f"{len(written.not_graded)} not graded (file problems)")
    click.echo(f"{written.html}\n{written.csv}\n{', '.join(figures)}")


@click.command()
@click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True,
              help="Gradebook of `shallow grade` (a SQLite file or a postgresql:// URL).")
@click.option("--assignment",
              help="Assignment to give feedback on (default: the only one in the gradebook).")
@click.option("--student", "students", multiple=True,
              help="Only this student (repeatable; default: everyone with a graded notebook).")
@click.option("--out", default="feedback", show_default=True, type=click.Path(file_okay=False),
              help="Feedback folder: pages go to <out>/<student>/<assignment>/<notebook>.html, "
                   "nbgrader's layout.")
@click.option("--course", type=click.Path(file_okay=False),
              help="Course folder (shallow.yaml: the late policy; default: found from the "
                   "current folder).")
def feedback(gradebook, assignment, students, out, course):
    """Write one feedback page per student: scores, what failed and why, hints, review answers.

    With --out set to the course's feedback folder, `nbgrader release_feedback` releases them.
    """
    from .reports.feedback import build_feedback
    from .reports.source import ReportError
    from .safety import one_line

    try:
        run = build_feedback(gradebook, assignment=assignment, out=out,
                             students=list(students) or None, course=course)
    except ReportError as exc:
        _fail(exc)
    click.echo(f"{len(run.pages)} feedback page(s) in {out}")
    for problem in run.problems:
        click.echo(f"warning: {one_line(problem)}", err=True)
    if run.unreleasable:
        click.echo(f"note: {len(run.unreleasable)} page(s) lack nbgrader's "
                   f"submission_secret.txt (not graded from nbgrader's submitted/ folder); "
                   f"`nbgrader release_feedback` stops on them: hand those out directly, e.g. "
                   f"{one_line(str(run.unreleasable[0]))}", err=True)
