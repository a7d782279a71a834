"""Buggy implementations of the graded functions: one per catalogued mistake (BUGS), and
wrong ones the catalog does not know (UNKNOWN), for the diagnosis tests and the benchmarks."""

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
    ("python_max_on_array", "leaky_relu", """
def leaky_relu(z):
    return max(0.01 * z, z)
"""),
    ("python_max_on_array", "relu_derivative", """
def relu_derivative(z):
    return 1.0 if z > 0 else 0.0
"""),
    ("python_max_on_array", "leaky_relu_derivative", """
def leaky_relu_derivative(z):
    if z > 0:
        return 1.0
    return 0.01
"""),
    ("leaky_relu_wrong_slope", "leaky_relu_derivative", """
def leaky_relu_derivative(z):
    return np.where(z > 0, 1.0, 0.1)
"""),
]

BUGS += [
    ("hardcoded_layer_sizes", "layer_sizes", """
def layer_sizes(X, Y):
    return (2, 4, 1)
"""),
    ("db_sums_dW", "backward_propagation", """
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dW2, axis=1, keepdims=True)
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - np.power(A1, 2))
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = (1 / m) * np.sum(dW1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""),
    ("missing_parentheses_derivative", "backward_propagation", """
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(parameters["W2"].T, dZ2) * 1 - np.power(A1, 2)
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""),
]

SIGNATURES = {
    "sigmoid": "z", "tanh": "z", "relu": "z", "leaky_relu": "z", "sigmoid_derivative": "z",
    "tanh_derivative": "z", "relu_derivative": "z", "leaky_relu_derivative": "z",
    "layer_sizes": "X, Y", "initialize_parameters": "n_x, n_h, n_y",
    "forward_propagation": "X, parameters", "compute_cost": "A2, Y",
    "backward_propagation": "parameters, cache, X, Y",
    "update_parameters": "parameters, grads, lr=1.2",  # a keyword renamed
    "nn_model": "X, Y, n_h, iterations=10000, print_cost=False", "predict": "parameters, X",
}
BUGS += [("changed_signature", name,
          f"\ndef {name}({args if '=' in args else args + ', extra'}):"
          f"\n    raise ValueError('never reached')\n")
         for name, args in SIGNATURES.items()]
"""A signature other than the course's (an argument renamed, dropped or added): the grader's
call raises TypeError before any of the function runs."""


UNKNOWN = [
    ("forward_propagation", """
def forward_propagation(X, parameters):
    A2 = np.full((1, X.shape[1]), 0.3)
    return A2, {"Z1": None, "A1": None, "Z2": None, "A2": A2}
"""),
    ("compute_cost", """
def compute_cost(A2, Y):
    return float(np.mean((A2 - Y) ** 2))
"""),
    ("backward_propagation", """
def backward_propagation(parameters, cache, X, Y):
    return {k: np.ones_like(parameters[k[1:]]) for k in ("dW1", "db1", "dW2", "db2")}
"""),
    ("initialize_parameters", """
def initialize_parameters(n_x, n_h, n_y):
    return {"W1": np.full((n_h, n_x), 0.5), "b1": np.zeros((n_h, 1)),
            "W2": np.full((n_y, n_h), 0.5), "b2": np.zeros((n_y, 1))}
"""),
    ("sigmoid_derivative", """
def sigmoid_derivative(z):
    return np.exp(-z)
"""),
    ("predict", """
def predict(parameters, X):
    return np.ones((1, X.shape[1]), dtype=bool)
"""),
]
"""Wrong functions whose mistake is not in the catalog: nothing may be named for them."""
