"""Course authoring: keep the notebooks' review-question cells in step with the quiz bank, and
release student versions with nbgrader.

In a source notebook (``solutions/<assignment>/*.ipynb``) a review question is a markdown cell
whose metadata says ``{"shallow": {"review": N}}`` (N: the lecture's question number). Syncing
writes that cell's text, and the answer cell and hidden-test cell after it, from the bank: the
question, its choices, the answer and the points are never typed twice. ``release`` syncs, then
runs nbgrader's own ``generate_assignment`` into ``assignments/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMATS = {
    "true_false": ("True or False", lambda q: repr(bool(q.answer))),
    "single_choice": ('the letter of your choice as a string, like "b"',
                      lambda q: repr("abcdefghij"[q.choices.index(q.answer)])),
    "multiple_choice": ('a list of the letters of every right choice, like ["a", "c"]',
                        lambda q: repr(["abcdefghij"[q.choices.index(a)] for a in q.answer])),
    "shape": ("a shape as a tuple, like (4, 1)", lambda q: repr(tuple(q.answer))),
    "numeric": ("a number", lambda q: repr(q.answer)),
    "text": ('a word or two as a string, like "softmax"', lambda q: repr(q.answer)),
}


class ReleaseError(Exception):
    """Releasing failed (one line; the tool's own last lines follow in ``details``)."""

    def __init__(self, message, details=""):
        super().__init__(message)
        self.details = details


def _nbgrader_meta(grade_id, *, grade=False, solution=False, locked=True, points=None):
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id,
            "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return meta


def review_cells(question):
    """(markdown, answer code, test code) sources for one review question."""
    from quizzes.checking import LETTERS

    how, literal = FORMATS[question.type]
    points = f"{question.points:g} point{'s' if question.points != 1 else ''}"
    lines = [f"### Review question {question.lecture}", "", question.prompt.strip(), ""]
    for letter, choice in zip(LETTERS, question.choices, strict=False):
        lines.append(f"- **{letter})** {choice}")
    if question.choices:
        lines.append("")
    lines.append(f"*Answer in the next cell: set `{question.variable}` to {how}. ({points})*")
    markdown = "\n".join(lines)
    answer = (f"{question.variable} = None  # your answer: {how}\n"
              f"### BEGIN SOLUTION\n{question.variable} = {literal(question)}\n"
              f"### END SOLUTION")
    test = ("# Checked against the course's quiz bank when your notebook is graded.\n"
            f"### BEGIN HIDDEN TESTS\ncheck_answer({question.variable!r}, {question.variable})\n"
            "### END HIDDEN TESTS")
    return markdown, answer, test


def sync_review_cells(nb):
    """Rewrite every review marker's cells from the bank, in place. Returns True if changed."""
    from nbformat.v4 import new_code_cell

    from quizzes.bank import load_bank

    questions = {q.lecture: q for q in load_bank().questions if q.lecture and q.variable}
    changed = False
    cells = nb.cells
    i = 0
    while i < len(cells):
        number = cells[i].get("metadata", {}).get("shallow", {}).get("review")
        if number is None or cells[i].cell_type != "markdown":
            i += 1
            continue
        question = questions[number]
        markdown, answer, test = review_cells(question)
        wanted = [
            ("answer", answer, _nbgrader_meta(f"review_{number}_answer", solution=True,
                                               locked=False)),
            ("test", test, _nbgrader_meta(f"review_{number}_test", grade=True,
                                           points=question.points)),
        ]
        marker = cells[i]
        if marker.source != markdown:
            marker.source, changed = markdown, True
        marker.metadata["nbgrader"] = _nbgrader_meta(f"review_{number}_question")
        for offset, (role, source, meta) in enumerate(wanted, 1):
            position = i + offset
            existing = cells[position] if position < len(cells) else None
            is_ours = existing is not None and existing.get("metadata", {}).get(
                "shallow", {}).get("review_" + role) == number
            if not is_ours:
                cell = new_code_cell(source)
                cell.id = f"review-{number}-{role}"
                cells.insert(position, cell)
                existing, changed = cell, True
            if existing.source != source:
                existing.source, changed = source, True
            if existing.metadata.get("nbgrader") != meta:
                existing.metadata["nbgrader"] = meta
                changed = True
            existing.metadata["shallow"] = {"review_" + role: number}
        i += 3
    return changed


def source_notebooks(root=ROOT, names=None):
    """{assignment: [notebook paths]} under ``root/solutions``."""
    found = {}
    for folder in sorted((Path(root) / "solutions").iterdir()):
        if folder.is_dir() and not folder.name.startswith(".") and (
                not names or folder.name in names):
            found[folder.name] = sorted(folder.glob("*.ipynb"))
    missing = set(names or ()) - set(found)
    if missing:
        raise ReleaseError(f"no such assignment in {root}/solutions: {', '.join(sorted(missing))}")
    return found


def sync(root=ROOT, names=None):
    """Sync every source notebook's review cells; returns the notebooks that changed."""
    import nbformat

    changed = []
    for notebooks in source_notebooks(root, names).values():
        for path in notebooks:
            nb = nbformat.read(path, as_version=4)
            if sync_review_cells(nb):
                nbformat.validate(nb)
                nbformat.write(nb, path)
                changed.append(path)
    return changed


def release(root=ROOT, names=None):
    """Sync, then run ``nbgrader generate_assignment`` for each assignment. Returns the names."""
    root = Path(root)
    sync(root, names)
    assignments = list(source_notebooks(root, names))
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)  # nbgrader calls alembic from the same env
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    for name in assignments:
        command = [str(Path(bin_dir) / "nbgrader"), "generate_assignment", name, "--force",
                   "--log-level=WARN"]
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise ReleaseError(f"nbgrader generate_assignment {name} failed "
                               f"(exit {done.returncode})", tail)
    return assignments
