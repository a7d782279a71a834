"""Migrating a gradebook of schema version 1 (earlier releases) to version 2, in place.

Version 1 kept each attempt as Gradescope's ``results.json`` with one prose ``output`` per
test. Version 2 keeps structured cases. Each old test becomes a case with its exercise, status,
exact points (from the stored floats, to 6 decimals) and mistake id; its old output is kept as
the case's only problem line, as it was shown then. Quiz tables are unchanged. The whole
migration is one transaction: a failure leaves the file as it was.
"""

from __future__ import annotations

import json
from fractions import Fraction

from ..results import CaseResult, MistakeNote, SubmissionResult, points_json
from .schema import SCHEMA, SCHEMA_VERSION


def _fraction(value) -> Fraction:
    return Fraction(str(round(float(value or 0), 6))).limit_denominator(1000)


def _case(test, position) -> CaseResult:
    name = str(test.get("name", ""))
    exercise = (test.get("tags") or [name.split(":")[0]])[0]
    review = name.startswith("review question")
    number = 1
    if ": case " in name:
        digits = name.split(": case ", 1)[1].split()[0]
        number = int(digits) if digits.isdigit() else position + 1
    mistake = (test.get("extra_data") or {}).get("mistake")
    output = str(test.get("output", ""))
    return CaseResult(
        exercise=exercise, kind="review" if review else "code", number=number,
        visibility=test.get("visibility", "visible"),
        points=_fraction(test.get("score")), max_points=_fraction(test.get("max_score")),
        status="passed" if test.get("status") == "passed" else "failed",
        problems=[] if test.get("status") == "passed" else [" ".join(output.split())[:500]],
        mistakes=[MistakeNote(mistake, mistake, "")] if mistake else [])


def convert(old: dict) -> SubmissionResult:
    """A version 1 attempt (Gradescope form) as a version 2 SubmissionResult."""
    extra = old.get("extra_data", {})
    errors = list(extra.get("errors", []))
    cases = [_case(t, i) for i, t in enumerate(old.get("tests", []))]
    return SubmissionResult(
        student=extra.get("student", ""), assignment=extra.get("assignment", ""),
        path=extra.get("path", ""), sha256=extra.get("sha256", ""),
        status="graded" if cases or not errors else "unreadable",
        reason=errors[0] if errors and not cases else "", cases=cases, errors=errors,
        layers=list(extra.get("layers", [])), seed=int(extra.get("seed", 0) or 0),
        graded_at=extra.get("graded_at", ""), duration_s=float(old.get("execution_time", 0)),
        grader_version=extra.get("grader_version", ""),
        notes=["migrated from a version 1 gradebook: problems are the old messages"])


def migrate_v1(conn) -> int:
    """Migrate an open connection's version 1 schema (inside the caller's transaction)."""
    conn.execute("ALTER TABLE attempts RENAME TO attempts_v1")
    conn.execute("ALTER TABLE tests RENAME TO tests_v1")
    for statement in SCHEMA.split(";"):
        text = statement.strip()
        if not text or "quiz_" in text.split("(")[0]:
            continue
        if text.startswith("CREATE INDEX") and "attempts_" in text and "quiz" not in text:
            conn.execute(f"DROP INDEX IF EXISTS {text.split()[2]}")
        conn.execute(text)
    rows = conn.execute("SELECT result_json, id FROM attempts_v1 ORDER BY id").fetchall()
    for raw, _ in rows:
        result = convert(json.loads(raw))
        data = result.to_dict()
        cursor = conn.execute(
            "INSERT INTO attempts (student, assignment, path, sha256, grader_version, seed,"
            " seed_source, status, reason, points, max_points, score, max_score, version,"
            " review_policy, submitted_at, submitted_at_source, graded_at, duration_s, layers,"
            " result_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (result.student or "?", result.assignment or "?", result.path, result.sha256,
             result.grader_version, result.seed, "fixed", result.status, result.reason,
             points_json(result.points), points_json(result.max_points), float(result.points),
             float(result.max_points), "", "counted", "", "", result.graded_at or "?",
             result.duration_s, json.dumps(result.layers), json.dumps(data)))
        conn.executemany(
            "INSERT INTO cases (attempt_id, position, exercise, kind, number, visibility,"
            " points, max_points, status, mistakes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(cursor.lastrowid, i, c.exercise, c.kind, c.number, c.visibility,
              points_json(c.points), points_json(c.max_points), c.status,
              json.dumps([m.id for m in c.mistakes])) for i, c in enumerate(result.cases)])
    conn.execute("DROP TABLE tests_v1")
    conn.execute("DROP TABLE attempts_v1")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return len(rows)
