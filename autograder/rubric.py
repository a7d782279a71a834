"""The rubric: every graded exercise, its points, seeded test cases, tolerances and checks.

This is the one place that says what is graded. ``shallow grade``, ``shallow check`` and the
notebooks' hidden-test cells all read it, and every expected value comes from ``shallow_ref``.

Each exercise builds its cases from a seeded generator (the grading seed and the exercise's name),
so the same seed always gives the same cases, while the shapes are random enough that a
hard-coded answer fails. The first case of each exercise is visible: ``shallow check`` runs only
visible cases, and their feedback may show values; hidden cases show shapes only. Partial credit
is per case: an exercise's points are shared equally among its cases.
"""

from __future__ import annotations

import contextlib
import functools
import io
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import shallow_ref as ref

from .child import Foreign

RTOL = 1e-5
ATOL = 1e-7
_RNG_LOCK = threading.Lock()  # the reference draws from numpy's global generator


@dataclass(frozen=True)
class Case:
    exercise: str
    number: int  # 1-based within its exercise
    args: tuple
    kwargs: dict = field(default_factory=dict)
    seed: int | None = None  # numpy's global seed in the child before the call
    visible: bool = False

    @property
    def id(self):
        return f"{self.exercise}/{self.number}"

    def call_text(self):
        """'forward_propagation(X: array (2, 5), parameters: {...})', shapes only."""
        names = ARG_NAMES.get(self.exercise, ())
        parts = []
        for i, arg in enumerate(self.args):
            label = names[i] if i < len(names) else f"arg{i}"
            parts.append(f"{label}={describe(arg)}")
        parts += [f"{k}={describe(v)}" for k, v in self.kwargs.items()]
        seed = f" after np.random.seed({self.seed})" if self.seed is not None else ""
        return f"{self.exercise}({', '.join(parts)}){seed}"


@dataclass(frozen=True)
class Exercise:
    name: str
    points: float
    build: Callable[[np.random.Generator], list]  # -> [(args, kwargs, seed)]
    title: str
    budget_s: float = 5.0
    mutation: bool = False  # ask the child for the arguments after the call
    rtol: float = RTOL
    atol: float = ATOL
    result_names: tuple = ()  # names for the items of a returned tuple

    def cases(self, seed=0):
        rng = np.random.default_rng([seed, zlib.crc32(self.name.encode())])
        built = self.build(rng)
        return [Case(self.name, i + 1, tuple(args), dict(kwargs), case_seed, visible=(i == 0))
                for i, (args, kwargs, case_seed) in enumerate(built)]

    def expected(self, case):
        return call_reference(self.name, case.args, case.kwargs, case.seed)


@dataclass
class Verdict:
    passed: bool
    problem: str = ""  # one line: what is wrong
    mistake: Any = None  # a diagnose.Mistake, when recognised


ARG_NAMES = {
    "layer_sizes": ("X", "Y"),
    "initialize_parameters": ("n_x", "n_h", "n_y"),
    "forward_propagation": ("X", "parameters"),
    "compute_cost": ("A2", "Y"),
    "backward_propagation": ("parameters", "cache", "X", "Y"),
    "update_parameters": ("parameters", "grads"),
    "nn_model": ("X", "Y", "n_h"),
    "predict": ("parameters", "X"),
}
for _name in ("sigmoid", "tanh", "relu", "leaky_relu"):
    ARG_NAMES[_name] = ARG_NAMES[f"{_name}_derivative"] = ("z",)


def describe(value):
    """A short description that shows shapes, not the hidden values: 'array(2, 3)',
    'array(1, 3, uint8)', '{W1: (4, 2), b1: (4, 1)}'."""
    if isinstance(value, np.ndarray):
        dims = ", ".join(str(n) for n in value.shape) + ("," if value.ndim == 1 else "")
        dtype = "" if value.dtype == np.float64 else f", {value.dtype}"
        return f"array({dims}{dtype})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {describe(v).removeprefix('array')}"
                               for k, v in value.items()) + "}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)}"
    if isinstance(value, Foreign):
        return repr(value)
    return repr(value)


# -- the reference, as the grader and the oracle call it ------------------------------------

REFERENCE = {
    "sigmoid": ref.sigmoid, "tanh": ref.tanh, "relu": ref.relu, "leaky_relu": ref.leaky_relu,
    "sigmoid_derivative": ref.sigmoid_derivative, "tanh_derivative": ref.tanh_derivative,
    "relu_derivative": ref.relu_derivative, "leaky_relu_derivative": ref.leaky_relu_derivative,
    "layer_sizes": ref.layer_sizes, "initialize_parameters": ref.initialize_parameters,
    "forward_propagation": ref.forward_propagation, "compute_cost": ref.compute_cost,
    "backward_propagation": ref.backward_propagation, "update_parameters": ref.update_parameters,
    "nn_model": ref.nn_model, "predict": ref.predict,
}
"""Every graded function name -> its reference implementation."""

