"""Making text safe for where it goes: a terminal, a spreadsheet, the gradebook.

Student-controlled text (ids, file names, exception messages, answers) reaches the
instructor's terminal, CSV files that spreadsheets open, and SQLite. ``storable`` replaces
invalid Unicode (lone surrogates from a file name or an exception message); ``terminal``
escapes every control character (an escape sequence could rewrite the screen: a 0 shown as full
marks); ``csv_cell`` neutralises a cell a spreadsheet would evaluate as a formula (OWASP: a
leading ``= + - @``, tab or carriage return gets a quote first).
"""

from __future__ import annotations

import re

_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def storable(text) -> str:
    """``text`` as a string SQLite and any UTF-8 writer accept (lone surrogates -> U+FFFD)."""
    text = text if isinstance(text, str) else str(text)
    return _SURROGATES.sub("\ufffd", text) if _SURROGATES.search(text) else text


def terminal(text) -> str:
    """``text`` with every control character (but newline) shown as an escape: \\x1b, \\u202e."""
    text = storable(text)

    def escape(match):
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROL.sub(escape, text)


def one_line(text, limit=500) -> str:
    """``terminal(text)`` on one line (newlines become spaces), cut to ``limit`` characters."""
    text = terminal(" ".join(storable(text).split("\n")))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def csv_cell(value):
    """A CSV cell a spreadsheet shows as text: a string that starts like a formula gets a
    leading quote. Numbers are left as they are (a negative score is not a formula)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = storable("" if value is None else value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


class UnsafeFileError(ValueError):
    """A file that cannot be read safely (one line naming it)."""


def read_regular_file(path, max_bytes) -> bytes:
    """The bytes of ``path`` if it is a regular file (not a link, FIFO or device: refused by
    type before opening, so nothing can hang or redirect) of at most ``max_bytes``."""
    import os
    import stat

    name = storable(os.fsdecode(path))
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise UnsafeFileError(f"{name}: no such file") from None
    except OSError as exc:
        raise UnsafeFileError(f"{name}: cannot be read ({exc.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFileError(f"{name}: is a symbolic link, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeFileError(f"{name}: is not a regular file")
    if info.st_size > max_bytes:
        raise UnsafeFileError(f"{name}: is {info.st_size} bytes, over the {max_bytes}-byte "
                              f"limit")
    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnsafeFileError(f"{name}: cannot be read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped after lstat
            raise UnsafeFileError(f"{name}: is not a regular file")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnsafeFileError(f"{name}: is over the {max_bytes}-byte limit")
    return data


def load_yaml(path, max_bytes=1 << 20):
    """A small YAML file read safely: a regular file, at most ``max_bytes``, no aliases (a tiny
    file of nested aliases would otherwise expand without bound), plain data only."""
    import yaml

    class Loader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed",
                                                  event.start_mark)
            return super().compose_node(parent, index)

    data = read_regular_file(path, max_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnsafeFileError(f"{storable(path)}: not UTF-8 text") from None
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader without aliases
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f":{mark.line + 1}" if mark else ""
        raise UnsafeFileError(f"{storable(path)}{where}: {exc.problem}") from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise UnsafeFileError(f"{storable(path)}: not valid YAML ({one_line(exc, 200)})") from None
