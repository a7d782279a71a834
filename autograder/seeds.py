"""Per-student test cases: the course secret and the seed it gives each submission.

Hidden cases differ for every student, assignment and notebook, so inputs and answers learnt
once are worth nothing for a classmate, nor for the same student's next attempt (whatever a
notebook learnt of its own hidden cases, the notebook that uses it is another file, with other
cases). The seed is ``HMAC-SHA256(secret, student NUL assignment NUL sha256 of the file)``, cut
to 63 bits; the secret is 32 random bytes created on first use in the course folder
(``.shallow/secret``, mode 0600, like nbgrader's course id: outside every submission, never in a
student's view) and the seed of every attempt is recorded in the gradebook, so every grade can
be reproduced: the same file always gets the same cases. ``--seed N`` gives everybody the same
cases instead. Visible cases are the same for everybody (students compare notes on them
anyway).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_FILE = Path(".shallow") / "secret"


class SecretError(Exception):
    """The course secret cannot be read or created (one line)."""


def secret_path(course_root) -> Path:
    return Path(course_root) / SECRET_FILE


def load_secret(course_root, *, create=True) -> bytes:
    """The course's secret (created with mode 0600 the first time when ``create``)."""
    path = secret_path(course_root)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        if not create:
            raise SecretError(f"{path}: no course secret yet (grade once to create it)") from None
        return _create(path)
    except OSError as exc:
        raise SecretError(f"{path}: cannot read the course secret ({exc.strerror})") from None
    if not os.path.isfile(path) or os.path.islink(path) or info.st_size > 4096:
        raise SecretError(f"{path}: the course secret is not a regular file")
    data = path.read_bytes().strip()
    if len(data) < 32:
        raise SecretError(f"{path}: the course secret is too short (delete it to make a new "
                          f"one: every hidden case will change)")
    return data


def _create(path: Path) -> bytes:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = secrets.token_hex(32).encode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another grader made it a moment ago
        return load_secret(path.parent.parent, create=False)
    except OSError as exc:
        raise SecretError(f"{path}: cannot create the course secret ({exc.strerror})") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data + b"\n")
    return data


def student_seed(secret: bytes, student: str, assignment: str, content: str = "") -> int:
    """The seed of the hidden cases of ``student``'s notebook for ``assignment`` whose sha256
    is ``content`` (63 bits)."""
    message = f"{student}\0{assignment}\0{content}".encode("utf-8", "surrogatepass")
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") & (2**63 - 1)
