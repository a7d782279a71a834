"""shallow_ref: the reference one-hidden-layer network, numpy only.

The single source of correct answers for the autograder, the notebooks and the quiz bank.
"""

from .activations import (
    leaky_relu,
    leaky_relu_derivative,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    tanh,
    tanh_derivative,
)
from .network import (
    accuracy,
    backward_propagation,
    compute_cost,
    forward_propagation,
    initialize_parameters,
    layer_sizes,
    nn_model,
    one_hot,
    predict,
    update_parameters,
)

__all__ = [
    "sigmoid", "tanh", "relu", "leaky_relu", "softmax",
    "sigmoid_derivative", "tanh_derivative", "relu_derivative", "leaky_relu_derivative",
    "layer_sizes", "initialize_parameters", "forward_propagation", "compute_cost",
    "backward_propagation", "update_parameters", "nn_model", "predict", "accuracy", "one_hot",
]
