# ruff: noqa
# A 10^8-element array (400 MB of float32) instead of one shaped like z.
def tanh(z):
    return np.zeros(10**8, dtype=np.float32)
