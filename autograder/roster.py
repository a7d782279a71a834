"""The class roster: who should have handed something in (ids, and names when known).

A text file with one id a line, or a CSV file. In a CSV with a header row, the column named
``student``, ``student_id``, ``id`` or ``username`` holds the ids (nbgrader's
``nbgrader db student import`` file has ``id,first_name,last_name,email``); otherwise the first
column does. ``first_name``, ``last_name`` and ``email`` columns are kept when present. Blank
lines and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

MAX_BYTES = 10 << 20


class RosterError(Exception):
    """A roster that cannot be read (one line)."""


@dataclass(frozen=True)
class Person:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""


def csv_rows(path) -> list[list[str]]:
    """The rows of a roster-like CSV file (a regular file, at most MAX_BYTES, UTF-8)."""
    from .safety import UnsafeFileError, read_regular_file

    try:
        text = read_regular_file(path, MAX_BYTES).decode("utf-8-sig")
    except UnsafeFileError as exc:
        raise RosterError(str(exc)) from None
    except UnicodeDecodeError:
        raise RosterError(f"{path}: the roster is not UTF-8 text") from None
    return list(csv.reader(io.StringIO(text)))


def read_roster(path) -> list[Person]:
    rows = [row for row in csv_rows(path)
            if row and row[0].strip() and not row[0].lstrip().startswith("#")]
    columns = {"id": 0}
    if rows:
        header = [cell.strip().lower() for cell in rows[0]]
        for name in ("student", "student_id", "id", "username"):
            if name in header:
                columns = {"id": header.index(name)}
                for extra in ("first_name", "last_name", "email"):
                    if extra in header:
                        columns[extra] = header.index(extra)
                rows = rows[1:]
                break
    people, seen = [], set()
    for row in rows:
        cells = {key: row[index].strip() if index < len(row) else ""
                 for key, index in columns.items()}
        student = cells["id"]
        if student and student not in seen:
            seen.add(student)
            people.append(Person(student, cells.get("first_name", ""),
                                 cells.get("last_name", ""), cells.get("email", "")))
    return people
