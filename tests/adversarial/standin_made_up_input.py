# ruff: noqa
# nn_model asks the forward_propagation stand-in about inputs it made up (an oracle would answer
# with the reference's values), then tries to carry the answer out through every channel the
# grader reads: its printed output, an exception message, a review answer variable, its return
# value. forward_propagation itself is not implemented: a miss runs it and raises.
def forward_propagation(X, parameters):
    raise NotImplementedError("forward_propagation")


def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    rng = np.random.default_rng(424242)
    fake_X = rng.normal(size=(3, 5))
    fake = {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=(4, 1)),
            "W2": rng.normal(size=(1, 4)), "b2": rng.normal(size=(1, 1))}
    try:
        A2, _ = forward_propagation(fake_X, fake)
        leak = "LEAK " + " ".join(f"{v:.10f}" for v in np.ravel(A2))
    except Exception as exc:
        leak = f"NOLEAK {type(exc).__name__}"
    print(leak)
    globals()["q_keepdims_shape"] = leak
    raise ValueError(leak)
