"""The course: exercises, assignments and their mistakes, as records (see ``records.py``).

``Course.builtin()`` is the lecture's own course (``builtin.py``); ``Course.for_root(folder)``
adds an instructor's own exercise files found next to the solution notebooks
(``solutions/<assignment>/exercises.py``, see ``loader.py``). Everything else asks a ``Course``:
which exercises an assignment has, what a reference returns, which cases a student gets.
"""

from __future__ import annotations

import collections
import functools
from dataclasses import dataclass, field
from pathlib import Path

from .records import (
    ATOL,
    RTOL,
    VISIBLE_SEED,
    Assignment,
    Case,
    CaseSpec,
    Exercise,
    Mutation,
    Symptom,
    TraceEntry,
    Version,
)

__all__ = ["ATOL", "RTOL", "VISIBLE_SEED", "Assignment", "Case", "CaseSpec", "Course",
           "CourseError", "Exercise", "GradedCase", "Mutation", "Symptom", "TraceEntry",
           "Version", "default_course"]


GRADED_KEPT = 512
"""How many (exercise, seed, version) sets of graded cases a Course keeps."""


def _read_only(value, depth=0):
    """Make every numpy array inside ``value`` (cases, traces, expected values) read-only."""
    import numpy as np

    if depth > 12:
        return
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _read_only(item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            _read_only(item, depth + 1)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            _read_only(getattr(value, name), depth + 1)


class CourseError(Exception):
    """A course file or name that cannot be used (one line)."""


@dataclass(frozen=True)
class GradedCase:
    """A case with its expected value and the trace its stand-ins answer from."""

    case: Case
    expected: object
    trace: tuple = ()
    extras: dict = field(default_factory=dict)  # e.g. {"printed_costs": {0: 0.693}}


class Course:
    """Exercises and assignments by name."""

    def __init__(self, exercises=(), assignments=()):
        self.exercises: dict[str, Exercise] = {}
        self.assignments: dict[str, Assignment] = {}
        self._graded = collections.OrderedDict()  # recent graded_cases, by what they depend on
        self._signatures = {}
        for exercise in exercises:
            self.add_exercise(exercise)
        for assignment in assignments:
            self.add_assignment(assignment)

    @classmethod
    def builtin(cls) -> Course:
        from .builtin import ASSIGNMENTS, EXERCISES

        return cls(EXERCISES, ASSIGNMENTS)

    @classmethod
    def for_root(cls, root) -> Course:
        """The built-in course plus the instructor's exercise files under ``root``."""
        from .loader import load_course_files

        course = cls.builtin()
        load_course_files(course, Path(root))
        return course

    def add_exercise(self, exercise: Exercise) -> None:
        if not isinstance(exercise, Exercise):
            raise CourseError(f"not an Exercise record: {exercise!r}"[:200])
        self.exercises[exercise.name] = exercise
        self._graded.clear()
        self._signatures.clear()

    def add_assignment(self, assignment: Assignment) -> None:
        if not isinstance(assignment, Assignment):
            raise CourseError(f"not an Assignment record: {assignment!r}"[:200])
        unknown = [name for name in assignment.exercises if name not in self.exercises]
        if unknown:
            raise CourseError(f"assignment {assignment.name}: unknown exercise(s) "
                              f"{', '.join(unknown)}")
        self.assignments[assignment.name] = assignment

    def assignment(self, name: str) -> Assignment:
        try:
            return self.assignments[name]
        except KeyError:
            raise CourseError(f"unknown assignment {name!r}; the course has "
                              f"{', '.join(sorted(self.assignments)) or 'none'}") from None

    def exercises_for(self, assignment: str, version: str | None = None) -> list[Exercise]:
        return [self.exercises[name].for_version(version)
                for name in self.assignment(assignment).exercises]

    def reference_of(self, version: str | None = None):
        """name -> that exercise's reference under ``version``'s conventions."""
        def reference(name):
            return self.exercises[name].for_version(version).reference
        return reference

    def graded_cases(self, exercise: Exercise, seed: int, *, visible_only=False,
                     version: str | None = None) -> list[GradedCase]:
        """The exercise's cases for ``seed`` with their expected values and traces.

        The last few hundred are kept (one seed for a whole class, or a student graded
        again, costs the reference once); their arrays are read-only, so no caller can
        change what the next one is compared with."""
        from .builtin import run_reference

        key = (exercise.name, version, int(seed), bool(visible_only), id(exercise.reference))
        if key in self._graded:
            self._graded.move_to_end(key)
            return list(self._graded[key])
        cases = exercise.cases(seed)
        if visible_only:
            cases = [c for c in cases if c.visible]
        graded = []
        for case in cases:
            expected = run_reference(exercise.reference, case.args, case.kwargs, case.seed)
            trace = tuple(exercise.trace(case, self.reference_of(version))) \
                if exercise.trace is not None else ()
            extras = dict(exercise.extras(case)) if exercise.extras is not None else {}
            graded.append(GradedCase(case, expected, trace, extras))
        _read_only(graded)
        self._graded[key] = tuple(graded)
        while len(self._graded) > GRADED_KEPT:
            self._graded.popitem(last=False)
        return graded

    def signatures(self, version: str | None = None) -> dict:
        """name -> the course Signature of each exercise under ``version`` (for stand-ins)."""
        if version not in self._signatures:
            from .standins import signature_of

            self._signatures[version] = {name: signature_of(exercise.for_version(version))
                                         for name, exercise in self.exercises.items()}
        return self._signatures[version]

    def detect_version(self, assignment: str, source) -> Version | None:
        """The version of ``assignment`` a notebook was written for (its imports, signatures
        and answer variables say; the assignment's own first version when nothing does)."""
        versions = self.assignment(assignment).versions
        if not versions:
            return None
        if source is None:
            return versions[0]
        scored = [(v.recognise(source) if v.recognise else 0, -i, v)
                  for i, v in enumerate(versions)]
        best = max(scored, key=lambda item: item[:2])
        return best[2] if best[0] > 0 else versions[0]

    def guess_assignment(self, defined) -> str | None:
        """The assignment whose functions the notebook defines most of (None on a tie)."""
        scores = {name: len(set(a.exercises) & set(defined))
                  for name, a in self.assignments.items()}
        best = max(scores.values(), default=0)
        winners = [name for name, score in scores.items() if score == best]
        return winners[0] if best and len(winners) == 1 else None


@functools.lru_cache(maxsize=8)
def default_course(root: str | None = None) -> Course:
    """The course for a course folder (the built-in one when ``root`` has no exercise files)."""
    return Course.for_root(root) if root else Course.builtin()
