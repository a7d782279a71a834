"""Parametric questions: parameters drawn from a seed, answers computed, never typed by hand.

Each generator takes a numpy Generator and returns ``(params, kind, answer, tolerance)``: the
values that fill the prompt's ``{placeholders}``, the kind of answer ("shape" or "numeric"), the
answer itself (computed with numpy or ``shallow_ref``) and, for numbers, the tolerance. A
student's variant depends only on the bank's seed, the student id and the question id, so the
same student always sees the same numbers.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    question_id: str
    params: dict
    kind: str  # "shape" or "numeric"
    answer: object
    tolerance: dict

    def fill(self, text):
        """``text`` with its ``{placeholders}`` filled from the parameters."""
        return text.format(**self.params) if text else text


def _network(rng):
    return {"n_x": int(rng.integers(2, 9)), "n_h": int(rng.integers(2, 11)),
            "n_y": int(rng.integers(1, 4))}


def _parameters(dims):
    import numpy as np

    import shallow_ref as ref

    state = np.random.get_state()
    try:
        return ref.initialize_parameters(dims["n_x"], dims["n_h"], dims["n_y"])
    finally:
        np.random.set_state(state)


def keepdims_shape(rng, keepdims=True):
    import numpy as np

    params = {"rows": int(rng.integers(2, 9)), "cols": int(rng.integers(2, 9)),
              "axis": int(rng.integers(0, 2))}
    A = np.zeros((params["rows"], params["cols"]))
    shape = np.sum(A, axis=params["axis"], keepdims=keepdims).shape
    return params, "shape", list(shape), {}


def sum_shape(rng):
    return keepdims_shape(rng, keepdims=False)


def parameter_shape(rng):
    params = _network(rng)
    params["param"] = ("W1", "b1", "W2", "b2")[int(rng.integers(0, 4))]
    return params, "shape", list(_parameters(params)[params["param"]].shape), {}


def parameter_count(rng):
    params = _network(rng)
    total = sum(int(v.size) for v in _parameters(params).values())
    return params, "numeric", total, {"abs": 0}


def activation_shape(rng):
    import numpy as np

    import shallow_ref as ref

    params = _network(rng)
    params["m"] = int(rng.integers(5, 500))
    params["name"] = ("Z1", "A1", "Z2", "A2")[int(rng.integers(0, 4))]
    _, cache = ref.forward_propagation(np.zeros((params["n_x"], params["m"])),
                                       _parameters(params))
    return params, "shape", list(cache[params["name"]].shape), {}


def _z(rng):
    return round(float(rng.uniform(-3, 3)), 1) or 0.5


def sigmoid_value(rng):
    import shallow_ref as ref

    z = _z(rng)
    return {"z": z}, "numeric", float(ref.sigmoid(z)), {"abs": 0.005}


def tanh_derivative_value(rng):
    import shallow_ref as ref

    z = _z(rng)
    return {"z": z}, "numeric", float(ref.tanh_derivative(z)), {"abs": 0.005}


def relu_derivative_value(rng):
    import shallow_ref as ref

    z = _z(rng)
    return {"z": z}, "numeric", float(ref.relu_derivative(z)), {"abs": 0}


def cross_entropy_value(rng):
    import numpy as np

    import shallow_ref as ref

    a = round(float(rng.uniform(0.05, 0.95)), 2)
    y = int(rng.integers(0, 2))
    cost = ref.compute_cost(np.array([[a]]), np.array([[y]]))
    return {"a": a, "y": y}, "numeric", cost, {"abs": 0.005}


GENERATORS = {
    "keepdims_shape": keepdims_shape,
    "sum_shape": sum_shape,
    "parameter_shape": parameter_shape,
    "parameter_count": parameter_count,
    "activation_shape": activation_shape,
    "sigmoid_value": sigmoid_value,
    "tanh_derivative_value": tanh_derivative_value,
    "relu_derivative_value": relu_derivative_value,
    "cross_entropy_value": cross_entropy_value,
}

PLACEHOLDERS = {
    "keepdims_shape": {"rows", "cols", "axis"}, "sum_shape": {"rows", "cols", "axis"},
    "parameter_shape": {"n_x", "n_h", "n_y", "param"},
    "parameter_count": {"n_x", "n_h", "n_y"},
    "activation_shape": {"n_x", "n_h", "n_y", "m", "name"},
    "sigmoid_value": {"z"}, "tanh_derivative_value": {"z"}, "relu_derivative_value": {"z"},
    "cross_entropy_value": {"a", "y"},
}
"""The placeholders each generator fills (checked by bank validation without numpy)."""

KINDS = {
    "keepdims_shape": "shape", "sum_shape": "shape", "parameter_shape": "shape",
    "parameter_count": "numeric", "activation_shape": "shape", "sigmoid_value": "numeric",
    "tanh_derivative_value": "numeric", "relu_derivative_value": "numeric",
    "cross_entropy_value": "numeric",
}
"""The kind of answer each generator computes, known without numpy (for form checks)."""


def variant_seed(question_id, student="", seed=0):
    return zlib.crc32(f"{seed}\0{student}\0{question_id}".encode())


def make_variant(question, *, student="", seed=0):
    """The variant of a parametric question for this student and seed."""
    import numpy as np

    rng = np.random.default_rng(variant_seed(question.id, student, seed))
    params, kind, answer, tolerance = GENERATORS[question.generator](rng)
    return Variant(question.id, params, kind, answer, tolerance)
