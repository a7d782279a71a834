"""Every catalogued mistake, proven by a buggy notebook that the grader must diagnose, alone and
in pairs, and never a mistake named where it does not apply.

Each buggy notebook is the correct submission with one function replaced. The grader must take
points from that exercise only (the other exercises call stand-ins for the graded functions, so
a bug does not cascade) and name exactly the mistakes in it, each with its hint and with the
problems it explains.
"""

import itertools

import pytest
from bugs import BUGS, UNKNOWN

from autograder.course import default_course
from notebooks import ALL_COURSE, CORRECT, grade, replace_function, write_notebook

COURSE = default_course(str(ALL_COURSE))


@pytest.fixture(scope="module")
def correct_points(tmp_path_factory):
    path = write_notebook(tmp_path_factory.mktemp("ok") / "correct.ipynb")
    result = grade(path)
    assert result.points == result.max_points
    assert not result.mistakes()  # a correct notebook is never diagnosed
    return result.exercise_points()


def test_every_catalogued_mistake_has_an_example_and_every_example_a_mistake():
    catalog = {(m.id, name) for name, exercise in COURSE.exercises.items()
               for m in exercise.mistakes}
    examples = {(mistake, exercise) for mistake, exercise, _ in BUGS}
    assert catalog == examples


def _diagnosed(tmp_path, name, exercise, code):
    path = write_notebook(tmp_path / f"{name}.ipynb", replace_function(CORRECT, exercise, code))
    return grade(path)


@pytest.mark.parametrize("mistake_id, exercise, code", BUGS,
                         ids=[f"{m}-{e}" for m, e, _ in BUGS])
def test_each_mistake_is_named_on_its_own_exercise_only(tmp_path, correct_points, mistake_id,
                                                        exercise, code):
    result = _diagnosed(tmp_path, mistake_id, exercise, code)
    for name, (got, top) in result.exercise_points().items():
        if name == exercise:
            assert got < top, f"{exercise} kept all its points"
        else:
            assert got == correct_points[name][0], f"a bug in {exercise} cost points on {name}"
    failed = [c for c in result.cases if c.exercise == exercise and not c.passed]
    named = {m.id for c in failed for m in c.mistakes}
    assert named == {mistake_id}, [(c.problems, [m.id for m in c.mistakes]) for c in failed]
    mistake = next(m for m in COURSE.exercises[exercise].mistakes if m.id == mistake_id)
    case = next(c for c in failed if c.mistakes)
    assert case.mistakes[0].hint == mistake.hint
    assert case.call.startswith(f"{exercise}(")


@pytest.mark.parametrize("exercise, code", UNKNOWN, ids=[e for e, _ in UNKNOWN])
def test_an_uncatalogued_mistake_is_never_given_a_catalogued_name(tmp_path, exercise, code):
    result = _diagnosed(tmp_path, "unknown", exercise, code)
    failed = [c for c in result.cases if c.exercise == exercise and not c.passed]
    assert failed and all(not c.mistakes for c in failed), \
        [[m.id for m in c.mistakes] for c in failed]


# -- two mistakes in one function ------------------------------------------------------------

BACKWARD = """
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = {dZ2}
    dW2 = {scale} * np.dot(dZ2, A1.T)
    db2 = {scale} * np.sum(dZ2, axis=1{keep})
    dZ1 = np.dot(parameters["W2"].T, dZ2) * {derivative}
    dW1 = {scale} * np.dot(dZ1, X.T)
    db1 = {scale} * np.sum(dZ1, axis=1{keep})
    return {{"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}}
"""
BACKWARD_FLAGS = {
    "missing_keepdims": {"keep": ""},
    "missing_1_over_m": {"scale": "1"},
    "tanh_derivative_one_minus_a": {"derivative": "(1 - A1)"},
    "sigmoid_hidden_layer": {"derivative": "A1 * (1 - A1)"},
    "dZ2_sign_flipped": {"dZ2": "Y - A2"},
}
BACKWARD_DEFAULTS = {"dZ2": "A2 - Y", "scale": "(1 / m)", "keep": ", keepdims=True",
                     "derivative": "(1 - A1 ** 2)"}

COST = """
def compute_cost(A2, Y):
    m = Y.shape[1]
    cost = {sign} * {scale} * np.sum({terms})
    return {ret}
"""
COST_FLAGS = {
    "cost_sign_flipped": {"sign": "1"},
    "missing_1_over_m": {"scale": "1"},
    "cost_missing_negative_class": {"terms": "Y * np.log(A2)"},
    "cost_returns_array": {"ret": "np.array([[cost]])"},
}
COST_DEFAULTS = {"sign": "-1", "scale": "(1 / m)",
                 "terms": "Y * np.log(A2) + (1 - Y) * np.log(1 - A2)", "ret": "float(cost)"}

FORWARD = """
def forward_propagation(X, parameters):
    W1, b1, W2, b2 = (parameters[k] for k in ("W1", "b1", "W2", "b2"))
    Z1 = np.dot(W1, X){b1}
    A1 = {hidden}(Z1)
    Z2 = np.dot(W2, A1){b2}
    A2 = {output}(Z2)
    return {ret}
"""
FORWARD_FLAGS = {
    "forgot_bias": {"b1": "", "b2": ""},
    "sigmoid_hidden_layer": {"hidden": "sigmoid"},
    "tanh_output_layer": {"output": "np.tanh"},
    "returns_swapped": {"ret": 'cache(Z1, A1, Z2, A2), A2'},
}
FORWARD_DEFAULTS = {"b1": " + b1", "b2": " + b2", "hidden": "np.tanh", "output": "sigmoid",
                    "ret": "A2, cache(Z1, A1, Z2, A2)"}
FORWARD_HELPER = ('\ndef cache(Z1, A1, Z2, A2):\n'
                  '    return {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}\n')


def _pairs(exercise, template, flags, defaults, helper=""):
    for a, b in itertools.combinations(flags, 2):
        values = dict(defaults)
        if set(flags[a]) & set(flags[b]):
            continue  # two changes of the same line are not a pair
        values.update(flags[a])
        values.update(flags[b])
        yield pytest.param(exercise, (a, b), template.format(**values) + helper,
                           id=f"{exercise}-{a}+{b}")


PAIRS = [*_pairs("backward_propagation", BACKWARD, BACKWARD_FLAGS, BACKWARD_DEFAULTS),
         *_pairs("compute_cost", COST, COST_FLAGS, COST_DEFAULTS),
         *_pairs("forward_propagation", FORWARD, FORWARD_FLAGS, FORWARD_DEFAULTS,
                 FORWARD_HELPER)]


@pytest.mark.parametrize("exercise, mistakes, code", PAIRS)
def test_two_mistakes_in_one_function_are_both_named_each_with_what_it_explains(
        tmp_path, exercise, mistakes, code):
    result = _diagnosed(tmp_path, "pair", exercise, code)
    failed = [c for c in result.cases if c.exercise == exercise and not c.passed]
    assert failed
    for case in failed:
        named = [m.id for m in case.mistakes]
        assert set(named) == set(mistakes), (case.problems, named)
        order = [m.id for m in COURSE.exercises[exercise].mistakes]
        assert named == sorted(named, key=order.index)  # the catalog's order: stable
        labels = {p.split(" ")[0] for p in case.problems}
        for mistake in case.mistakes:  # each explains problems that are shown
            assert set(mistake.explains) <= labels | {"inputs", "printed"}, mistake
        explained = {label for m in case.mistakes for label in m.explains}
        assert labels <= explained or any(not m.explains for m in case.mistakes)
