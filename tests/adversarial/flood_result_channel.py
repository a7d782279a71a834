# ruff: noqa
# 100 MB without a newline on every open descriptor (the result channel among them).
def relu(z):
    import os

    chunk = b"z" * (1 << 20)
    fds = _adv_fds()
    for _ in range(100):
        for fd in fds:
            try:
                os.write(fd, chunk)
            except OSError:
                pass
    return np.maximum(0, z)
