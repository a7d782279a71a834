"""Answering stand-in questions from the case's trace only: a stand-in is never an oracle.

While an exercise is graded, each graded function its solution builds on is a stand-in in the
child. When the student's code calls one, the grader answers with the reference's value only if
that exact call is one a correct solution makes for THIS case (an entry of the case's trace:
same function, same arguments once bound to the course signature, and for a function that
draws random numbers, the same generator state); the reply then also carries the generator's
state after the call. Any other call is a miss, and the child runs the student's own function.

So what a stand-in can tell a student is only what their own exercise's correct steps return,
when their code already takes those steps. No call the student makes up (inputs recorded from
another exercise's hidden cases, say) is ever computed by the reference, and the grader's work
for a question is a comparison against the trace, bounded by the case's own size.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np

try:  # inside the grader
    from ..isolation import wire
except ImportError:  # shipped in the self-check package: wire.py beside it
    from . import wire
from .compare import matches

ARG_RTOL = 1e-7
ARG_ATOL = 1e-10


@dataclass(frozen=True)
class Signature:
    """A graded function's course signature: its parameters in order, and their defaults."""

    names: tuple
    defaults: dict


def signature_of(exercise) -> Signature:
    """The Signature of an Exercise record (defaults read from its reference)."""
    names = (*exercise.args, *exercise.optional)
    try:
        parameters = inspect.signature(exercise.reference).parameters
    except (TypeError, ValueError):
        parameters = {}
    defaults = {name: parameters[name].default for name in names if name in parameters
                and parameters[name].default is not inspect.Parameter.empty}
    return Signature(names, defaults)


def bind(signature, args, kwargs):
    """The call's arguments by parameter name, defaults filled, under the course signature;
    None when the call does not fit it."""
    names = signature.names
    if len(args) > len(names) or set(kwargs) - set(names):
        return None
    bound = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key in bound:
            return None
        bound[key] = value
    for name in names:
        if name not in bound:
            if name not in signature.defaults:
                return None
            bound[name] = signature.defaults[name]
    return bound


def _same_state(a, b):
    try:
        return (a[0] == b[0] and np.array_equal(np.asarray(a[1]), np.asarray(b[1]))
                and int(a[2]) == int(b[2]) and int(a[3]) == int(b[3])
                and float(a[4]) == float(b[4]))
    except (TypeError, ValueError, IndexError):
        return False


class Standins:
    """The stand-in answers of one exercise's cases: ``standins(call_id, function, args,
    kwargs, rng) -> reply`` (the ``answer`` of an ``ExerciseJob``). ``signatures`` maps each
    function a stand-in may stand for to its Signature."""

    def __init__(self, signatures, graded_cases):
        self.signatures = dict(signatures)
        # call id -> function -> [(bound args, entry)] in the order a correct solution calls
        self.entries = {}
        for graded in graded_cases:
            by_function = {}
            for entry in graded.trace:
                signature = self.signatures.get(entry.function)
                bound = bind(signature, entry.args, entry.kwargs) if signature else None
                if bound is not None:
                    by_function.setdefault(entry.function, []).append((bound, entry))
            self.entries[graded.case.id] = by_function
        self._next = {}  # (call id, function) -> where the next call most likely is
        self._encoded = {}
        self._encoded_args = {}

    @classmethod
    def for_course(cls, course, graded_cases, version=None):
        return cls(course.signatures(version), graded_cases)

    def __call__(self, call_id, function, args, kwargs, rng):
        signature = self.signatures.get(function)
        bound = bind(signature, args, kwargs) if signature is not None else None
        candidates = self.entries.get(call_id, {}).get(function, ())
        if bound is None or not candidates:
            return {"op": "reply", "hit": False}
        # A solution mostly calls in the trace's order: look from just after the last hit on.
        start = self._next.get((call_id, function), 0)
        for step in range(len(candidates)):
            position = (start + step) % len(candidates)
            want, entry = candidates[position]
            if want.keys() != bound.keys():
                continue
            if entry.rng_before is not None and (rng is None or
                                                 not _same_state(rng, entry.rng_before)):
                continue
            if all(matches(bound[k], want[k], rtol=ARG_RTOL, atol=ARG_ATOL) for k in want):
                self._next[(call_id, function)] = position + 1
                return self._hit(entry)
        return {"op": "reply", "hit": False}

    def exact(self, call_id, function, args, kwargs, rng):
        """The reply when the question's ENCODED arguments (as the child sent them) are
        exactly those of the trace entry a correct solution makes next: the common case,
        answered without decoding anything. None: ask ``__call__`` with the decoded ones."""
        signature = self.signatures.get(function)
        candidates = self.entries.get(call_id, {}).get(function, ())
        if signature is None or not candidates or type(args) is not list \
                or type(kwargs) is not dict:
            return None
        bound = bind(signature, args, kwargs)
        if bound is None:
            return None
        position = self._next.get((call_id, function), 0) % len(candidates)
        want, entry = candidates[position]
        encoded = self._encoded_args.get(id(entry))
        if encoded is None:
            encoded = ({name: wire.encode(value) for name, value in want.items()},
                       wire.encode(entry.rng_before) if entry.rng_before is not None else None)
            self._encoded_args[id(entry)] = encoded
        if encoded[1] is not None and rng != encoded[1]:
            return None
        if bound.keys() != encoded[0].keys():
            return None
        for name, value in encoded[0].items():
            got = bound[name]
            if name in signature.defaults and got is signature.defaults[name]:
                got = wire.encode(got)  # a default the call left out
            if got != value:
                return None
        self._next[(call_id, function)] = position + 1
        return self._hit(entry)

    def _hit(self, entry):
        key = id(entry)
        if key not in self._encoded:
            self._encoded[key] = {
                "op": "reply", "hit": True, "value": wire.encode(entry.value),
                "rng": wire.encode(entry.rng_after) if entry.rng_after is not None else None}
        return self._encoded[key]
