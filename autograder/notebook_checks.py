"""The checks that notebooks run in their own kernel: visible tests and nbgrader hidden tests.

They apply the very rubric that ``shallow grade`` applies (same cases, same tolerances, same
messages and hints), so a notebook and the grader agree. In a notebook::

    from autograder.notebook_checks import check, check_answer
    check("forward_propagation", forward_propagation)               # visible cases
    check("forward_propagation", forward_propagation, hidden=True)  # in a hidden-test block
    check_answer("q_keepdims_shape", q_keepdims_shape)              # a review question

A failed case raises AssertionError with what was called, what is wrong and, when recognised,
the classic mistake and a hint. While a function is checked, the other graded functions it
calls are the reference ones, so a mistake elsewhere does not make this check fail (the same
rule as the grader's stand-ins, ``rubric.DEPENDS``). numpy's global random state is left as
it was.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json

import numpy as np


def _transported(value):
    """The value as the grader's child would send it back (plain arrays, Foreign objects)."""
    from .child import decode, encode

    return decode(json.loads(json.dumps(encode(value))))


def _call(function, case, exercise_name):
    from .rubric import DEPENDS, REFERENCE
    from .sandbox import CallOutcome

    args = copy.deepcopy(case.args)
    kwargs = copy.deepcopy(case.kwargs)
    namespace = getattr(function, "__globals__", {})
    stand_ins = {name: REFERENCE[name] for name in DEPENDS.get(exercise_name, ())}
    saved = {name: namespace[name] for name in stand_ins if name in namespace}
    missing = [name for name in stand_ins if name not in namespace]
    state = np.random.get_state()
    out = io.StringIO()
    try:
        namespace.update(stand_ins)
        if case.seed is not None:
            np.random.seed(case.seed)
        with contextlib.redirect_stdout(out):
            value = function(*args, **kwargs)
        outcome = CallOutcome(case.id, "ok", value=_transported(value), stdout=out.getvalue(),
                              args_after=[_transported(a) for a in args])
    except Exception as exc:  # noqa: BLE001 - the student's error becomes the message
        text = f"{type(exc).__name__}: {exc}".splitlines()[0]
        outcome = CallOutcome(case.id, "error", error=text, stdout=out.getvalue())
    finally:
        np.random.set_state(state)
        namespace.update(saved)
        for name in missing:
            namespace.pop(name, None)
    return outcome


def check(name, function, *, hidden=False, seed=0):
    """Run the rubric's visible (or hidden) cases of exercise ``name`` on ``function``."""
    from .diagnose import diagnose
    from .rubric import EXERCISES
    from .rubric import check as rubric_check

    exercise = EXERCISES[name]
    cases = [c for c in exercise.cases(seed) if c.visible != hidden]
    failures = []
    for case in cases:
        expected = exercise.expected(case)
        outcome = _call(function, case, name)
        verdict = rubric_check(exercise, case, outcome, expected)
        if verdict.passed:
            continue
        lines = [f"Called {case.call_text()}", f"Problem: {verdict.problem}"]
        mistake = diagnose(name, case, outcome, expected)
        if mistake is not None:
            lines += [f"Likely mistake: {mistake.title}", f"Hint: {mistake.hint}"]
        failures.append("\n".join(lines))
    kind = "hidden" if hidden else "visible"
    if failures:
        raise AssertionError(f"{name}: {len(failures)} of {len(cases)} {kind} case(s) fail\n\n"
                             + "\n\n".join(failures))
    print(f"{name}: all {len(cases)} {kind} case(s) pass")


def check_answer(variable, value):
    """Check a review-question answer variable against the quiz bank."""
    from .rubric import check_review
    from .sandbox import CallOutcome

    question = _question(variable)
    passed, problem, feedback = check_review(
        question, CallOutcome(variable, "ok", value=_transported(value)))
    if not passed:
        raise AssertionError("\n".join(filter(None, [problem, feedback])))
    print(f"{variable}: correct")


def _question(variable):
    from quizzes.bank import load_bank

    for question in load_bank().questions:
        if question.variable == variable:
            return question
    raise KeyError(f"no review question has the answer variable {variable}")
