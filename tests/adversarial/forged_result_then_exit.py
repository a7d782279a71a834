# ruff: noqa
# A result line forged on the channel for every case of sigmoid, then os._exit(0): the call
# never returns, so the honest outcome is a crash (no credit).
def sigmoid(z):
    import json
    import os

    value = _adv_encode(1 / (1 + np.exp(-z)))
    _adv_send(*[json.dumps({"event": "result", "id": f"sigmoid/{n}", "value": value,
                            "error": None, "stdout": "", "seconds": 0.0}) for n in range(1, 4)])
    os._exit(0)
