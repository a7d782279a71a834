"""The gradebook: every grading attempt of every submission, in one SQLite file.

Nothing is ever overwritten: each call to :meth:`Gradebook.record` adds an attempt, and "the
grade" of a student is their latest attempt. Several grading processes may write to the same file
at once (WAL journal, a 30 s busy timeout, ``BEGIN IMMEDIATE`` write transactions), and each
submission is one transaction, so an interrupted batch (Ctrl-C, ``kill -9``) loses nothing that was
already recorded and leaves no half-recorded attempt behind.

Quiz results live in the same file (``quiz_attempts`` and ``quiz_answers``), so a student's record
holds both the code exercises and the review questions, and :meth:`Gradebook.export_csv` puts both
in one row per student.

Attempts are ordered by the order in which they were recorded (their id), not by ``graded_at``.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

from autograder.result import SubmissionResult

SCHEMA_VERSION = 1
APPLICATION_ID = 0x53484752  # "SHGR": marks the file as a shallow-grader gradebook
BUSY_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL CHECK (student <> ''),
    assignment TEXT NOT NULL CHECK (assignment <> ''),
    path TEXT,
    sha256 TEXT NOT NULL,
    grader_version TEXT,
    seed INTEGER,
    score REAL,
    max_score REAL,
    graded_at TEXT NOT NULL,
    duration_s REAL,
    layers TEXT,          -- JSON list
    errors TEXT,          -- JSON list
    result_json TEXT NOT NULL  -- SubmissionResult.to_gradescope() as JSON
);
CREATE INDEX attempts_student_assignment ON attempts (student, assignment);
CREATE INDEX attempts_student_assignment_sha ON attempts (student, assignment, sha256);
CREATE INDEX attempts_assignment ON attempts (assignment);

CREATE TABLE tests (
    attempt_id INTEGER NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    exercise TEXT,
    name TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('passed', 'failed')),
    mistake TEXT,
    PRIMARY KEY (attempt_id, position)
);
CREATE INDEX tests_exercise ON tests (exercise);

CREATE TABLE quiz_attempts (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL CHECK (student <> ''),
    assignment TEXT NOT NULL CHECK (assignment <> ''),
    bank TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL
);
CREATE INDEX quiz_attempts_student_assignment ON quiz_attempts (student, assignment);
CREATE INDEX quiz_attempts_assignment ON quiz_attempts (assignment);

CREATE TABLE quiz_answers (
    quiz_attempt_id INTEGER NOT NULL REFERENCES quiz_attempts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question_id TEXT NOT NULL,
    answer TEXT,
    correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    PRIMARY KEY (quiz_attempt_id, position)
);
"""

_TABLES = {"attempts", "tests", "quiz_attempts", "quiz_answers"}
_ANSWER_KEYS = ("question_id", "answer", "correct", "score", "max_score")
_FIXED_COLUMNS = ("total", "max_score", "graded_at", "sha256")