_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
_DERIVATIVES = tuple(f"{name}_derivative" for name in _ACTIVATIONS)
DEPENDS = {
    "sigmoid_derivative": ("sigmoid",),
    "tanh_derivative": ("tanh",),
    "forward_propagation": _ACTIVATIONS,
    "backward_propagation": _ACTIVATIONS + _DERIVATIVES,
    "nn_model": ("layer_sizes", "initialize_parameters", "forward_propagation", "compute_cost",
                 "backward_propagation", "update_parameters") + _ACTIVATIONS,
    "predict": ("forward_propagation",) + _ACTIVATIONS,
}
"""The graded functions each exercise may call through stand-ins (the grader answers with the
reference): never the exercise itself, only what its solution builds on, so a mistake in one
costs points in that exercise alone and no exercise can ask for its own answer."""

_COURSE_KWARGS = {
    "update_parameters": {"learning_rate"},
    "nn_model": {"num_iterations", "print_cost"},
}
_COURSE_POSITIONAL = {"nn_model": 5, "update_parameters": 3}


def call_reference(name, args, kwargs=None, seed=None):
    """The reference's answer, with numpy's global generator seeded as the child's was."""
    function = REFERENCE[name]
    with _RNG_LOCK, contextlib.redirect_stdout(io.StringIO()):
        saved = np.random.get_state()
        try:
            if seed is not None:
                np.random.seed(seed)
            return function(*args, **(kwargs or {}))
        finally:
            np.random.set_state(saved)


def oracle(name, args, kwargs, rng_state):
    """Right answers for the stand-ins in the child (see ``child._oracle``).

    Only the course signature is accepted (no keyword extras), and the call runs from the child's
    generator state, whose advanced state is returned with the value.
    """
    if name not in REFERENCE or name in ("nn_model",):
        raise ValueError(f"no stand-in for {name}")
    allowed = _COURSE_KWARGS.get(name, set())
    unknown = set(kwargs) - allowed
    if unknown:
        raise TypeError(f"{name}() got unexpected keyword arguments {sorted(unknown)}")
    if len(args) > _COURSE_POSITIONAL.get(name, len(ARG_NAMES.get(name, args))):
        raise TypeError(f"{name}() got too many positional arguments")
    function = REFERENCE[name]
    if rng_state is None:  # a function that draws no random numbers
        return function(*args, **kwargs), None
    with _RNG_LOCK:
        saved = np.random.get_state()
        try:
            np.random.set_state(rng_state)
            value = function(*args, **kwargs)
            after = np.random.get_state()
        finally:
            np.random.set_state(saved)
    return value, after


# -- case builders ----------------------------------------------------------------------------

def _shape(rng, rows=(1, 6), cols=(2, 9)):
    return (int(rng.integers(*rows)), int(rng.integers(*cols)))


def _z_cases(*, avoid_zero):
    def build(rng):
        first = np.array([[-2.0, -0.5, 0.5, 2.0]]) if avoid_zero else \
            np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
        cases = [((first,), {}, None)]
        cases.append(((rng.normal(scale=3.0, size=_shape(rng)),), {}, None))
        wide = rng.uniform(-40, 40, size=_shape(rng, (2, 5), (10, 30)))
        cases.append(((wide,), {}, None))
        return cases
    return build


def _parameters(rng, n_x, n_h, n_y, scale=1.0):
    return {"W1": rng.normal(scale=scale, size=(n_h, n_x)), "b1": rng.normal(size=(n_h, 1)),
            "W2": rng.normal(scale=scale, size=(n_y, n_h)), "b2": rng.normal(size=(n_y, 1))}


def _dims(rng):
    return int(rng.integers(2, 6)), int(rng.integers(2, 7)), int(rng.integers(3, 12))


def _labels(rng, m, dtype):
    Y = rng.integers(0, 2, size=(1, m))
    Y[0, 0], Y[0, -1] = 0, 1  # both classes present
    return Y.astype(dtype)


def _build_layer_sizes(rng):
    cases = [((np.zeros((5, 3)), np.zeros((2, 3))), {}, None)]
    for _ in range(2):
        n_x, m, n_y = int(rng.integers(2, 10)), int(rng.integers(3, 20)), int(rng.integers(1, 4))
        cases.append(((rng.normal(size=(n_x, m)), rng.normal(size=(n_y, m))), {}, None))
    return cases


