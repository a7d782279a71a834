# ruff: noqa
# A result line whose fields have the wrong types, on every open descriptor.
def sigmoid(z):
    _adv_send('{"event": "result", "id": "sigmoid/1", "seconds": "soon"}',
              '{"event": "result", "id": ["sigmoid/1"]}',
              '{"event": "loaded", "names": 5}', '{"event": "standin", "function": 7}')
    return z
