"""The instructor's hidden-test checks that ``nbgrader autograde`` runs in a student's kernel.

The source notebooks' test cells call ``check`` from here inside their hidden-test block::

    check("forward_propagation", forward_propagation)         # visible part: shallow_checks
    ### BEGIN HIDDEN TESTS
    from autograder.notebook_checks import check as grader_check
    grader_check("forward_propagation", forward_propagation, hidden=True)
    ### END HIDDEN TESTS

It applies the course's own cases, tolerances, messages and hints, as ``shallow grade`` does,
with two differences that come from running inside the student's kernel: the hidden cases are
the same for everybody (seed 0: the kernel cannot be trusted with the course secret), and the
graded functions a function builds on are answered by in-process stand-ins (from the case's
trace, as in the grader: a correct solution's own calls only). A function that calls into the
reference (``shallow_ref``) fails: the hidden check sees every call the function makes.
Students never get this module; their released notebooks check with ``shallow_checks``.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import sys

import numpy as np


def _transported(value):
    """The value as it would come back from the grader's child (plain data, Foreign objects)."""
    from .isolation import wire

    return wire.decode(json.loads(json.dumps(wire.encode(value))))


class _ReferenceCall(Exception):
    pass


def _reference_dir():
    import shallow_ref

    return os.path.dirname(os.path.realpath(shallow_ref.__file__)) + os.sep


def _call(exercise, graded, function, course):
    """Run ``function`` on one case with stand-ins; an outcome like the grader's child's."""
    from .course.standins import Standins
    from .isolation.protocol import CallOutcome
    from .isolation.wire import writable

    case = graded.case
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    namespace = getattr(function, "__globals__", {})
    answers = Standins(course, [graded])
    missing = object()
    saved = {name: namespace.get(name, missing) for name in exercise.depends
             if name != exercise.name}

    def stand_in(name, original):
        def call(*a, **k):
            rng = np.random.get_state() if course.exercises[name].random else None
            reply = answers(case.id, name, list(a), k, rng)
            if reply.get("hit"):
                if reply.get("rng") is not None:
                    np.random.set_state(_transported(reply["rng"]))
                return writable(_transported(reply["value"]))
            if original is missing or not callable(original):
                raise NameError(f"name '{name}' is not defined")
            return original(*a, **k)
        return call

    reference = _reference_dir()
    seen = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(reference):
            seen.append(frame.f_code.co_name)

    state = np.random.get_state()
    out = io.StringIO()
    try:
        for name, original in saved.items():
            if name in course.exercises:
                namespace[name] = stand_in(name, original)
        if case.seed is not None:
            np.random.seed(case.seed)
        sys.setprofile(profile)
        try:
            with contextlib.redirect_stdout(out):
                value = function(*args, **kwargs)
        finally:
            sys.setprofile(None)
        if seen:
            return CallOutcome(case.id, "error", error=f"calls the course's reference "
                               f"implementation ({seen[0]} in shallow_ref): write your own")
        return CallOutcome(case.id, "ok", value=_transported(value), stdout=out.getvalue(),
                           args_after=[_transported(a) for a in args])
    except Exception as exc:  # noqa: BLE001 - the student's error becomes the message
        sys.setprofile(None)
        text = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return CallOutcome(case.id, "error", error=text, stdout=out.getvalue())
    finally:
        np.random.set_state(state)
        for name, original in saved.items():
            if original is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = original


def check(name, function, *, hidden=False, seed=0):
    """Run the course's visible (or hidden) cases of exercise ``name`` on ``function``."""
    from .course import default_course
    from .grade import _judge
    from .reports.text import case_text
    from .results import CaseResult

    course = default_course()
    exercise = course.exercises[name]
    graded = [g for g in course.graded_cases(exercise, seed) if g.case.visible != hidden]
    failures = []
    for item in graded:
        outcome = _call(exercise, item, function, course)
        result = CaseResult(name, "code", item.case.number,
                            "visible" if item.case.visible else "hidden")
        from .grade import call_text

        result.call = call_text(exercise, item.case)
        _judge(exercise, item, outcome, result)
        if not result.passed:
            failures.append(case_text(result))
    kind = "hidden" if hidden else "visible"
    if failures:
        raise AssertionError(f"{name}: {len(failures)} of {len(graded)} {kind} case(s) fail\n\n"
                             + "\n\n".join(failures))
    print(f"{name}: all {len(graded)} {kind} case(s) pass")


def check_answer(variable, value):
    """Check a review-question answer variable against the quiz bank (the instructor's)."""
    from .course import review

    for question in review.bank().questions:
        if question.variable == variable:
            passed, problem, feedback = review.check(question, _transported(value), True)
            if not passed:
                raise AssertionError("\n".join(filter(None, [problem, feedback])))
            print(f"{variable}: correct")
            return
    raise KeyError(f"no review question has the answer variable {variable}")
