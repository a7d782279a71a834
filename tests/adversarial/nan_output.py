# ruff: noqa
def sigmoid(z):
    return np.full(z.shape, np.nan)
