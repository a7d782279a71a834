"""``shallow quiz``: the review questions' commands (validate, run, grade, export).

A click group attached to the ``shallow`` group in ``cli.py``. Like ``cli.py``, this module
imports only click; each command imports what it needs when it runs, and is a thin wrapper over
functions of the ``quizzes`` package.
"""

from __future__ import annotations

import click

from . import DEFAULT_GRADEBOOK


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


def _record_quiz(gradebook, student, assignment, bank_id, answers):
    from .gradebook import Gradebook, GradebookError

    try:
        with Gradebook(gradebook) as book:
            book.record_quiz(student, assignment, bank_id, [a.as_dict() for a in answers])
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

            bank = load_bank(path)
            copy = ", student copy" if bank.student_copy else ""
            click.echo(f"{path}: ok, {len(bank.questions)} questions, version "
                       f"{bank.version}{copy}")
    if failed:
        raise SystemExit(1)


@quiz.command("run")
@click.argument("bank", required=False, type=click.Path())
@click.option("--student", default="", help="Your id as the course knows it: picks your "
              "variant of parametric questions.")
@click.option("--seed", type=int, help="Variant seed (default: the bank's course seed); "
              "other seeds are for practice: graded answers use the course seed.")
@click.option("--tag", "tags", multiple=True, help="Only questions with this tag (repeatable).")
@click.option("--count", type=click.IntRange(min=1), help="Ask at most this many questions.")
@click.option("--shuffle", is_flag=True, help="Ask in a random (seeded) order.")
@click.option("--out", "-o", "out", type=click.Path(dir_okay=False),
              help="Result file to hand in (default: quiz-<bank>.yaml here).")
@click.option("--no-save", is_flag=True, help="Write no result file.")
@click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True, type=click.Path())
@click.option("--assignment", help="Gradebook assignment for the result (default: the bank).")
def quiz_run(bank, student, seed, tags, count, shuffle, out, no_save, gradebook, assignment):
    """Drill the review questions in the terminal, with feedback after each answer.

    Ctrl-C stops with the partial result. The answers are written to a result file to hand in
    (quiz-<bank>.yaml). With --student, the answers checked here go into the gradebook.
    """
    from quizzes.rendering import terminal_width, wrap
    from quizzes.results import result_file_name, write_result
    from quizzes.runner import run_quiz, select_questions, summary

    def say(text):
        click.echo(wrap(text, terminal_width()))

    loaded = _bank_or_exit(bank)
    seed = loaded.seed if seed is None else seed
    questions = select_questions(loaded, tags=tags, count=count, shuffle=shuffle, seed=seed,
                                 student=student)
    if not questions:
        raise click.ClickException(f"no questions with tag {', '.join(tags)}")
    if loaded.student_copy and not student and any(q.parametric and not q.practice
                                                   for q in questions):
        raise click.ClickException("give --student (your id in the course): the numbers of "
                                   "your parametric questions, and their grading, depend on it")
    say(f"{loaded.title}: {len(questions)} question(s). Type 'skip' to skip one; Ctrl-C stops.")
    result = run_quiz(loaded, questions, student=student, seed=seed, read=_prompt_reader(),
                      write=click.echo)
    say(summary(result))
    if result.answers and not no_save:
        path = out or result_file_name(loaded.id)
        try:
            write_result(result, path)
        except OSError as exc:
            raise click.ClickException(f"{path}: cannot write the result file "
                                       f"({exc.strerror or exc})") from None
        say(f"Answers saved in {path}: hand this file in with your work.")
    checked = [a for a in result.answers if a.checked]
    if student and checked:
        _record_quiz(gradebook, student, assignment or loaded.id, loaded.id, checked)


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
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--bank", type=click.Path(), help="The instructor's bank (default: the bundled).")
@click.option("--student", help="Whose file it is (one file); default: nbgrader's "
              "submitted/<student>/<assignment>/ folder, else the file's name.")
