"""Checking answers: one set of rules for the terminal, answers files, notebooks and the grader.

An answer may be typed text ("(4, 1)", "b", "true", "0.25") or a Python value from a notebook
variable ((4, 1), "b", True, 0.25). Shapes accept ``(4, 1)``, ``(4,1)``, ``4x1``, ``[4, 1]`` and
``4 by 1``; choices accept the letter shown or the choice's text; numbers accept fractions like
``1/4``; true/false accept true/false, t/f, yes/no. How each type reads, checks and scores lives in
its record in ``quizzes.types``; this module is the interface the rest of the code calls:

- ``check_answer(question, value, variant=None)``: the full check (right or wrong, score,
  feedback for a tempting wrong answer, the right answer written for people);
- ``check_form(question, value, variant=None)``: the form check, for what students receive: a
  one-line problem when the value cannot be read as the question asks (a shape is whole numbers,
  a choice is one of the letters, a number is a number, true/false is a bool ...), None
  otherwise. It never looks at the right answer, so it cannot reveal it.

Multiple-answer questions earn partial credit, ``max(0, right chosen - wrong chosen) / k`` of the
points (``k`` right choices), as Canvas and Moodle score them in the exports (``quizzes.types``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .types import (  # noqa: F401 - re-exported: the public names of answer checking
    LETTERS,
    AnswerFormatError,
    normalize_text,
    parse_bool,
    parse_choice,
    parse_choices,
    parse_number,
    parse_shape,
    resolve,
    resolve_form,
)


@dataclass
class Check:
    correct: bool
    score: float
    max_score: float
    feedback: str = ""  # what to tell the student about this specific wrong answer
    shown_answer: str = ""  # the right answer, written for people


def parse_answer(question, value, variant=None):
    """The response in the question's own terms; AnswerFormatError when it cannot be read."""
    concrete, qtype = resolve(question, variant)
    return qtype.read(concrete, value)


def check_form(question, value, variant=None):
    """A one-line problem when ``value`` is not of the form the question asks, else None.

    Reads the question's type and choices only, never its answer: safe for graded questions
    whose answers students do not have (``quizzes.student``).
    """
    try:
        concrete, qtype = resolve_form(question, variant)
    except AnswerFormatError as exc:
        return str(exc)
    except KeyError:
        return f"unknown question type {question.type!r}"
    return qtype.form_problem(concrete, value)


def correct_value(question, variant=None):
    """The right answer, parsed."""
    concrete, qtype = resolve(question, variant)
    return qtype.expected(concrete)


def same_answer(question, got, want, variant=None):
    """Whether two read answers are the same answer under the question's rules."""
    concrete, qtype = resolve(question, variant)
    return qtype.same(concrete, got, want)


def show_answer(question, variant=None):
    """The right answer, written for people: "(4, 1)", "b) sigmoid", "0.25"."""
    concrete, qtype = resolve(question, variant)
    return qtype.show(concrete)


def answer_label(question, value, variant=None):
    """A response written in the question's own terms ("b) The choice", "(4, 1)", "true"), so
    that "b", "B" and the choice's text read the same; None when it cannot be read."""
    try:
        concrete, qtype = resolve(question, variant)
        return qtype.label(concrete, qtype.read(concrete, value))
    except AnswerFormatError:
        return None


def check_answer(question, value, variant=None):
    """Check one response; raises AnswerFormatError if it cannot be read at all."""
    concrete, qtype = resolve(question, variant)
    qtype.expected(concrete)  # AnswerFormatError when the bank does not hold the answer
    got = qtype.read(concrete, value)
    points = float(question.points)
    shown = qtype.show(concrete)
    if qtype.is_right(concrete, got):
        return Check(True, points, points, shown_answer=shown)
    credit = min(1.0, max(0.0, float(qtype.credit(concrete, got))))
    feedback = ""
    for item in concrete.feedback or []:
        try:
            if qtype.same(concrete, got, qtype.read(concrete, item["answer"])):
                feedback = item["says"]
                break
        except AnswerFormatError:
            continue
    return Check(False, points * credit, points, feedback=feedback, shown_answer=shown)