class GradebookError(Exception):
    """A one-line problem with the gradebook file: its path, then what is wrong."""


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second, with a trailing ``Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class Gradebook:
    """One SQLite gradebook file. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._error(f"cannot create its folder ({_one_line(exc)})") from exc
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
        # Check before changing anything, so a file of another program is left as it was (a file
        # that is not SQLite at all fails on this first read).
        conn.execute("BEGIN")  # one snapshot: another process may be creating the schema now
        try:
            self._check_schema(conn, create=False)
        finally:
            conn.execute("COMMIT")
        self._enter_wal(conn)
        # FULL: a committed attempt survives a power cut, not only a killed process. One fsync per
        # submission is nothing next to the seconds it takes to grade one.
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
        """Switch to WAL, retrying while another process holds the lock.

        SQLite answers a journal-mode change with "database is locked" at once, without waiting
        for the busy timeout, when another connection is opening the same new file.
        """
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
        """Raise GradebookError unless the file is a gradebook or empty; fill an empty one."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if version == 0 and app_id == 0 and not tables:
            if create:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        if app_id != APPLICATION_ID:
            raise self._error("not a gradebook database (a SQLite file of another program)")
        if version > SCHEMA_VERSION:
            raise self._error(
                f"not a gradebook database (schema version {version} is newer than this "
                f"grader's {SCHEMA_VERSION}; upgrade the grader)"
            )
        if version < 1 or not _TABLES <= tables:
            missing = ", ".join(sorted(_TABLES - tables)) or "none"
            raise self._error(
                f"not a gradebook database (schema version {version}, missing tables: {missing})"
            )

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
        state = "closed" if self._conn is None else "open"
        return f"Gradebook({str(self.path)!r}, {state})"

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise self._error("the gradebook is closed")
        return self._conn

    @contextlib.contextmanager
    def _transaction(self, what: str, *, write: bool):
        """One transaction: committed if the block ends normally, rolled back otherwise.

        Write transactions take the write lock up front (``BEGIN IMMEDIATE``), so a writer waits
        for the busy timeout instead of failing on a lock upgrade. Read transactions give every
        query in the block the same snapshot.
        """
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
        """Store one grading attempt (one transaction) and return its id.

        An empty ``graded_at`` is stored as the current UTC time; ``result`` itself is not changed.
        If anything fails, nothing of the attempt is stored.
        """
        if not result.graded_at:
            result = dataclasses.replace(result, graded_at=utc_now())
        payload = result.to_gradescope()
        extra = payload["extra_data"]
        row = (
            result.student, result.assignment, result.path, result.sha256,
            result.grader_version, result.seed, payload["score"], payload["max_score"],
            result.graded_at, payload["execution_time"], json.dumps(extra["layers"]),
            json.dumps(extra["errors"]), json.dumps(payload, ensure_ascii=False),
        )
        what = f"record {result.student}/{result.assignment}"
        with self._transaction(what, write=True) as db:
            cursor = db.execute(
                "INSERT INTO attempts (student, assignment, path, sha256, grader_version, seed,"
                " score, max_score, graded_at, duration_s, layers, errors, result_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            attempt_id = cursor.lastrowid
            db.executemany(
                "INSERT INTO tests (attempt_id, position, exercise, name, score, max_score,"
                " status, mistake) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (attempt_id, position, test.exercise, test.name, test.score,
                     test.max_score, test.status, test.mistake)
                    for position, test in enumerate(result.tests)
                ],
            )
        return attempt_id

    @staticmethod
    def _where(prefix: str = "", **equal) -> tuple[str, list]:
        """`` WHERE a = ? AND b = ?`` for the arguments that are not None, and their values."""
        terms = [(column, value) for column, value in equal.items() if value is not None]
        if not terms:
            return "", []
        clause = " AND ".join(f"{prefix}{column} = ?" for column, _ in terms)
        return f" WHERE {clause}", [value for _, value in terms]

    @staticmethod
    def _load(rows) -> list[SubmissionResult]:
        return [SubmissionResult.from_gradescope(json.loads(row[0])) for row in rows]

    def attempts(self, student: str | None = None, assignment: str | None = None):
        """Every attempt (of ``student``, of ``assignment``, if given), oldest first."""
        where, params = self._where(student=student, assignment=assignment)
        with self._transaction("read attempts", write=False) as db:
            rows = db.execute(
                f"SELECT result_json FROM attempts{where} ORDER BY id", params
            ).fetchall()
        return self._load(rows)

    def latest(self, student: str, assignment: str) -> SubmissionResult | None:
        """The last attempt recorded for this student and assignment, or None."""
        with self._transaction("read attempts", write=False) as db:
            rows = db.execute(
                "SELECT result_json FROM attempts WHERE student = ? AND assignment = ?"
                " ORDER BY id DESC LIMIT 1",
                (student, assignment),
            ).fetchall()
        loaded = self._load(rows)
        return loaded[0] if loaded else None

    def _latest_per_student(self, db: sqlite3.Connection, assignment: str):
        rows = db.execute(
            "SELECT result_json FROM attempts WHERE id IN"
            " (SELECT MAX(id) FROM attempts WHERE assignment = ? GROUP BY student)"
            " ORDER BY student",
            (assignment,),
        ).fetchall()
        return self._load(rows)

    def latest_per_student(self, assignment: str) -> list[SubmissionResult]:
        """Each student's last attempt at ``assignment``, sorted by student."""
        with self._transaction("read attempts", write=False) as db:
            return self._latest_per_student(db, assignment)

    def is_graded(
        self, student: str, assignment: str, sha256: str, grader_version: str, seed: int
    ) -> bool:
        """Whether this exact file was graded by this grader version with this seed."""
        with self._transaction("read attempts", write=False) as db:
            row = db.execute(
                "SELECT 1 FROM attempts WHERE student = ? AND assignment = ? AND sha256 = ?"
                " AND grader_version = ? AND seed = ? LIMIT 1",
                (student, assignment, sha256, grader_version, seed),
            ).fetchone()
        return row is not None

    def students(self, assignment: str | None = None) -> list[str]:
        """Everyone with a code or quiz attempt (at ``assignment``, if given), sorted."""
        where, params = self._where(assignment=assignment)
        with self._transaction("read students", write=False) as db:
            rows = db.execute(
                f"SELECT student FROM attempts{where} UNION"
                f" SELECT student FROM quiz_attempts{where} ORDER BY student",
                params * 2,
            ).fetchall()
        return [row[0] for row in rows]

    def assignments(self) -> list[str]:
        """Every assignment with a code or quiz attempt, sorted."""
        with self._transaction("read assignments", write=False) as db:
            rows = db.execute(
                "SELECT assignment FROM attempts UNION SELECT assignment FROM quiz_attempts"
                " ORDER BY assignment"
            ).fetchall()
        return [row[0] for row in rows]

    # -- quizzes -----------------------------------------------------------------------------

    def record_quiz(
        self,
        student: str,
        assignment: str,
        bank: str,
        answers: list[dict],
        *,
        graded_at: str | None = None,
    ) -> int:
        """Store one quiz attempt and its answers (one transaction); return its id.

        Each answer is ``{"question_id", "answer", "correct", "score", "max_score"}``; the
        attempt's score and max_score are the sums over the answers.
        """
        rows = []
        for position, answer in enumerate(answers):
            missing = [key for key in _ANSWER_KEYS if key not in answer]
            if missing:
                raise ValueError(f"quiz answer {position} lacks {', '.join(missing)}")
            rows.append((
                position, answer["question_id"], answer["answer"], int(bool(answer["correct"])),
                float(answer["score"]), float(answer["max_score"]),
            ))
        score = sum(row[4] for row in rows)
        max_score = sum(row[5] for row in rows)
        graded_at = graded_at or utc_now()
        with self._transaction(f"record the quiz of {student}/{assignment}", write=True) as db:
            cursor = db.execute(
                "INSERT INTO quiz_attempts (student, assignment, bank, graded_at, score, max_score)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (student, assignment, bank, graded_at, score, max_score),
            )
            quiz_id = cursor.lastrowid
            db.executemany(
                "INSERT INTO quiz_answers (quiz_attempt_id, position, question_id, answer,"
                " correct, score, max_score) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(quiz_id, *row) for row in rows],
            )
        return quiz_id

    def _quiz_attempts(self, db, student, assignment) -> list[dict]:
        where, params = self._where(student=student, assignment=assignment)
        quizzes = [
            {
                "id": row[0], "student": row[1], "assignment": row[2], "bank": row[3],
                "graded_at": row[4], "score": row[5], "max_score": row[6], "answers": [],
            }
            for row in db.execute(
                "SELECT id, student, assignment, bank, graded_at, score, max_score"
                f" FROM quiz_attempts{where} ORDER BY id",
                params,
            )
        ]
        by_id = {quiz["id"]: quiz for quiz in quizzes}
        if by_id:
            where, params = self._where("q.", student=student, assignment=assignment)
            answers = db.execute(
                "SELECT a.quiz_attempt_id, a.question_id, a.answer, a.correct, a.score,"
                " a.max_score FROM quiz_answers AS a JOIN quiz_attempts AS q"
                f" ON q.id = a.quiz_attempt_id{where}"
                " ORDER BY a.quiz_attempt_id, a.position",
                params,
            )
            for quiz_id, question_id, answer, correct, score, max_score in answers:
                by_id[quiz_id]["answers"].append({
                    "question_id": question_id, "answer": answer, "correct": bool(correct),
                    "score": score, "max_score": max_score,
                })
        return quizzes

    def quiz_attempts(self, student: str | None = None, assignment: str | None = None):
        """Every quiz attempt (of ``student``, of ``assignment``, if given), oldest first."""
        with self._transaction("read quiz attempts", write=False) as db:
            return self._quiz_attempts(db, student, assignment)

    # -- export ------------------------------------------------------------------------------

    def export_csv(self, path_or_file, assignment: str) -> int:
        """Write one CSV row per student of ``assignment``; return the number of rows.

        Columns: ``student``, one per exercise (points earned in the latest attempt, in the order
        the exercises first appear), ``total``, ``max_score``, ``graded_at``, ``sha256``, and
        ``quiz`` (the latest quiz score) when anyone took a quiz for the assignment. A student
        who only took the quiz gets a row with empty code cells.
        """
        with self._transaction(f"export {assignment}", write=False) as db:
            latest = self._latest_per_student(db, assignment)
            quiz_rows = db.execute(
                "SELECT student, score FROM quiz_attempts WHERE id IN"
                " (SELECT MAX(id) FROM quiz_attempts WHERE assignment = ? GROUP BY student)",
                (assignment,),
            ).fetchall()
        quiz = dict(quiz_rows)
        code = {result.student: result for result in latest}
        exercises: list[str] = []
        for result in latest:
            for exercise in result.exercise_scores():
                if exercise not in exercises:
                    exercises.append(exercise)
        header = ["student", *exercises, *_FIXED_COLUMNS, *(["quiz"] if quiz else [])]
        rows = []
        for student in sorted(code.keys() | quiz.keys()):
            result = code.get(student)
            if result is None:
                cells = [""] * (len(exercises) + len(_FIXED_COLUMNS))
            else:
                earned = result.exercise_scores()
                cells = [_number(earned[e][0]) if e in earned else "" for e in exercises]
                cells += [
                    _number(result.score), _number(result.max_score), result.graded_at,
                    result.sha256,
                ]
            if quiz:
                cells.append(_number(quiz[student]) if student in quiz else "")
            rows.append([student, *cells])

        if hasattr(path_or_file, "write"):
            _write_csv(path_or_file, header, rows)
        else:
            target = Path(path_or_file)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            with open(partial, "w", newline="", encoding="utf-8") as handle:
                _write_csv(handle, header, rows)
            os.replace(partial, target)  # readers never see a half-written file
        return len(rows)


def _number(value) -> float:
    return round(float(value), 4)


def _write_csv(handle, header, rows) -> None:
    writer = csv.writer(handle)
    writer.writerow(header)
    writer.writerows(rows)
