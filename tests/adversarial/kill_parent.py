# ruff: noqa
# Kill the parent and every python process in sight (run only where a pid namespace or an
# unprivileged uid keeps the test runner out of reach).
def relu(z):
    import os
    import signal

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
    killed = []
    for pid in targets:
        try:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        except OSError:
            pass
    raise RuntimeError(f"KILLED {killed}")
