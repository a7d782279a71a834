# ruff: noqa
# SIGSTOP to the parent (the grader's fork server, same uid, same pid namespace), then the
# right answer. The test runs this only where a pid namespace or an unprivileged uid keeps the
# test runner out of reach.
def relu(z):
    import os
    import signal

    try:
        os.kill(os.getppid(), signal.SIGSTOP)
    except OSError:
        pass
    return np.maximum(0, z)
