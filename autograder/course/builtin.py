"""The built-in course: one record per exercise of the lecture, and the two assignments.

Each ``Exercise`` below is complete in itself: the reference from ``shallow_ref``, the course
signature, points, seeded case builder, tolerances, budget, the functions it builds on, the
trace of the calls a correct solution makes to them, the catalogued mistakes (symptoms and
mutations) with the buggy variants (``mutant``) that recognise them. Cases use random shapes so
that a hard-coded answer fails; the first case of each exercise is visible.
"""

from __future__ import annotations

import contextlib
import io
import threading
from dataclasses import replace

import numpy as np

import shallow_ref as ref

from .records import Assignment, CaseSpec, Exercise, Mutation, Symptom, TraceEntry, Version

RNG_LOCK = threading.Lock()
"""The reference draws from numpy's global generator: one user at a time."""


def run_reference(function, args, kwargs=None, seed=None):
    """``function(*args, **kwargs)`` with numpy's global generator seeded as the child's was,
    and left as it was; printed output is swallowed."""
    with RNG_LOCK, contextlib.redirect_stdout(io.StringIO()):
        saved = np.random.get_state()
        try:
            if seed is not None:
                np.random.seed(seed)
            return function(*args, **(kwargs or {}))
        finally:
            np.random.set_state(saved)


# -- case builders ----------------------------------------------------------------------------

def _shape(rng, rows=(1, 6), cols=(2, 9)):
    return (int(rng.integers(*rows)), int(rng.integers(*cols)))


def _z_cases(*, avoid_zero):
    def build(rng):
        first = np.array([[-2.0, -0.5, 0.5, 2.0]]) if avoid_zero else \
            np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
        wide = rng.uniform(-40, 40, size=_shape(rng, (2, 5), (10, 30)))
        return [CaseSpec((first,)), CaseSpec((rng.normal(scale=3.0, size=_shape(rng)),)),
                CaseSpec((wide,))]
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
    cases = [CaseSpec((np.zeros((5, 3)), np.zeros((2, 3))))]
    for _ in range(2):
        n_x, m, n_y = int(rng.integers(2, 10)), int(rng.integers(3, 20)), int(rng.integers(1, 4))
        cases.append(CaseSpec((rng.normal(size=(n_x, m)), rng.normal(size=(n_y, m)))))
    return cases


def _build_initialize(rng):
    cases = [CaseSpec((2, 4, 1), seed=2)]
    for _ in range(2):
        dims = (int(rng.integers(2, 8)), int(rng.integers(2, 8)), int(rng.integers(1, 3)))
        cases.append(CaseSpec(dims, seed=int(rng.integers(100, 10**6))))
    return cases


def _build_forward(rng):
    cases = []
    for i in range(3):
        n_x, n_h, m = (2, 4, 3) if i == 0 else _dims(rng)
        cases.append(CaseSpec((rng.normal(size=(n_x, m)), _parameters(rng, n_x, n_h, 1))))
    return cases


def _build_cost(rng):
    cases = []
    for i, dtype in enumerate((np.uint8, bool, np.float64)):
        m = 3 if i == 0 else int(rng.integers(4, 20))
        A2 = rng.uniform(0.05, 0.95, size=(1, m))
        cases.append(CaseSpec((A2, _labels(rng, m, dtype))))
    return cases


def _build_backward(rng):
    cases = []
    for i in range(3):
        n_x, n_h, m = (2, 4, 3) if i == 0 else _dims(rng)
        parameters = _parameters(rng, n_x, n_h, 1)
        X = rng.normal(size=(n_x, m))
        Y = _labels(rng, m, (np.uint8, bool, np.float64)[i])
        _, cache = ref.forward_propagation(X, parameters)
        cases.append(CaseSpec((parameters, cache, X, Y)))
    return cases


def _build_update(rng):
    cases = []
    for i, rate in enumerate((None, 0.01, 0.5)):
        n_x, n_h, _ = (2, 4, 0) if i == 0 else _dims(rng)
        parameters = _parameters(rng, n_x, n_h, 1)
        grads = {"d" + k: rng.normal(size=v.shape) for k, v in parameters.items()}
        cases.append(CaseSpec((parameters, grads), {} if rate is None else {"learning_rate": rate}))
    return cases


NN_MODEL_SEED = 3
"""The course seeds numpy with 3 for nn_model: the grader seeds before the call, as the course's
own test does, so a function that seeds itself with 3 and one that leaves it to its caller are
both right."""


def _build_nn_model(rng):
    cases = []
    for i, (n_h, iterations) in enumerate(((4, 2), (int(rng.integers(2, 6)), 5))):
        m = 10 if i == 0 else int(rng.integers(20, 40))  # small visible case: it ships
        X = rng.normal(size=(2, m))
        Y = (X[0:1] * X[1:2] > 0).astype(np.uint8)
        kwargs = {"num_iterations": iterations, "print_cost": i == 0}
        cases.append(CaseSpec((X, Y, n_h), kwargs, NN_MODEL_SEED))
    return cases


