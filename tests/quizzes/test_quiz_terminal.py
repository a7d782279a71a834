"""The terminal runner lays text out for the terminal it runs in (a real pseudo-terminal of a
given size): lines fit, words stay whole, choices hang under their own text."""

import os
import re
import sys
from pathlib import Path

import pexpect
import pytest

from quizzes.bank import load_bank
from quizzes.rendering import (
    render_choices,
    render_explanation,
    render_prompt,
    terminal_text,
    variant_for,
    wrap,
)

SHALLOW = str(Path(sys.executable).parent / "shallow")

BANK_TEXT = """\
bank: wide
title: Wide
questions:
  - id: long
    type: single_choice
    prompt: >-
      During backpropagation through a one-hidden-layer network, np.sum(dZ1, axis=1,
      keepdims=True) divided by m gives which gradient, and why does keepdims matter for
      broadcasting later?
    choices:
      - >-
        db1, because summing over the examples of every hidden unit and keeping the column
        shape (n_h, 1) lets the update b1 - alpha * db1 broadcast correctly
      - "dW1, because the sum over axis one multiplies the inputs"
      - "db2, because keepdims=True always refers to the output layer of the network"
    answer: >-
      db1, because summing over the examples of every hidden unit and keeping the column
      shape (n_h, 1) lets the update b1 - alpha * db1 broadcast correctly
    explanation: >-
      The bias gradient averages dZ1 over the m examples along axis 1; keepdims=True keeps
      (n_h, 1) so that b1 and db1 have the same shape and subtraction never silently
      broadcasts into an (n_h, n_h) matrix.
    tags: [backward, keepdims]
"""


def _lines(text):
    return [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]


@pytest.mark.parametrize("columns", [40, 57, 100])
def test_the_runner_wraps_to_the_terminal_width_without_breaking_words(tmp_path, columns):
    bank_path = tmp_path / "wide.yaml"
    bank_path.write_text(BANK_TEXT)
    question = load_bank(bank_path).get("long")
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    child = pexpect.spawn(SHALLOW, ["quiz", "run", str(bank_path), "--no-save"],
                          cwd=str(tmp_path), env=env, encoding="utf-8", timeout=30,
                          dimensions=(50, columns))
    child.expect("Answer with the letter of one choice:")
    shown = child.before + child.after
    child.expect("> ")
    child.sendline("b")
    child.expect("Score: 0 / 1")
    shown += child.before
    child.expect(pexpect.EOF)
    lines = _lines(shown)
    assert max(len(line) for line in lines) <= columns, lines
    words = " ".join(lines).split()
    for text in (question.prompt, *question.choices, question.explanation):
        for word in text.split():
            assert word in words, (word, columns)  # never cut in two
    choice_lines = []
    for line in lines:
        if re.match(r"  [abc]\) ", line):
            choice_lines.append([line])
        elif choice_lines and line.startswith("     ") and len(choice_lines[-1]) and \
                not line.startswith("      "):
            choice_lines[-1].append(line)
    assert [len(c) for c in choice_lines][0] > 1  # the long choice wrapped, hanging under it
    assert all(line.startswith("     ") and line[5] != " " for c in choice_lines
               for line in c[1:])
    why = next(i for i, line in enumerate(lines) if line.startswith("Why: "))
    assert lines[why + 1].startswith("     ") and lines[why + 1][5] != " "


def test_wrap_keeps_line_breaks_and_indentation():
    text = "first line that is long enough to wrap somewhere\nsecond"
    assert wrap(text, 20, 2, 4).split("\n") == [
        "  first line that is", "    long enough to", "    wrap somewhere", "    second"]
    assert wrap("unbreakable_" * 5, 10) == "unbreakable_" * 5


def test_a_students_own_numbers_fill_every_text(tmp_path):
    bank = load_bank()
    for question in bank.questions:
        variant = variant_for(question, "ann", 0)
        texts = [render_prompt(question, variant), render_explanation(question, variant),
                 *[text for _, text in render_choices(question, variant)],
                 terminal_text(question, 1, 1, variant, width=60)]
        for text in texts:
            assert not re.search(r"\{[a-z_]+\}", text), (question.id, text)
        if question.parametric:
            with pytest.raises(ValueError, match="give the student's variant"):
                render_prompt(question)
            assert str(variant.params[sorted(variant.params)[0]]) in texts[0] + texts[1]
