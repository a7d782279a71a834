"""Every catalogued mistake, proven by a buggy implementation that the grader must diagnose.

Each buggy notebook is the correct submission with one function replaced. The grader must take
points from that exercise only (the other exercises call stand-ins for the graded functions, so
a bug does not cascade) and name the mistake with its hint.
"""

import pytest

from autograder.diagnose import MISTAKES
from autograder.grade import Submission, grade_submission
from notebooks import CORRECT, replace_function, write_notebook

BUGS = [
    ("sigmoid_derivative_plus", "sigmoid_derivative", """
def sigmoid_derivative(z):
    s = sigmoid(z)
    return s * (1 + s)
"""),
    ("derivative_of_a_not_z", "tanh_derivative", """
def tanh_derivative(z):
    return 1 - z ** 2
"""),
    ("derivative_of_a_not_z", "sigmoid_derivative", """
def sigmoid_derivative(z):
    return z * (1 - z)
"""),
    ("tanh_derivative_one_minus_a", "tanh_derivative", """
def tanh_derivative(z):
    return 1 - np.tanh(z)
"""),
    ("relu_derivative_returns_relu", "relu_derivative", """
def relu_derivative(z):
    return np.maximum(0, z)
"""),
    ("leaky_relu_wrong_slope", "leaky_relu", """
def leaky_relu(z):
    return np.maximum(0.1 * z, z)
"""),
    ("python_max_on_array", "relu", """
def relu(z):
    return max(0, z)
"""),
    ("examples_in_rows", "layer_sizes", """
def layer_sizes(X, Y):
    return (X.shape[1], 4, Y.shape[1])
"""),
    ("returns_list_not_tuple", "layer_sizes", """
def layer_sizes(X, Y):
    return [X.shape[0], 4, Y.shape[0]]
"""),
    ("zero_weights", "initialize_parameters", """
def initialize_parameters(n_x, n_h, n_y):
    return {"W1": np.zeros((n_h, n_x)), "b1": np.zeros((n_h, 1)),
            "W2": np.zeros((n_y, n_h)), "b2": np.zeros((n_y, 1))}
"""),
    ("missing_001_scale", "initialize_parameters", """
def initialize_parameters(n_x, n_h, n_y):
    W1 = np.random.randn(n_h, n_x)
    W2 = np.random.randn(n_y, n_h)
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}
"""),
    ("random_biases", "initialize_parameters", """
def initialize_parameters(n_x, n_h, n_y):
    W1 = np.random.randn(n_h, n_x) * 0.01
    W2 = np.random.randn(n_y, n_h) * 0.01
    b1 = np.random.randn(n_h, 1) * 0.01
    b2 = np.random.randn(n_y, 1) * 0.01
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
"""),
    ("reseeding_inside", "initialize_parameters", """
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(2)
    W1 = np.random.randn(n_h, n_x) * 0.01
    W2 = np.random.randn(n_y, n_h) * 0.01
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}
"""),
    ("wrong_draw_order", "initialize_parameters", """
def initialize_parameters(n_x, n_h, n_y):
    W2 = np.random.randn(n_y, n_h) * 0.01
    W1 = np.random.randn(n_h, n_x) * 0.01
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}
"""),
    ("uniform_not_gaussian", "initialize_parameters", """
def initialize_parameters(n_x, n_h, n_y):
    W1 = np.random.rand(n_h, n_x) * 0.01
    W2 = np.random.rand(n_y, n_h) * 0.01
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}
"""),
    ("sigmoid_hidden_layer", "forward_propagation", """
def forward_propagation(X, parameters):
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = sigmoid(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
"""),
    ("tanh_output_layer", "forward_propagation", """
def forward_propagation(X, parameters):
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = np.tanh(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
"""),
    ("forgot_bias", "forward_propagation", """
def forward_propagation(X, parameters):
    Z1 = np.dot(parameters["W1"], X)
    A1 = np.tanh(Z1)
    Z2 = np.dot(parameters["W2"], A1)
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
"""),
    ("elementwise_product", "forward_propagation", """
def forward_propagation(X, parameters):
    Z1 = parameters["W1"] * X + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = parameters["W2"] * A1 + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
"""),
    ("wrong_transpose", "forward_propagation", """
def forward_propagation(X, parameters):
    Z1 = np.dot(parameters["W1"].T, X) + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
"""),
    ("returns_swapped", "forward_propagation", """
def forward_propagation(X, parameters):
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = sigmoid(Z2)
    return {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}, A2
"""),
    ("cost_returns_array", "compute_cost", """
def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
    return -np.sum(logprobs, axis=1, keepdims=True) / m
"""),
    ("cost_sign_flipped", "compute_cost", """
def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
    return float(np.sum(logprobs) / m)
"""),
    ("missing_1_over_m", "compute_cost", """
def compute_cost(A2, Y):
    logprobs = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
    return float(-np.sum(logprobs))
"""),
    ("doubled_1_over_m", "compute_cost", """
def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
    return float(-np.sum(logprobs) / m / m)
"""),
    ("cost_missing_negative_class", "compute_cost", """
def compute_cost(A2, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A2)) / m)
"""),
    ("missing_keepdims", "backward_propagation", """
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1) / m
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - A1 ** 2)
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""),
    ("missing_1_over_m", "backward_propagation", """
def backward_propagation(parameters, cache, X, Y):
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T)
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - A1 ** 2)
    dW1 = np.dot(dZ1, X.T)
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""),
    ("doubled_1_over_m", "backward_propagation", """
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = (A2 - Y) / m
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - A1 ** 2)
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""),
    ("tanh_derivative_one_minus_a", "backward_propagation", """
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - A1)
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""),
    ("sigmoid_hidden_layer", "backward_propagation", """
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(parameters["W2"].T, dZ2) * A1 * (1 - A1)
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""),
    ("dZ2_sign_flipped", "backward_propagation", """
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = Y - A2
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - A1 ** 2)
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""),
    ("wrong_transpose", "backward_propagation", """
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(A1, dZ2.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - A1 ** 2)
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""),
    ("elementwise_product", "backward_propagation", """
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = dZ2 * A1 / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = parameters["W2"].T * dZ2 * (1 - A1 ** 2)
    dW1 = dZ1 * X / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""),
    ("mutating_inputs", "update_parameters", """
def update_parameters(parameters, grads, learning_rate=1.2):
    for key in ("W1", "b1", "W2", "b2"):
        parameters[key] -= learning_rate * grads["d" + key]
    return parameters
"""),
    ("gradient_ascent", "update_parameters", """
def update_parameters(parameters, grads, learning_rate=1.2):
    return {k: parameters[k] + learning_rate * grads["d" + k] for k in parameters}
"""),
    ("learning_rate_ignored", "update_parameters", """
def update_parameters(parameters, grads, learning_rate=1.2):
    return {k: parameters[k] - 1.2 * grads["d" + k] for k in parameters}
"""),
    ("nn_model_not_seeded", "nn_model", """
def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads)
        if print_cost and i % 1000 == 0:
            print("Cost after iteration %i: %f" % (i, cost))
    return parameters
"""),
    ("parameters_never_updated", "nn_model", """
def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    np.random.seed(3)
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        update_parameters(parameters, grads)
        if print_cost and i % 1000 == 0:
            print("Cost after iteration %i: %f" % (i, cost))
    return parameters
"""),
    ("predict_probabilities", "predict", """
def predict(parameters, X):
    A2, cache = forward_propagation(X, parameters)
    return A2
"""),
    ("predict_inverted", "predict", """
def predict(parameters, X):
    A2, cache = forward_propagation(X, parameters)
    return A2 <= 0.5
"""),
]


