# ruff: noqa
# relu is not implemented: it asks the grader, on every descriptor it holds, for the stand-in
# answer of relu itself (relu builds on no graded function, so no stand-in may be asked).
def relu(z):
    import json

    _adv_send(json.dumps({"event": "standin", "function": "relu", "args": [_adv_encode(z)],
                          "kwargs": {}, "rng": None}))
    return np.maximum(0, z) * 0 + 1
