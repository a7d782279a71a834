# ruff: noqa
def compute_cost(A2, Y):
    return 1e308
