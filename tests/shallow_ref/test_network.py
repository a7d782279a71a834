import copy
import io
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shallow_ref as ref
from shallow_ref.datasets import load_planar_dataset

HIDDEN = ["tanh", "sigmoid", "relu", "leaky_relu"]
LABEL_DTYPES = [bool, np.uint8, np.int64, np.float64]


def _random_problem(n_x, n_h, n_y, m, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_x, m))
    Y = rng.random((n_y, m)) > 0.5
    parameters = {
        "W1": rng.normal(size=(n_h, n_x)) * scale, "b1": rng.normal(size=(n_h, 1)) * scale,
        "W2": rng.normal(size=(n_y, n_h)) * scale, "b2": rng.normal(size=(n_y, 1)) * scale,
    }
    return X, Y, parameters


def test_layer_sizes_is_a_tuple_with_four_hidden_units():
    X, Y = np.zeros((5, 3)), np.zeros((2, 3))
    assert ref.layer_sizes(X, Y) == (5, 4, 2)
    assert type(ref.layer_sizes(X, Y)) is tuple


dims = st.tuples(st.integers(1, 6), st.integers(1, 8), st.integers(1, 3), st.integers(1, 12))


@settings(max_examples=60, deadline=None)
@given(dims=dims, hidden=st.sampled_from(HIDDEN))
def test_shapes_dtypes_and_keys(dims, hidden):
    n_x, n_h, n_y, m = dims
    np.random.seed(0)
    p = ref.initialize_parameters(n_x, n_h, n_y)
    assert list(p) == ["W1", "b1", "W2", "b2"]
    shapes = {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}
    assert {k: v.shape for k, v in p.items()} == shapes
    assert all(v.dtype == np.float64 for v in p.values())

    X, Y, _ = _random_problem(n_x, n_h, n_y, m)
    A2, cache = ref.forward_propagation(X, p, hidden_activation=hidden)
    assert sorted(cache) == ["A1", "A2", "Z1", "Z2"]
    assert cache["Z1"].shape == cache["A1"].shape == (n_h, m)
    assert cache["Z2"].shape == A2.shape == (n_y, m)
    assert cache["A2"] is A2

    grads = ref.backward_propagation(p, cache, X, Y, hidden_activation=hidden)
    assert sorted(grads) == ["dW1", "dW2", "db1", "db2"]
    for key in p:
        assert grads["d" + key].shape == p[key].shape

    new = ref.update_parameters(p, grads)
    assert {k: v.shape for k, v in new.items()} == shapes

    prediction = ref.predict(p, X, hidden_activation=hidden)
    assert prediction.dtype == bool and prediction.shape == (n_y, m)
    if n_y == 1:
        cost = ref.compute_cost(A2, Y)
        assert type(cost) is float and cost > 0


def test_initialization_convention_global_rng_w1_first_no_reseed():
    np.random.seed(7)
    p = ref.initialize_parameters(3, 5, 2)
    np.random.seed(7)
    W1 = np.random.randn(5, 3) * 0.01
    W2 = np.random.randn(2, 5) * 0.01
    np.testing.assert_array_equal(p["W1"], W1)
    np.testing.assert_array_equal(p["W2"], W2)
    assert not p["b1"].any() and not p["b2"].any()
    # No reseeding inside: a second call continues the stream and differs.
    q = ref.initialize_parameters(3, 5, 2)
    assert not np.array_equal(p["W1"], q["W1"])


def test_initialization_options():
    np.random.seed(1)
    big = ref.initialize_parameters(2, 4, 1, scale=1000)
    assert np.abs(big["W1"]).mean() > 100
    zeros = ref.initialize_parameters(2, 4, 1, init="zeros")
    assert all(not v.any() for v in zeros.values())
    with pytest.raises(ValueError, match="unknown init"):
        ref.initialize_parameters(2, 4, 1, init="ones")


@pytest.mark.parametrize("dtype", LABEL_DTYPES)
def test_cost_is_the_same_for_every_label_dtype(dtype):
    A2 = np.array([[0.8, 0.1, 0.6, 0.3]])
    Y = np.array([[1, 0, 1, 1]])
    expected = -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))
    cost = ref.compute_cost(A2, Y.astype(dtype))
    assert type(cost) is float
    assert cost == pytest.approx(expected, rel=1e-12)


