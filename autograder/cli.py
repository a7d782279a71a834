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


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--student", help="Student id (default: from the path).")
@click.option("--assignment", help="Assignment name (default: from the path or the notebook).")
@click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True, type=click.Path(),
              help="SQLite gradebook that keeps every attempt.")
@click.option("--no-gradebook", is_flag=True, help="Do not record the results.")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(min=1),
              help="Submissions graded in parallel.")
@click.option("--resume", is_flag=True,
              help="Skip submissions already graded unchanged (same file, version and seed).")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Seed of the test cases; the same seed always gives the same result.")
@click.option("--format", "fmt", default="text", show_default=True,
              type=click.Choice(["text", "json"]),
              help="json: print Gradescope results.json (a list for several submissions).")
@click.option("--results-dir", type=click.Path(file_okay=False),
              help="Also write <student>/<assignment>/results.json here for each submission.")
@click.option("--timeout", type=click.FloatRange(min=0.1),
              help="Cap on each exercise's time budget in seconds (the rubric sets each one).")
def grade(paths, student, assignment, gradebook, no_gradebook, jobs, resume, seed, fmt,
          results_dir, timeout):
    """Grade notebooks (.ipynb), .py files or folders of them.

    A folder may be nbgrader's submitted/<student>/<assignment>/ layout or a flat folder of
    <student>.ipynb files. One bad notebook never stops the batch.
    """
    import json
    import sys

    from .grade import SubmissionError, default_sandbox, find_submissions, grade_many

    sandbox = default_sandbox()
    sandbox.warm()  # the zygote starts while the rest of the grader loads
    from .gradebook import GradebookError
    from .report_text import feedback_text, summary_line

    try:
        submissions = find_submissions(paths, student=student, assignment=assignment)
    except SubmissionError as exc:
        raise click.ClickException(str(exc)) from None
    if not submissions:
        raise click.ClickException(f"no notebooks found in {', '.join(paths)}")

    single = len(submissions) == 1
    quiet = fmt == "json"
    skipped = []
    bar = None
    if not single and not quiet:
        bar = click.progressbar(length=len(submissions), label="grading", show_eta=True,
                                show_pos=True, file=sys.stderr)
        bar.__enter__()

    def on_result(kind, item):
        if kind == "skipped":
            skipped.append(item)
        if results_dir and kind == "graded":
            _write_results_json(results_dir, item)
        if bar is not None:
            bar.update(1)

    try:
        results = grade_many(submissions, gradebook=None if no_gradebook else gradebook,
                             jobs=jobs, seed=seed, resume=resume, on_result=on_result,
                             timeout=timeout)
    except GradebookError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        if bar is not None:
            bar.__exit__(None, None, None)
        click.echo("interrupted: every result shown as graded is recorded; run again with "
                   "--resume to finish", err=True)
        sys.exit(130)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)

    order = {s.path: i for i, s in enumerate(submissions)}
    results.sort(key=lambda r: order.get(r.path, 0))
    if quiet:
        payload = [r.to_gradescope() for r in results]
        click.echo(json.dumps(payload[0] if single and payload else payload, indent=1))
        return
    if single and results:
        click.echo(feedback_text(results[0]))
    else:
        for result in results:
            click.echo(summary_line(result))
        if results:
            mean = sum(r.score for r in results) / len(results)
            click.echo(f"{len(results)} graded, {len(skipped)} skipped (unchanged), "
                       f"mean score {mean:.4g}")
        else:
            click.echo(f"0 graded, {len(skipped)} skipped (unchanged)")
    for missing in sandbox.missing:  # a weaker sandbox is said out loud, never silently used
        click.echo(f"warning: isolation layer unavailable: {missing}", err=True)
    if not no_gradebook:
        click.echo(f"recorded in {gradebook}", err=True)


def _write_results_json(results_dir, result):
    import json
    from pathlib import Path

    folder = Path(results_dir) / (result.student or "unknown") / (result.assignment or "all")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(result.to_gradescope(), indent=1))


@main.command()
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False))
@click.option("--assignment", help="Assignment name (default: from the notebook).")
def check(notebook, assignment):
    """Check your notebook against the visible test cases (nothing is recorded).

    Exits with status 1 when a visible case fails.
    """
    from .grade import SubmissionError, default_sandbox, find_submissions, grade_submission

    default_sandbox().warm()
    from .report_text import feedback_text

    try:
        submission = find_submissions([notebook], student="you", assignment=assignment)[0]
    except (SubmissionError, IndexError):
        raise click.ClickException(f"{notebook}: no notebook to check") from None
    result = grade_submission(submission, visible_only=True)
    click.echo(feedback_text(result))
    passed = sum(t.status == "passed" for t in result.tests)
    click.echo(f"{passed} of {len(result.tests)} visible cases pass. Hidden cases with other "
               f"shapes decide the grade.")
    if passed < len(result.tests):
        raise SystemExit(1)


@main.command()
@click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True,
              type=click.Path(dir_okay=False))
@click.option("--assignment", help="Assignment to export (default: every one, one file each).")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="CSV file (default: grades-<assignment>.csv).")
def export(gradebook, assignment, output):
    """Write a CSV: a row per student (latest attempt), a column per exercise, the total."""
    import os

    from .gradebook import Gradebook, GradebookError

    if not os.path.exists(gradebook):
        raise click.ClickException(f"{gradebook}: no such gradebook (grade something first)")
    try:
        with Gradebook(gradebook) as book:
            names = [assignment] if assignment else book.assignments()
            if not names:
                raise click.ClickException(f"{gradebook}: the gradebook is empty")
            if output and len(names) > 1:
                raise click.ClickException("--output needs --assignment when the gradebook "
                                           f"holds several assignments ({', '.join(names)})")
            for name in names:
                target = output or f"grades-{name}.csv"
                rows = book.export_csv(target, name)
                click.echo(f"{target}: {rows} student(s)")
    except GradebookError as exc:
        raise click.ClickException(str(exc)) from None


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
    from .authoring import ReleaseError, sync
    from .authoring import release as do_release

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


from .cli_quiz import quiz  # noqa: E402 - imports only click
from .cli_reports import feedback, report  # noqa: E402 - imports only click

main.add_command(quiz)
main.add_command(report)
main.add_command(feedback)


if __name__ == "__main__":  # pragma: no cover
    main()