def _build_initialize(rng):
    cases = [((2, 4, 1), {}, 2)]
    for _ in range(2):
        dims = (int(rng.integers(2, 8)), int(rng.integers(2, 8)), int(rng.integers(1, 3)))
        cases.append((dims, {}, int(rng.integers(100, 10**6))))
    return cases


def _build_forward(rng):
    cases = []
    for i in range(3):
        n_x, n_h, m = (2, 4, 3) if i == 0 else _dims(rng)
        cases.append(((rng.normal(size=(n_x, m)), _parameters(rng, n_x, n_h, 1)), {}, None))
    return cases


def _build_cost(rng):
    cases = []
    for i, dtype in enumerate((np.uint8, bool, np.float64)):
        m = 3 if i == 0 else int(rng.integers(4, 20))
        A2 = rng.uniform(0.05, 0.95, size=(1, m))
        cases.append(((A2, _labels(rng, m, dtype)), {}, None))
    return cases


def _build_backward(rng):
    cases = []
    for i in range(3):
        n_x, n_h, m = (2, 4, 3) if i == 0 else _dims(rng)
        parameters = _parameters(rng, n_x, n_h, 1)
        X = rng.normal(size=(n_x, m))
        Y = _labels(rng, m, (np.uint8, bool, np.float64)[i])
        _, cache = ref.forward_propagation(X, parameters)
        cases.append(((parameters, cache, X, Y), {}, None))
    return cases


def _build_update(rng):
    cases = []
    for i, rate in enumerate((None, 0.01, 0.5)):
        n_x, n_h, _ = (2, 4, 0) if i == 0 else _dims(rng)
        parameters = _parameters(rng, n_x, n_h, 1)
        grads = {"d" + k: rng.normal(size=v.shape) for k, v in parameters.items()}
        kwargs = {} if rate is None else {"learning_rate": rate}
        cases.append(((parameters, grads), kwargs, None))
    return cases


def _build_nn_model(rng):
    cases = []
    for i, (n_h, iterations) in enumerate(((4, 8), (int(rng.integers(2, 6)), 15))):
        m = int(rng.integers(20, 40))
        X = rng.normal(size=(2, m))
        Y = (X[0:1] * X[1:2] > 0).astype(np.uint8)
        kwargs = {"num_iterations": iterations, "print_cost": i == 0}
        cases.append(((X, Y, n_h), kwargs, 0))
    return cases


def _build_predict(rng):
    cases = []
    for i in range(3):
        n_x, n_h, m = (2, 4, 3) if i == 0 else _dims(rng)
        cases.append(((_parameters(rng, n_x, n_h, 1), rng.normal(size=(n_x, m))), {}, None))
    return cases


def _act(name, points, title):
    return Exercise(name, points, _z_cases(avoid_zero="derivative" in name), title)


EXERCISES = {
    e.name: e for e in [
        _act("sigmoid", 2, "sigmoid activation"),
        _act("tanh", 2, "tanh activation"),
        _act("relu", 2, "ReLU activation"),
        _act("leaky_relu", 2, "leaky ReLU activation"),
        _act("sigmoid_derivative", 3, "derivative of sigmoid"),
        _act("tanh_derivative", 3, "derivative of tanh"),
        _act("relu_derivative", 3, "derivative of ReLU"),
        _act("leaky_relu_derivative", 3, "derivative of leaky ReLU"),
        Exercise("layer_sizes", 5, _build_layer_sizes, "layer sizes",
                 result_names=("n_x", "n_h", "n_y")),
        Exercise("initialize_parameters", 10, _build_initialize, "random initialization",
                 rtol=1e-10, atol=1e-12),
        Exercise("forward_propagation", 15, _build_forward, "forward propagation",
                 result_names=("A2", "cache")),
        Exercise("compute_cost", 10, _build_cost, "cross-entropy cost"),
        Exercise("backward_propagation", 20, _build_backward, "backward propagation"),
        Exercise("update_parameters", 8, _build_update, "gradient-descent update",
                 mutation=True),
        Exercise("nn_model", 7, _build_nn_model, "training loop", budget_s=20.0,
                 rtol=1e-4, atol=1e-7),
        Exercise("predict", 5, _build_predict, "predictions"),
    ]
}
"""Every exercise, in teaching order."""

