"""The gradebook's methods written once, for every backend: queries, rows and manual grades.

A backend (``sqlite.py``, ``postgres.py``) subclasses :class:`GradebookQueries` and provides
the connection (``_conn``, which ``close`` closes), ``_transaction(what, write=)`` (a context
manager yielding the connection: one transaction, every database error a ``GradebookError``),
``_rows(db, sql, params)``, ``_run_many(db, sql, rows)``, ``_insert(db, sql, params)`` (the new
row's id), ``_lock_key`` (makes a check-then-insert atomic) and ``_error(problem)``. The SQL
is written here once, with ``?`` placeholders; a backend translates what its driver needs.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from fractions import Fraction

from ..results import SubmissionResult, as_fraction, points_json
from ..safety import storable
from .schema import Override

ANSWER_KEYS = ("question_id", "answer", "correct", "score", "max_score")

LATEST = """
SELECT result_json, id FROM (
  SELECT result_json, id, ROW_NUMBER() OVER (
    PARTITION BY student ORDER BY COALESCE(NULLIF(submitted_at, ''), graded_at) DESC, id DESC
  ) AS rank FROM attempts WHERE assignment = ?{extra}
) AS ranked WHERE rank = 1 ORDER BY id
"""

INSERT_ATTEMPT = (
    "INSERT INTO attempts (student, assignment, path, sha256, grader_version, seed,"
    " seed_source, status, reason, points, max_points, score, max_score, version,"
    " review_policy, submitted_at, submitted_at_source, graded_at, duration_s,"
    " layers, result_json) VALUES"
    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
INSERT_CASE = (
    "INSERT INTO cases (attempt_id, position, exercise, kind, number, visibility,"
    " points, max_points, status, mistakes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
IS_GRADED = (
    "SELECT 1 FROM attempts WHERE student = ? AND assignment = ? AND sha256 = ?"
    " AND grader_version = ? AND seed = ? AND status <> 'failed' LIMIT 1")


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def one_line(exc: BaseException) -> str:
    """A database error as one line (its message, else its type)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def storable_dict(value):
    """The result's dict with every string made storable (invalid Unicode replaced)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(k): storable_dict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable_dict(v) for v in value]
    return value


def attempt_rows(result: SubmissionResult):
    """(the attempts row, the cases rows without their attempt id) of one result."""
    if not result.graded_at:
        result = dataclasses.replace(result, graded_at=utc_now())
    data = storable_dict(result.to_dict())
    row = (
        data["student"], data["assignment"], data["path"], data["sha256"] or "",
        data["grader_version"], int(result.seed), data["seed_source"], data["status"],
        data["reason"], data["points"], data["max_points"], float(result.points),
        float(result.max_points), data["version"], data["review_policy"],
        data["submitted_at"], data["submitted_at_source"], data["graded_at"],
        float(result.duration_s), json.dumps(data["layers"]),
        json.dumps(data, ensure_ascii=False),
    )
    cases = [(position, case["exercise"], case["kind"], case["number"], case["visibility"],
              case["points"], case["max_points"], case["status"],
              json.dumps([m["id"] for m in case["mistakes"]]))
             for position, case in enumerate(data["cases"])]
    return row, cases


def idempotency_key(result: SubmissionResult) -> tuple:
    """What makes two attempts the same grading: student, assignment, file, version, seed."""
    return (result.student, result.assignment, result.sha256 or "", result.grader_version,
            int(result.seed))


def where(prefix: str = "", **equal) -> tuple[str, list]:
    terms = [(column, value) for column, value in equal.items() if value is not None]
    if not terms:
        return "", []
    clause = " AND ".join(f"{prefix}{column} = ?" for column, _ in terms)
    return f" WHERE {clause}", [value for _, value in terms]


def load(rows) -> list[SubmissionResult]:
    return [SubmissionResult.from_dict(json.loads(row[0])) for row in rows]


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


class GradebookQueries:
    """Every public method of a gradebook, over the backend's hooks (see the module)."""

    _conn = None  # the backend's connection; None once closed

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- code submissions --------------------------------------------------------------------

    def record(self, result: SubmissionResult) -> int:
        """Store one attempt (one transaction) and return its id; nothing on failure."""
        row, cases = attempt_rows(result)
        with self._transaction(self._record_what(result), write=True) as db:
            return self._insert_attempt(db, row, cases)

    def record_once(self, result: SubmissionResult) -> int | None:
        """Store the attempt unless the same grading (student, assignment, file, grader
        version, seed; not a failure) is already stored: its id, else None. The check and the
        insert are one transaction, so graders racing on one submission store it once."""
        row, cases = attempt_rows(result)
        key = idempotency_key(result)
        with self._transaction(self._record_what(result), write=True) as db:
            self._lock_key(db, key)
            if result.status != "failed" and self._rows(db, IS_GRADED, key):
                return None
            return self._insert_attempt(db, row, cases)

    @staticmethod
    def _record_what(result):
        return f"record {storable(result.student)}/{storable(result.assignment)}"

    def _insert_attempt(self, db, row, cases) -> int:
        attempt_id = self._insert(db, INSERT_ATTEMPT, row)
        self._run_many(db, INSERT_CASE, [(attempt_id, *case) for case in cases])
        return attempt_id

    def _lock_key(self, db, key) -> None:
        """Serialise the writers of one key (a backend whose write transactions are already
        serialised needs nothing)."""

    def attempts(self, student: str | None = None, assignment: str | None = None):
        """Every attempt (of ``student``, of ``assignment``, if given), in recording order."""
        clause, params = where(student=student, assignment=assignment)
        with self._transaction("read attempts", write=False) as db:
            rows = self._rows(db, f"SELECT result_json FROM attempts{clause} ORDER BY id",
                              params)
        return load(rows)

    def latest(self, student: str, assignment: str) -> SubmissionResult | None:
        """The latest attempt (by submission time) of this student at this assignment."""
        with self._transaction("read attempts", write=False) as db:
            loaded = load(self._rows(db, LATEST.format(extra=" AND student = ?"),
                                     (assignment, student)))
            if loaded:
                self._apply_overrides(db, loaded, assignment)
        return loaded[0] if loaded else None

    def latest_per_student(self, assignment: str) -> list[SubmissionResult]:
        """Each student's latest attempt at ``assignment`` with overrides applied, by student."""
        with self._transaction("read attempts", write=False) as db:
            results = load(self._rows(db, LATEST.format(extra=""), (assignment,)))
            self._apply_overrides(db, results, assignment)
        return sorted(results, key=lambda r: r.student)

    def is_graded(self, student, assignment, sha256, grader_version, seed) -> bool:
        """Whether this exact file was graded by this grader version with this seed."""
        with self._transaction("read attempts", write=False) as db:
            rows = self._rows(db, IS_GRADED,
                              (student, assignment, sha256, grader_version, int(seed)))
        return bool(rows)

    def students(self, assignment: str | None = None) -> list[str]:
        clause, params = where(assignment=assignment)
        with self._transaction("read students", write=False) as db:
            rows = self._rows(db, f"SELECT student FROM attempts{clause} UNION"
                                  f" SELECT student FROM quiz_attempts{clause} ORDER BY student",
                              params * 2)
        return [row[0] for row in rows]

    def assignments(self) -> list[str]:
        with self._transaction("read assignments", write=False) as db:
            rows = self._rows(
                db, "SELECT assignment FROM attempts UNION SELECT assignment FROM quiz_attempts"
                    " UNION SELECT assignment FROM overrides ORDER BY assignment")
        return [row[0] for row in rows]

    # -- manual grades -----------------------------------------------------------------------

    def override(self, student, assignment, exercise, points, *, reason, author="",
                 created_at=None) -> int:
        """Record a manual grade for one exercise (or review question); return its id.

        It replaces the exercise's points in the latest attempt in every view, until a newer
        override replaces it; regrading keeps it (the views say when a newer attempt exists).
        """
        if not str(reason).strip():
            raise self._error("an override needs a reason")
        value = as_fraction(points)
        if value < 0:
            raise self._error(f"points cannot be negative ({points})")
        with self._transaction(f"override {student}/{assignment}", write=True) as db:
            return self._insert(
                db, "INSERT INTO overrides (student, assignment, exercise, points, reason,"
                    " author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (storable(student), storable(assignment), storable(exercise),
                 points_json(value), storable(reason), storable(author),
                 created_at or utc_now()))

    def overrides(self, student=None, assignment=None) -> list[Override]:
        clause, params = where(student=student, assignment=assignment)
        with self._transaction("read overrides", write=False) as db:
            rows = self._rows(
                db, "SELECT id, student, assignment, exercise, points, reason, author,"
                    f" created_at FROM overrides{clause} ORDER BY id", params)
        return [Override(*row[:4], as_fraction(row[4]), *row[5:]) for row in rows]

    def _apply_overrides(self, db, results, assignment):
        latest = {}
        for row in self._rows(
                db, "SELECT student, exercise, points, reason, author, created_at, id"
                    " FROM overrides WHERE assignment = ? ORDER BY id", (assignment,)):
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
            missing = [key for key in ANSWER_KEYS if key not in answer]
            if missing:
                raise ValueError(f"quiz answer {position} lacks {', '.join(missing)}")
            rows.append((position, storable(answer["question_id"]),
                         None if answer["answer"] is None else storable(answer["answer"]),
                         int(bool(answer["correct"])), float(answer["score"]),
                         float(answer["max_score"])))
        score = sum(row[4] for row in rows)
        max_score = sum(row[5] for row in rows)
        with self._transaction(f"record the quiz of {storable(student)}", write=True) as db:
            quiz_id = self._insert(
                db, "INSERT INTO quiz_attempts (student, assignment, bank, graded_at, score,"
                    " max_score) VALUES (?, ?, ?, ?, ?, ?)",
                (storable(student), storable(assignment), storable(bank),
                 graded_at or utc_now(), score, max_score))
            self._run_many(
                db, "INSERT INTO quiz_answers (quiz_attempt_id, position, question_id, answer,"
                    " correct, score, max_score) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(quiz_id, *row) for row in rows])
        return quiz_id

    def quiz_attempts(self, student: str | None = None, assignment: str | None = None):
        """Every quiz attempt (of ``student``, of ``assignment``, if given), oldest first."""
        with self._transaction("read quiz attempts", write=False) as db:
            clause, params = where(student=student, assignment=assignment)
            quizzes = [
                {"id": row[0], "student": row[1], "assignment": row[2], "bank": row[3],
                 "graded_at": row[4], "score": row[5], "max_score": row[6], "answers": []}
                for row in self._rows(
                    db, "SELECT id, student, assignment, bank, graded_at, score, max_score"
                        f" FROM quiz_attempts{clause} ORDER BY id", params)]
            by_id = {quiz["id"]: quiz for quiz in quizzes}
            if by_id:
                clause, params = where("q.", student=student, assignment=assignment)
                for quiz_id, question_id, answer, correct, score, max_score in self._rows(
                        db, "SELECT a.quiz_attempt_id, a.question_id, a.answer, a.correct,"
                            " a.score, a.max_score FROM quiz_answers AS a JOIN quiz_attempts"
                            f" AS q ON q.id = a.quiz_attempt_id{clause}"
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
