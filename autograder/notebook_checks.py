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

import os

from shallow_ref.datasets import load_planar_dataset  # noqa: F401 - the notebooks import it here


def _reference_dir():
    import shallow_ref

    return os.path.dirname(os.path.realpath(shallow_ref.__file__)) + os.sep


def check(name, function, *, hidden=False, seed=0):
    """Run the course's visible (or hidden) cases of exercise ``name`` on ``function``."""
    from .course import default_course
    from .course.inprocess import call
    from .course.judge import judge
    from .course.messages import case_text
    from .course.standins import Standins
    from .results import CaseResult

    course = default_course()
    exercise = course.exercises[name]
    graded = [g for g in course.graded_cases(exercise, seed) if g.case.visible != hidden]
    failures = []
    answers = Standins.for_course(course, graded)
    standins = tuple(d for d in exercise.depends if d in course.exercises)
    random = tuple(d for d in standins if course.exercises[d].random)
    for item in graded:
        outcome = call(function, item, answers, standins, random, watch=_reference_dir())
        result = CaseResult(name, "code", item.case.number,
                            "visible" if item.case.visible else "hidden")
        from .grade import call_text

        result.call = call_text(exercise, item.case)
        judge(exercise, item, outcome, result)
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
            from .course.inprocess import transported

            credit, problem, feedback = review.check(question, transported(value), True)
            if credit != 1:
                raise AssertionError("\n".join(filter(None, [problem, feedback])))
            print(f"{variable}: correct")
            return
    raise KeyError(f"no review question has the answer variable {variable}")
