"""Question text for people: a student's own variant filled in, wrapped for the terminal, or
written as notebook Markdown.

``render_prompt``, ``render_explanation``, ``render_choices`` and ``render_feedback`` give the
text a student saw: a parametric question's placeholders filled with that student's numbers
(never ``{n_h}``), so feedback pages and reports can show it. ``variant_for`` draws the variant.
``wrap`` and ``terminal_text`` lay text out for a terminal of a given width without breaking
words, keeping each line's indentation (choices hang under their text).
"""

from __future__ import annotations

import shutil
import textwrap

from . import types


def variant_for(question, student="", seed=0):
    """The student's variant of a parametric question (None for any other question)."""
    if not question.parametric:
        return None
    from .variants import make_variant

    return make_variant(question, student=student, seed=seed)


def _asked(question, variant):
    if question.parametric and variant is None:
        raise ValueError(f"question {question.id!r} is parametric: give the student's variant "
                         f"(quizzes.rendering.variant_for) to show its numbers")
    return types.resolve(question, variant)


def render_prompt(question, variant=None):
    """The prompt as the student saw it."""
    return _asked(question, variant)[0].prompt


def render_explanation(question, variant=None):
    """The explanation with the student's numbers."""
    return _asked(question, variant)[0].explanation


def render_choices(question, variant=None):
    """The choices shown with letters, as (letter, text) pairs."""
    concrete, qtype = _asked(question, variant)
    return list(zip(types.LETTERS, qtype.choices(concrete), strict=False))


def render_feedback(question, says, variant=None):
    """A feedback text (``says``) with the student's numbers."""
    if question.parametric:
        if variant is None:
            _asked(question, variant)
        return variant.fill(says)
    return says


def terminal_width(default=80):
    """The terminal's width in columns (at least 20)."""
    return max(20, shutil.get_terminal_size((default, 24)).columns)


def wrap(text, width, indent=0, hang=None):
    """``text`` wrapped to ``width`` columns, words whole, every line indented by ``indent``;
    continuation lines by ``hang`` (default: ``indent``). Line breaks in ``text`` are kept."""
    hang = indent if hang is None else hang
    out = []
    for number, paragraph in enumerate(str(text).split("\n")):
        first = " " * (indent if number == 0 else hang)
        if not paragraph.strip():
            out.append("")
            continue
        out.extend(textwrap.wrap(paragraph, width=max(width, hang + 10, indent + 10),
                                 initial_indent=first, subsequent_indent=" " * hang,
                                 break_long_words=False, break_on_hyphens=False))
    return "\n".join(out)


def _hang(text):
    """Where a line's continuation starts: after a choice's letter, like 'a) '."""
    head = text.split(" ", 1)[0]
    return len(head) + 1 if len(head) <= 4 and head.endswith(")") else 0


def terminal_text(question, number, total, variant=None, width=None):
    """The whole question as the terminal runner prints it, wrapped to ``width``."""
    width = width or terminal_width()
    concrete, qtype = _asked(question, variant)
    points = f"{question.points:g} point{'s' if question.points != 1 else ''}"
    practice = "; practice" if question.practice else ""
    lines = [wrap(f"Question {number} of {total}  ({points}; {', '.join(question.tags)}"
                  f"{practice})", width)]
    for indent, text in qtype.terminal(concrete):
        lines.append(wrap(text, width, indent, indent + _hang(text)))
    return "\n".join(lines)


def notebook_markdown(question):
    """A (non-parametric) question as notebook Markdown: prompt and lettered choices."""
    concrete, qtype = types.resolve(question)
    return qtype.markdown(concrete)
