"""Helpers that build real submission files for the tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

DATA = Path(__file__).parent / "data"
CORRECT = (DATA / "student_correct.py").read_text()


def cells_of(source):
    """Split '# %%'-separated source into cell texts."""
    return [c.strip("\n") + "\n" for c in re.split(r"^# %%.*$", source, flags=re.M) if c.strip()]


def notebook_json(cells, *, markdown=True):
    nb_cells = []
    if markdown:
        nb_cells.append({"cell_type": "markdown", "metadata": {},
                         "source": ["# Planar data classification\n", "Fill in the functions."]})
    for text in cells:
        nb_cells.append({"cell_type": "code", "execution_count": None, "metadata": {},
                         "outputs": [], "source": text.splitlines(keepends=True)})
    return {"cells": nb_cells, "metadata": {"kernelspec": {"name": "python3",
                                                            "display_name": "Python 3"}},
            "nbformat": 4, "nbformat_minor": 5}


def write_notebook(path, source=CORRECT, **kw):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook_json(cells_of(source), **kw)))
    return path


def replace_function(source, name, new_code):
    """The source with the top-level function ``name`` replaced by ``new_code``."""
    pattern = re.compile(rf"^def {name}\(.*?(?=^\S|\Z)", re.S | re.M)
    assert pattern.search(source), name
    return pattern.sub(lambda m: new_code.strip("\n") + "\n\n", source, count=1)


ALL_COURSE = DATA / "course_all"
"""A course folder whose solutions/all/exercises.py defines the assignment "all": every
exercise and review question of the lecture (CORRECT defines them all)."""


def options(**kw):
    """grade.Options for the "all" course, seed 0 unless said otherwise."""
    from autograder.grade import Options

    kw.setdefault("seed", 0)
    kw.setdefault("course_root", str(ALL_COURSE))
    return Options(**kw)


def grade(path, student="s", assignment="all", **kw):
    """Grade one file as ``student``'s ``assignment`` of the "all" course."""
    from autograder.grade import Submission, grade_submission

    return grade_submission(Submission(str(path), student, assignment), options(**kw))


def full(assignment="all"):
    """An assignment's total: its exercises' points and its review questions' points."""
    from autograder.course import default_course, review
    from autograder.results import as_fraction

    course = default_course(str(ALL_COURSE))
    record = course.assignment(assignment)
    return sum(as_fraction(course.exercises[e].points) for e in record.exercises) + sum(
        as_fraction(q.points) for q in review.questions(record))
