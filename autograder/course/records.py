"""The records a course is made of: exercises, their cases, their mistakes, and assignments.

An ``Exercise`` holds everything about one graded function in one place: its reference (the
right answer), its signature, its points, how its cases are built, its tolerances and time
budget, the graded functions its solution builds on (answered by stand-ins while it is graded),
how those stand-ins' calls are traced, its catalogued mistakes and how each is recognised, and
the conventions of every version of the assignment it belongs to. An ``Assignment`` lists its
exercises, its review questions and the file name of its released notebook. The built-in
course (``builtin.py``) and an instructor's own course files (``loader.py``) both build these
records; nothing else in the grader knows an exercise by name.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import numpy as np

from .compare import ATOL, RTOL  # noqa: F401 - one home for the default tolerances

VISIBLE_SEED = 0
"""Visible cases are built from this seed for everybody (students compare notes on them, and the
self-check shipped with the release holds them); hidden cases come from the student's seed."""


@dataclass(frozen=True)
class CaseSpec:
    """What a case builder returns: the arguments, and numpy's global seed before the call."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    seed: int | None = None


@dataclass(frozen=True)
class Case:
    exercise: str
    number: int  # 1-based within its exercise
    args: tuple
    kwargs: dict = field(default_factory=dict)
    seed: int | None = None  # numpy's global seed in the child before the call
    visible: bool = False

    @property
    def id(self) -> str:
        return f"{self.exercise}/{self.number}"


@dataclass(frozen=True)
class Symptom:
    """A mistake recognised from what came back, whatever the computation.

    ``test`` is a spec of ``transforms.TESTS`` (``("flat_keys", ("db1", "db2"))``): whether a
    returned value shows it; ``error`` lists pieces of exception messages that show it when
    the function raised. ``normalize``, a spec of ``transforms.UNDO``, undoes it (a list made a
    tuple again, a bias vector given its column shape) so the search for wrong computations can
    look at the rest. Without ``normalize`` it explains the problems of ``labels`` (all of
    them when empty). Specs are data, so the self-check shipped to students carries them.
    """

    id: str
    title: str
    hint: str
    test: tuple | None = None
    normalize: tuple | None = None
    error: tuple = ()
    labels: tuple = ()


@dataclass(frozen=True)
class Mutation:
    """A mistake in the computation: a flag of the exercise's ``mutant`` (its buggy variants)."""

    id: str
    title: str
    hint: str


@dataclass(frozen=True)
class TraceEntry:
    """One call a correct solution makes to a graded function it builds on, with its answer.

    While an exercise is graded, the stand-in for ``function`` answers a call with ``value``
    only when the call's arguments equal ``args``/``kwargs`` (after binding them to the
    signature) and, for a function that draws random numbers, numpy's state equals
    ``rng_before``; any other call runs the student's own function.
    """

    function: str
    args: tuple
    kwargs: dict
    value: Any
    rng_before: Any = None
    rng_after: Any = None


@dataclass(frozen=True)
class Exercise:
    """One graded function. See the module docstring."""

    name: str
    title: str
    points: int | Fraction
    reference: Callable  # reference(*args, **kwargs) -> the right answer
    args: tuple  # the course signature's positional parameters
    build: Callable  # build(rng) -> [CaseSpec]; the first one is the visible case
    optional: tuple = ()  # keyword parameters of the course signature (learning_rate, ...)
    depends: tuple = ()  # graded functions its solution calls (stand-ins while it is graded)
    trace: Callable | None = None  # trace(case, reference_of) -> [TraceEntry]
    random: bool = False  # it draws from numpy's global generator (stand-ins pass the state)
    rtol: float = RTOL
    atol: float = ATOL
    budget_s: float = 5.0
    mutation_check: bool = False  # ask the child for the arguments after the call
    result: str = "the result"  # how feedback names the returned value
    result_names: tuple = ()  # names of the items of a returned tuple
    extras: Callable | None = None  # extras(case) -> dict of more expected facts
    symptoms: tuple = ()  # Symptom
    mutations: tuple = ()  # Mutation
    mutant: Callable | None = None  # mutant(case, flags) -> buggy value, or None if n/a
    visible_cases: int = 1
    versions: dict = field(default_factory=dict)  # version name -> dict of fields to replace

    def cases(self, seed: int = VISIBLE_SEED) -> list[Case]:
        """The visible cases (always from VISIBLE_SEED) and the hidden ones (from ``seed``)."""
        visible = self.build(self._rng(VISIBLE_SEED))[: self.visible_cases]
        hidden = self.build(self._rng(seed))[self.visible_cases:]
        return [Case(self.name, i + 1, tuple(spec.args), dict(spec.kwargs), spec.seed,
                     visible=i < self.visible_cases)
                for i, spec in enumerate([*visible, *hidden])]

    def _rng(self, seed: int) -> np.random.Generator:
        return np.random.default_rng([int(seed) & (2**63 - 1), zlib.crc32(self.name.encode())])

    @property
    def mistakes(self) -> tuple:
        """Every catalogued mistake, symptoms first, in the catalog's order."""
        return (*self.symptoms, *self.mutations)

    def for_version(self, version: str | None) -> Exercise:
        """This exercise under another version's conventions (itself when there is none)."""
        changes = self.versions.get(version) if version else None
        return replace(self, **changes) if changes else self

    def case_points(self, cases: int) -> Fraction:
        return Fraction(self.points) / cases if cases else Fraction(0)

    def signature_text(self) -> str:
        optional = ", ".join(f"{name}=..." for name in self.optional)
        return f"{self.name}({', '.join(self.args)}{', ' + optional if optional else ''})"


@dataclass(frozen=True)
class Version:
    """A version of an assignment, recognised from a notebook's signatures, imports, markers."""

    name: str  # "shallow", "course-2021", "course-2018"
    title: str  # for people: "the course's 2021 notebook"
    recognise: Callable | None = None  # recognise(source) -> score (higher: more likely)
    review: bool = False  # whether notebooks of this version have the review questions


@dataclass(frozen=True)
class Assignment:
    """One assignment: its exercises (in teaching order), review questions and notebook."""

    name: str
    exercises: tuple  # exercise names
    review: tuple = ()  # the lecture's review question numbers, answered as notebook variables
    notebook: str = ""  # the released notebook's file name ("planar_classifier.ipynb")
    versions: tuple = ()  # Version; the first is this project's own release
    title: str = ""

    @property
    def notebook_name(self) -> str:
        return self.notebook or f"{self.name}.ipynb"

    def version(self, name: str | None) -> Version | None:
        for version in self.versions:
            if version.name == name:
                return version
        return None
