"""The ``shallow`` command: one click group, each command a thin wrapper over a module function.

Start-up stays fast: this module imports only click; each command imports what it needs.
"""

from __future__ import annotations

import click

from . import DEFAULT_GRADEBOOK, __version__


def _int_list(ctx, param, value):
    try:
        sizes = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {value!r}") from None
    if not sizes or min(sizes) < 1:
        raise click.BadParameter("hidden-layer sizes must be positive integers")
    return sizes


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shallow")
def main():
    """Auto-graded exercises and review quizzes for shallow neural networks."""


@main.command()
@click.option("--dataset", default="flower", show_default=True,
              type=click.Choice(["flower", "noisy_circles", "noisy_moons", "blobs",
                                 "gaussian_quantiles"]),
              help="Bundled data set to train on.")
@click.option("--hidden-sizes", default="4", show_default=True, callback=_int_list,
              help="Comma-separated hidden-layer sizes n_h, one model each.")
@click.option("--iterations", default=5000, show_default=True, type=click.IntRange(min=0),
              help="Gradient-descent iterations per model.")
@click.option("--activation", default="tanh", show_default=True,
              type=click.Choice(["tanh", "sigmoid", "relu", "leaky_relu"]),
              help="Hidden-layer activation.")
@click.option("--learning-rate", default=1.2, show_default=True, type=float)
def train(dataset, hidden_sizes, iterations, activation, learning_rate):
    """Train the reference network and print training accuracy for each hidden-layer size."""
    from .training import format_table, train_sizes

    m, runs = train_sizes(dataset, hidden_sizes, iterations, hidden_activation=activation,
                          learning_rate=learning_rate)
    click.echo(f"Reference network on the {dataset} data set (m = {m}), {activation} hidden "
               f"layer, {iterations} iterations, learning rate {learning_rate}")
    click.echo(format_table(runs))


def _fail(exc):
    raise click.ClickException(str(exc)) from None


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--student", help="Student id, for files outside nbgrader's layout.")
@click.option("--assignment", help="Assignment (default: from the layout, else the notebook).")
@click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True,
              help="Gradebook: a SQLite file, or a postgresql:// URL.")
@click.option("--no-gradebook", is_flag=True, help="Do not record the results.")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(min=1),
              help="Submissions graded in parallel.")
@click.option("--resume", is_flag=True,
              help="Skip submissions already graded unchanged (same file, version and seed).")
@click.option("--seed", type=int, help="One set of hidden cases for everybody (default: each "
                                       "student's own, from the course secret).")
@click.option("--format", "fmt", default="text", show_default=True,
              type=click.Choice(["text", "json"]),
              help="json: print Gradescope results.json (a list for several submissions).")
@click.option("--results-dir", type=click.Path(file_okay=False),
              help="Also write <student>/<assignment>/results.json here for each submission.")
@click.option("--timeout", type=click.FloatRange(min=0.1),
              help="Cap on each exercise's time budget in seconds (the course sets each one).")
@click.option("--course", type=click.Path(file_okay=False),
              help="Course folder (default: the nearest with nbgrader_config.py or shallow.yaml).")
@click.option("--version", "version_", help="Grade every notebook as this assignment version.")
@click.option("--review", default="auto", show_default=True,
              type=click.Choice(["auto", "count", "skip"]),
              help="Review questions: count them when the notebook has them (auto), always, "
                   "or never.")
@click.option("--cluster", metavar="ADDRESS",
              help="Grade on a Dask cluster: tcp://host:8786 (a running scheduler) or local:N "
                   "(start N worker processes here); --jobs is then ignored.")
@click.option("--require-layers", is_flag=True,
              help="With --cluster: refuse to grade on a worker that lacks an isolation layer "
                   "this machine has.")
@click.option("--student-budget", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="Grading time for all of one student's notebooks in this batch; the rest "
                   "are recorded as not graded.  [default: 180]")
def grade(paths, student, assignment, gradebook, no_gradebook, jobs, resume, seed, fmt,
          results_dir, timeout, course, version_, review, cluster, require_layers,
          student_budget):
    """Grade notebooks (.ipynb), .py files or folders of them.

    A folder may be a course (nbgrader's submitted/<student>/<assignment>/), its submitted
    folder, one student's folder, one submission folder, or a flat folder of <student>.ipynb.
    One bad notebook never stops the batch. Exit status 2 when a path was refused.
    """
    import json
    import sys

    if cluster is None and jobs <= 1:  # the zygote imports numpy while the grader loads
        from .isolation.sandbox import default_sandbox

        default_sandbox().warm()
    from .commands import CommandError, grade_paths
    from .reports.text import batch_summary, feedback_text, summary_line
    from .safety import terminal

    quiet = fmt == "json"
    bar = None

    def on_result(kind, item):
        if bar is not None:
            bar.update(1)

    try:
        if not quiet and len(paths) == 1 and _many(paths[0]):
            bar = click.progressbar(length=_count(paths[0]), label="grading", show_eta=True,
                                    show_pos=True, file=sys.stderr)
            bar.__enter__()
        run = grade_paths(paths, student=student, assignment=assignment,
                          gradebook=None if no_gradebook else gradebook, jobs=jobs,
                          resume=resume, seed=seed, timeout=timeout, course=course,
                          version=version_, review=review, on_result=on_result,
                          results_dir=results_dir, cluster=cluster,
                          require_layers=require_layers, student_budget=student_budget)
    except CommandError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        click.echo("interrupted: every result shown as graded is recorded; run again with "
                   "--resume to finish", err=True)
        sys.exit(130)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for problem in run.problems:
        click.echo(f"refused: {terminal(problem)}", err=True)
    for note in run.notes:
        click.echo(f"note: {terminal(note)}", err=True)
    results = run.results
    if quiet:
        payload = [r.to_gradescope() for r in results]
        click.echo(json.dumps(payload[0] if len(payload) == 1 else payload, indent=1))
    elif len(results) == 1 and not run.skipped:
        click.echo(feedback_text(results[0]))
    else:
        for result in results:
            click.echo(summary_line(result))
        click.echo(batch_summary(results, len(run.skipped)))
    for missing in run.missing_layers:  # a weaker sandbox is said out loud, never silently
        click.echo(f"warning: isolation layer unavailable: {missing}", err=True)
    if not no_gradebook and results:
        where = gradebook
        if "://" in str(gradebook):  # a server's URL: never its password
            from .gradebook.postgres import safe_url

            where = safe_url(gradebook)
        click.echo(f"recorded in {terminal(where)}", err=True)
    if run.problems:
        sys.exit(2)


