# ruff: noqa
# A result line forged on the channel for every case of sigmoid (the right values for this call),
# then a forged 'done', then the honest (wrong) answer.
def sigmoid(z):
    import json

    value = _adv_encode(1 / (1 + np.exp(-z)))
    _adv_send(*[json.dumps({"event": "result", "id": f"sigmoid/{n}", "value": value,
                            "error": None, "stdout": "", "seconds": 0.0}) for n in range(1, 4)],
              '{"event": "loaded", "names": []}')
    return z