ASSIGNMENTS = {
    "activations": ["sigmoid", "tanh", "relu", "leaky_relu", "sigmoid_derivative",
                    "tanh_derivative", "relu_derivative", "leaky_relu_derivative"],
    "planar_classifier": ["layer_sizes", "initialize_parameters", "forward_propagation",
                          "compute_cost", "backward_propagation", "update_parameters",
                          "nn_model", "predict"],
}
ASSIGNMENTS["all"] = list(EXERCISES)


REVIEW = {
    "activations": [1, 4],
    "planar_classifier": [2, 3, 5, 6, 7, 8, 9, 10],
}
"""The lecture's review questions (by their number in the lecture) each assignment asks, as
answer variables in the notebook. Prompts, answers and variable names live in the quiz bank."""
REVIEW["all"] = sorted(n for numbers in REVIEW.values() for n in numbers)


@functools.lru_cache(maxsize=1)
def _bank():
    from quizzes.bank import load_bank

    return load_bank()


def review_questions(assignment):
    """The bank's questions that ``assignment`` asks as notebook answer variables."""
    by_number = {q.lecture: q for q in _bank().questions if q.lecture and q.variable}
    return [by_number[n] for n in REVIEW.get(assignment, []) if n in by_number]


def answer_variables():
    """Every review question's notebook answer variable (kept whatever its value)."""
    return frozenset(q.variable for q in _bank().questions if q.variable)


def check_review(question, outcome):
    """(passed, one-line problem, feedback) for a notebook's answer to a review question."""
    from quizzes.checking import AnswerFormatError, check_answer

    if outcome is None or outcome.status != "ok":
        return False, (outcome.error if outcome and outcome.error else "not run"), ""
    value = outcome.value
    if value is None or (isinstance(value, str) and not value.strip()):
        return False, f"{question.variable} is not answered yet", ""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    try:
        check = check_answer(question, value)
    except AnswerFormatError as exc:
        return False, f"{question.variable}: {exc}", ""
    if check.correct:
        return True, "", ""
    return False, f"{question.variable} = {value!r} is not right", check.feedback


def exercises_for(assignment):
    try:
        return [EXERCISES[name] for name in ASSIGNMENTS[assignment]]
    except KeyError:
        raise ValueError(f"unknown assignment {assignment!r}; choose one of "
                         f"{sorted(ASSIGNMENTS)}") from None


def guess_assignment(defined_names):
    """The assignment whose functions the notebook defines most of ("all" on a tie)."""
    scores = {name: len(set(funcs) & set(defined_names))
              for name, funcs in ASSIGNMENTS.items() if name != "all"}
    best = max(scores.values(), default=0)
    winners = [name for name, score in scores.items() if score == best]
    return winners[0] if best and len(winners) == 1 else "all"


# -- checks -------------------------------------------------------------------------------

def _kind(value):
    if isinstance(value, Foreign):
        return f"a {value.type_name}" + (f" {value.detail}" if value.detail else "")
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    if isinstance(value, np.generic):
        return f"a numpy {type(value).__name__}"
    if value is None:
        return "None"
    return f"a {type(value).__name__}"


def _is_number(value):
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def compare(got, expected, name, *, rtol=RTOL, atol=ATOL, show_values=False, names=()):
    """The first problem with ``got`` as a one-line sentence, or None when it matches."""
    if isinstance(expected, np.ndarray):
        if type(got) is not np.ndarray:
            return f"{name} is {_kind(got)}, but should be a numpy array of shape {expected.shape}"
        if got.shape != expected.shape:
            return f"{name} has shape {got.shape} but should be {expected.shape}"
        if expected.dtype == bool:
            if got.dtype != bool and not np.isin(got, (0, 1)).all():
                return f"{name} should hold True/False values, but holds values like " \
                       f"{_sample(got, got != np.round(got))}"
            wrong = got.astype(bool) != expected
            if wrong.any():
                return f"{name} is wrong in {int(wrong.sum())} of {wrong.size} entries"
            return None
        if not np.issubdtype(got.dtype, np.number) and got.dtype != bool:
            return f"{name} has dtype {got.dtype}, but should hold numbers"
        return _compare_numbers(got, expected, name, rtol, atol, show_values)
    if isinstance(expected, float):
        if not _is_number(got):
            return f"{name} is {_kind(got)}, but should be a Python float"
        return _compare_numbers(np.asarray(got, float), np.asarray(expected), name, rtol, atol,
                                show_values)
    if isinstance(expected, (bool, np.bool_)):
        return None if got == expected else f"{name} is {got!r} but should be {expected!r}"
    if isinstance(expected, (int, np.integer)):
        if not isinstance(got, (int, np.integer)) or isinstance(got, (bool, np.bool_)):
            return f"{name} is {_kind(got)}, but should be an int"
        return None if got == expected else f"{name} is {got} but should be {expected}"
    if isinstance(expected, tuple):
        if type(got) is not tuple:
            return f"{name} is {_kind(got)}, but should be a tuple of {len(expected)}"
        if len(got) != len(expected):
            return f"{name} has {len(got)} items but should have {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            item = names[i] if i < len(names) else f"{name}[{i}]"
            problem = compare(g, e, item, rtol=rtol, atol=atol, show_values=show_values)
            if problem:
                return problem
        return None
    if isinstance(expected, dict):
        if type(got) is not dict:
            return f"{name} is {_kind(got)}, but should be a dict with keys " \
                   f"{', '.join(expected)}"
        missing = [k for k in expected if k not in got]
        if missing:
            return f"{name} is missing the key{'s' * (len(missing) > 1)} " \
                   f"{', '.join(repr(k) for k in missing)}"
        for key, e in expected.items():
            problem = compare(got[key], e, f"{name}[{key!r}]" if name else key, rtol=rtol,
                              atol=atol, show_values=show_values)
            if problem:
                return problem
        return None
    return None if got == expected else f"{name} is {got!r} but should be {expected!r}"


