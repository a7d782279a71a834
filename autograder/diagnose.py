"""A catalog of classic mistakes, each recognised from what a failed case returned.

Every mistake is recognised the same way a teaching assistant would: by computing what the buggy
version of the function would have returned for the same inputs (a "mutant" of the reference)
and seeing whether the student's result matches it, or by the shape or error it produces. Only
failed cases are diagnosed, and the first matching mistake of the exercise wins. Each mistake is
proven by a buggy implementation in ``tests/test_mistakes.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import shallow_ref as ref

from .child import Foreign


@dataclass(frozen=True)
class Mistake:
    id: str
    exercise: str
    title: str
    hint: str
    detect: Callable  # (case, outcome, expected) -> bool


def _close(got, want, rtol=1e-5, atol=1e-7):
    try:
        if isinstance(got, (Foreign, str, type(None))):
            return False
        got = np.asarray(got, dtype=np.float64)
        want = np.asarray(want, dtype=np.float64)
        return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=atol))
    except (TypeError, ValueError):
        return False


def _value(outcome):
    return outcome.value if outcome.status == "ok" else None


def _error(outcome, *needles):
    text = outcome.error or ""
    return outcome.status == "error" and any(n in text for n in needles)


def _item(outcome, key, index=None):
    value = _value(outcome)
    if index is not None:
        if type(value) is not tuple or len(value) <= index:
            return None
        value = value[index]
    if key is None:
        return value
    return value.get(key) if type(value) is dict else None


def _dict_close(outcome, want, keys, index=None, **tol):
    return all(_close(_item(outcome, k, index), want[k], **tol) for k in keys)


BROADCAST = ("could not be broadcast", "operands could not")
MATMUL = ("matmul: Input operand", "not aligned", "size mismatch")

# -- mutants of the reference ------------------------------------------------------------------


def _forward(X, p, hidden=np.tanh, output=ref.sigmoid, bias=True):
    Z1 = p["W1"] @ X + (p["b1"] if bias else 0)
    A1 = hidden(Z1)
    Z2 = p["W2"] @ A1 + (p["b2"] if bias else 0)
    return output(Z2)


def _backward(p, cache, X, Y, *, derivative=lambda A1: 1 - A1**2, scale=None):
    m = X.shape[1]
    scale = 1 / m if scale is None else scale
    dZ2 = cache["A2"] - np.asarray(Y, dtype=float)
    dZ1 = (p["W2"].T @ dZ2) * derivative(cache["A1"])
    return {"dW1": scale * dZ1 @ X.T, "db1": scale * dZ1.sum(axis=1, keepdims=True),
            "dW2": scale * dZ2 @ cache["A1"].T, "db2": scale * dZ2.sum(axis=1, keepdims=True)}


def _init_mutant(case, *, seed=None, order=("W1", "W2"), draw=np.random.randn, scale=0.01):
    n_x, n_h, n_y = case.args
    shapes = {"W1": (n_h, n_x), "W2": (n_y, n_h)}
    state = np.random.get_state()
    try:
        np.random.seed(case.seed if seed is None else seed)
        drawn = {k: draw(*shapes[k]) * scale for k in order}
    finally:
        np.random.set_state(state)
    return drawn


def _reseeded(case, outcome):
    params = _value(outcome)
    if type(params) is not dict or case.seed is None:
        return False
    for seed in [*range(0, 11), 42, 1234]:
        if seed != case.seed:
            want = _init_mutant(case, seed=seed)
            if _close(params.get("W1"), want["W1"], rtol=1e-9, atol=1e-12):
                return True
    return False


def _weights(outcome):
    params = _value(outcome)
    if type(params) is not dict:
        return None
    W1, W2 = params.get("W1"), params.get("W2")
    if type(W1) is not np.ndarray or type(W2) is not np.ndarray:
        return None
    return W1, W2


def _cost_terms(case):
    A2, Y = case.args
    Y = np.asarray(Y, dtype=float)
    return A2, Y, Y.shape[1]


def _update_mutant(case, rate=None, sign=-1):
    params, grads = case.args
    rate = case.kwargs.get("learning_rate", 1.2) if rate is None else rate
    return {k: params[k] + sign * rate * grads["d" + k] for k in params}


def _mutated(case, outcome):
    after = outcome.args_after
    if after is None:
        return False
    for before, now in zip(case.args, after, strict=False):
        for key, array in before.items():
            if not _close(now.get(key) if type(now) is dict else None, array, rtol=0, atol=0):
                return True
    return False


def _nn_mutant(case, *, seed):
    X, Y, n_h = case.args
    iterations = case.kwargs.get("num_iterations", 10000)
    state = np.random.get_state()
    try:
        np.random.seed(seed)
        params = ref.initialize_parameters(X.shape[0], n_h, Y.shape[0])
        for _ in range(iterations):
            _, cache = ref.forward_propagation(X, params)
            params = ref.update_parameters(params, ref.backward_propagation(params, cache, X, Y))
    finally:
        np.random.set_state(state)
    return params


def _initial_only(case):
    X, Y, n_h = case.args
    state = np.random.get_state()
    try:
        np.random.seed(3)
        return ref.initialize_parameters(X.shape[0], n_h, Y.shape[0])
    finally:
        np.random.set_state(state)


def _z(case):
    return case.args[0]


KEYS = ("W1", "b1", "W2", "b2")
GRADS = ("dW1", "db1", "dW2", "db2")

MISTAKES = [
    # activations and their derivatives
    Mistake("sigmoid_derivative_plus", "sigmoid_derivative",
            "sigma(z)(1 + sigma(z)) instead of sigma(z)(1 - sigma(z))",
            "The slope of sigmoid is s * (1 - s) with s = sigmoid(z); it peaks at 0.25 at z = 0.",
            lambda c, o, e: _close(_value(o), ref.sigmoid(_z(c)) * (1 + ref.sigmoid(_z(c))))),
    Mistake("derivative_of_a_not_z", "sigmoid_derivative",
            "treated z as if it were already sigmoid(z)",
            "The derivative takes z: compute s = sigmoid(z) first, then s * (1 - s).",
            lambda c, o, e: _close(_value(o), _z(c) * (1 - _z(c)))),
    Mistake("tanh_derivative_one_minus_a", "tanh_derivative",
            "1 - tanh(z) instead of 1 - tanh(z)**2",
            "tanh'(z) = (1 + tanh z)(1 - tanh z) = 1 - tanh(z)**2: square the activation.",
            lambda c, o, e: _close(_value(o), 1 - np.tanh(_z(c)))),
    Mistake("derivative_of_a_not_z", "tanh_derivative",
            "treated z as if it were already tanh(z)",
            "The derivative takes z: compute a = np.tanh(z) first, then 1 - a**2.",
            lambda c, o, e: _close(_value(o), 1 - _z(c) ** 2)),
    Mistake("relu_derivative_returns_relu", "relu_derivative",
            "returned relu(z) instead of its slope",
            "ReLU's slope is 1 where z > 0 and 0 elsewhere: (z > 0).astype(float).",
            lambda c, o, e: _close(_value(o), np.maximum(_z(c), 0))),
    Mistake("leaky_relu_wrong_slope", "leaky_relu",
            "a negative-side slope other than 0.01",
            "Leaky ReLU is max(0.01 * z, z): the slope for z < 0 is exactly 0.01.",
            lambda c, o, e: any(_close(_value(o), np.where(_z(c) > 0, _z(c), s * _z(c)))
                                for s in (0.1, 0.2, 0.001, 1.0))),
    Mistake("leaky_relu_wrong_slope", "leaky_relu_derivative",
            "a negative-side slope other than 0.01",
            "Leaky ReLU's slope is 0.01 for z < 0 and 1 for z > 0.",
            lambda c, o, e: any(_close(_value(o), np.where(_z(c) > 0, 1.0, s))
                                for s in (0.1, 0.2, 0.001, 0.0))),
    *[Mistake("python_max_on_array", name, "Python's max() or an if on a whole array",
              "max(0, z) and `if z > 0` work on one number only; use np.maximum(0, z) or "
              "np.where(z > 0, ..., ...), which work element by element.",
              lambda c, o, e: _error(o, "truth value of an array"))
      for name in ("relu", "leaky_relu", "relu_derivative", "leaky_relu_derivative")],
    # layer sizes
    Mistake("examples_in_rows", "layer_sizes", "read sizes from the wrong axis",
            "X has one example per column: n_x = X.shape[0] and n_y = Y.shape[0].",
            lambda c, o, e: _close(_value(o), (c.args[0].shape[1], 4, c.args[1].shape[1]))
            if type(_value(o)) in (tuple, list) else False),
    Mistake("returns_list_not_tuple", "layer_sizes", "returned a list",
            "Return the three sizes as a tuple: return (n_x, n_h, n_y).",
            lambda c, o, e: type(_value(o)) is list and _close(_value(o), e)),
    # initialization
    Mistake("zero_weights", "initialize_parameters", "weights initialized to zeros",
            "With zero weights every hidden unit computes the same function and gets the same "
            "update, so symmetry is never broken. Use np.random.randn(n_h, n_x) * 0.01.",
            lambda c, o, e: _weights(o) is not None and not any(w.any() for w in _weights(o))),
    Mistake("missing_001_scale", "initialize_parameters", "weights not scaled by 0.01",
            "Multiply the random weights by 0.01: large weights push tanh and sigmoid into "
            "their flat regions, where gradients vanish.",
            lambda c, o, e: _dict_close(o, _init_mutant(c, scale=1.0), ("W1", "W2"))),
    Mistake("random_biases", "initialize_parameters", "random biases",
            "Biases can start at zero (np.zeros((n_h, 1))): the random weights already break "
            "the symmetry.",
            lambda c, o, e: _dict_close(o, e, ("W1", "W2")) and any(
                type(_item(o, k)) is np.ndarray and _item(o, k).any() for k in ("b1", "b2"))),
    Mistake("reseeding_inside", "initialize_parameters", "reseeded inside the function",
            "Do not call np.random.seed inside initialize_parameters: the caller seeds, and "
            "reseeding gives every call the same weights.",
            lambda c, o, e: _reseeded(c, o)),
    Mistake("wrong_draw_order", "initialize_parameters", "drew W2 before W1",
            "Draw W1 first, then W2, from numpy's global generator, so the numbers match.",
            lambda c, o, e: _dict_close(o, _init_mutant(c, order=("W2", "W1")), ("W1", "W2"))),
    Mistake("uniform_not_gaussian", "initialize_parameters", "np.random.rand instead of randn",
            "np.random.rand draws uniformly from [0, 1), all positive; the course uses the "
            "Gaussian np.random.randn.",
            lambda c, o, e: _dict_close(o, _init_mutant(c, draw=np.random.rand), ("W1", "W2"))),
    # forward propagation
    Mistake("sigmoid_hidden_layer", "forward_propagation", "sigmoid on the hidden layer",
            "The hidden layer uses tanh: A1 = np.tanh(Z1); only the output uses sigmoid.",
            lambda c, o, e: _close(_item(o, None, 0), _forward(*c.args, hidden=ref.sigmoid))),
    Mistake("tanh_output_layer", "forward_propagation", "tanh on the output layer",
            "The output of a binary classifier is a probability: A2 = sigmoid(Z2).",
            lambda c, o, e: _close(_item(o, None, 0), _forward(*c.args, output=np.tanh))),
    Mistake("forgot_bias", "forward_propagation", "left out the biases",
            "Z1 = W1 X + b1 and Z2 = W2 A1 + b2: add the bias (broadcast over the m columns).",
            lambda c, o, e: _close(_item(o, None, 0), _forward(*c.args, bias=False))),
    Mistake("elementwise_product", "forward_propagation", "* instead of a matrix product",
            "W1 * X multiplies element by element; the layer needs the matrix product "
            "np.dot(W1, X) (or W1 @ X).",
            lambda c, o, e: _error(o, *BROADCAST)),
    Mistake("wrong_transpose", "forward_propagation", "a transposed matrix",
            "W1 has shape (n_h, n_x) and X has shape (n_x, m): Z1 = np.dot(W1, X), with no "
            "transpose.",
            lambda c, o, e: _error(o, *MATMUL)),
    Mistake("returns_swapped", "forward_propagation", "returned (cache, A2)",
            "Return A2 first, then the cache: return A2, cache.",
            lambda c, o, e: type(_value(o)) is tuple and len(_value(o)) == 2
            and type(_value(o)[0]) is dict),
    # cost
    Mistake("cost_returns_array", "compute_cost", "returned an array, not a float",
            "Turn the result into a Python float: cost = float(np.squeeze(cost)).",
            lambda c, o, e: type(_value(o)) is np.ndarray and _close(np.squeeze(_value(o)), e)),
    Mistake("cost_sign_flipped", "compute_cost", "the sign of the cost is flipped",
            "Cross-entropy is J = -(1/m) sum(y log a + (1 - y) log(1 - a)): keep the minus "
            "sign, so the cost is positive.",
            lambda c, o, e: _close(np.squeeze(_value(o)) if _value(o) is not None else None,
                                   -e)),
    Mistake("missing_1_over_m", "compute_cost", "summed instead of averaging (no 1/m)",
            "Divide the sum by m, the number of examples (Y.shape[1]).",
            lambda c, o, e: _close(_value(o), e * _cost_terms(c)[2])),
    Mistake("doubled_1_over_m", "compute_cost", "divided by m twice",
            "Divide by m once: J = -(1/m) * sum(...).",
            lambda c, o, e: _close(_value(o), e / _cost_terms(c)[2])),
    Mistake("cost_missing_negative_class", "compute_cost", "left out the (1 - y) log(1 - a) term",
            "Cross-entropy has two terms: y log(a) for the positive examples and "
            "(1 - y) log(1 - a) for the negative ones.",
            lambda c, o, e: _close(_value(o), float(-np.sum(_cost_terms(c)[1] * np.log(
                _cost_terms(c)[0])) / _cost_terms(c)[2]))),
    # backward propagation
    Mistake("missing_keepdims", "backward_propagation", "np.sum without keepdims=True",
            "db1 and db2 must be column vectors: np.sum(dZ, axis=1, keepdims=True) keeps the "
            "shape (n, 1) instead of (n,).",
            lambda c, o, e: any(type(_item(o, k)) is np.ndarray and _item(o, k).ndim == 1
                                for k in ("db1", "db2"))),
    Mistake("missing_1_over_m", "backward_propagation", "gradients not divided by m",
            "Every gradient carries the factor 1/m: dW2 = (1/m) dZ2 A1^T, and so on.",
            lambda c, o, e: _dict_close(o, _backward(*c.args, scale=1.0), GRADS)),
    Mistake("doubled_1_over_m", "backward_propagation", "gradients divided by m twice",
            "Apply the factor 1/m once per gradient, not also in dZ2 or dZ1.",
            lambda c, o, e: _dict_close(o, _backward(*c.args, scale=1 / c.args[2].shape[1] ** 2),
                                        GRADS)),
    Mistake("tanh_derivative_one_minus_a", "backward_propagation", "1 - A1 instead of 1 - A1**2",
            "g'(Z1) for tanh is 1 - A1**2 (np.power(A1, 2)): square the activation.",
            lambda c, o, e: _dict_close(o, _backward(*c.args, derivative=lambda A: 1 - A),
                                        ("dW1", "db1"))),
    Mistake("sigmoid_hidden_layer", "backward_propagation", "sigmoid's derivative for the "
            "hidden layer", "The hidden layer uses tanh, whose derivative is 1 - A1**2, not "
            "A1 * (1 - A1).",
            lambda c, o, e: _dict_close(o, _backward(*c.args, derivative=lambda A: A * (1 - A)),
                                        ("dW1", "db1"))),
    Mistake("dZ2_sign_flipped", "backward_propagation", "dZ2 = Y - A2",
            "dZ2 = A2 - Y: the gradient points uphill, and the update subtracts it.",
            lambda c, o, e: _dict_close(o, {k: -v for k, v in e.items()}, GRADS)),
    Mistake("wrong_transpose", "backward_propagation", "a missing or extra transpose",
            "Check the shapes: dW2 = (1/m) dZ2 A1^T is (n_y, n_h), dW1 = (1/m) dZ1 X^T is "
            "(n_h, n_x), and dZ1 = W2^T dZ2 * g'(Z1).",
            lambda c, o, e: _error(o, *MATMUL) or any(
                type(_item(o, k)) is np.ndarray and _item(o, k).shape == e[k].shape[::-1]
                and e[k].shape[0] != e[k].shape[1] for k in ("dW1", "dW2"))),
    Mistake("elementwise_product", "backward_propagation", "* instead of a matrix product",
            "dW2 = (1/m) np.dot(dZ2, A1.T): a matrix product; only g'(Z1) is multiplied "
            "element by element.",
            lambda c, o, e: _error(o, *BROADCAST)),
    # update
    Mistake("mutating_inputs", "update_parameters", "changed the parameters in place",
            "W1 -= ... changes the caller's array. Build new arrays: "
            "W1 = W1 - learning_rate * dW1, and return them in a new dict.",
            lambda c, o, e: _mutated(c, o)),
    Mistake("gradient_ascent", "update_parameters", "added the gradient",
            "Gradient descent subtracts: theta = theta - learning_rate * d_theta.",
            lambda c, o, e: _dict_close(o, _update_mutant(c, sign=+1), KEYS)),
    Mistake("learning_rate_ignored", "update_parameters", "ignored the learning_rate argument",
            "Use the learning_rate parameter (default 1.2), not a fixed number.",
            lambda c, o, e: "learning_rate" in c.kwargs and any(
                _dict_close(o, _update_mutant(c, rate=r), KEYS) for r in (1.2, 1.0, 0.01))),
    # training loop
    Mistake("nn_model_not_seeded", "nn_model", "did not call np.random.seed(3) first",
            "nn_model starts with np.random.seed(3), so its result is reproducible.",
            lambda c, o, e: _dict_close(o, _nn_mutant(c, seed=c.seed or 0), KEYS, rtol=1e-4)),
    Mistake("parameters_never_updated", "nn_model", "the parameters never change",
            "Keep the result of each step: parameters = update_parameters(parameters, grads).",
            lambda c, o, e: _dict_close(o, _initial_only(c), KEYS)),
    # predictions
    Mistake("predict_probabilities", "predict", "returned probabilities",
            "predict returns decisions: A2 > 0.5, a boolean array, not A2 itself.",
            lambda c, o, e: _close(_value(o), _forward(*reversed(c.args)))),
    Mistake("predict_inverted", "predict", "the comparison is reversed",
            "Predict class 1 where the probability is above one half: A2 > 0.5.",
            lambda c, o, e: _close(_value(o), ~e)),
]

BY_EXERCISE: dict[str, list[Mistake]] = {}
for _mistake in MISTAKES:
    BY_EXERCISE.setdefault(_mistake.exercise, []).append(_mistake)


def diagnose(exercise, case, outcome, expected):
    """The first catalogued mistake that explains this failed case, or None."""
    for mistake in BY_EXERCISE.get(exercise, []):
        try:
            if mistake.detect(case, outcome, expected):
                return mistake
        except Exception:  # noqa: BLE001 - a detector that cannot apply does not match
            continue
    return None
