# ruff: noqa
# A stand-in question for initialize_parameters (which sigmoid may not ask) with a large
# answer, written straight to the channel; the answer is never read, and the call sleeps.
def sigmoid(z):
    import json
    import time

    question = {"event": "standin", "function": "initialize_parameters",
                "args": [{"t": "int", "v": 1000}, {"t": "int", "v": 1000}, {"t": "int", "v": 1}],
                "kwargs": {}, "rng": None}
    _adv_send(json.dumps(question))
    time.sleep(60)
