"""``shallow train``: train the reference network on a bundled data set and tabulate accuracy."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class TrainingRun:
    n_h: int
    accuracy: float
    cost: float
    seconds: float


def train_sizes(dataset="flower", hidden_sizes=(4,), iterations=5000, *,
                hidden_activation="tanh", learning_rate=1.2):
    """Train one reference model per hidden-layer size; return a TrainingRun for each."""
    from shallow_ref import accuracy, compute_cost, forward_propagation, nn_model, predict
    from shallow_ref.datasets import load

    X, Y = load(dataset)
    runs = []
    for n_h in hidden_sizes:
        start = time.perf_counter()
        parameters = nn_model(X, Y, n_h, iterations, hidden_activation=hidden_activation,
                              learning_rate=learning_rate)
        seconds = time.perf_counter() - start
        A2, _ = forward_propagation(X, parameters, hidden_activation=hidden_activation)
        runs.append(TrainingRun(
            n_h=n_h,
            accuracy=accuracy(predict(parameters, X, hidden_activation=hidden_activation), Y),
            cost=compute_cost(A2, Y),
            seconds=seconds,
        ))
    return X.shape[1], runs


def format_table(runs):
    """The runs as an aligned text table, one row per hidden-layer size."""
    lines = [" n_h | training accuracy |   cost   | time",
             "-----+-------------------+----------+--------"]
    for run in runs:
        lines.append(f"{run.n_h:4d} | {100 * run.accuracy:15.2f} % | {run.cost:8.4f} |"
                     f" {run.seconds:5.2f} s")
    return "\n".join(lines)