def test_cost_is_finite_without_warning_for_exact_zero_and_one():
    A2 = np.array([[0.0, 1.0, 0.0, 1.0]])
    Y = np.array([[0, 1, 1, 0]], dtype=np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            cost = ref.compute_cost(A2, Y)
            perfect = ref.compute_cost(A2[:, :2], Y[:, :2])
    assert np.isfinite(cost) and cost > 10
    assert 0 <= perfect < 1e-12


def test_softmax_cost_accepts_indices_or_one_hot():
    A2 = np.array([[0.7, 0.2], [0.2, 0.5], [0.1, 0.3]])
    labels = np.array([[0, 2]])
    expected = -(np.log(0.7) + np.log(0.3)) / 2
    assert ref.compute_cost(A2, labels) == pytest.approx(expected)
    assert ref.compute_cost(A2, ref.one_hot(labels, 3)) == pytest.approx(expected)


def test_backward_matches_the_lecture_equations_for_tanh():
    X, Y, p = _random_problem(3, 4, 1, 6, seed=3)
    A2, cache = ref.forward_propagation(X, p)
    g = ref.backward_propagation(p, cache, X, Y)
    m = 6
    dZ2 = A2 - Y
    dZ1 = p["W2"].T @ dZ2 * (1 - np.tanh(cache["Z1"]) ** 2)
    np.testing.assert_allclose(g["dW2"], dZ2 @ cache["A1"].T / m, rtol=1e-12)
    np.testing.assert_allclose(g["db2"], dZ2.sum(axis=1, keepdims=True) / m, rtol=1e-12)
    np.testing.assert_allclose(g["dW1"], dZ1 @ X.T / m, rtol=1e-12)
    np.testing.assert_allclose(g["db1"], dZ1.sum(axis=1, keepdims=True) / m, rtol=1e-12)


def test_backward_reads_only_A1_and_A2_from_the_cache():
    X, Y, p = _random_problem(2, 3, 1, 5)
    _, cache = ref.forward_propagation(X, p)
    full = ref.backward_propagation(p, cache, X, Y)
    slim = ref.backward_propagation({"W2": p["W2"]}, {"A1": cache["A1"], "A2": cache["A2"]}, X, Y)
    for key in full:
        np.testing.assert_array_equal(full[key], slim[key])


def _frozen(obj):
    return copy.deepcopy(obj)


def _assert_same(before, after):
    if isinstance(before, dict):
        assert before.keys() == after.keys()
        for key in before:
            np.testing.assert_array_equal(before[key], after[key])
    else:
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("hidden", HIDDEN)
def test_no_function_modifies_its_inputs(hidden):
    X, Y, p = _random_problem(2, 4, 1, 9)
    args = {"X": X, "Y": Y, "p": p}
    saved = {k: _frozen(v) for k, v in args.items()}
    A2, cache = ref.forward_propagation(X, p, hidden_activation=hidden)
    saved_cache = _frozen(cache)
    ref.compute_cost(A2, Y)
    grads = ref.backward_propagation(p, cache, X, Y, hidden_activation=hidden)
    saved_grads = _frozen(grads)
    new = ref.update_parameters(p, grads, learning_rate=0.5)
    ref.predict(p, X, hidden_activation=hidden)
    ref.nn_model(X, Y, 3, num_iterations=3, hidden_activation=hidden)
    ref.layer_sizes(X, Y)
    for key, value in args.items():
        _assert_same(saved[key], value)
    _assert_same(saved_cache, cache)
    _assert_same(saved_grads, grads)
    for key in p:
        assert new[key] is not p[key]
        assert not np.shares_memory(new[key], p[key])
        np.testing.assert_allclose(new[key], p[key] - 0.5 * grads["d" + key])


def test_nn_model_seeds_with_3_and_prints_every_1000_iterations():
    X, Y = load_planar_dataset()
    out = io.StringIO()
    with redirect_stdout(out):
        p1 = ref.nn_model(X, Y, 4, num_iterations=2001, print_cost=True)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "Cost after iteration 0", "Cost after iteration 1000", "Cost after iteration 2000"]
    first_cost = float(lines[0].split(":")[1])
    assert first_cost == pytest.approx(np.log(2), abs=1e-3)
    np.random.seed(123)  # the model reseeds, so the global state before does not matter
    p2 = ref.nn_model(X, Y, 4, num_iterations=2001)
    for key in p1:
        np.testing.assert_array_equal(p1[key], p2[key])
    # It starts from initialize_parameters after np.random.seed(3).
    np.random.seed(3)
    start = ref.initialize_parameters(2, 4, 1)
    p0 = ref.nn_model(X, Y, 4, num_iterations=0)
    for key in start:
        np.testing.assert_array_equal(p0[key], start[key])


