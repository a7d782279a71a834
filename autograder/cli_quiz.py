"""``shallow quiz``: the review questions' commands (validate, run, grade, export).

A click group attached to the ``shallow`` group in ``cli.py``. Like ``cli.py``, this module
imports only click; each command imports what it needs when it runs.
"""

from __future__ import annotations

import click

from . import DEFAULT_GRADEBOOK

# -- review questions ---------------------------------------------------------------------

@click.group()
def quiz():
    """Review questions: validate a bank, drill it in the terminal, grade answers, export."""


def _bank_or_exit(path):
    from quizzes.bank import BankError, load_bank

    try:
        return load_bank(path)
    except BankError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from None


def _record_quiz(gradebook, student, assignment, result):
    from .gradebook import Gradebook, GradebookError

    try:
        with Gradebook(gradebook) as book:
            book.record_quiz(student, assignment, result.bank,
                             [a.as_dict() for a in result.answers])
    except GradebookError as exc:
        raise click.ClickException(str(exc)) from None


@quiz.command("validate")
@click.argument("banks", nargs=-1, type=click.Path())
def quiz_validate(banks):
    """Check banks against the schema; print every problem as FILE:LINE: problem."""
    from quizzes.bank import default_bank_path, validate_bank

    failed = False
    for path in banks or [str(default_bank_path())]:
        problems = validate_bank(path)
        for problem in problems:
            click.echo(problem)
        if problems:
            failed = True
        else:
            from quizzes.bank import load_bank

            click.echo(f"{path}: ok, {len(load_bank(path).questions)} questions")
    if failed:
        raise SystemExit(1)


@quiz.command("run")
@click.argument("bank", required=False, type=click.Path())
@click.option("--student", default="", help="Your id: picks your variant, records your result.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--tag", "tags", multiple=True, help="Only questions with this tag (repeatable).")
@click.option("--count", type=click.IntRange(min=1), help="Ask at most this many questions.")
@click.option("--shuffle", is_flag=True, help="Ask in a random (seeded) order.")
@click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True, type=click.Path())
@click.option("--assignment", help="Gradebook assignment for the result (default: the bank).")
def quiz_run(bank, student, seed, tags, count, shuffle, gradebook, assignment):
    """Drill the review questions in the terminal, with feedback after each answer.

    Ctrl-C stops with the partial score. With --student the result goes into the gradebook.
    """
    from quizzes.runner import run_quiz, select_questions, summary

    loaded = _bank_or_exit(bank)
    questions = select_questions(loaded, tags=tags, count=count, shuffle=shuffle, seed=seed,
                                 student=student)
    if not questions:
        raise click.ClickException(f"no questions with tag {', '.join(tags)}")
    click.echo(f"{loaded.title}: {len(questions)} question(s). Type 'skip' to skip one; "
               f"Ctrl-C stops.")
    result = run_quiz(loaded, questions, student=student, seed=seed,
                      read=_prompt_reader(), write=click.echo)
    click.echo(summary(result))
    if student and result.answers:
        _record_quiz(gradebook, student, assignment or loaded.id, result)


def _prompt_reader():
    import sys

    def read(prompt):
        sys.stdout.write(prompt)
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    return read


@quiz.command("grade")
@click.argument("answers", type=click.Path(exists=True, dir_okay=False))
@click.option("--bank", type=click.Path(), help="Bank file (default: the bundled bank).")
@click.option("--student", help="Student id (default: the file's 'student' or its name).")
@click.option("--seed", type=int, help="Variant seed (default: the file's 'seed' or 0).")
@click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True, type=click.Path())
@click.option("--no-gradebook", is_flag=True, help="Do not record the result.")
@click.option("--assignment", help="Gradebook assignment for the result (default: the bank).")
def quiz_grade(answers, bank, student, seed, gradebook, no_gradebook, assignment):
    """Grade an answers file (YAML or JSON): {student, seed, answers: {question_id: answer}}."""
    from pathlib import Path

    import yaml

    from quizzes.runner import grade_answers, summary

    try:
        data = yaml.safe_load(Path(answers).read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{answers}: not a YAML or JSON answers file "
                                   f"({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{answers}: expected a mapping of question ids to answers")
    mapping = data.get("answers", data) if isinstance(data.get("answers"), dict) else data
    mapping = {str(k): v for k, v in mapping.items() if k not in ("student", "seed", "answers")}
    student = student or str(data.get("student") or Path(answers).stem)
    seed = seed if seed is not None else int(data.get("seed") or 0)
    loaded = _bank_or_exit(bank)
    result = grade_answers(loaded, mapping, student=student, seed=seed)
    for problem in result.problems:
        click.echo(f"{answers}: {problem}", err=True)
    for answer in result.answers:
        mark = "ok " if answer.correct else "-- "
        click.echo(f"{mark}{answer.question_id}: {answer.answer!s}"
                   + (f"  ({answer.feedback})" if answer.feedback and not answer.correct else ""))
    click.echo(summary(result))
    if not no_gradebook and result.answers:
        _record_quiz(gradebook, student, assignment or loaded.id, result)


@quiz.command("export")
@click.argument("bank", required=False, type=click.Path())
@click.option("--format", "fmt", default="gift", show_default=True,
              type=click.Choice(["gift", "text2qti"]),
              help="gift: Moodle; text2qti: text for the text2qti tool (QTI for Canvas).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File (default: stdout).")
@click.option("--variants", default=3, show_default=True, type=click.IntRange(min=1),
              help="Fixed variants exported for each parametric question.")
@click.option("--seed", default=0, show_default=True, type=int)
def quiz_export(bank, fmt, output, variants, seed):
    """Export the bank for an LMS."""
    from quizzes.export import to_gift, to_text2qti

    loaded = _bank_or_exit(bank)
    text = (to_gift if fmt == "gift" else to_text2qti)(loaded, variants=variants, seed=seed)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(f"{output}: {fmt}, from {len(loaded.questions)} questions", err=True)
    else:
        click.echo(text)
