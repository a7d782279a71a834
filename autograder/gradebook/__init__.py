"""The gradebook: every attempt, quiz and manual grade; SQLite (default) or PostgreSQL.

``open_gradebook(location)``: a path (or ``sqlite:///path``) is a SQLite file; a
``postgresql://`` URL is a PostgreSQL database. Both answer the same methods (``record``,
``attempts``, ``latest``, ``latest_per_student``, ``is_graded``, ``students``, ``assignments``,
``override``, ``overrides``, ``record_quiz``, ``quiz_attempts``, ``latest_quiz``).
"""

from __future__ import annotations

import os

from .schema import SCHEMA_VERSION, GradebookError, Override
from .sqlite import Gradebook

__all__ = ["SCHEMA_VERSION", "Gradebook", "GradebookError", "Override", "open_gradebook",
           "exists"]


def open_gradebook(location):
    """A gradebook for ``location`` (see the module docstring); GradebookError if it fails."""
    text = os.fspath(location) if not isinstance(location, str) else location
    if text.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresGradebook

        return PostgresGradebook(text)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") - 1:]
    return Gradebook(text)


def exists(location) -> bool:
    """Whether there is something to read at ``location`` (a server is assumed to be)."""
    text = os.fspath(location)
    if text.startswith(("postgresql://", "postgres://")):
        return True
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") - 1:]
    return os.path.isfile(text)
