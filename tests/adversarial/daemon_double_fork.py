# ruff: noqa
# Daemons that try to outlive grading, started on the first call: a classic one (setsid, double
# fork, sleep) and six chains that keep re-forking for two seconds (a process whose pid keeps
# changing dodges a one-pass kill) before they sleep too. All of them carry the marker in their
# process name. The function itself returns the right answer.
def _adv_sleep_forever(marker):
    import os
    import time

    _adv_mark(marker)  # in /proc/PID/comm (exec'ing a new interpreter may be denied to the uid)
    time.sleep(15)
    os._exit(0)


def relu(z):
    import os
    import time

    global _adv_started
    try:
        _adv_started
    except NameError:
        _adv_started = True
        if os.fork() == 0:
            try:
                os.setsid()
                if os.fork():
                    os._exit(0)
                if os.fork() == 0:
                    _adv_sleep_forever("ADV_MARKER")  # the classic daemon
                end = time.time() + 2.0
                for _ in range(6):
                    if os.fork() == 0:
                        break
                else:
                    os._exit(0)
                while time.time() < end:
                    if os.fork():
                        os._exit(0)
                _adv_sleep_forever("ADV_MARKER")
            finally:
                os._exit(0)
    return np.maximum(0, z)
