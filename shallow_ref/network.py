"""A one-hidden-layer neural network, vectorized over m examples.

Notation follows the lecture: X is (n_x, m) with one example per column, layer l has n^[l] units,
W^[l] is (n^[l], n^[l-1]), b^[l] is (n^[l], 1), and for the whole batch

    Z1 = W1 X + b1          A1 = g1(Z1)          (n_h, m)
    Z2 = W2 A1 + b2         A2 = sigmoid(Z2)     (n_y, m)

The course conventions (names, dict keys, default arguments, seeding, return types) are kept
exactly, so that existing notebooks and habits carry over. Extras beyond the course are
keyword-only options whose defaults leave the course behaviour untouched:

- ``hidden_activation``: "tanh" (default), "sigmoid", "relu" or "leaky_relu";
- ``init``: "random" (default, Gaussian times ``scale``) or "zeros", with ``scale`` (default 0.01),
  so the lecture's symmetry and saturation questions can be demonstrated;
- ``output_activation``: "sigmoid" (default, binary cross-entropy) or "softmax" (categorical
  cross-entropy, for more than two classes).

No function modifies its arguments.
"""

from __future__ import annotations

import numpy as np

from .activations import (
    ACTIVATIONS,
    check_activation,
    derivative_from_activation,
    sigmoid,
    softmax,
)

N_H_DEFAULT = 4
"""Hidden-layer size returned by ``layer_sizes``, as in the course."""

OUTPUT_ACTIVATIONS = ("sigmoid", "softmax")
INITIALIZATIONS = ("random", "zeros")

_EPS = 1e-15
"""A2 is clipped to [eps, 1 - eps] inside the cost so that log never sees 0."""


def layer_sizes(X, Y):
    """Sizes of the three layers.

    X: (n_x, m) inputs, Y: (n_y, m) labels -> (n_x, n_h, n_y) with n_h = 4.
    """
    n_x = X.shape[0]
    n_y = Y.shape[0]
    return (n_x, N_H_DEFAULT, n_y)


def initialize_parameters(n_x, n_h, n_y, *, init="random", scale=0.01):
    """Initial parameters W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1).

    Weights are drawn from numpy's global random generator, W1 first, and multiplied by
    ``scale`` (0.01: small weights keep tanh and sigmoid away from their flat regions). Biases
    start at zero: random weights alone break the symmetry between hidden units. The generator is
    never reseeded here; the caller seeds it.

    ``init="zeros"`` makes the weights zero too, which the lecture warns against: every hidden unit
    then computes the same function forever.
    """
    if init not in INITIALIZATIONS:
        raise ValueError(f"unknown init {init!r}; choose one of {INITIALIZATIONS}")
    if init == "zeros":
        W1 = np.zeros((n_h, n_x))
        W2 = np.zeros((n_y, n_h))
    else:
        W1 = np.random.randn(n_h, n_x) * scale
        W2 = np.random.randn(n_y, n_h) * scale
    b1 = np.zeros((n_h, 1))
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def forward_propagation(X, parameters, *, hidden_activation="tanh", output_activation="sigmoid"):
    """Forward pass for all m examples at once.

    X: (n_x, m) -> A2: (n_y, m), cache: {"Z1": (n_h, m), "A1": (n_h, m), "Z2": (n_y, m),
    "A2": (n_y, m)}.

        Z1 = W1 X + b1,  A1 = g1(Z1),  Z2 = W2 A1 + b2,  A2 = sigmoid(Z2)
    """
    g1 = ACTIVATIONS[check_activation(hidden_activation)]
    g2 = _output_function(output_activation)
    W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]

    Z1 = W1 @ X + b1
    A1 = g1(Z1)
    Z2 = W2 @ A1 + b2
    A2 = g2(Z2)

    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache


def compute_cost(A2, Y):
    """Cross-entropy cost J, a Python float.

    A2: (1, m) sigmoid outputs and Y: (1, m) labels in {0, 1} (bool, int, uint8 or float):

        J = -(1/m) sum_i [ y(i) log a2(i) + (1 - y(i)) log(1 - a2(i)) ]

    A2: (K, m) softmax outputs with K > 1, and Y either one-hot (K, m) or class indices (1, m):

        J = -(1/m) sum_i sum_k y_k(i) log a2_k(i)

    A2 is clipped to [1e-15, 1 - 1e-15] so the cost stays finite, without a warning, when A2
    holds an exact 0 or 1.
    """
    A2 = np.asarray(A2, dtype=np.float64)
    Y = _targets_like(Y, A2)
    m = Y.shape[1]
    A2 = np.clip(A2, _EPS, 1 - _EPS)
    if A2.shape[0] == 1:
        logprobs = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
    else:
        logprobs = Y * np.log(A2)
    cost = -np.sum(logprobs) / m
    return float(cost)


