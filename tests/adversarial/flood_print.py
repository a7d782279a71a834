# ruff: noqa
# 100 MB of print() (captured output), then the right answer.
def sigmoid(z):
    chunk = "x" * (1 << 20)
    for _ in range(100):
        print(chunk)
    return 1 / (1 + np.exp(-z))