def test_flower_accuracy_grows_with_hidden_units():
    X, Y = load_planar_dataset()
    p4 = ref.nn_model(X, Y, 4, num_iterations=10000)
    p1 = ref.nn_model(X, Y, 1, num_iterations=10000)
    prediction = ref.predict(p4, X)
    assert prediction.dtype == bool and prediction.shape == (1, 400)
    assert ref.accuracy(prediction, Y) >= 0.90
    assert ref.accuracy(ref.predict(p1, X), Y) < 0.70


def test_zero_initialization_never_breaks_symmetry():
    X, Y = load_planar_dataset()
    zero = ref.nn_model(X, Y, 4, num_iterations=300, init="zeros")
    rand = ref.nn_model(X, Y, 4, num_iterations=300)
    for p, symmetric in ((zero, True), (rand, False)):
        rows_equal = np.allclose(p["W1"], p["W1"][0]) and np.allclose(p["b1"], p["b1"][0])
        assert rows_equal is symmetric
        A1 = ref.forward_propagation(X, p)[1]["A1"]
        assert np.allclose(A1, A1[0]) is symmetric


def test_large_tanh_weights_saturate():
    X, Y = load_planar_dataset()
    np.random.seed(3)
    p = ref.initialize_parameters(2, 4, 1, scale=1000)
    A2, cache = ref.forward_propagation(X, p)
    grads = ref.backward_propagation(p, cache, X, Y)
    assert np.mean(np.abs(cache["A1"]) > 0.99) > 0.95
    np.random.seed(3)
    small = ref.initialize_parameters(2, 4, 1)
    _, small_cache = ref.forward_propagation(X, small)
    small_grads = ref.backward_propagation(small, small_cache, X, Y)
    # g'(Z1) = 1 - A1^2 is near zero almost everywhere, so W1 barely learns.
    assert np.median(1 - cache["A1"] ** 2) < 1e-6
    assert np.abs(grads["dW1"]).max() / np.abs(p["W1"]).max() < 1e-4
    assert np.median(1 - small_cache["A1"] ** 2) > 0.99
    assert np.abs(small_grads["dW1"]).max() / np.abs(small["W1"]).max() > 1e-2


def test_softmax_output_learns_three_classes():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    labels = np.repeat(np.arange(3), 50)
    X = (centres[labels] + rng.normal(scale=0.7, size=(150, 2))).T
    Y = labels[np.newaxis, :]
    p = ref.nn_model(X, Y, 5, num_iterations=500, output_activation="softmax", learning_rate=0.5)
    assert p["W2"].shape == (3, 5)
    prediction = ref.predict(p, X, output_activation="softmax")
    assert prediction.shape == (1, 150)
    assert ref.accuracy(prediction, Y) > 0.95


@pytest.mark.parametrize("hidden", HIDDEN)
def test_every_hidden_activation_trains(hidden):
    X, Y = load_planar_dataset()
    p = ref.nn_model(X, Y, 8, num_iterations=2000, hidden_activation=hidden, learning_rate=0.5,
                     scale=0.5)
    assert ref.accuracy(ref.predict(p, X, hidden_activation=hidden), Y) > 0.7


def test_bad_options_are_clear_errors():
    X, Y = load_planar_dataset()
    with pytest.raises(ValueError, match="unknown activation"):
        ref.nn_model(X, Y, 2, num_iterations=1, hidden_activation="swish")
    with pytest.raises(ValueError, match="unknown output activation"):
        ref.nn_model(X, Y, 2, num_iterations=1, output_activation="linear")
