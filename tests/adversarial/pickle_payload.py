# ruff: noqa
# Pickle payloads whose unpickling would create a file in the test's folder (outside the
# sandbox): returned as an object with __reduce__, as pickled bytes, and forged on the channel
# as an object array and as an unknown 'pickle' tag.
class Payload:
    def __reduce__(self):
        return (open, ("ADV_TMP/pickle-ADV_MARKER", "w"))


def relu(z):
    import base64
    import json
    import pickle

    blob = base64.b64encode(pickle.dumps(Payload())).decode()
    _adv_send(
        json.dumps({"event": "result", "id": "relu/1", "error": None, "stdout": "", "seconds": 0,
                    "value": {"t": "nd", "dtype": "|O", "shape": [1], "b64": blob}}),
        json.dumps({"event": "result", "id": "relu/2", "error": None, "stdout": "", "seconds": 0,
                    "value": {"t": "pickle", "b64": blob}}),
    )
    if z.shape[0] == 1:
        return Payload()
    return pickle.dumps(Payload())
