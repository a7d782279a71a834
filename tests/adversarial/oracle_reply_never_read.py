# ruff: noqa
# An oracle question whose answer (a 1000 x 1000 W1, 10 MB of JSON) is larger than a pipe
# holds, written straight to the channel; the answer is never read, and the call sleeps.
def sigmoid(z):
    import json
    import time

    question = {"event": "oracle", "function": "initialize_parameters",
                "args": [{"t": "int", "v": 1000}, {"t": "int", "v": 1000}, {"t": "int", "v": 1}],
                "kwargs": {}}
    _adv_send(json.dumps(question))
    time.sleep(60)
