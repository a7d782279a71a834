# ruff: noqa
# Helpers shared by the hostile submissions; the test puts this file first in every notebook
# built from a .py attack, as a cell of its own. Student code, never imported by the tests.


def _adv_fds():
    """Every open file descriptor above stderr: the grader's result channel is one of them."""
    import os

    found = []
    for fd in range(3, 256):
        try:
            os.fstat(fd)
        except OSError:
            continue
        found.append(fd)
    return found


def _adv_send(*lines):
    """Write JSON lines to every open descriptor (and to stdout through /proc): forged messages."""
    import os

    data = "".join(line + "\n" for line in lines).encode()
    for fd in _adv_fds():
        try:
            os.write(fd, data)
        except OSError:
            pass


def _adv_grader_function(name):
    """A function of the child's own code found in memory, e.g. its `ask` or `encode`: in the
    loaded modules, else among the objects the collector tracks (the zygote freezes its own
    objects before it forks, which hides them from gc.get_objects, not from sys.modules)."""
    import gc
    import sys

    candidates = [v for m in list(sys.modules.values()) for v in vars(m).values()]
    for obj in candidates + gc.get_objects():
        if getattr(obj, "__name__", None) == name and hasattr(obj, "__code__"):
            if obj.__code__.co_filename.endswith(("child.py", "wire.py")):
                return obj
    raise LookupError(name)


def _adv_encode(value):
    return _adv_grader_function("encode")(value)


def _adv_mark(marker):
    """Put the marker in this process's name (/proc/PID/comm), so the test can find it."""
    try:
        with open("/proc/self/comm", "w") as handle:
            handle.write(marker)
    except OSError:
        pass
