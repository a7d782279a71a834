"""Numerical gradient check of ``backward_propagation`` by central differences.

For each parameter theta_i, the two-sided difference

    d_approx_i = (J(theta_i + eps) - J(theta_i - eps)) / (2 eps)

is compared with the analytic gradient d_i through the relative error

    ||d - d_approx||_2 / (||d||_2 + ||d_approx||_2)

which is about 1e-9 or smaller for a correct backward pass in float64.
"""

from __future__ import annotations

import numpy as np

from .network import backward_propagation, compute_cost, forward_propagation

PARAMETER_KEYS = ("W1", "b1", "W2", "b2")


def _cost(parameters, X, Y, hidden_activation, output_activation):
    A2, _ = forward_propagation(
        X, parameters, hidden_activation=hidden_activation, output_activation=output_activation
    )
    return compute_cost(A2, Y)


def numerical_gradients(parameters, X, Y, *, hidden_activation="tanh",
                        output_activation="sigmoid", epsilon=1e-6):
    """Central-difference estimates {"dW1", "db1", "dW2", "db2"} of the cost's gradient."""
    grads = {}
    for key in PARAMETER_KEYS:
        theta = parameters[key]
        d_approx = np.zeros_like(theta, dtype=np.float64)
        for index in np.ndindex(theta.shape):
            shifted = {k: np.array(v, dtype=np.float64) for k, v in parameters.items()}
            shifted[key][index] = theta[index] + epsilon
            J_plus = _cost(shifted, X, Y, hidden_activation, output_activation)
            shifted[key][index] = theta[index] - epsilon
            J_minus = _cost(shifted, X, Y, hidden_activation, output_activation)
            d_approx[index] = (J_plus - J_minus) / (2 * epsilon)
        grads["d" + key] = d_approx
    return grads


def gradient_check(parameters, X, Y, *, hidden_activation="tanh", output_activation="sigmoid",
                   epsilon=1e-6, backward=backward_propagation):
    """Relative error between ``backward``'s gradients and central differences.

    ``backward`` has ``backward_propagation``'s signature, so a student's implementation can be
    checked the same way. The inputs are not modified.
    """
    _, cache = forward_propagation(
        X, parameters, hidden_activation=hidden_activation, output_activation=output_activation
    )
    analytic = backward(parameters, cache, X, Y, hidden_activation=hidden_activation)
    approx = numerical_gradients(parameters, X, Y, hidden_activation=hidden_activation,
                                 output_activation=output_activation, epsilon=epsilon)
    d = np.concatenate([np.ravel(analytic["d" + k]) for k in PARAMETER_KEYS])
    d_approx = np.concatenate([np.ravel(approx["d" + k]) for k in PARAMETER_KEYS])
    denominator = np.linalg.norm(d) + np.linalg.norm(d_approx)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(d - d_approx) / denominator)
