"""``shallow gradescope build`` and ``shallow nbgrader push|pull``: thin click wrappers over
``autograder.integrations`` (attached to the ``shallow`` group in ``cli.py``).

Like ``cli.py``, this module imports only click at top level; each command imports what it needs
when it runs. Errors are one line (``Error: ...``) with exit code 1.
"""

from __future__ import annotations

import click

from . import DEFAULT_GRADEBOOK

HIDDEN_VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
# the same as autograder.integrations.gradescope.HIDDEN_VISIBILITIES (a test checks it)


def _fail(exc):
    from .safety import one_line

    raise click.ClickException(one_line(exc)) from None


def _root(course):
    from .commands import CommandError, course_root

    try:
        return course_root(course)
    except CommandError as exc:
        _fail(exc)


@click.group()
def gradescope():
    """Gradescope: the autograder zip it runs for every submission."""


@gradescope.command("build")
@click.option("--assignment", help="The assignment this autograder grades (default: the one "
                                   "the notebook's name, else its functions, say).")
@click.option("--course", type=click.Path(file_okay=False),
              help="Course folder (default: the nearest with nbgrader_config.py or shallow.yaml).")
@click.option("--hidden-visibility", type=click.Choice(HIDDEN_VISIBILITIES),
              default="after_due_date", show_default=True,
              help="When students see the hidden cases' results on Gradescope.")
@click.option("--output", "-o", default="autograder.zip", show_default=True,
              type=click.Path(dir_okay=False), help="The zip to upload to Gradescope.")
def build(assignment, course, hidden_visibility, output):
    """Write the autograder zip: setup.sh, run_autograder, the grader, the course files.

    It holds the course secret (each student's hidden cases): upload it to Gradescope as the
    assignment's autograder and keep it from students.
    """
    from .integrations.gradescope import GradescopeError, build_autograder

    root = _root(course)
    try:
        built = build_autograder(root, output, assignment=assignment,
                                 hidden_visibility=hidden_visibility)
    except GradescopeError as exc:
        _fail(exc)
    what = built.assignment or "the assignment each notebook is for"
    click.echo(f"{built.path}: {len(built.files)} files; grades {what}; hidden cases "
               f"{built.hidden_visibility}")


@click.group()
def nbgrader():
    """nbgrader's gradebook: shallow's scores in, formgrader's manual grades back.

    `shallow grade` in an nbgrader course does the first, and export, report and feedback the
    second, by themselves; these commands do it on their own.
    """


def _gradebook_options(command):
    command = click.option("--assignment", "assignments", multiple=True,
                           help="Only this assignment (repeatable; default: every one).")(command)
    command = click.option("--course", type=click.Path(file_okay=False),
                           help="The nbgrader course folder (default: the nearest with "
                                "nbgrader_config.py).")(command)
    return click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True,
                        help="Gradebook of `shallow grade`.")(command)


@nbgrader.command("push")
@_gradebook_options
def push(gradebook, course, assignments):
    """Write every student's latest attempt into nbgrader's gradebook."""
    from .integrations.nbgrader_sync import SyncError
    from .integrations.nbgrader_sync import push as do_push
    from .safety import terminal

    root = _root(course)
    try:
        notes = do_push(root, gradebook, list(assignments) or None)
    except SyncError as exc:
        _fail(exc)
    for note in notes:
        click.echo(terminal(note))


@nbgrader.command("pull")
@_gradebook_options
def pull(gradebook, course, assignments):
    """Import formgrader's manual grades and comments as overrides (author formgrader)."""
    from .integrations.nbgrader_sync import SyncError
    from .integrations.nbgrader_sync import pull as do_pull
    from .safety import terminal

    root = _root(course)
    try:
        imported = do_pull(root, gradebook, list(assignments) or None)
    except SyncError as exc:
        _fail(exc)
    for note in imported.notes:
        click.echo(f"note: {terminal(note)}", err=True)
    click.echo(f"{len(imported.added)} manual grade(s) imported from formgrader into {gradebook}")
