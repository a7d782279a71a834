# ruff: noqa
# At import time: a decorator that never returns.
def _forever(function):
    while True:
        pass


@_forever
def decorated():
    return None