def _build_predict(rng):
    cases = []
    for i in range(3):
        n_x, n_h, m = (2, 4, 3) if i == 0 else _dims(rng)
        cases.append(CaseSpec((_parameters(rng, n_x, n_h, 1), rng.normal(size=(n_x, m)))))
    return cases


# -- symptoms: recognised from what came back --------------------------------------------------

BROADCAST = ("could not be broadcast", "operands could not")
MATMUL = ("matmul: Input operand", "not aligned", "size mismatch")


def _value(outcome):
    return outcome.value if outcome.status == "ok" else None


def _python_max():
    return Symptom("python_max_on_array", "Python's max() or an if on a whole array",
                   "max(0, z) and `if z > 0` work on one number only; use np.maximum(0, z) or "
                   "np.where(z > 0, ..., ...), which work element by element.",
                   error=("truth value of an array",))


def _z(case):
    return case.args[0]


def _sigmoid_derivative_mutant(case, flags):
    z = _z(case)
    if flags == {"sigmoid_derivative_plus"}:
        s = ref.sigmoid(z)
        return s * (1 + s)
    if flags == {"derivative_of_a_not_z"}:
        return z * (1 - z)
    return None


def _tanh_derivative_mutant(case, flags):
    z = _z(case)
    if flags == {"tanh_derivative_one_minus_a"}:
        return 1 - np.tanh(z)
    if flags == {"derivative_of_a_not_z"}:
        return 1 - z ** 2
    return None


def _relu_derivative_mutant(case, flags):
    return np.maximum(_z(case), 0) if flags == {"relu_derivative_returns_relu"} else None


def _leaky_mutant(derivative):
    def mutant(case, flags):
        if flags != {"leaky_relu_wrong_slope"}:
            return None
        z = _z(case)
        if derivative:
            return [np.where(z > 0, 1.0, s) for s in (0.1, 0.2, 0.001, 0.0)]
        return [np.where(z > 0, z, s * z) for s in (0.1, 0.2, 0.001, 1.0)]
    return mutant


def _layer_sizes_mutant(case, flags):
    X, Y = case.args
    if flags == {"hardcoded_layer_sizes"}:
        return (2, 4, 1)  # the flower's sizes, typed in
    return (X.shape[1], 4, Y.shape[1]) if flags == {"examples_in_rows"} else None


RESEEDS = (*range(0, 11), 42, 1234)
"""The seeds a student who reseeds inside initialize_parameters is likely to have used."""


def _init_mutant(case, flags):
    known = {"zero_weights", "missing_001_scale", "wrong_draw_order", "uniform_not_gaussian",
             "reseeding_inside"}
    if not flags <= known or ("zero_weights" in flags and len(flags) > 1):
        return None
    if "reseeding_inside" in flags:
        rest = frozenset(flags - {"reseeding_inside"})
        candidates = []
        for seed in RESEEDS:
            if seed != case.seed:
                value = _init_mutant(replace(case, seed=seed), rest)
                candidates += value if isinstance(value, list) else [value]
        return candidates
    n_x, n_h, n_y = case.args
    shapes = {"W1": (n_h, n_x), "W2": (n_y, n_h)}
    order = ("W2", "W1") if "wrong_draw_order" in flags else ("W1", "W2")
    draw = np.random.rand if "uniform_not_gaussian" in flags else np.random.randn
    scale = 1.0 if "missing_001_scale" in flags else 0.01

    def weights():
        if "zero_weights" in flags:
            return {k: np.zeros(s) for k, s in shapes.items()}
        return {k: draw(*shapes[k]) * scale for k in order}

    drawn = run_reference(weights, (), seed=case.seed)
    return {"W1": drawn["W1"], "b1": np.zeros((n_h, 1)), "W2": drawn["W2"],
            "b2": np.zeros((n_y, 1))}


