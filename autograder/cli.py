"""The ``shallow`` command: one click group, each command a thin wrapper over a module function.

Start-up stays fast: this module imports only click; each command imports what it needs.
"""

from __future__ import annotations

import click

from . import __version__


def _int_list(ctx, param, value):
    try:
        sizes = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {value!r}") from None
    if not sizes or min(sizes) < 1:
        raise click.BadParameter("hidden-layer sizes must be positive integers")
    return sizes


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shallow")
def main():
    """Auto-graded exercises and review quizzes for shallow neural networks."""


@main.command()
@click.option("--dataset", default="flower", show_default=True,
              type=click.Choice(["flower", "noisy_circles", "noisy_moons", "blobs",
                                 "gaussian_quantiles"]),
              help="Bundled data set to train on.")
@click.option("--hidden-sizes", default="4", show_default=True, callback=_int_list,
              help="Comma-separated hidden-layer sizes n_h, one model each.")
@click.option("--iterations", default=5000, show_default=True, type=click.IntRange(min=0),
              help="Gradient-descent iterations per model.")
@click.option("--activation", default="tanh", show_default=True,
              type=click.Choice(["tanh", "sigmoid", "relu", "leaky_relu"]),
              help="Hidden-layer activation.")
@click.option("--learning-rate", default=1.2, show_default=True, type=float)
def train(dataset, hidden_sizes, iterations, activation, learning_rate):
    """Train the reference network and print training accuracy for each hidden-layer size."""
    from .training import format_table, train_sizes

    m, runs = train_sizes(dataset, hidden_sizes, iterations, hidden_activation=activation,
                          learning_rate=learning_rate)
    click.echo(f"Reference network on the {dataset} data set (m = {m}), {activation} hidden "
               f"layer, {iterations} iterations, learning rate {learning_rate}")
    click.echo(format_table(runs))


if __name__ == "__main__":  # pragma: no cover
    main()
