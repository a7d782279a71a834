"""The gradebook's schema, shared by every backend, and the records it hands out."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

SCHEMA_VERSION = 2
APPLICATION_ID = 0x53484752  # "SHGR": marks a SQLite file as a shallow-grader gradebook

SCHEMA = """
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL CHECK (student <> ''),
    assignment TEXT NOT NULL CHECK (assignment <> ''),
    path TEXT,
    sha256 TEXT NOT NULL,
    grader_version TEXT,
    seed INTEGER,
    seed_source TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    points TEXT NOT NULL,       -- exact: "91" or "10/3"
    max_points TEXT NOT NULL,
    score REAL,                 -- float(points), for queries
    max_score REAL,
    version TEXT,
    review_policy TEXT,
    submitted_at TEXT,
    submitted_at_source TEXT,
    graded_at TEXT NOT NULL,
    duration_s REAL,
    layers TEXT,                -- JSON list
    result_json TEXT NOT NULL   -- SubmissionResult.to_dict()
);
CREATE INDEX attempts_student_assignment ON attempts (student, assignment);
CREATE INDEX attempts_student_assignment_sha ON attempts (student, assignment, sha256);
CREATE INDEX attempts_assignment ON attempts (assignment);

CREATE TABLE cases (
    attempt_id INTEGER NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    exercise TEXT NOT NULL,
    kind TEXT NOT NULL,
    number INTEGER,
    visibility TEXT,
    points TEXT NOT NULL,
    max_points TEXT NOT NULL,
    status TEXT NOT NULL,
    mistakes TEXT,              -- JSON list of mistake ids
    PRIMARY KEY (attempt_id, position)
);
CREATE INDEX cases_exercise ON cases (exercise);

CREATE TABLE overrides (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL CHECK (student <> ''),
    assignment TEXT NOT NULL CHECK (assignment <> ''),
    exercise TEXT NOT NULL,
    points TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason <> ''),
    author TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX overrides_student_assignment ON overrides (student, assignment);

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

TABLES = {"attempts", "cases", "overrides", "quiz_attempts", "quiz_answers"}


class GradebookError(Exception):
    """A one-line problem with the gradebook: its location, then what is wrong."""


@dataclass(frozen=True)
class Override:
    """A manual grade: who set which exercise of whose assignment to what, why and when."""

    id: int
    student: str
    assignment: str
    exercise: str
    points: Fraction
    reason: str
    author: str
    created_at: str
