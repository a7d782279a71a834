"""Course authoring: keep the notebooks' review-question cells in step with the quiz bank, and
release student versions with nbgrader, each with its self-check bundle.

In a source notebook (``solutions/<assignment>/*.ipynb``) a review question is a markdown cell
whose metadata says ``{"shallow": {"review": N}}`` (N: the lecture's question number). Syncing
writes that cell's text, and the answer cell and test cell after it, from the bank: the
question, its choices, the answer and the points are never typed twice. ``release`` syncs,
runs nbgrader's own ``generate_assignment`` into ``assignments/``, then writes each release's
``shallow_checks/`` (``bundle.py``): what the released notebooks' checks need, the visible
cases only. Every problem is a ``ReleaseError`` of one line naming the file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
    from quizzes import types
    from quizzes.checking import LETTERS

    qtype = types.get(question.type)
    how = qtype.notebook_hint
    points = f"{question.points:g} point{'s' if question.points != 1 else ''}"
    lines = [f"### Review question {question.lecture}", "", question.prompt.strip(), ""]
    for letter, choice in zip(LETTERS, question.choices, strict=False):
        lines.append(f"- **{letter})** {choice}")
    if question.choices:
        lines.append("")
    lines.append(f"*Answer in the next cell: set `{question.variable}` to {how}. ({points})*")
    markdown = "\n".join(lines)
    answer = (f"{question.variable} = None  # your answer: {how}\n"
              f"### BEGIN SOLUTION\n{question.variable} = {qtype.literal(question)}\n"
              f"### END SOLUTION")
    test = (f"check_answer({question.variable!r}, {question.variable})  # its form; the grader "
            f"checks the answer\n"
            "### BEGIN HIDDEN TESTS\n"
            "from autograder.notebook_checks import check_answer as grader_check_answer\n"
            f"grader_check_answer({question.variable!r}, {question.variable})\n"
            "### END HIDDEN TESTS")
    return markdown, answer, test


def sync_review_cells(nb, path="notebook"):
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
        if number not in questions:
            raise ReleaseError(f"{path}: cell {i} is review question {number!r}, which the quiz "
                               f"bank does not have (it has lecture questions "
                               f"{', '.join(map(str, sorted(questions)))})")
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
    from ..safety import storable

    folder = Path(root) / "solutions"
    if not folder.is_dir():
        raise ReleaseError(f"{folder}: no solutions folder (the course's source notebooks "
                           f"live in solutions/<assignment>/)")
    found = {}
    for sub in sorted(folder.iterdir()):
        if sub.is_dir() and not sub.is_symlink() and not sub.name.startswith(".") and (
                not names or sub.name in names):
            found[sub.name] = sorted(p for p in sub.glob("*.ipynb") if not p.is_symlink())
    missing = set(names or ()) - set(found)
    if missing:
        raise ReleaseError(f"no such assignment in {folder}: "
                           f"{', '.join(storable(m) for m in sorted(missing))}")
    return found


def _read(path):
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError, json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        raise ReleaseError(f"{path}: not a readable notebook "
                           f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]})") from None


def sync(root=ROOT, names=None):
    """Sync every source notebook's review cells; returns the notebooks that changed."""
    import nbformat

    changed = []
    for notebooks in source_notebooks(root, names).values():
        for path in notebooks:
            nb = _read(path)
            if sync_review_cells(nb, path):
                nbformat.validate(nb)
                nbformat.write(nb, path)
                changed.append(path)
    return changed


def release(root=ROOT, names=None):
    """Sync, run ``nbgrader generate_assignment``, write the self-check bundles."""
    from ..course import CourseError, default_course
    from .bundle import build_bundle

    root = Path(root)
    sync(root, names)
    assignments = list(source_notebooks(root, names))
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)  # nbgrader calls alembic from the same env
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    try:
        course = default_course(str(root))
    except CourseError as exc:
        raise ReleaseError(str(exc)) from None
    for name in assignments:
        command = [str(Path(bin_dir) / "nbgrader"), "generate_assignment", name, "--force",
                   "--log-level=WARN"]
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise ReleaseError(f"nbgrader generate_assignment {name} failed "
                               f"(exit {done.returncode})", tail)
        if name in course.assignments:
            build_bundle(course, name, root / "assignments" / name)
    return assignments