@click.option("--seed", type=int, help="The course seed (default: the bank's).")
@click.option("--gradebook", default=DEFAULT_GRADEBOOK, show_default=True, type=click.Path())
@click.option("--no-gradebook", is_flag=True, help="Do not record the results.")
@click.option("--assignment", help="Gradebook assignment (default: nbgrader's folder, or the "
              "bank).")
def quiz_grade(paths, bank, student, seed, gradebook, no_gradebook, assignment):
    """Re-grade result files (quiz-<bank>.yaml) or answers files, or folders of them.

    Only the answers are read: scores in a file are ignored, the student comes from --student or
    the file's place, and parametric numbers are the student's own (course seed).
    """
    from quizzes.results import ResultFileError, find_result_files, grade_file
    from quizzes.runner import summary

    loaded = _bank_or_exit(bank)
    if loaded.student_copy:
        raise click.ClickException(f"{loaded.path}: a student copy holds no answers; grade "
                                   f"with the instructor's bank (--bank)")
    try:
        files = find_result_files(paths)
    except ResultFileError as exc:
        raise click.ClickException(str(exc)) from None
    if not files:
        raise click.ClickException(f"no answers files in {', '.join(paths)}")
    if student and len(files) > 1:
        raise click.ClickException(f"--student names one student, but {len(files)} files "
                                   f"were given")
    failed = 0
    for path in files:
        try:
            graded = grade_file(loaded, path, student=student, seed=seed)
        except ResultFileError as exc:
            click.echo(str(exc), err=True)
            failed += 1
            continue
        for note in graded.notes:
            click.echo(note, err=True)
        result = graded.result
        if len(files) == 1:
            for answer in result.answers:
                mark = "ok " if answer.correct else "-- "
                click.echo(f"{mark}{answer.question_id}: {answer.answer!s}"
                           + (f"  ({answer.feedback})" if answer.feedback and not answer.correct
                              else ""))
        click.echo(f"{path}: {graded.student}: {summary(result)}")
        if not no_gradebook and result.answers:
            _record_quiz(gradebook, graded.student, assignment or graded.assignment or loaded.id,
                         loaded.id, result.answers)
    if failed:
        click.echo(f"{failed} of {len(files)} file(s) could not be graded", err=True)
        raise SystemExit(1)


@quiz.command("export")
@click.argument("bank", required=False, type=click.Path())
@click.option("--format", "fmt", default="gift", show_default=True,
              type=click.Choice(["gift", "text2qti", "student"]),
              help="gift: Moodle; text2qti: text for the text2qti tool (QTI for Canvas); "
                   "student: the student copy (no answers of graded questions).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File (default: stdout).")
@click.option("--variants", default=3, show_default=True, type=click.IntRange(min=1),
              help="Fixed variants exported for each parametric question.")
@click.option("--seed", type=int, help="Seed of the exported variants (default: the bank's).")
def quiz_export(bank, fmt, output, variants, seed):
    """Export the bank for an LMS, or as the student copy."""
    loaded = _bank_or_exit(bank)
    if fmt == "student":
        import json

        from quizzes.student import student_bank, write_student_bank

        if output:
            try:
                write_student_bank(loaded, output)
            except OSError as exc:
                raise click.ClickException(f"{output}: cannot write ({exc.strerror or exc})") \
                    from None
            click.echo(f"{output}: student copy of {loaded.id}", err=True)
        else:
            click.echo(json.dumps(student_bank(loaded), indent=2, ensure_ascii=False))
        return
    from quizzes.export import ExportError, to_gift, to_text2qti

    def warn(text):
        click.echo(f"warning: {text}", err=True)

    try:
        text = (to_gift if fmt == "gift" else to_text2qti)(loaded, variants=variants, seed=seed,
                                                           warn=warn)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise click.ClickException(f"{output}: cannot write ({exc.strerror or exc})") \
                from None
        click.echo(f"{output}: {fmt}, from {len(loaded.questions)} questions", err=True)
    else:
        click.echo(text)
