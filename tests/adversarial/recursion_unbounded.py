# ruff: noqa
def relu(z):
    return relu(z)
