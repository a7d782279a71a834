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

Schema version 2; a version 1 file (earlier releases) is migrated in place on open.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import time
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

from ..results import SubmissionResult, as_fraction, points_json
from ..safety import storable
from .schema import APPLICATION_ID, SCHEMA, SCHEMA_VERSION, TABLES, GradebookError, Override

BUSY_TIMEOUT_S = 30.0
_ANSWER_KEYS = ("question_id", "answer", "correct", "score", "max_score")


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


LATEST = """
SELECT result_json, id FROM (
  SELECT result_json, id, ROW_NUMBER() OVER (
    PARTITION BY student ORDER BY COALESCE(NULLIF(submitted_at, ''), graded_at) DESC, id DESC
  ) AS rank FROM attempts WHERE assignment = ?{extra}
) WHERE rank = 1 ORDER BY id
"""


class Gradebook:
    """One SQLite gradebook file. Use as a context manager, or call :meth:`close`."""

    url_scheme = "sqlite"

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._error(f"cannot create its folder ({_one_line(exc)})") from exc
        if self.path.is_symlink() or (self.path.exists() and not self.path.is_file()):
            raise self._error("not a regular file")
        try:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(f"cannot open ({_one_line(exc)})") from exc
        try:
            self._setup(conn)
        except GradebookError:
            conn.close()
            raise
        except sqlite3.Error as exc:
            conn.close()
            if _is_busy(exc) or not isinstance(exc, sqlite3.DatabaseError):
                raise self._error(f"cannot open ({_one_line(exc)})") from exc
            raise self._error(f"not a gradebook database ({_one_line(exc)})") from exc
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

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

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
            raise self._error(f"cannot {what} ({_one_line(exc)})") from exc
        try:
            yield db
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._error(f"cannot {what} ({_one_line(exc)})") from exc
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise self._error(f"cannot {what} ({_one_line(exc)})") from exc

    # -- code submissions --------------------------------------------------------------------

    def record(self, result: SubmissionResult) -> int:
        """Store one attempt (one transaction) and return its id; nothing on failure."""
        if not result.graded_at:
            result = dataclasses.replace(result, graded_at=utc_now())
        data = _storable(result.to_dict())
        row = (
            data["student"], data["assignment"], data["path"], data["sha256"] or "",
            data["grader_version"], int(result.seed), data["seed_source"], data["status"],
            data["reason"], data["points"], data["max_points"], float(result.points),
            float(result.max_points), data["version"], data["review_policy"],
            data["submitted_at"], data["submitted_at_source"], data["graded_at"],
            float(result.duration_s), json.dumps(data["layers"]),
            json.dumps(data, ensure_ascii=False),
        )
        what = f"record {storable(result.student)}/{storable(result.assignment)}"
        with self._transaction(what, write=True) as db:
            cursor = db.execute(
                "INSERT INTO attempts (student, assignment, path, sha256, grader_version, seed,"
                " seed_source, status, reason, points, max_points, score, max_score, version,"
                " review_policy, submitted_at, submitted_at_source, graded_at, duration_s,"
                " layers, result_json) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            attempt_id = cursor.lastrowid
            db.executemany(
                "INSERT INTO cases (attempt_id, position, exercise, kind, number, visibility,"
                " points, max_points, status, mistakes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(attempt_id, position, case["exercise"], case["kind"], case["number"],
                  case["visibility"], case["points"], case["max_points"], case["status"],
                  json.dumps([m["id"] for m in case["mistakes"]]))
                 for position, case in enumerate(data["cases"])])
        return attempt_id

    @staticmethod
    def _where(prefix: str = "", **equal) -> tuple[str, list]:
        terms = [(column, value) for column, value in equal.items() if value is not None]
        if not terms:
            return "", []
        clause = " AND ".join(f"{prefix}{column} = ?" for column, _ in terms)
        return f" WHERE {clause}", [value for _, value in terms]

    @staticmethod
    def _load(rows) -> list[SubmissionResult]:
        return [SubmissionResult.from_dict(json.loads(row[0])) for row in rows]

    def attempts(self, student: str | None = None, assignment: str | None = None):
        """Every attempt (of ``student``, of ``assignment``, if given), in recording order."""
        where, params = self._where(student=student, assignment=assignment)
        with self._transaction("read attempts", write=False) as db:
            rows = db.execute(f"SELECT result_json FROM attempts{where} ORDER BY id",
                              params).fetchall()
        return self._load(rows)

    def latest(self, student: str, assignment: str) -> SubmissionResult | None:
        """The latest attempt (by submission time) of this student at this assignment."""
        with self._transaction("read attempts", write=False) as db:
            rows = db.execute(LATEST.format(extra=" AND student = ?"),
                              (assignment, student)).fetchall()
            loaded = self._load(rows)
            if loaded:
                self._apply_overrides(db, loaded, assignment)
        return loaded[0] if loaded else None

    def latest_per_student(self, assignment: str) -> list[SubmissionResult]:
        """Each student's latest attempt at ``assignment`` with overrides applied, by student."""
        with self._transaction("read attempts", write=False) as db:
            results = self._load(db.execute(LATEST.format(extra=""), (assignment,)).fetchall())
            self._apply_overrides(db, results, assignment)
        return sorted(results, key=lambda r: r.student)

    def is_graded(self, student, assignment, sha256, grader_version, seed) -> bool:
        """Whether this exact file was graded by this grader version with this seed."""
        with self._transaction("read attempts", write=False) as db:
            row = db.execute(
                "SELECT 1 FROM attempts WHERE student = ? AND assignment = ? AND sha256 = ?"
                " AND grader_version = ? AND seed = ? AND status <> 'failed' LIMIT 1",
                (student, assignment, sha256, grader_version, int(seed))).fetchone()
        return row is not None

    def students(self, assignment: str | None = None) -> list[str]:
        where, params = self._where(assignment=assignment)
        with self._transaction("read students", write=False) as db:
            rows = db.execute(
                f"SELECT student FROM attempts{where} UNION"
                f" SELECT student FROM quiz_attempts{where} ORDER BY student",
                params * 2).fetchall()
        return [row[0] for row in rows]

    def assignments(self) -> list[str]:
        with self._transaction("read assignments", write=False) as db:
            rows = db.execute(
                "SELECT assignment FROM attempts UNION SELECT assignment FROM quiz_attempts"
                " UNION SELECT assignment FROM overrides ORDER BY assignment").fetchall()
        return [row[0] for row in rows]

    # -- manual grades -----------------------------------------------------------------------

    def override(self, student, assignment, exercise, points, *, reason, author="",
                 created_at=None) -> int:
        """Record a manual grade for one exercise (or review question); return its id.

        It replaces the exercise's points in the latest attempt in every view, until a newer
        override replaces it; regrading keeps it (the views say when a newer attempt exists).
        """
        if not str(reason).strip():
            raise GradebookError(f"{self.path}: an override needs a reason")
        value = as_fraction(points)
        if value < 0:
            raise GradebookError(f"{self.path}: points cannot be negative ({points})")
        with self._transaction(f"override {student}/{assignment}", write=True) as db:
            cursor = db.execute(
                "INSERT INTO overrides (student, assignment, exercise, points, reason, author,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (storable(student), storable(assignment), storable(exercise),
                 points_json(value), storable(reason), storable(author),
                 created_at or utc_now()))
        return cursor.lastrowid

    def overrides(self, student=None, assignment=None) -> list[Override]:
        where, params = self._where(student=student, assignment=assignment)
        with self._transaction("read overrides", write=False) as db:
            rows = db.execute(
                "SELECT id, student, assignment, exercise, points, reason, author, created_at"
                f" FROM overrides{where} ORDER BY id", params).fetchall()
        return [Override(*row[:4], as_fraction(row[4]), *row[5:]) for row in rows]

    def _apply_overrides(self, db, results, assignment):
        latest = {}
        for row in db.execute(
                "SELECT student, exercise, points, reason, author, created_at, id FROM overrides"
                " WHERE assignment = ? ORDER BY id", (assignment,)):
            latest[(row[0], row[1])] = row
        for result in results:
            for (student, exercise), row in latest.items():
                if student == result.student:
                    apply_override(result, exercise, as_fraction(row[2]), row[3], row[4], row[5])

    # -- quizzes -----------------------------------------------------------------------------

    def record_quiz(self, student: str, assignment: str, bank: str, answers: list[dict], *,
                    graded_at: str | None = None) -> int:
        """Store one quiz attempt and its answers (one transaction); return its id."""
        rows = []
        for position, answer in enumerate(answers):
            missing = [key for key in _ANSWER_KEYS if key not in answer]
            if missing:
                raise ValueError(f"quiz answer {position} lacks {', '.join(missing)}")
            rows.append((position, storable(answer["question_id"]),
                         None if answer["answer"] is None else storable(answer["answer"]),
                         int(bool(answer["correct"])), float(answer["score"]),
                         float(answer["max_score"])))
        score = sum(row[4] for row in rows)
        max_score = sum(row[5] for row in rows)
        with self._transaction(f"record the quiz of {storable(student)}", write=True) as db:
            cursor = db.execute(
                "INSERT INTO quiz_attempts (student, assignment, bank, graded_at, score,"
                " max_score) VALUES (?, ?, ?, ?, ?, ?)",
                (storable(student), storable(assignment), storable(bank),
                 graded_at or utc_now(), score, max_score))
            quiz_id = cursor.lastrowid
            db.executemany(
                "INSERT INTO quiz_answers (quiz_attempt_id, position, question_id, answer,"
                " correct, score, max_score) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(quiz_id, *row) for row in rows])
        return quiz_id

    def quiz_attempts(self, student: str | None = None, assignment: str | None = None):
        """Every quiz attempt (of ``student``, of ``assignment``, if given), oldest first."""
        with self._transaction("read quiz attempts", write=False) as db:
            where, params = self._where(student=student, assignment=assignment)
            quizzes = [
                {"id": row[0], "student": row[1], "assignment": row[2], "bank": row[3],
                 "graded_at": row[4], "score": row[5], "max_score": row[6], "answers": []}
                for row in db.execute(
                    "SELECT id, student, assignment, bank, graded_at, score, max_score"
                    f" FROM quiz_attempts{where} ORDER BY id", params)]
            by_id = {quiz["id"]: quiz for quiz in quizzes}
            if by_id:
                where, params = self._where("q.", student=student, assignment=assignment)
                for quiz_id, question_id, answer, correct, score, max_score in db.execute(
                        "SELECT a.quiz_attempt_id, a.question_id, a.answer, a.correct, a.score,"
                        " a.max_score FROM quiz_answers AS a JOIN quiz_attempts AS q"
                        f" ON q.id = a.quiz_attempt_id{where}"
                        " ORDER BY a.quiz_attempt_id, a.position", params):
                    by_id[quiz_id]["answers"].append({
                        "question_id": question_id, "answer": answer, "correct": bool(correct),
                        "score": score, "max_score": max_score})
        return quizzes

    def latest_quiz(self, assignment: str) -> dict:
        """{student: their latest quiz attempt at ``assignment``}."""
        latest = {}
        for quiz in self.quiz_attempts(assignment=assignment):
            latest[quiz["student"]] = quiz
        return latest


def apply_override(result, exercise, points, reason, author, created_at):
    """Put a manual grade for ``exercise`` into ``result`` (in place): its cases' points are
    scaled so the exercise totals ``points``; the override is noted on the result."""
    cases = [c for c in result.cases if c.exercise == exercise]
    top = sum((c.max_points for c in cases), Fraction(0))
    note = f"{exercise}: set by hand to {points_json(points)} ({reason}" + \
        (f", {author}" if author else "") + f", {created_at})"
    if not cases:
        from ..results import CaseResult

        result.cases.append(CaseResult(exercise, "manual", 1, "visible", points, points,
                                       "passed", note=note))
    else:
        remaining = points
        for i, case in enumerate(cases):
            share = case.max_points * points / top if top else Fraction(0)
            if i == len(cases) - 1:
                share = remaining
            case.points = max(Fraction(0), share)
            remaining -= case.points
            case.status = "passed" if case.points >= case.max_points else case.status
            case.note = note
    result.notes.append(note)
    if created_at and result.graded_at and result.graded_at > created_at:
        result.notes.append(f"{exercise}: graded again since the manual grade of {created_at}; "
                            f"the manual grade still applies")


def _storable(value):
    """The result's dict with every string made storable (invalid Unicode replaced)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_storable(v) for v in value]
    return value
