import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shallow_ref import activations as act

NAMES = sorted(act.ACTIVATIONS)
finite_z = arrays(np.float64, st.integers(1, 30),
                  elements=st.floats(-30, 30, allow_nan=False, allow_infinity=False))


def test_values_match_the_lecture_formulas():
    z = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]])
    np.testing.assert_allclose(act.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    np.testing.assert_allclose(act.tanh(z), (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
                               rtol=1e-14)
    np.testing.assert_array_equal(act.relu(z), [[0, 0, 0], [0.5, 1.0, 3.0]])
    np.testing.assert_allclose(act.leaky_relu(z), [[-0.02, -0.005, 0], [0.5, 1.0, 3.0]])
    for name in NAMES:
        assert act.ACTIVATIONS[name](z).shape == z.shape


def test_sigmoid_is_stable_for_huge_inputs():
    z = np.array([-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            s = act.sigmoid(z)
            d = act.sigmoid_derivative(z)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(d))
    assert np.all(np.diff(s) >= 0)


def test_integer_and_float32_inputs():
    assert act.sigmoid(np.array([0, 1])).dtype == np.float64
    assert act.relu(np.array([-1, 2])).dtype == np.float64
    for name in NAMES:
        assert act.ACTIVATIONS[name](np.ones(3, dtype=np.float32)).dtype == np.float32
        assert act.DERIVATIVES[name](np.ones(3, dtype=np.float32)).dtype == np.float32


def test_derivatives_at_the_kink_follow_the_documented_choice():
    assert act.relu_derivative(np.array(0.0)) == 0.0
    assert act.leaky_relu_derivative(np.array(0.0)) == 0.01
    assert act.sigmoid_derivative(np.array(0.0)) == 0.25
    assert act.tanh_derivative(np.array(0.0)) == 1.0


@pytest.mark.parametrize("name", NAMES)
@given(z=finite_z)
def test_derivative_matches_central_difference(name, z):
    if name in ("relu", "leaky_relu"):
        z = np.where(np.abs(z) < 1e-3, 1.0, z)  # away from the kink
    g, dg = act.ACTIVATIONS[name], act.DERIVATIVES[name]
    h = 1e-6
    numeric = (g(z + h) - g(z - h)) / (2 * h)
    np.testing.assert_allclose(dg(z), numeric, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
@given(z=finite_z)
def test_derivative_from_activation_equals_derivative_of_z(name, z):
    A = act.ACTIVATIONS[name](z)
    np.testing.assert_allclose(act.derivative_from_activation(name, A),
                               act.DERIVATIVES[name](z), atol=1e-12)


def test_tanh_derivative_is_the_lecture_product():
    z = np.linspace(-3, 3, 13)
    t = np.tanh(z)
    np.testing.assert_allclose(act.tanh_derivative(z), (1 + t) * (1 - t), rtol=1e-12)


def test_softmax_columns_are_distributions_and_stable():
    Z = np.array([[1000.0, -1000.0, 0.0], [999.0, -999.0, 0.0], [0.0, 0.0, 0.0]])
    with np.errstate(all="raise"):
        A = act.softmax(Z)
    np.testing.assert_allclose(A.sum(axis=0), 1.0)
    assert np.all(A >= 0)
    np.testing.assert_allclose(A[:, 2], 1 / 3)


def test_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        act.check_activation("swish")
