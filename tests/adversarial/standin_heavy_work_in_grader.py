# ruff: noqa
# Thirty-two stand-in questions written at once from nn_model (which may ask for
# initialize_parameters), each asking for 16 million random numbers: with an oracle the grader
# itself would draw them (seconds of its time, 128 MB each). nn_model then trains correctly.
def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    import json

    question = {"event": "standin", "function": "initialize_parameters",
                "args": [{"t": "int", "v": 16_000_000}, {"t": "int", "v": 1},
                         {"t": "int", "v": 0}], "kwargs": {}, "rng": None}
    _adv_send(*[json.dumps(question)] * 32)
    np.random.seed(3)
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads)
        if print_cost and i % 1000 == 0:
            print("Cost after iteration %i: %f" % (i, compute_cost(A2, Y)))
    return parameters
