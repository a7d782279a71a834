"""A bank question as one student saw it: the prompt, choices, explanation and feedback with
that student's own numbers for a parametric question, and answers in the question's own terms.

The quiz package fills a parametric question's placeholders (``quizzes.rendering``:
``variant_for``, ``render_prompt``, ``render_explanation``, ``render_choices``,
``render_feedback``); when it does not offer them (an older quiz package), the raw text is shown.
A text whose rendering fails is shown raw too, never as an error page.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

LETTERS = "abcdefghijklmnopqrstuvwxyz"
_RENDER_ERRORS = (ValueError, KeyError, IndexError, AttributeError, TypeError)


@functools.lru_cache(maxsize=1)
def _rendering():
    try:
        from quizzes import rendering
    except ImportError:
        return None
    return rendering


def _call(name, *args, default):
    function = getattr(_rendering(), name, None)
    if function is None:
        return default
    try:
        return function(*args)
    except _RENDER_ERRORS:
        return default


@dataclass(frozen=True)
class Shown:
    """What the student was asked."""

    prompt: str
    choices: tuple  # (letter, text)
    explanation: str
    parametric: bool
    variant: object = None


def variant(question, student, seed):
    """The student's variant of a parametric question (None for any other)."""
    if not getattr(question, "parametric", False):
        return None
    return _call("variant_for", question, student, seed, default=None)


_SHOWN = {}  # id(question) -> (question, Shown) of questions without variants


def shown(question, student="", seed=0) -> Shown:
    """``question`` as ``student`` saw it (their own numbers when it is parametric)."""
    if not getattr(question, "parametric", False):
        known = _SHOWN.get(id(question))
        if known is not None and known[0] is question:
            return known[1]
        _SHOWN[id(question)] = (question, _shown(question, student, seed))
        return _SHOWN[id(question)][1]
    return _shown(question, student, seed)


def _shown(question, student, seed) -> Shown:
    drawn = variant(question, student, seed)
    raw_choices = tuple(zip(LETTERS, question.choices or (), strict=False))
    choices = _call("render_choices", question, drawn, default=raw_choices)
    return Shown(_call("render_prompt", question, drawn, default=question.prompt),
                 tuple((str(letter), str(text)) for letter, text in choices),
                 _call("render_explanation", question, drawn,
                       default=question.explanation or ""),
                 bool(question.parametric), drawn)


def feedback(question, says, drawn=None) -> str:
    """The bank's feedback text ``says`` with the student's numbers."""
    if not says:
        return ""
    return _call("render_feedback", question, says, drawn, default=says)


def answer_label(question, value, drawn=None):
    """An answer written in the question's own terms ("a) The choice", "(4, 1)"), or None."""
    try:
        from quizzes.checking import answer_label as label
    except ImportError:
        return None
    try:
        return label(question, value, drawn)
    except Exception:  # noqa: BLE001 - a label is a nicety: the raw answer is shown instead
        return None


def quiz_feedback(question, answer, drawn=None) -> str:
    """The bank's feedback for a wrong quiz answer (the quiz attempt does not store it)."""
    try:
        from quizzes.checking import check_answer

        check = check_answer(question, answer, drawn)
    except Exception:  # noqa: BLE001 - an answer that cannot be read has no feedback
        return ""
    return "" if check.correct else feedback(question, check.feedback, drawn)


def report_label(question, value):
    """``answer_label`` for the class report, where only non-parametric answers are compared."""
    if getattr(question, "parametric", False):
        return None
    return answer_label(question, value)
