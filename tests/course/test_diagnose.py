"""The mistake catalog on its own (pure): each mutant is recognised as its mistake, pairs as
both, and nothing is named for a right or an unknown value."""

import itertools

import numpy as np
import pytest

from autograder.course import default_course
from autograder.course.compare import compare
from autograder.course.diagnose import diagnose
from autograder.results import CallOutcome

COURSE = default_course()


def outcome(value, status="ok", error=None, args_after=None):
    return CallOutcome("x/1", status, value=value, error=error, args_after=args_after)


def named(exercise, graded, value):
    expected = graded.expected
    problems = compare(value, expected, exercise.result, rtol=exercise.rtol,
                       atol=exercise.atol, names=exercise.result_names)
    if not problems:
        return None
    return [f.mistake.id for f in diagnose(exercise, graded.case, outcome(value), expected,
                                           problems)]


def mutation_cases():
    for name, exercise in COURSE.exercises.items():
        if exercise.mutant is None:
            continue
        for mutation in exercise.mutations:
            yield pytest.param(name, (mutation.id,), id=f"{name}-{mutation.id}")
        for a, b in itertools.combinations([m.id for m in exercise.mutations], 2):
            yield pytest.param(name, (a, b), id=f"{name}-{a}+{b}")


@pytest.mark.parametrize("name, flags", list(mutation_cases()))
def test_a_mutant_is_recognised_as_exactly_its_mistakes(name, flags):
    exercise = COURSE.exercises[name]
    tested = 0
    for graded in COURSE.graded_cases(exercise, seed=11):
        mutant = exercise.mutant(graded.case, frozenset(flags))
        if mutant is None:
            continue  # these mistakes do not combine (two changes of one line)
        for value in (mutant if isinstance(mutant, list) else [mutant]):
            found = named(exercise, graded, value)
            if found is None:
                continue  # on this case the mistake makes no difference
            tested += 1
            assert sorted(found) == sorted(flags), (graded.case.id, found)
    if len(flags) == 1:
        assert tested, f"{flags[0]} makes no difference on any case of {name}"


@pytest.mark.parametrize("name", sorted(COURSE.exercises))
def test_nothing_is_named_for_an_unknown_wrong_value(name):
    exercise = COURSE.exercises[name]
    for graded in COURSE.graded_cases(exercise, seed=3):
        expected = graded.expected
        rng = np.random.default_rng(5)
        garbage = _scrambled(expected, rng)
        found = named(exercise, graded, garbage)
        assert found in (None, []), (graded.case.id, found)


def _scrambled(value, rng):
    if isinstance(value, np.ndarray):
        if value.dtype == bool:
            return rng.random(value.shape) > 0.5
        if not value.any():  # zeros stay zeros (zero biases are right, never a symptom)
            return value.copy()
        return value + rng.normal(size=value.shape) + 3.0
    if isinstance(value, dict):
        return {k: _scrambled(v, rng) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_scrambled(v, rng) for v in value)
    if isinstance(value, float):
        return value * 1.7 + 0.3
    if isinstance(value, int):
        return value + 7
    return value


def test_an_error_symptom_names_the_mistake_from_the_message():
    exercise = COURSE.exercises["forward_propagation"]
    graded = COURSE.graded_cases(exercise, 0)[0]
    error = outcome(None, "error", "ValueError: operands could not be broadcast together")
    found = diagnose(exercise, graded.case, error, graded.expected, [])
    assert [f.mistake.id for f in found] == ["elementwise_product"]
    other = outcome(None, "error", "ZeroDivisionError: division by zero")
    assert diagnose(exercise, graded.case, other, graded.expected, []) == []


def test_symptoms_say_which_problems_they_explain():
    exercise = COURSE.exercises["backward_propagation"]
    graded = COURSE.graded_cases(exercise, 0)[0]
    value = {k: (v.ravel() if k.startswith("db") else v) for k, v in graded.expected.items()}
    problems = compare(value, graded.expected, "grads")
    [finding] = diagnose(exercise, graded.case, outcome(value), graded.expected, problems)
    assert finding.mistake.id == "missing_keepdims"
    assert finding.explains == ("grads['db1']", "grads['db2']")


def test_an_in_place_update_is_named_from_the_arguments_after_the_call():
    exercise = COURSE.exercises["update_parameters"]
    graded = COURSE.graded_cases(exercise, 0)[0]
    params, grads = graded.case.args
    changed = {k: v - 1.2 * grads["d" + k] for k, v in params.items()}
    from autograder.course.compare import Problem

    problems = [Problem("inputs", "modified its arguments", "mutation")]
    found = diagnose(exercise, graded.case, outcome(changed, args_after=[changed, grads]),
                     graded.expected, problems)
    assert [(f.mistake.id, f.explains) for f in found] == [("mutating_inputs", ("inputs",))]