def _compare_numbers(got, expected, name, rtol, atol, show_values):
    got = got.astype(np.float64)
    if np.isnan(got).any() and not np.isnan(expected).any():
        return f"{name} contains NaN"
    if np.isinf(got).any() and not np.isinf(expected).any():
        return f"{name} contains inf"
    close = np.isclose(got, expected, rtol=rtol, atol=atol)
    if close.all():
        return None
    if got.ndim == 0:
        where, g, e = "", got.item(), expected.item()
    else:
        index = np.unravel_index(np.argmax(~close), close.shape)
        where, g, e = f" (first at index {tuple(int(i) for i in index)})", got[index], \
            expected[index]
    wrong = int((~close).sum())
    text = f"{name} has the right shape but wrong values in {wrong} of {close.size} " \
           f"entr{'y' if close.size == 1 else 'ies'}{where}" if got.ndim else \
           f"{name} has the wrong value"
    if show_values:
        text += f": got {g:.6g}, expected {e:.6g}"
    return text


def _sample(array, mask):
    values = array[mask] if mask.any() else array.ravel()
    return ", ".join(f"{v:.3g}" for v in values.ravel()[:3])


def check(exercise, case, outcome, expected):
    """Compare one call's outcome with the expected value: a Verdict."""
    if outcome.status != "ok":
        return Verdict(False, _failure_text(exercise, outcome))
    value = outcome.value
    name = {"compute_cost": "cost", "layer_sizes": "the result", "predict": "predictions",
            "initialize_parameters": "parameters", "backward_propagation": "grads",
            "update_parameters": "parameters", "nn_model": "parameters"}.get(
        exercise.name, "the result" if exercise.result_names else "the result")
    problem = compare(value, expected, name, rtol=exercise.rtol, atol=exercise.atol,
                      show_values=case.visible, names=exercise.result_names)
    if problem is None and exercise.mutation and outcome.args_after is not None:
        for i, (before, after) in enumerate(zip(case.args, outcome.args_after, strict=False)):
            if compare(after, before, "", rtol=0, atol=0) is not None:
                label = ARG_NAMES.get(exercise.name, ())[i]
                problem = f"{exercise.name} modified its argument {label}; it must return new " \
                          f"arrays and leave its inputs unchanged"
                break
    if problem is None and exercise.name == "nn_model" and case.kwargs.get("print_cost"):
        problem = _check_printed_costs(outcome.stdout, case)
    return Verdict(problem is None, problem or "")


def _failure_text(exercise, outcome):
    if outcome.status == "error":
        return outcome.error if outcome.error.startswith("function ") else \
            f"raised {outcome.error}"
    if outcome.status == "not-run":
        return "was not run"
    return outcome.error or outcome.status


def _check_printed_costs(stdout, case):
    iterations = case.kwargs.get("num_iterations", 10000)
    expected_lines = [f"Cost after iteration {i}:" for i in range(0, iterations, 1000)]
    printed = [line for line in stdout.splitlines() if line.startswith("Cost after iteration")]
    if [line.split(":")[0] + ":" for line in printed] != expected_lines:
        return f"with print_cost=True it should print {len(expected_lines)} line(s) like " \
               f"'Cost after iteration 0: 0.693...' (every 1000 iterations), but printed " \
               f"{len(printed)}"
    return None