def _forward_value(X, p, *, hidden=np.tanh, output=ref.sigmoid, bias=(True, True)):
    Z1 = p["W1"] @ X + (p["b1"] if bias[0] else 0)
    A1 = hidden(Z1)
    Z2 = p["W2"] @ A1 + (p["b2"] if bias[1] else 0)
    A2 = output(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def _forward_mutant(case, flags):
    known = {"sigmoid_hidden_layer", "tanh_output_layer", "forgot_bias"}
    if not flags <= known:
        return None
    biases = [(False, False), (False, True), (True, False)] if "forgot_bias" in flags else \
        [(True, True)]
    return [_forward_value(*case.args,
                           hidden=ref.sigmoid if "sigmoid_hidden_layer" in flags else np.tanh,
                           output=np.tanh if "tanh_output_layer" in flags else ref.sigmoid,
                           bias=bias) for bias in biases]


def _cost_mutant(case, flags):
    known = {"cost_sign_flipped", "missing_1_over_m", "doubled_1_over_m",
             "cost_missing_negative_class"}
    if not flags <= known or {"missing_1_over_m", "doubled_1_over_m"} <= flags:
        return None
    A2, Y = case.args[:2]
    Y = np.asarray(Y, dtype=float)
    m = Y.shape[1]
    terms = Y * np.log(A2) if "cost_missing_negative_class" in flags else \
        Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
    scale = 1.0 if "missing_1_over_m" in flags else 1 / m ** 2 if "doubled_1_over_m" in flags \
        else 1 / m
    sign = 1.0 if "cost_sign_flipped" in flags else -1.0
    return float(sign * scale * np.sum(terms))


def _backward_mutant(case, flags):
    known = {"missing_1_over_m", "doubled_1_over_m", "tanh_derivative_one_minus_a",
             "sigmoid_hidden_layer", "dZ2_sign_flipped", "db_sums_dW",
             "missing_parentheses_derivative"}
    derivatives = {"tanh_derivative_one_minus_a", "sigmoid_hidden_layer",
                   "missing_parentheses_derivative"}
    known.add("elementwise_product")
    if not flags <= known or {"missing_1_over_m", "doubled_1_over_m"} <= flags or \
            len(flags & derivatives) > 1:
        return None
    p, cache, X, Y = case.args
    m = X.shape[1]
    scale = 1.0 if "missing_1_over_m" in flags else 1 / m ** 2 if "doubled_1_over_m" in flags \
        else 1 / m
    A1 = cache["A1"]
    dZ2 = cache["A2"] - np.asarray(Y, dtype=float)
    if "dZ2_sign_flipped" in flags:
        dZ2 = -dZ2
    if "missing_parentheses_derivative" in flags:  # W2^T dZ2 * 1 - A1**2
        dZ1 = (p["W2"].T @ dZ2) * 1 - A1 ** 2
    else:
        derivative = (1 - A1) if "tanh_derivative_one_minus_a" in flags else \
            A1 * (1 - A1) if "sigmoid_hidden_layer" in flags else 1 - A1 ** 2
        dZ1 = (p["W2"].T @ dZ2) * derivative
    dW1, dW2 = scale * dZ1 @ X.T, scale * dZ2 @ A1.T
    if "elementwise_product" in flags:  # dZ2 * A1: broadcast, no error, the wrong shape
        dW2 = scale * (dZ2 * A1)
    if "db_sums_dW" in flags:  # db summed over the weight gradient instead of dZ
        db1, db2 = scale * dW1.sum(axis=1, keepdims=True), scale * dW2.sum(axis=1, keepdims=True)
    else:
        db1 = scale * dZ1.sum(axis=1, keepdims=True)
        db2 = scale * dZ2.sum(axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def _update_mutant(case, flags):
    params, grads = case.args
    rate = case.kwargs.get("learning_rate", 1.2)
    if flags == {"gradient_ascent"}:
        return {k: params[k] + rate * grads["d" + k] for k in params}
    if flags == {"learning_rate_ignored"} and "learning_rate" in case.kwargs:
        return [{k: params[k] - r * grads["d" + k] for k in params} for r in (1.2, 1.0, 0.01)]
    return None


def _nn_model_mutant(case, flags):
    if flags != {"parameters_never_updated"}:
        return None
    X, Y, n_h = case.args
    return run_reference(ref.initialize_parameters, (X.shape[0], n_h, Y.shape[0]),
                         seed=NN_MODEL_SEED)


def _predict_mutant(case, flags):
    parameters, X = case.args
    if flags == {"predict_probabilities"}:
        return _forward_value(X, parameters)[0]
    if flags == {"predict_inverted"}:
        return ~ref.predict(parameters, X)
    return None


# -- traces: the calls a correct solution makes to the functions it builds on ------------------

def _trace_derivative(activation):
    def trace(case, reference_of):
        z = _z(case)
        return [TraceEntry(activation, (z,), {}, reference_of(activation)(z))]
    return trace


def _trace_forward(case, reference_of):
    X, parameters = case.args
    _, cache = ref.forward_propagation(X, parameters)
    return [TraceEntry("tanh", (cache["Z1"],), {}, cache["A1"]),
            TraceEntry("sigmoid", (cache["Z2"],), {}, cache["A2"])]


def _trace_backward(case, reference_of):
    _, cache, _, _ = case.args
    return [TraceEntry("tanh_derivative", (cache["Z1"],), {}, ref.tanh_derivative(cache["Z1"])),
            TraceEntry("tanh", (cache["Z1"],), {}, cache["A1"])]


def _trace_predict(case, reference_of):
    parameters, X = case.args
    A2, cache = ref.forward_propagation(X, parameters)
    return [TraceEntry("forward_propagation", (X, parameters), {}, (A2, cache)),
            TraceEntry("tanh", (cache["Z1"],), {}, cache["A1"]),
            TraceEntry("sigmoid", (cache["Z2"],), {}, cache["A2"])]


def _trace_nn_model(case, reference_of):
    """The course's loop, step by step, every step answered by its reference.

    A correct ``nn_model`` asks for these calls (maybe not all: the cost may be computed only
    when printed) with exactly these arguments, since each one's arguments are the answers of
    the calls before it.
    """
    X, Y, n_h = case.args
    iterations = case.kwargs.get("num_iterations", 10000)
    entries = []
    with RNG_LOCK, contextlib.redirect_stdout(io.StringIO()):
        saved = np.random.get_state()
        try:
            np.random.seed(NN_MODEL_SEED)
            sizes = reference_of("layer_sizes")(X, Y)
            entries.append(TraceEntry("layer_sizes", (X, Y), {}, sizes))
            before = np.random.get_state()
            parameters = reference_of("initialize_parameters")(sizes[0], n_h, sizes[2])
            entries.append(TraceEntry("initialize_parameters", (sizes[0], n_h, sizes[2]), {},
                                      parameters, before, np.random.get_state()))
            _trace_iterations(entries, X, Y, parameters, iterations, reference_of)
        finally:
            np.random.set_state(saved)
    return entries


def _trace_iterations(entries, X, Y, parameters, iterations, reference_of,
                      cost_takes_parameters=False):
    """The training loop's calls, each answered by its reference, appended to ``entries``."""
    for _ in range(iterations):
        A2, cache = reference_of("forward_propagation")(X, parameters)
        entries.append(TraceEntry("forward_propagation", (X, parameters), {}, (A2, cache)))
        cost_args = (A2, Y, parameters) if cost_takes_parameters else (A2, Y)
        entries.append(TraceEntry("compute_cost", cost_args, {},
                                  reference_of("compute_cost")(A2, Y)))
        grads = reference_of("backward_propagation")(parameters, cache, X, Y)
        entries.append(TraceEntry("backward_propagation", (parameters, cache, X, Y), {}, grads))
        new = reference_of("update_parameters")(parameters, grads)
        entries.append(TraceEntry("update_parameters", (parameters, grads), {}, new))
        parameters = new


# -- extra checks --------------------------------------------------------------------------

def _printed_costs(case):
    """With print_cost, the cost the course prints every 1000 iterations: {iteration: cost}."""
    if not case.kwargs.get("print_cost"):
        return {}
    X, Y, n_h = case.args
    iterations = case.kwargs.get("num_iterations", 10000)
    wanted = set(range(0, iterations, 1000))
    costs = {}

    def record():
        parameters = ref.initialize_parameters(X.shape[0], n_h, Y.shape[0])
        for i in range(iterations):
            A2, cache = ref.forward_propagation(X, parameters)
            if i in wanted:
                costs[i] = ref.compute_cost(A2, Y)
            parameters = ref.update_parameters(parameters,
                                               ref.backward_propagation(parameters, cache, X, Y))

    run_reference(record, (), seed=NN_MODEL_SEED)
    return {"printed_costs": costs}


# -- the exercises -----------------------------------------------------------------------------

def _activation(name, points, title, *, symptoms=(), mutations=(), mutant=None, depends=(),
                trace=None):
    return Exercise(name, title, points, getattr(ref, name), ("z",),
                    _z_cases(avoid_zero="derivative" in name), depends=depends, trace=trace,
                    symptoms=symptoms, mutations=mutations, mutant=mutant)


_SLOPE_HINT = "Leaky ReLU is max(0.01 * z, z): the slope for z < 0 is exactly 0.01."
_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
_DERIVATIVES = tuple(f"{a}_derivative" for a in _ACTIVATIONS)

EXERCISES = [
    _activation("sigmoid", 2, "sigmoid activation"),
    _activation("tanh", 2, "tanh activation"),
    _activation("relu", 2, "ReLU activation", symptoms=(_python_max(),)),
    _activation("leaky_relu", 2, "leaky ReLU activation", symptoms=(_python_max(),),
                mutations=(Mutation("leaky_relu_wrong_slope", "a negative-side slope other "
                                    "than 0.01", _SLOPE_HINT),),
                mutant=_leaky_mutant(derivative=False)),
    _activation("sigmoid_derivative", 3, "derivative of sigmoid", depends=("sigmoid",),
                trace=_trace_derivative("sigmoid"),
                mutations=(
                    Mutation("sigmoid_derivative_plus",
                             "sigma(z)(1 + sigma(z)) instead of sigma(z)(1 - sigma(z))",
                             "The slope of sigmoid is s * (1 - s) with s = sigmoid(z); it peaks "
                             "at 0.25 at z = 0."),
                    Mutation("derivative_of_a_not_z", "treated z as if it were already "
                             "sigmoid(z)", "The derivative takes z: compute s = sigmoid(z) "
                             "first, then s * (1 - s)."),
                ), mutant=_sigmoid_derivative_mutant),
    _activation("tanh_derivative", 3, "derivative of tanh", depends=("tanh",),
                trace=_trace_derivative("tanh"),
                mutations=(
                    Mutation("tanh_derivative_one_minus_a", "1 - tanh(z) instead of "
                             "1 - tanh(z)**2", "tanh'(z) = (1 + tanh z)(1 - tanh z) = "
                             "1 - tanh(z)**2: square the activation."),
                    Mutation("derivative_of_a_not_z", "treated z as if it were already tanh(z)",
                             "The derivative takes z: compute a = np.tanh(z) first, then "
                             "1 - a**2."),
                ), mutant=_tanh_derivative_mutant),
    _activation("relu_derivative", 3, "derivative of ReLU", symptoms=(_python_max(),),
                mutations=(Mutation("relu_derivative_returns_relu", "returned relu(z) instead "
                                    "of its slope", "ReLU's slope is 1 where z > 0 and 0 "
                                    "elsewhere: (z > 0).astype(float)."),),
                mutant=_relu_derivative_mutant),
    _activation("leaky_relu_derivative", 3, "derivative of leaky ReLU",
                symptoms=(_python_max(),),
                mutations=(Mutation("leaky_relu_wrong_slope", "a negative-side slope other "
                                    "than 0.01", "Leaky ReLU's slope is 0.01 for z < 0 and 1 "
                                    "for z > 0."),),
                mutant=_leaky_mutant(derivative=True)),
    Exercise(
        "layer_sizes", "layer sizes", 5, ref.layer_sizes, ("X", "Y"), _build_layer_sizes,
        result_names=("n_x", "n_h", "n_y"),
        symptoms=(Symptom("returns_list_not_tuple", "returned a list",
                          "Return the three sizes as a tuple: return (n_x, n_h, n_y).",
                          ("is_list",), ("to_tuple",)),),
        mutations=(Mutation("examples_in_rows", "read sizes from the wrong axis",
                            "X has one example per column: n_x = X.shape[0] and "
                            "n_y = Y.shape[0]."),
                   Mutation("hardcoded_layer_sizes", "sizes typed in as numbers",
                            "Read the sizes from the arguments (n_x = X.shape[0], n_y = "
                            "Y.shape[0]): the flower's 2 and 1 are wrong for any other data.")),
        mutant=_layer_sizes_mutant),
    Exercise(
        "initialize_parameters", "random initialization", 10, ref.initialize_parameters,
        ("n_x", "n_h", "n_y"), _build_initialize, random=True, rtol=1e-10, atol=1e-12,
        result="parameters",
        symptoms=(
            Symptom("random_biases", "random biases",
                    "Biases can start at zero (np.zeros((n_h, 1))): the random weights already "
                    "break the symmetry.", ("nonzero_keys", ("b1", "b2")),
                    ("zero_keys", ("b1", "b2"))),
        ),
        mutations=(
            Mutation("zero_weights", "weights initialized to zeros",
                     "With zero weights every hidden unit computes the same function and gets "
                     "the same update, so symmetry is never broken. Use "
                     "np.random.randn(n_h, n_x) * 0.01."),
            Mutation("missing_001_scale", "weights not scaled by 0.01",
                     "Multiply the random weights by 0.01: large weights push tanh and sigmoid "
                     "into their flat regions, where gradients vanish."),
            Mutation("wrong_draw_order", "drew W2 before W1",
                     "Draw W1 first, then W2, from numpy's global generator, so the numbers "
                     "match."),
            Mutation("uniform_not_gaussian", "np.random.rand instead of randn",
                     "np.random.rand draws uniformly from [0, 1), all positive; the course uses "
                     "the Gaussian np.random.randn."),
            Mutation("reseeding_inside", "reseeded inside the function",
                     "Do not call np.random.seed inside initialize_parameters: the caller seeds, "
                     "and reseeding gives every call the same weights."),
        ), mutant=_init_mutant),
    Exercise(
        "forward_propagation", "forward propagation", 15, ref.forward_propagation,
        ("X", "parameters"), _build_forward, depends=("tanh", "sigmoid"), trace=_trace_forward,
        result_names=("A2", "cache"),
        symptoms=(
            Symptom("elementwise_product", "* instead of a matrix product",
                    "W1 * X multiplies element by element; the layer needs the matrix product "
                    "np.dot(W1, X) (or W1 @ X).", error=BROADCAST),
            Symptom("wrong_transpose", "a transposed matrix",
                    "W1 has shape (n_h, n_x) and X has shape (n_x, m): Z1 = np.dot(W1, X), "
                    "with no transpose.", error=MATMUL),
            Symptom("returns_swapped", "returned (cache, A2)",
                    "Return A2 first, then the cache: return A2, cache.",
                    ("swapped_pair",), ("swap",)),
        ),
        mutations=(
            Mutation("sigmoid_hidden_layer", "sigmoid on the hidden layer",
                     "The hidden layer uses tanh: A1 = np.tanh(Z1); only the output uses "
                     "sigmoid."),
            Mutation("tanh_output_layer", "tanh on the output layer",
                     "The output of a binary classifier is a probability: A2 = sigmoid(Z2)."),
            Mutation("forgot_bias", "left out the biases",
                     "Z1 = W1 X + b1 and Z2 = W2 A1 + b2: add the bias (broadcast over the m "
                     "columns)."),
        ), mutant=_forward_mutant),
    Exercise(
        "compute_cost", "cross-entropy cost", 10, ref.compute_cost, ("A2", "Y"), _build_cost,
        result="cost",
        symptoms=(Symptom("cost_returns_array", "returned an array, not a float",
                          "Turn the result into a Python float: cost = float(np.squeeze(cost)).",
                          ("size1_array",), ("squeeze",)),),
        mutations=(
            Mutation("cost_sign_flipped", "the sign of the cost is flipped",
                     "Cross-entropy is J = -(1/m) sum(y log a + (1 - y) log(1 - a)): keep the "
                     "minus sign, so the cost is positive."),
            Mutation("missing_1_over_m", "summed instead of averaging (no 1/m)",
                     "Divide the sum by m, the number of examples (Y.shape[1])."),
            Mutation("doubled_1_over_m", "divided by m twice",
                     "Divide by m once: J = -(1/m) * sum(...)."),
            Mutation("cost_missing_negative_class", "left out the (1 - y) log(1 - a) term",
                     "Cross-entropy has two terms: y log(a) for the positive examples and "
                     "(1 - y) log(1 - a) for the negative ones."),
        ), mutant=_cost_mutant),
    Exercise(
        "backward_propagation", "backward propagation", 20, ref.backward_propagation,
        ("parameters", "cache", "X", "Y"), _build_backward,
        depends=_ACTIVATIONS + _DERIVATIVES, trace=_trace_backward, result="grads",
        symptoms=(
            Symptom("missing_keepdims", "np.sum without keepdims=True",
                    "db1 and db2 must be column vectors: np.sum(dZ, axis=1, keepdims=True) "
                    "keeps the shape (n, 1) instead of (n,).", ("flat_keys", ("db1", "db2")),
                    ("columns", ("db1", "db2"))),
            Symptom("elementwise_product", "* instead of a matrix product",
                    "dW2 = (1/m) np.dot(dZ2, A1.T): a matrix product; only g'(Z1) is "
                    "multiplied element by element.", error=BROADCAST),
            Symptom("wrong_transpose", "a missing or extra transpose",
                    "Check the shapes: dW2 = (1/m) dZ2 A1^T is (n_y, n_h), dW1 = (1/m) dZ1 X^T "
                    "is (n_h, n_x), and dZ1 = W2^T dZ2 * g'(Z1).",
                    ("transposed_keys", ("dW1", "dW2")), ("transpose_back", ("dW1", "dW2")),
                    error=MATMUL),
        ),
        mutations=(
            Mutation("missing_1_over_m", "gradients not divided by m",
                     "Every gradient carries the factor 1/m: dW2 = (1/m) dZ2 A1^T, and so on."),
            Mutation("doubled_1_over_m", "gradients divided by m twice",
                     "Apply the factor 1/m once per gradient, not also in dZ2 or dZ1."),
            Mutation("tanh_derivative_one_minus_a", "1 - A1 instead of 1 - A1**2",
                     "g'(Z1) for tanh is 1 - A1**2 (np.power(A1, 2)): square the activation."),
            Mutation("sigmoid_hidden_layer", "sigmoid's derivative for the hidden layer",
                     "The hidden layer uses tanh, whose derivative is 1 - A1**2, not "
                     "A1 * (1 - A1)."),
            Mutation("dZ2_sign_flipped", "dZ2 = Y - A2",
                     "dZ2 = A2 - Y: the gradient points uphill, and the update subtracts it."),
            Mutation("elementwise_product", "* instead of a matrix product",
                     "dW2 = (1/m) np.dot(dZ2, A1.T): a matrix product; only g'(Z1) is "
                     "multiplied element by element."),
            Mutation("db_sums_dW", "db summed over dW instead of dZ",
                     "The bias gradient sums dZ over the examples: db2 = (1/m) np.sum(dZ2, "
                     "axis=1, keepdims=True), and db1 likewise with dZ1."),
            Mutation("missing_parentheses_derivative", "W2^T dZ2 * 1 - A1**2: missing "
                     "parentheses", "The derivative multiplies as a whole: dZ1 = np.dot(W2.T, "
                     "dZ2) * (1 - np.power(A1, 2)). Without the parentheses, * binds first."),
        ), mutant=_backward_mutant),
    Exercise(
        "update_parameters", "gradient-descent update", 8, ref.update_parameters,
        ("parameters", "grads"), _build_update, optional=("learning_rate",),
        mutation_check=True, result="parameters",
        symptoms=(Symptom("mutating_inputs", "changed the parameters in place",
                          "W1 -= ... changes the caller's array. Build new arrays: "
                          "W1 = W1 - learning_rate * dW1, and return them in a new dict.",
                          ("inputs_changed",), labels=("inputs",)),),
        mutations=(
            Mutation("gradient_ascent", "added the gradient",
                     "Gradient descent subtracts: theta = theta - learning_rate * d_theta."),
            Mutation("learning_rate_ignored", "ignored the learning_rate argument",
                     "Use the learning_rate parameter (default 1.2), not a fixed number."),
        ), mutant=_update_mutant),
    Exercise(
        "nn_model", "training loop", 7, ref.nn_model, ("X", "Y", "n_h"), _build_nn_model,
        optional=("num_iterations", "print_cost"),
        depends=("layer_sizes", "initialize_parameters", "forward_propagation", "compute_cost",
                 "backward_propagation", "update_parameters") + _ACTIVATIONS,
        trace=_trace_nn_model, budget_s=20.0, rtol=1e-4, atol=1e-7, result="parameters",
        extras=_printed_costs,
        mutations=(Mutation("parameters_never_updated", "the parameters never change",
                            "Keep the result of each step: parameters = "
                            "update_parameters(parameters, grads)."),),
        mutant=_nn_model_mutant),
    Exercise(
        "predict", "predictions", 5, ref.predict, ("parameters", "X"), _build_predict,
        depends=("forward_propagation",) + _ACTIVATIONS, trace=_trace_predict,
        result="predictions",
        mutations=(
            Mutation("predict_probabilities", "returned probabilities",
                     "predict returns decisions: A2 > 0.5, a boolean array, not A2 itself."),
            Mutation("predict_inverted", "the comparison is reversed",
                     "Predict class 1 where the probability is above one half: A2 > 0.5."),
        ), mutant=_predict_mutant),
]
"""Every exercise, in teaching order."""


# -- the course's own older notebooks -------------------------------------------------------
#
# The classic assignment ("Planar data classification with one hidden layer") exists in two
# families (tests/data/learners/VERSIONS.md): 2017-2020 ("course-2018": compute_cost(A2, Y,
# parameters), np.random.seed(2) inside initialize_parameters) and 2021 ("course-2021": the
# conventions of this course). Each function is graded by the conventions of the version its
# notebook was written for.

COURSE_2018_SEED = 2


def _cost_2018(A2, Y, parameters):
    """compute_cost of 2017-2020: a third argument, unused but required."""
    return ref.compute_cost(A2, Y)


def _with_parameters(build):
    def built(rng):
        specs = build(rng)
        out = []
        for spec in specs:
            n_h = int(rng.integers(2, 6))
            out.append(CaseSpec((*spec.args, _parameters(rng, 2, n_h, 1)), spec.kwargs,
                                spec.seed))
        return out
    return built


def _init_2018(n_x, n_h, n_y):
    """initialize_parameters of 2017-2020: the template reseeds with 2 first."""
    np.random.seed(COURSE_2018_SEED)
    return ref.initialize_parameters(n_x, n_h, n_y)


def _init_mutant_2018(case, flags):
    if "template_seed_removed" in flags:  # the learner deleted the template's seed line
        return _init_mutant(case, frozenset(flags - {"template_seed_removed"}))
    return _init_mutant(replace(case, seed=COURSE_2018_SEED), flags)


def _nn_model_2018(X, Y, n_h, num_iterations=10000, print_cost=False):
    parameters = _init_2018(X.shape[0], n_h, Y.shape[0])
    for _ in range(num_iterations):
        A2, cache = ref.forward_propagation(X, parameters)
        parameters = ref.update_parameters(parameters,
                                           ref.backward_propagation(parameters, cache, X, Y))
    return parameters


def _trace_nn_model_2018(case, reference_of):
    """The 2017-2020 loop: its initialize_parameters reseeds (any generator state will do) and
    its compute_cost takes the parameters too."""
    X, Y, n_h = case.args
    iterations = case.kwargs.get("num_iterations", 10000)
    entries = []
    with RNG_LOCK, contextlib.redirect_stdout(io.StringIO()):
        saved = np.random.get_state()
        try:
            sizes = ref.layer_sizes(X, Y)
            entries.append(TraceEntry("layer_sizes", (X, Y), {}, sizes))
            parameters = _init_2018(sizes[0], n_h, sizes[2])
            entries.append(TraceEntry("initialize_parameters", (sizes[0], n_h, sizes[2]), {},
                                      parameters, None, np.random.get_state()))
            _trace_iterations(entries, X, Y, parameters, iterations,
                              lambda name: getattr(ref, name), cost_takes_parameters=True)
        finally:
            np.random.set_state(saved)
    return entries


def _printed_costs_2018(case):
    if not case.kwargs.get("print_cost"):
        return {}
    X, Y, n_h = case.args
    iterations = case.kwargs.get("num_iterations", 10000)
    costs = {}

    def record():
        parameters = _init_2018(X.shape[0], n_h, Y.shape[0])
        for i in range(iterations):
            A2, cache = ref.forward_propagation(X, parameters)
            if i % 1000 == 0:
                costs[i] = ref.compute_cost(A2, Y)
            parameters = ref.update_parameters(parameters,
                                               ref.backward_propagation(parameters, cache, X, Y))

    run_reference(record, ())
    return {"printed_costs": costs}


def _nn_model_mutant_2018(case, flags):
    if flags != {"parameters_never_updated"}:
        return None
    X, Y, n_h = case.args
    return run_reference(_init_2018, (X.shape[0], n_h, Y.shape[0]))


def _versioned(exercises):
    """The exercises with their course-2018 conventions attached."""
    by_name = {e.name: e for e in exercises}
    init = by_name["initialize_parameters"]
    mutations_2018 = tuple(m for m in init.mutations if m.id != "reseeding_inside") + (
        Mutation("template_seed_removed", "the template's np.random.seed(2) line was removed",
                 "This version of the notebook seeds inside initialize_parameters: keep its "
                 "np.random.seed(2) line, or your weights will not match."),)
    changes = {
        "compute_cost": {"course-2018": {"args": ("A2", "Y", "parameters"),
                                          "reference": _cost_2018,
                                          "build": _with_parameters(by_name["compute_cost"]
                                                                    .build)}},
        "initialize_parameters": {"course-2018": {"reference": _init_2018,
                                                   "mutations": mutations_2018,
                                                   "mutant": _init_mutant_2018}},
        "nn_model": {"course-2018": {"reference": _nn_model_2018,
                                      "trace": _trace_nn_model_2018,
                                      "extras": _printed_costs_2018,
                                      "mutant": _nn_model_mutant_2018}},
    }
    out = []
    for exercise in exercises:
        signature = Symptom(
            "changed_signature", "a signature other than the course's",
            f"Keep the course's signature, {exercise.signature_text()}: the grader calls it "
            f"the way the course's tests do.",
            error=("unexpected keyword argument", "positional argument", "takes no arguments",
                   "required positional"))
        versions = {**exercise.versions, **changes.get(exercise.name, {})}
        out.append(replace(exercise, symptoms=(*exercise.symptoms, signature),
                           versions=versions))
    return out


EXERCISES = _versioned(EXERCISES)


def _recognise_ours(source):
    modules = getattr(source, "imported_modules", set()) or set()
    ours = {"shallow_checks", "autograder"} & set(modules)
    answers = [name for name in source.defined if name.startswith("q_")]
    return 10 * bool(ours) + 5 * bool(answers)


def _cost_arity(source):
    return len((getattr(source, "signatures", {}) or {}).get("compute_cost", []))


def _recognise_2021(source):
    modules = set(getattr(source, "imported_modules", set()) or ())
    return 6 * bool({"public_tests", "test_utils"} & modules) + 2 * (_cost_arity(source) == 2)


def _recognise_2018(source):
    modules = set(getattr(source, "imported_modules", set()) or ())
    old = bool({"testCases_v2", "testCases"} & modules) and not {"public_tests"} & modules
    return 6 * old + 4 * (_cost_arity(source) == 3)


SHALLOW = Version("shallow", "this course's own notebook", _recognise_ours, review=True)
COURSE_2021 = Version("course-2021", "the classic course's 2021 notebook (W3A1 v1.x)",
                      _recognise_2021)
COURSE_2018 = Version("course-2018", "the classic course's 2017-2020 notebook (v1 to v6c)",
                      _recognise_2018)


ASSIGNMENTS = [
    Assignment("activations", (*_ACTIVATIONS, *_DERIVATIVES), review=(1, 4),
               notebook="activations.ipynb", versions=(SHALLOW,),
               title="Activation functions and their derivatives"),
    Assignment("planar_classifier",
               ("layer_sizes", "initialize_parameters", "forward_propagation", "compute_cost",
                "backward_propagation", "update_parameters", "nn_model", "predict"),
               review=(2, 3, 5, 6, 7, 8, 9, 10), notebook="planar_classifier.ipynb",
               versions=(SHALLOW, COURSE_2021, COURSE_2018),
               title="Planar data classification with one hidden layer"),
]
