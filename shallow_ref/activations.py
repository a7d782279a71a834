"""Activation functions g(z) and their derivatives g'(z).

Every function takes ``z`` (a scalar or an array of any shape) and returns an array of the same
shape, as in the lecture's "Activation functions" and "Derivatives of activation functions" slides.
Integer and boolean inputs are computed in float64; float inputs keep their dtype.

Derivatives at the kink z = 0: the lecture notes that the derivative of ReLU is undefined at
exactly 0 and that "in practice it does not matter". This reference follows the lecture's first
definition, f'(z) = 0 for z <= 0, so ``relu_derivative(0) == 0`` and ``leaky_relu_derivative(0) ==
0.01``.
"""

from __future__ import annotations

import numpy as np

LEAKY_SLOPE = 0.01
"""Slope of leaky ReLU for negative z: g(z) = max(0.01 z, z)."""


def _as_float(z):
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return z


def sigmoid(z):
    """sigma(z) = 1 / (1 + e^(-z)).

    Computed as e^z / (1 + e^z) for negative z, so it never overflows nor warns, even for
    |z| = 1e4: sigmoid(-1e4) is 0.0 and sigmoid(1e4) is 1.0.
    """
    z = _as_float(z)
    with np.errstate(under="ignore"):  # e^-745 rounds to 0.0, which is the right answer
        e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def tanh(z):
    """tanh(z) = (e^z - e^(-z)) / (e^z + e^(-z))."""
    return np.tanh(_as_float(z))


def relu(z):
    """ReLU(z) = max(0, z)."""
    z = _as_float(z)
    return np.maximum(z, 0).astype(z.dtype, copy=False)


def leaky_relu(z):
    """Leaky ReLU(z) = max(0.01 z, z)."""
    z = _as_float(z)
    return np.where(z > 0, z, LEAKY_SLOPE * z).astype(z.dtype, copy=False)


def sigmoid_derivative(z):
    """sigma'(z) = sigma(z) (1 - sigma(z))."""
    s = sigmoid(z)
    return s * (1 - s)


def tanh_derivative(z):
    """tanh'(z) = (1 + tanh(z)) (1 - tanh(z)) = 1 - tanh(z)^2."""
    t = tanh(z)
    return 1 - t**2


def relu_derivative(z):
    """ReLU'(z) = 0 for z <= 0, 1 for z > 0."""
    z = _as_float(z)
    return (z > 0).astype(z.dtype)


def leaky_relu_derivative(z):
    """Leaky ReLU'(z) = 0.01 for z <= 0, 1 for z > 0."""
    z = _as_float(z)
    return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype)


def softmax(Z):
    """Column-wise softmax for a multi-class output layer.

    Z: (K, m) -> A: (K, m), each column positive and summing to 1. The column maximum is
    subtracted first so that no exponential overflows.
    """
    Z = _as_float(Z)
    with np.errstate(under="ignore"):
        E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


ACTIVATIONS = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
}
"""Hidden-layer activations g by name."""

DERIVATIVES = {
    "sigmoid": sigmoid_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
    "leaky_relu": leaky_relu_derivative,
}
"""g'(z) by name."""


def derivative_from_activation(name, A):
    """g'(Z) written with A = g(Z) only, as backpropagation uses it from the cache.

    tanh: 1 - A^2; sigmoid: A (1 - A); relu and leaky relu: A > 0 exactly when Z > 0.
    Equal to ``DERIVATIVES[name](Z)`` (a test checks it).
    """
    if name == "tanh":
        return 1 - A**2
    if name == "sigmoid":
        return A * (1 - A)
    if name == "relu":
        return (A > 0).astype(A.dtype)
    if name == "leaky_relu":
        return np.where(A > 0, 1.0, LEAKY_SLOPE).astype(A.dtype)
    raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")


def check_activation(name):
    """Raise a clear ValueError for an unknown hidden activation name."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return name
