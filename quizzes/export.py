"""Export a bank for an LMS: Moodle's GIFT format and text2qti's plain-text format (which the
``text2qti`` tool turns into a QTI package that Canvas imports).

Parametric questions are exported as several fixed variants (seeded), each a question of its
own, since neither format computes answers.
"""

from __future__ import annotations

import re

from .checking import LETTERS
from .variants import make_variant


def _expanded(bank, variants, seed):
    """(id, title, kind, prompt, answer, tolerance, question) for every exported question."""
    for question in bank.questions:
        if not question.parametric:
            yield (question.id, question.prompt, question.type, question.answer,
                   question.tolerance, question.explanation, question)
            continue
        for number in range(1, variants + 1):
            variant = make_variant(question, student=f"export-{number}", seed=seed)
            yield (f"{question.id}-v{number}", variant.fill(question.prompt), variant.kind,
                   variant.answer, variant.tolerance, variant.fill(question.explanation),
                   question)


def _gift_escape(text):
    return re.sub(r"([~=#{}:\\])", r"\\\1", " ".join(str(text).split()))


def _shape_spellings(shape):
    inside = ", ".join(str(n) for n in shape)
    single = "," if len(shape) == 1 else ""
    spellings = [f"({inside}{single})", f"({inside.replace(' ', '')}{single})",
                 "x".join(str(n) for n in shape), f"[{inside}]"]
    return list(dict.fromkeys(spellings))


def _numeric_margin(answer, tolerance):
    if "abs" in tolerance:
        return float(tolerance["abs"])
    if "rel" in tolerance:
        return abs(float(answer)) * float(tolerance["rel"])
    return 0.0


def to_gift(bank, *, variants=3, seed=0):
    """The bank in Moodle's GIFT format."""
    out = [f"// {bank.title} ({bank.id})", f"$CATEGORY: {bank.id}", ""]
    for qid, prompt, kind, answer, tol, explanation, question in _expanded(bank, variants, seed):
        feedback = {str(f["answer"]): f["says"] for f in question.feedback}
        head = f"::{_gift_escape(qid)}::{_gift_escape(prompt)} {{"
        general = f"####{_gift_escape(explanation)}"
        if kind == "true_false":
            wrong = feedback.get(str(not answer).lower(), feedback.get(str(not answer), ""))
            body = ("TRUE" if answer else "FALSE") + (f"#{_gift_escape(wrong)}" if wrong else "")
        elif kind == "single_choice":
            parts = []
            for choice in question.choices:
                mark = "=" if choice == answer else "~"
                says = feedback.get(choice, "")
                parts.append(f"{mark}{_gift_escape(choice)}" +
                             (f"#{_gift_escape(says)}" if says else ""))
            body = " ".join(parts)
        elif kind == "multiple_choice":
            right = 100 / len(answer)
            wrong_count = len(question.choices) - len(answer)
            wrong = 100 / wrong_count if wrong_count else 0
            parts = [f"~%{right:g}%{_gift_escape(c)}" if c in answer else
                     f"~%-{wrong:g}%{_gift_escape(c)}" for c in question.choices]
            body = " ".join(parts)
        elif kind == "numeric":
            body = f"#{float(answer):g}:{_numeric_margin(answer, tol):g}"
        elif kind == "shape":
            body = " ".join(f"={_gift_escape(s)}" for s in _shape_spellings(answer))
        else:
            body = " ".join(f"={_gift_escape(a)}" for a in [answer, *question.accept])
        out.append(f"{head}{body} {general}}}")
        out.append("")
    return "\n".join(out)


def to_text2qti(bank, *, variants=3, seed=0):
    """The bank in text2qti's plain-text quiz format."""
    out = [f"Quiz title: {bank.title}", f"Quiz description: Review questions ({bank.id})", ""]
    number = 0
    for qid, prompt, kind, answer, tol, explanation, question in _expanded(bank, variants, seed):
        number += 1
        out.append(f"Title: {qid}")
        out.append(f"Points: {question.points:g}")
        out.append(f"{number}.  {_one_line(prompt)}")
        out.append(f"...   {_one_line(explanation)}")
        if kind in ("true_false", "single_choice"):
            choices = ["True", "False"] if kind == "true_false" else question.choices
            right = ("True" if answer else "False") if kind == "true_false" else answer
            for letter, choice in zip(LETTERS, choices, strict=False):
                star = "*" if choice == right else ""
                out.append(f"{star}{letter}) {_one_line(choice)}")
        elif kind == "multiple_choice":
            for choice in question.choices:
                out.append(f"[{'*' if choice in answer else ' '}] {_one_line(choice)}")
        elif kind == "numeric" and abs(float(answer)) >= 1e-4:
            out.append(f"=   {float(answer):g} +- {_numeric_margin(answer, tol):g}")
        elif kind == "numeric":  # text2qti refuses numerical answers below 1e-4: short answer
            zero = ["0", "0.0"] if float(answer) == 0 else []
            for spelling in dict.fromkeys([f"{float(answer):g}", *zero]):
                out.append(f"*   {spelling}")
        elif kind == "shape":
            for spelling in _shape_spellings(answer):
                out.append(f"*   {spelling}")
        else:
            for accepted in [answer, *question.accept]:
                out.append(f"*   {_one_line(accepted)}")
        out.append("")
    return "\n".join(out)


def _one_line(text):
    return " ".join(str(text).split())
