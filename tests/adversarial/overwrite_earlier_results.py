# ruff: noqa
# forward_propagation is wrong but remembers its arguments in a global. predict, graded after
# it, asks the forward_propagation stand-in for each remembered call and writes the answers on
# the channel as forward propagation's results, over the genuine (wrong) ones. predict itself is
# correct. (Each exercise now runs in a fresh process: the global is empty in predict's.)
def forward_propagation(X, parameters):
    global _adv_seen
    try:
        _adv_seen
    except NameError:
        _adv_seen = []
    _adv_seen.append((X.copy(), {key: value.copy() for key, value in parameters.items()}))
    return np.zeros((1, X.shape[1])), {}


def predict(parameters, X):
    import json

    for number, (seen_X, seen_parameters) in enumerate(globals().get("_adv_seen", []), 1):
        answer = forward_propagation(seen_X, seen_parameters)  # the stand-in, while predicting
        _adv_send(json.dumps({"event": "result", "id": f"forward_propagation/{number}",
                              "value": _adv_encode(answer), "error": None, "stdout": "",
                              "seconds": 0.0}))
    A2, cache = forward_propagation(X, parameters)
    return A2 > 0.5
