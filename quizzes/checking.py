"""Reading and checking answers: one set of rules for the terminal, answer files, notebooks and
the autograder.

An answer may be typed text ("(4, 1)", "b", "true", "0.25") or a Python value from a notebook
variable ((4, 1), "b", True, 0.25). Shapes accept ``(4, 1)``, ``(4,1)``, ``4x1``, ``[4, 1]`` and
``4 by 1``; choices accept the letter shown or the choice's text; numbers accept fractions like
``1/4``; true/false accept true/false, t/f, yes/no.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

LETTERS = "abcdefghijklmnopqrstuvwxyz"


class AnswerFormatError(ValueError):
    """The answer could not be read as the kind the question asks for (one line)."""


@dataclass
class Check:
    correct: bool
    score: float
    max_score: float
    feedback: str = ""  # what to tell the student about this specific wrong answer
    shown_answer: str = ""  # the right answer, written for people


def kind_of(question, variant=None):
    return variant.kind if variant is not None else question.type


def expected_answer(question, variant=None):
    return variant.answer if variant is not None else question.answer


def tolerance_of(question, variant=None):
    return variant.tolerance if variant is not None else (question.tolerance or {})


def normalize_text(value):
    text = re.sub(r"\s+", " ", str(value)).strip().lower()
    return text.strip(" .!;")


def parse_shape(value):
    if isinstance(value, (tuple, list)):
        try:
            return tuple(int(v) for v in value)
        except (TypeError, ValueError):
            raise AnswerFormatError(f"{value!r} is not a shape of whole numbers") from None
    text = str(value).strip().lower()
    text = re.sub(r"\s*(x|×|\*|by)\s*", ",", text)
    text = text.strip("()[] ")
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(re.fullmatch(r"\d+", p) for p in parts):
        raise AnswerFormatError(f"could not read {str(value)!r} as a shape; write it like (4, 1)")
    return tuple(int(p) for p in parts)


def parse_number(value):
    if isinstance(value, bool):
        raise AnswerFormatError(f"{value!r} is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    try:
        import numbers

        if isinstance(value, numbers.Number):
            return float(value)
    except TypeError:  # pragma: no cover
        pass
    text = str(value).strip().replace(" ", "")
    match = re.fullmatch(r"([-+]?[\d.]+(?:e[-+]?\d+)?)/([\d.]+(?:e[-+]?\d+)?)", text, re.I)
    try:
        if match:
            return float(match.group(1)) / float(match.group(2))
        return float(text)
    except (ValueError, ZeroDivisionError):
        raise AnswerFormatError(f"could not read {str(value)!r} as a number") from None


def parse_bool(value):
    if isinstance(value, bool):
        return value
    text = normalize_text(value)
    if text in ("true", "t", "yes", "y", "1"):
        return True
    if text in ("false", "f", "no", "n", "0"):
        return False
    raise AnswerFormatError(f"could not read {str(value)!r} as true or false")


def parse_choice(value, choices):
    """A choice given by its letter (a, b, ...) or its text -> the choice's text."""
    text = normalize_text(value)
    letter = text.rstrip(")")
    if len(letter) == 1 and letter in LETTERS[:len(choices)]:
        return choices[LETTERS.index(letter)]
    for choice in choices:
        if normalize_text(choice) == text:
            return choice
    raise AnswerFormatError(f"{str(value)!r} is not one of the choices "
                            f"({', '.join(LETTERS[:len(choices)])})")


def parse_choices(value, choices):
    if isinstance(value, (list, tuple, set)):
        items = list(value)
    else:
        text = str(value).strip()
        if any(normalize_text(c) == normalize_text(text) for c in choices):
            items = [text]
        else:
            items = [p for p in re.split(r"[,\s;]+", text) if p]
            if len(items) == 1 and len(items[0]) > 1 and all(
                    ch in LETTERS[:len(choices)] for ch in items[0].lower()):
                items = list(items[0])  # "ac"
    return frozenset(parse_choice(item, choices) for item in items)


def parse_answer(question, value, variant=None):
    """The response in the question's own terms; AnswerFormatError when it cannot be read."""
    kind = kind_of(question, variant)
    if kind == "true_false":
        return parse_bool(value)
    if kind == "single_choice":
        return parse_choice(value, question.choices)
    if kind == "multiple_choice":
        return parse_choices(value, question.choices)
    if kind == "numeric":
        return parse_number(value)
    if kind == "shape":
        return parse_shape(value)
    if kind == "text":
        return normalize_text(value)
    raise AnswerFormatError(f"unknown question type {kind!r}")


def same_answer(question, got, want, variant=None):
    """Whether two parsed answers are equal under the question's rules."""
    kind = kind_of(question, variant)
    if kind == "numeric":
        tol = tolerance_of(question, variant)
        return math.isclose(got, want, rel_tol=float(tol.get("rel", 0)),
                            abs_tol=max(float(tol.get("abs", 0)), 1e-9))
    if kind == "text":
        accepted = [want, *(question.accept or [])]
        return got in {normalize_text(a) for a in accepted}
    return got == want


def correct_value(question, variant=None):
    """The right answer, parsed."""
    return parse_answer(question, expected_answer(question, variant), variant)


def show_answer(question, variant=None):
    kind = kind_of(question, variant)
    answer = expected_answer(question, variant)
    if kind == "shape":
        shape = tuple(answer)
        return str(shape)
    if kind == "true_false":
        return "true" if answer else "false"
    if kind == "single_choice":
        return f"{LETTERS[question.choices.index(answer)]}) {answer}"
    if kind == "multiple_choice":
        return "; ".join(f"{LETTERS[question.choices.index(a)]}) {a}" for a in answer)
    if kind == "numeric":
        return f"{answer:.4g}" if isinstance(answer, float) else str(answer)
    return str(answer)


def check_answer(question, response, variant=None):
    """Check one response; raises AnswerFormatError if it cannot be read at all."""
    got = parse_answer(question, response, variant)
    want = correct_value(question, variant)
    points = float(question.points)
    if same_answer(question, got, want, variant):
        return Check(True, points, points, shown_answer=show_answer(question, variant))
    feedback = ""
    for item in question.feedback or []:
        try:
            if same_answer(question, got, parse_answer(question, item["answer"], variant),
                           variant):
                feedback = item["says"]
                break
        except AnswerFormatError:
            continue
    return Check(False, 0.0, points, feedback=feedback,
                 shown_answer=show_answer(question, variant))
