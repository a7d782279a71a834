"""The terminal quiz: ask, read, give feedback after each answer, score at the end.

Works with a real terminal and with piped standard input; text is wrapped to the terminal's
width without breaking words. Ctrl-C or end of input stops cleanly with the partial result.

Each answer is checked fully (right or wrong, feedback, the explanation) when the bank holds
its answer: a practice question, or any question of the instructor's bank. With a student copy
(``quizzes.student``) a graded question's answer is only checked for its form and recorded;
the result file (``quizzes.results``) is then handed in and graded by the instructor.
"""

from __future__ import annotations

import random

from .checking import AnswerFormatError, check_answer, check_form, show_answer
from .rendering import terminal_text, terminal_width, variant_for, wrap
from .results import Answer, QuizResult, grade_answers, utc_now  # noqa: F401 - re-exported

MAX_TRIES = 3


def select_questions(bank, *, tags=(), count=None, shuffle=False, seed=0, student=""):
    """The questions to ask, filtered by tag, optionally shuffled (seeded), at most ``count``."""
    questions = [q for q in bank.questions if not tags or set(tags) & set(q.tags)]
    if shuffle:
        random.Random(f"{seed}\0{student}").shuffle(questions)
    return questions[:count] if count else questions


def fully_checked(bank, question):
    """Whether the runner may tell right from wrong: the bank holds the question's answer."""
    return question.practice or not bank.student_copy


def prepare(question, student, seed):
    """(prompt, explanation, variant) with a parametric question's numbers filled in."""
    from .rendering import render_explanation, render_prompt

    variant = variant_for(question, student, seed)
    return render_prompt(question, variant), render_explanation(question, variant), variant


def run_quiz(bank, questions, *, student="", seed=None, read=input, write=print, width=None):
    """Ask each question in turn; return a QuizResult (partial when stopped early)."""
    seed = bank.seed if seed is None else seed
    result = QuizResult(student, bank.id, seed, planned=len(questions),
                        bank_version=bank.version, started=utc_now())
    try:
        for number, question in enumerate(questions, 1):
            _ask(bank, question, number, len(questions), result, read, write, width)
    except (KeyboardInterrupt, EOFError):
        result.stopped_early = True
        write("")
        write("Stopped.")
    result.finished = utc_now()
    return result


def _ask(bank, question, number, total, result, read, write, width):
    columns = width or terminal_width()
    variant = variant_for(question, result.student, result.seed)
    full = fully_checked(bank, question)
    write("")
    write(terminal_text(question, number, total, variant, columns))
    for attempt in range(MAX_TRIES):
        response = read("> ").strip()
        if not response:
            write("(type an answer, or 'skip')")
            continue
        if response.lower() == "skip":
            result.answers.append(Answer(question.id, "", False if full else None, 0.0,
                                         question.points))
            write("Skipped.")
            return
        again = " Try again." if attempt < MAX_TRIES - 1 else ""
        if not full:
            problem = check_form(question, response, variant)
            if problem:
                write(wrap(f"{problem}.{again}", columns))
                continue
            result.answers.append(Answer(question.id, response, None, 0.0, question.points))
            write("Recorded: your instructor grades it.")
            return
        try:
            check = check_answer(question, response, variant)
        except AnswerFormatError as exc:
            write(wrap(f"{exc}.{again}", columns))
            continue
        result.answers.append(Answer(question.id, response, check.correct, check.score,
                                     check.max_score, check.feedback))
        if check.correct:
            write("Correct!")
        elif check.score > 0:
            write(wrap(f"Partly right: {check.score:g} of {check.max_score:g} points. The "
                       f"answer is {check.shown_answer}.", columns))
        else:
            write(wrap(f"Not quite. The answer is {check.shown_answer}.", columns))
        if check.feedback and not check.correct:
            write(wrap(check.feedback, columns))
        from .rendering import render_explanation

        write(wrap(f"Why: {render_explanation(question, variant).strip()}", columns, 0, 5))
        return
    result.answers.append(Answer(question.id, "", False if full else None, 0.0,
                                 question.points))
    if full:
        write(wrap(f"No readable answer; moving on. The answer is "
                   f"{show_answer(question, variant)}.", columns))
    else:
        write("No readable answer; moving on.")


def summary(result):
    checked = [a for a in result.answers if a.checked]
    unchecked = result.unchecked
    asked = len(result.answers)
    stopped = (f", stopped after {asked} of {result.planned} questions"
               if result.stopped_early or asked < result.planned else "")
    parts = []
    if checked or not unchecked:
        percent = f" ({100 * result.score / result.max_score:.0f}%)" if result.max_score else ""
        parts.append(f"Score: {result.score:g} / {result.max_score:g}{percent}")
    if unchecked:
        parts.append(f"{len(unchecked)} answer(s) recorded for your instructor to grade")
    return "; ".join(parts) + stopped