def _many(path):
    import os

    return os.path.isdir(path)


def _count(path):
    import os

    total = 0
    for _, _, files in os.walk(path):
        total += sum(1 for f in files if f.endswith((".ipynb", ".py")))
    return max(total, 1)


@main.command()
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False))
@click.option("--assignment", help="Assignment name (default: from the notebook).")
@click.option("--course", type=click.Path(file_okay=False), help="Course folder.")
def check(notebook, assignment, course):
    """Check your notebook against the visible test cases (nothing is recorded).

    Exits with status 1 when a visible case fails.
    """
    from .commands import CommandError, check_notebook
    from .reports.text import feedback_text

    try:
        result = check_notebook(notebook, assignment=assignment, course=course)
    except CommandError as exc:
        _fail(exc)
    click.echo(feedback_text(result))
    passed = sum(c.passed for c in result.cases)
    click.echo(f"{passed} of {len(result.cases)} visible checks pass. Hidden cases with other "
               f"shapes decide the grade.")
    if passed < len(result.cases) or result.status != "graded":
        raise SystemExit(1)


@main.command()
@click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True,
              help="Gradebook: a SQLite file, or a postgresql:// URL.")
@click.option("--assignment", help="Assignment to export (default: every one, one file each).")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="CSV file (default: grades-<assignment>.csv).")
@click.option("--roster", type=click.Path(dir_okay=False),
              help="Students (one id a line, or nbgrader's CSV): adds missing ones and names.")
@click.option("--course", type=click.Path(file_okay=False), help="Course folder (due dates, "
              "late policy in shallow.yaml).")
@click.option("--format", "fmt", default="nbgrader", show_default=True,
              type=click.Choice(["nbgrader", "canvas", "moodle"]),
              help="nbgrader: a CSV per assignment in nbgrader export's columns; canvas, moodle: "
                   "one CSV for that LMS's gradebook import (default grades-<format>.csv).")
def export(gradebook, assignment, output, roster, course, fmt):
    """Write grade CSVs: nbgrader export's columns, then status and exercises (or an LMS's).

    In an nbgrader course, formgrader's manual grades and comments are imported first.
    """
    from .commands import CommandError, export_grades
    from .safety import terminal

    def note(line):
        click.echo(f"note: {terminal(line)}", err=True)

    try:
        written = export_grades(gradebook, assignment=assignment, output=output, roster=roster,
                                course=course, fmt=fmt, on_note=note)
    except CommandError as exc:
        _fail(exc)
    for target, rows in written:
        click.echo(f"{target}: {rows} student(s)")


@main.command()
@click.argument("student")
@click.argument("assignment")
@click.argument("exercise")
@click.argument("points")
@click.option("--reason", required=True, help="Why (kept with the grade, shown to the student).")
@click.option("--author", help="Who (default: $USER).")
@click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True)
@click.option("--course", type=click.Path(file_okay=False), help="Course folder.")
def override(student, assignment, exercise, points, reason, author, gradebook, course):
    """Set the points of one exercise or review question by hand, with a reason.

    Recorded as a manual grade of its own: export, report and feedback show it, and a later
    regrade does not erase it.
    """
    from .commands import CommandError
    from .commands import override as do_override

    try:
        number = do_override(gradebook, student, assignment, exercise, points, reason=reason,
                             author=author, course=course)
    except CommandError as exc:
        _fail(exc)
    click.echo(f"override {number}: {student}/{assignment} {exercise} = {points} ({reason})")


@main.command()
@click.argument("assignments", nargs=-1)
@click.option("--course", default=".", show_default=True,
              type=click.Path(file_okay=False, exists=True),
              help="Course folder (with nbgrader_config.py and solutions/).")
@click.option("--sync-only", is_flag=True,
              help="Only rewrite the review-question cells from the quiz bank.")
def release(assignments, course, sync_only):
    """Regenerate assignments/ from solutions/ with nbgrader (all assignments by default).

    First rewrites each notebook's review-question cells from the quiz bank.
    """
    from .release.authoring import ReleaseError, sync
    from .release.authoring import release as do_release

    try:
        if sync_only:
            changed = sync(course, assignments or None)
            click.echo(f"{len(changed)} notebook(s) updated from the quiz bank")
            return
        names = do_release(course, assignments or None)
    except ReleaseError as exc:
        if exc.details:
            click.echo(exc.details, err=True)
        raise click.ClickException(str(exc)) from None
    click.echo(f"released {', '.join(names)} into {course}/assignments")


from .cli_integrations import gradescope, nbgrader  # noqa: E402 - imports only click
from .cli_quiz import quiz  # noqa: E402 - imports only click
from .cli_reports import feedback, report  # noqa: E402 - imports only click

main.add_command(quiz)
main.add_command(report)
main.add_command(feedback)
main.add_command(gradescope)
main.add_command(nbgrader)


if __name__ == "__main__":  # pragma: no cover
    main()
