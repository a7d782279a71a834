"""The lecture's review questions an assignment asks as notebook answer variables.

Prompts, answers, explanations and variable names live in the quiz bank; an ``Assignment``
lists which of the lecture's questions it asks (by number). ``check`` says whether a value a
notebook gave to an answer variable is right, with the bank's feedback for a wrong answer.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np


@functools.lru_cache(maxsize=4)
def bank(path=None):
    from quizzes.bank import load_bank

    return load_bank(path)


def questions(assignment, bank_path=None):
    """The bank's questions ``assignment`` asks as answer variables, in its order."""
    by_number = {q.lecture: q for q in bank(bank_path).questions if q.lecture and q.variable}
    return [by_number[n] for n in assignment.review if n in by_number]


def answer_variables(bank_path=None):
    """Every review question's notebook answer variable (kept whatever its value)."""
    return frozenset(q.variable for q in bank(bank_path).questions if q.variable)


def plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def check(question, value, present, *, form_only=False):
    """(credit, problem, feedback) for the notebook's answer to ``question``: credit is the
    fraction of its points earned (1 when right; a multiple-answer question can earn part).

    ``form_only``: the student's own check of a graded question: its form only (a shape is a
    tuple of ints, a choice is one of the letters), never whether it is right; practice
    questions are checked fully.
    """
    from quizzes.checking import AnswerFormatError, check_answer, check_form

    if not present:
        return 0, f"{question.variable} is not defined after the notebook's definitions ran", ""
    value = plain(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0, f"{question.variable} is not answered yet", ""
    if form_only and not getattr(question, "practice", False):
        problem = check_form(question, value)
        return (0, f"{question.variable}: {problem}", "") if problem else (1, "", "")
    try:
        result = check_answer(question, value)
    except AnswerFormatError as exc:
        return 0, f"{question.variable}: {exc}", ""
    except (TypeError, ValueError):
        return 0, f"{question.variable}: the answer could not be read", ""
    if result.correct:
        return 1, "", ""
    credit = Fraction(str(result.score)) / Fraction(str(result.max_score)) \
        if result.max_score else 0
    return credit, f"{question.variable} is not the right answer", result.feedback