def backward_propagation(parameters, cache, X, Y, *, hidden_activation="tanh"):
    """Gradients of the cost with respect to W1, b1, W2, b2.

    Reads only A1 and A2 from the cache (g1'(Z1) is written with A1 = g1(Z1)).
    Returns {"dW1": (n_h, n_x), "db1": (n_h, 1), "dW2": (n_y, n_h), "db2": (n_y, 1)}.

        dZ2 = A2 - Y
        dW2 = (1/m) dZ2 A1^T
        db2 = (1/m) np.sum(dZ2, axis=1, keepdims=True)
        dZ1 = W2^T dZ2 * g1'(Z1)
        dW1 = (1/m) dZ1 X^T
        db1 = (1/m) np.sum(dZ1, axis=1, keepdims=True)
    """
    check_activation(hidden_activation)
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    Y = _targets_like(Y, A2)

    dZ2 = A2 - Y
    dW2 = (1 / m) * (dZ2 @ A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = (W2.T @ dZ2) * derivative_from_activation(hidden_activation, A1)
    dW1 = (1 / m) * (dZ1 @ X.T)
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)

    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(parameters, grads, learning_rate=1.2):
    """One gradient-descent step: theta = theta - alpha d_theta, for every parameter.

    Returns a new dict of new arrays; ``parameters`` and ``grads`` are left as they were.
    """
    return {
        "W1": parameters["W1"] - learning_rate * grads["dW1"],
        "b1": parameters["b1"] - learning_rate * grads["db1"],
        "W2": parameters["W2"] - learning_rate * grads["dW2"],
        "b2": parameters["b2"] - learning_rate * grads["db2"],
    }


def nn_model(
    X,
    Y,
    n_h,
    num_iterations=10000,
    print_cost=False,
    *,
    hidden_activation="tanh",
    output_activation="sigmoid",
    init="random",
    scale=0.01,
    learning_rate=1.2,
):
    """Train the network by batch gradient descent and return the learned parameters.

    X: (n_x, m), Y: (1, m) labels (class indices for a softmax output, or one-hot (K, m)).
    Seeds numpy's global generator with 3 first, as in the course, so the same call always
    gives the same parameters. With ``print_cost`` it prints "Cost after iteration i: c" every
    1000 iterations.
    """
    np.random.seed(3)
    X = np.asarray(X)
    if output_activation == "softmax":
        Y = one_hot(Y)
    else:
        _output_function(output_activation)
    n_x, _, n_y = layer_sizes(X, Y)

    parameters = initialize_parameters(n_x, n_h, n_y, init=init, scale=scale)
    for i in range(num_iterations):
        A2, cache = forward_propagation(
            X, parameters, hidden_activation=hidden_activation, output_activation=output_activation
        )
        if print_cost and i % 1000 == 0:
            print(f"Cost after iteration {i}: {compute_cost(A2, Y):f}")
        grads = backward_propagation(parameters, cache, X, Y, hidden_activation=hidden_activation)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters


def predict(parameters, X, *, hidden_activation="tanh", output_activation="sigmoid"):
    """Class predictions for each column of X.

    Sigmoid output: a boolean (1, m) array, A2 > 0.5. Softmax output: the (1, m) array of class
    indices with the largest probability.
    """
    A2, _ = forward_propagation(
        X, parameters, hidden_activation=hidden_activation, output_activation=output_activation
    )
    if output_activation == "softmax":
        return np.argmax(A2, axis=0)[np.newaxis, :]
    return A2 > 0.5


def accuracy(predictions, Y):
    """Fraction of columns where the prediction equals the label (Y: (1, m) labels)."""
    predictions = np.asarray(predictions)
    Y = np.asarray(Y)
    return float(np.mean(predictions.astype(np.int64) == Y.astype(np.int64)))


def one_hot(Y, K=None):
    """(1, m) class indices -> (K, m) one-hot float array; a (K, m) array with K > 1 is returned
    as float. K defaults to the largest index + 1."""
    Y = np.asarray(Y)
    if Y.ndim == 2 and Y.shape[0] > 1:
        return Y.astype(np.float64)
    labels = Y.reshape(-1).astype(np.int64)
    if K is None:
        K = int(labels.max()) + 1 if labels.size else 1
    onehot = np.zeros((K, labels.size))
    onehot[labels, np.arange(labels.size)] = 1.0
    return onehot


def _targets_like(Y, A2):
    """Labels as float64 targets with the shape of A2 (one-hot when A2 has K > 1 rows)."""
    Y = np.asarray(Y)
    if A2.shape[0] > 1 and Y.shape[0] == 1:
        return one_hot(Y, A2.shape[0])
    return Y.astype(np.float64)


def _output_function(name):
    if name == "sigmoid":
        return sigmoid
    if name == "softmax":
        return softmax
    raise ValueError(f"unknown output activation {name!r}; choose one of {OUTPUT_ACTIVATIONS}")