@pytest.fixture(scope="module")
def correct_scores(tmp_path_factory):
    path = write_notebook(tmp_path_factory.mktemp("ok") / "correct.ipynb")
    result = grade_submission(Submission(str(path), "ok", "all"))
    assert result.score == result.max_score
    return result.exercise_scores()


def test_the_catalog_has_at_least_15_mistakes_and_each_is_proven():
    ids = {m.id for m in MISTAKES}
    assert len(ids) >= 15
    proven = {(mistake_id, exercise) for mistake_id, exercise, _ in BUGS}
    missing = {(m.id, m.exercise) for m in MISTAKES} - proven
    # Variants of one mistake on sibling exercises share a detector; every id is proven at least
    # once, and these few siblings are covered by the same detector code.
    assert {m for m, _ in missing} <= {"python_max_on_array", "leaky_relu_wrong_slope",
                                       "derivative_of_a_not_z"}
    assert ids <= {mistake_id for mistake_id, _, _ in BUGS}


@pytest.mark.parametrize("mistake_id, exercise, code", BUGS,
                         ids=[f"{m}-{e}" for m, e, _ in BUGS])
def test_buggy_implementation_is_diagnosed_on_its_own_exercise(tmp_path, correct_scores,
                                                               mistake_id, exercise, code):
    source = replace_function(CORRECT, exercise, code)
    path = write_notebook(tmp_path / f"{mistake_id}.ipynb", source)
    result = grade_submission(Submission(str(path), "student", "all"))
    scores = result.exercise_scores()
    for name, (score, top) in scores.items():
        if name == exercise:
            assert score < top, f"{exercise} kept all its points"
        else:
            assert score == pytest.approx(correct_scores[name][0]), \
                f"a bug in {exercise} cost points on {name}"
    failed = [t for t in result.tests if t.exercise == exercise and t.status == "failed"]
    assert failed
    assert mistake_id in {t.mistake for t in failed}, [t.output for t in failed]
    mistake = next(m for m in MISTAKES if m.id == mistake_id and m.exercise == exercise)
    diagnosed = next(t for t in failed if t.mistake == mistake_id)
    assert f"Hint: {mistake.hint}" in diagnosed.output
    assert diagnosed.output.startswith(f"Called {exercise}(")
