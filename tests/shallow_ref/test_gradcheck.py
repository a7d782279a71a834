import numpy as np
import pytest

import shallow_ref as ref
from shallow_ref.gradcheck import gradient_check


def _problem(n_y, seed):
    """Moderate weights: with saturated outputs (A2 within 1e-8 of 1) the cost's own rounding,
    divided by 2 epsilon, would swamp the central difference."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3, 8))
    p = {"W1": rng.normal(size=(5, 3)) * 0.5, "b1": rng.normal(size=(5, 1)) * 0.5,
         "W2": rng.normal(size=(n_y, 5)) * 0.5, "b2": rng.normal(size=(n_y, 1)) * 0.5}
    return X, p, rng


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "relu", "leaky_relu"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_passes_the_gradient_check(hidden, seed):
    X, p, rng = _problem(1, seed)
    # keep every Z1 away from relu's kink, where a central difference would straddle it
    assert np.abs(p["W1"] @ X + p["b1"]).min() > 1e-4
    Y = rng.random((1, 8)) > 0.5
    assert gradient_check(p, X, Y, hidden_activation=hidden) < 1e-7


def test_softmax_backward_passes_the_gradient_check():
    X, p, rng = _problem(3, 5)
    Y = rng.integers(0, 3, size=(1, 8))
    assert gradient_check(p, X, Y, output_activation="softmax") < 1e-7


def test_gradient_check_catches_a_wrong_backward():
    X, p, rng = _problem(1, 4)
    Y = rng.random((1, 8)) > 0.5

    def forgot_one_over_m(parameters, cache, X, Y, **kw):
        grads = ref.backward_propagation(parameters, cache, X, Y, **kw)
        grads["dW1"] = grads["dW1"] * X.shape[1]
        return grads

    assert gradient_check(p, X, Y, backward=forgot_one_over_m) > 1e-2
