"""The SQLite gradebook: every attempt of every submission, quizzes and overrides, in one file.

Nothing is ever overwritten: each ``record`` adds an attempt (one transaction), and a student's
grade is their LATEST attempt: the one submitted last (``submitted_at``; the order of recording
breaks ties and stands in for attempts without a submission time), never merely the one graded
last. Several processes may write at once (WAL, a 30 s busy timeout, ``BEGIN IMMEDIATE``), so an
interrupted batch (Ctrl-C, ``kill -9``) loses nothing recorded and leaves no half attempt.

Each attempt keeps the whole structured ``SubmissionResult`` (``result_json``) and one row per
case in ``cases`` (exercise, visibility, exact points as "num/den", status, mistake ids), so
every view reads data, never prose. Manual grades (``override``) are rows of their own with
who, why and when; they apply to the latest attempt and survive regrading.

Schema version 2; a version 1 file (earlier releases) is migrated in place on open. The
queries themselves are shared with the PostgreSQL backend (``common.py``); this module is the
file, its connection and its transactions.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path

from .common import GradebookQueries, one_line
from .schema import APPLICATION_ID, SCHEMA, SCHEMA_VERSION, TABLES, GradebookError

BUSY_TIMEOUT_S = 30.0


def _is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class Gradebook(GradebookQueries):
    """One SQLite gradebook file. Use as a context manager, or call :meth:`close`."""

    url_scheme = "sqlite"

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._error(f"cannot create its folder ({one_line(exc)})") from exc
        if self.path.is_symlink() or (self.path.exists() and not self.path.is_file()):
            raise self._error("not a regular file")
        try:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(f"cannot open ({one_line(exc)})") from exc
        try:
            self._setup(conn)
        except GradebookError:
            conn.close()
            raise
        except sqlite3.Error as exc:
            conn.close()
            if _is_busy(exc) or not isinstance(exc, sqlite3.DatabaseError):
                raise self._error(f"cannot open ({one_line(exc)})") from exc
            raise self._error(f"not a gradebook database ({one_line(exc)})") from exc
        self._conn = conn

    def _error(self, problem: str) -> GradebookError:
        return GradebookError(f"{self.path}: {problem}")

    def _setup(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("BEGIN")  # one snapshot: another process may be creating the schema now
        try:
            self._check_schema(conn, create=False)
        finally:
            conn.execute("COMMIT")
        self._enter_wal(conn)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("BEGIN IMMEDIATE")  # two processes creating the same file don't race
        try:
            self._check_schema(conn, create=True)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @staticmethod
    def _enter_wal(conn: sqlite3.Connection) -> None:
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL").fetchone()
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _check_schema(self, conn: sqlite3.Connection, *, create: bool) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        if version == 0 and app_id == 0 and not tables:
            if create:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        if app_id != APPLICATION_ID:
            raise self._error("not a gradebook database (a SQLite file of another program)")
        if version > SCHEMA_VERSION:
            raise self._error(f"not a gradebook database (schema version {version} is newer "
                              f"than this grader's {SCHEMA_VERSION}; upgrade the grader)")
        if version == 1:
            if create:
                from .migrate import migrate_v1

                migrate_v1(conn)
            return
        if version < 1 or not TABLES <= tables:
            missing = ", ".join(sorted(TABLES - tables)) or "none"
            raise self._error(f"not a gradebook database (schema version {version}, missing "
                              f"tables: {missing})")

    # -- connection and transactions ---------------------------------------------------------

    def __repr__(self) -> str:
        return f"Gradebook({str(self.path)!r}, {'closed' if self._conn is None else 'open'})"

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise self._error("the gradebook is closed")
        return self._conn

    @contextlib.contextmanager
    def _transaction(self, what: str, *, write: bool):
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.Error as exc:
            raise self._error(f"cannot {what} ({one_line(exc)})") from exc
        try:
            yield db
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._error(f"cannot {what} ({one_line(exc)})") from exc
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise self._error(f"cannot {what} ({one_line(exc)})") from exc

    # -- the hooks of GradebookQueries -------------------------------------------------------

    @staticmethod
    def _rows(db, sql, params=()):
        return db.execute(sql, params).fetchall()

    @staticmethod
    def _run_many(db, sql, rows):
        db.executemany(sql, rows)

    @staticmethod
    def _insert(db, sql, params):
        return db.execute(sql, params).lastrowid
