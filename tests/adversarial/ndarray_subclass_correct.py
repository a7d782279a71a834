# ruff: noqa
# The right values, in an ndarray subclass.
class ShinyArray(np.ndarray):
    pass


def sigmoid(z):
    return (1 / (1 + np.exp(-z))).view(ShinyArray)
