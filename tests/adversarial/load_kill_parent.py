# ruff: noqa
# At import time: kill the parent and every python process in sight (the test runs this only
# where a pid namespace or an unprivileged uid keeps the test runner out of reach).
import os
import signal


def _kill_everyone():
    me = os.getpid()
    targets = [os.getppid()]
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != me:
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    command = handle.read()
            except OSError:
                continue
            if b"python" in command or b"pytest" in command or b"bwrap" in command:
                targets.append(int(entry))
    for pid in targets:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


class Parricide:
    _kill_everyone()
