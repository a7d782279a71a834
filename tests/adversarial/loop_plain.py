# ruff: noqa
def tanh(z):
    while True:
        pass
