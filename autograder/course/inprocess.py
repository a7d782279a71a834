"""Calling a student's function in this very process, as the grader's child would (pure: numpy
and the standard library). Used where the code already runs in the student's own kernel: the
self-check shipped with a release and the instructor's hidden tests under ``nbgrader
autograde``. The graded functions it builds on are answered by stand-ins from the case's trace
(``standins.Standins``: a correct solution's own calls only, else the student's own function),
numpy's global generator is seeded as the case says and left as it was, printed output is
captured, and the arguments are looked at after the call (in-place changes)."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import sys

import numpy as np

try:  # inside the grader
    from ..isolation import wire
    from ..results import CallOutcome
except ImportError:  # shipped in the self-check package: its siblings
    from . import wire
    from .results import CallOutcome


def transported(value):
    """The value as it would come back from the grader's child (plain data, Foreign objects)."""
    return wire.decode(json.loads(json.dumps(wire.encode(value))))


def call(function, graded, answers, standins=(), random=(), watch=None):
    """One call of ``function`` on ``graded``'s case: a CallOutcome like the child's.

    ``answers``: a Standins for the case; ``standins``: the names it answers for;
    ``random``: those that draw random numbers; ``watch``: a folder whose code the function
    must not call (its first such call makes the outcome an error).
    """
    case = graded.case
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    namespace = getattr(function, "__globals__", {})
    missing = object()
    saved = {name: namespace.get(name, missing) for name in standins
             if name != case.exercise}

    def stand_in(name, original):
        def answer(*a, **k):
            rng = np.random.get_state() if name in random else None
            reply = answers(case.id, name, list(a), k, rng)
            if reply.get("hit"):
                if reply.get("rng") is not None:
                    np.random.set_state(wire.decode(reply["rng"]))
                return wire.writable(wire.decode(reply["value"]))
            if original is missing or not callable(original):
                raise NameError(f"name '{name}' is not defined")
            return original(*a, **k)
        answer.__name__ = name
        return answer

    seen = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(watch):
            seen.append(frame.f_code.co_name)

    state = np.random.get_state()
    out = io.StringIO()
    try:
        for name, original in saved.items():
            namespace[name] = stand_in(name, original)
        if case.seed is not None:
            np.random.seed(case.seed)
        if watch:
            sys.setprofile(profile)
        try:
            with contextlib.redirect_stdout(out):
                value = function(*args, **kwargs)
        finally:
            if watch:
                sys.setprofile(None)
        if seen:
            return CallOutcome(case.id, "error", error=f"calls the course's reference "
                               f"implementation ({seen[0]}): write your own")
        return CallOutcome(case.id, "ok", value=transported(value), stdout=out.getvalue(),
                           args_after=[transported(a) for a in args])
    except Exception as exc:  # noqa: BLE001 - the student's error becomes the message
        text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else \
            type(exc).__name__
        return CallOutcome(case.id, "error", error=wire.clean_text(text, 500),
                           stdout=out.getvalue())
    finally:
        np.random.set_state(state)
        for name, original in saved.items():
            if original is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = original
