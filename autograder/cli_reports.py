"""``shallow report`` and ``shallow feedback``: thin click wrappers over ``autograder.report``.

Both are plain click commands, attached to the ``shallow`` group in ``cli.py``. Like ``cli.py``,
this module imports only click; each command imports what it needs when it runs.
"""

from __future__ import annotations

import click

from . import DEFAULT_GRADEBOOK


@click.command()
@click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True,
              type=click.Path(dir_okay=False), help="SQLite gradebook of `shallow grade`.")
@click.option("--assignment",
              help="Assignment to report on (default: the only one in the gradebook).")
@click.option("--out", default="reports", show_default=True, type=click.Path(file_okay=False),
              help="Folder for report-<assignment>.html and report-<assignment>.csv.")
@click.option("--roster", type=click.Path(dir_okay=False),
              help="Student ids, one a line or a CSV with an id column: who is missing.")
@click.option("--due", help="Due date, ISO 8601 (2025-03-02T23:59:00+01:00; UTC if no zone): "
                            "who is late.")
def report(gradebook, assignment, out, roster, due):
    """Write a class report: score histogram, pass rates, frequent mistakes, review questions.

    The HTML page is self-contained (plots embedded); the CSV has a row per exercise, test
    case, review question and diagnosed mistake. Uses each student's latest attempt.
    """
    from .report import ReportError, build_report

    try:
        paths = build_report(gradebook, assignment, out, roster=roster, due=due)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    figures = [f"{paths.graded} graded"]
    if roster:
        figures.append(f"{len(paths.missing)} missing")
    if due:
        figures.append(f"{len(paths.late)} late")
    click.echo(f"{paths.html}\n{paths.csv}\n{', '.join(figures)}")


@click.command()
@click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True,
              type=click.Path(dir_okay=False), help="SQLite gradebook of `shallow grade`.")
@click.option("--assignment",
              help="Assignment to give feedback on (default: the only one in the gradebook).")
@click.option("--out", default="feedback", show_default=True, type=click.Path(file_okay=False),
              help="Feedback folder: pages go to <out>/<student>/<assignment>/<notebook>.html, "
                   "nbgrader's layout.")
@click.option("--student", "students", multiple=True,
              help="Only this student (repeatable; default: everyone graded).")
def feedback(gradebook, assignment, out, students):
    """Write one feedback page per student: scores, what failed and why, hints, review answers.

    With --out set to the course's feedback folder, `nbgrader release_feedback` releases them.
    """
    from .report import ReportError, build_feedback

    try:
        pages = build_feedback(gradebook, assignment, out, students=list(students) or None)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{len(pages)} feedback page(s) in {out}")
    unreleasable = [page for page in pages if not (page.parent / "submission_secret.txt").exists()]
    if unreleasable:
        click.echo(f"note: {len(unreleasable)} page(s) lack nbgrader's submission_secret.txt "
                   f"(not graded from nbgrader's submitted/ folder); `nbgrader release_feedback` "
                   f"stops on them: hand those out directly, e.g. {unreleasable[0]}", err=True)
