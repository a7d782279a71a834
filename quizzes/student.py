"""Student copies of a bank: what students may receive, without the answers of graded questions.

``student_bank(bank)`` is the bank as plain data for students: every question's id, type,
prompt, tags, points, lecture number and notebook variable, plus what its type shows (the
choices; a parametric question's generator, which draws the student's numbers); graded
questions without ``answer``, ``accept``, ``feedback``, ``tolerance`` or ``explanation``;
practice questions (``practice: true``) complete, so they can be checked fully. It also states
``student_copy: true`` and the ``version`` of the bank it was made from, so answers given with it
are graded against the right bank. ``write_student_bank`` writes it as YAML or JSON (by the file's
suffix); ``quizzes.bank.load_bank`` reads it back, and ``quizzes.checking.check_form`` checks
answers to it without knowing them.

A parametric question's numbers come from its generator's code, which also computes its answer:
whoever holds the ``quizzes`` package can work that answer out, copy or no copy.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import types

_ALWAYS = ("id", "type", "prompt", "tags", "points", "lecture", "variable")
_FULL = ("answer", "choices", "tolerance", "accept", "generator", "explanation", "feedback")


def _entry(question):
    entry = {}
    for key in _ALWAYS:
        value = getattr(question, key)
        if value not in (None, "", [], {}):
            entry[key] = value
    entry["points"] = _number(question.points)
    qtype = types.get(question.type)
    if question.practice:
        entry["practice"] = True
        for key in _FULL:
            value = getattr(question, key)
            if value not in (None, "", [], {}):
                entry[key] = value
        entry.update(question.extra)
        return entry
    for key in sorted(qtype.public_fields):
        value = getattr(question, key, None) if key in _FULL else question.extra.get(key)
        if key not in ("answer", "accept", "tolerance", "explanation", "feedback") and \
                value not in (None, "", [], {}):
            entry[key] = value
    return entry


def _number(value):
    return int(value) if float(value).is_integer() else float(value)


def student_bank(bank):
    """The student-safe copy of ``bank`` as plain data (see the module docstring)."""
    return {
        "bank": bank.id,
        "title": bank.title,
        "seed": bank.seed,
        "student_copy": True,
        "version": bank.version,
        "questions": [_entry(question) for question in bank.questions],
    }


def write_student_bank(bank, path):
    """Write the student copy to ``path`` (JSON for ``.json``, YAML otherwise); return it."""
    path = Path(path)
    data = student_bank(bank)
    if path.suffix.lower() == ".json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        import yaml

        text = ("# Student copy of a quiz bank: graded questions carry no answers.\n"
                + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
    path.write_text(text, encoding="utf-8")
    return path
