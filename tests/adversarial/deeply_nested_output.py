# ruff: noqa
def relu(z):
    value = np.maximum(0, z)
    for _ in range(10_000):
        value = [value]
    return value
