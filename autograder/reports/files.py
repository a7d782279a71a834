"""Where the pages go and how they are written: nbgrader's feedback layout, the report's
relative links into it, atomic writes, and the safe copy of nbgrader's submission files.

Every path component that comes from a student (their id, the notebook's name) goes through
``commands.safe_component``, so no id can climb out of the output folder or hide a file; a link
percent-encodes each component once more, so the browser asks for exactly the file written.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from ..commands import safe_component
from ..safety import UnsafeFileError, read_regular_file, storable

NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")
"""Copied from the submission folder next to the page, as nbgrader's ``generate_feedback``
does (``release_feedback`` needs both)."""
MAX_NBGRADER_FILE = 64 << 10


def notebook_stem(path: str, assignment: str) -> str:
    """The graded notebook's file name without its suffix (the assignment's name if none)."""
    stem = PurePosixPath(storable(path).replace("\\", "/")).stem if path else ""
    return stem or storable(assignment) or "feedback"


def feedback_path(out, student: str, assignment: str, path: str = "") -> Path:
    """``<out>/<student>/<assignment>/<notebook stem>.html``, each component made harmless."""
    return Path(out) / safe_component(storable(student) or "unknown") / \
        safe_component(storable(assignment) or "unknown") / \
        f"{safe_component(notebook_stem(path, assignment))}.html"


def href(from_folder, target: Path) -> str:
    """A relative link from a page in ``from_folder`` to the file ``target``."""
    relative = os.path.relpath(os.path.abspath(target), os.path.abspath(from_folder))
    parts = Path(relative).parts
    return "./" + "/".join(part if part == ".." else quote(part, safe="") for part in parts)


def make_folder(out: Path, folder: Path) -> None:
    """Create ``folder`` (inside ``out``, which is created too) with one system call a level."""
    out.mkdir(parents=True, exist_ok=True)
    for level in reversed(folder.relative_to(out).parents[:-1]):
        with contextlib.suppress(FileExistsError):
            os.mkdir(out / level)
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder)


def write_text(path: Path, text: str, *, make_parents=True) -> None:
    """Write ``text`` as UTF-8 atomically: a reader never sees half a page, and a link planted
    where the page goes is replaced, never followed."""
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(partial)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(partial, flags, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    os.replace(partial, path)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` atomically, like ``write_text``."""
    partial = path.with_name(f".{path.name}.partial")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(partial)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)


def submission_folder(result) -> Path | None:
    """The folder the notebook was collected into, when it is nbgrader's
    ``submitted/<student>/<assignment>/`` (so its files are the student's own)."""
    if not result.path:
        return None
    folder = Path(result.path).parent
    if folder.name != result.assignment or folder.parent.name != result.student:
        return None
    return folder


def copy_nbgrader_files(result, folder: Path) -> tuple[list[str], list[str]]:
    """Copy ``timestamp.txt`` and ``submission_secret.txt`` next to the page; return (the
    names copied, one line per file refused: a link, a FIFO, a device, too large,
    unreadable). Absent files are not a problem: a notebook graded from elsewhere has none."""
    source = submission_folder(result)
    if source is None:
        return [], []
    copied, problems = [], []
    for name in NBGRADER_FILES:
        path = source / name
        if not os.path.lexists(path):
            continue
        try:
            data = read_regular_file(path, MAX_NBGRADER_FILE)
        except UnsafeFileError as exc:
            problems.append(f"{exc}: not copied next to the feedback page")
            continue
        write_bytes(folder / name, data)
        copied.append(name)
    return copied, problems
