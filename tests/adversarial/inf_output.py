# ruff: noqa
def compute_cost(A2, Y):
    return float("inf")
