"""The SQLite gradebook, on real files: structured attempts, exact points, the latest attempt by
submission time, manual grades, migration from version 1, several processes, kill -9."""

import json
import multiprocessing
import signal
import sqlite3
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

from autograder.gradebook import SCHEMA_VERSION, Gradebook, GradebookError, open_gradebook
from autograder.results import CaseResult, MistakeNote, SubmissionResult

ROOT = Path(__file__).resolve().parents[2]


def make_result(student="alice", assignment="week3", *, points=(1, 0, 2), sha="a" * 64,
                version="1.0.0", seed=0, graded_at="2026-03-01T10:00:00Z", submitted_at="",
                **extra):
    exercises = ["layer_sizes", "forward_propagation", "compute_cost"]
    cases = [
        CaseResult(exercises[i % 3], "code", i + 1, "hidden" if i else "visible",
                   Fraction(p, 3), Fraction(2, 3), "passed" if p == 2 else "failed",
                   call=f"{exercises[i % 3]}(X=array(2, 3))",
                   problems=[] if p == 2 else [f"problem {i}"],
                   mistakes=[] if p == 2 else [MistakeNote(f"mistake-{i}", "t", "h", ("x",))])
        for i, p in enumerate(points)
    ]
    return SubmissionResult(student=student, assignment=assignment,
                            path=f"submitted/{student}/{assignment}/{assignment}.ipynb",
                            sha256=sha, cases=cases, seed=seed, graded_at=graded_at,
                            submitted_at=submitted_at, grader_version=version,
                            layers=["rlimits", "bwrap"], **extra)


@pytest.fixture
def gb(tmp_path):
    with Gradebook(tmp_path / "grades.db") as book:
        yield book


# -- opening -------------------------------------------------------------------------------------

def test_new_file_has_schema_wal_and_version(tmp_path):
    path = tmp_path / "nested" / "folder" / "grades.db"
    with Gradebook(path):
        pass
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"attempts", "cases", "overrides", "quiz_attempts", "quiz_answers"} <= tables


@pytest.mark.parametrize("content, words", [
    (b"not a database at all" * 100, "not a gradebook database"),
])
def test_garbage_file_is_a_one_line_error_with_the_path(tmp_path, content, words):
    path = tmp_path / "bad.db"
    path.write_bytes(content)
    with pytest.raises(GradebookError) as info:
        Gradebook(path)
    assert str(info.value).startswith(f"{path}: ") and words in str(info.value)
    assert "\n" not in str(info.value) and path.read_bytes() == content


def test_newer_schema_and_other_programs_files_are_refused_untouched(tmp_path):
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA application_id = 1397245778")
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(GradebookError, match="newer than this grader's"):
        Gradebook(newer)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(GradebookError, match="a SQLite file of another program"):
        Gradebook(other)
    with sqlite3.connect(other) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]


def test_a_link_or_folder_where_the_gradebook_should_be_is_refused(tmp_path):
    (tmp_path / "real.db").write_bytes(b"")
    (tmp_path / "link.db").symlink_to(tmp_path / "real.db")
    with pytest.raises(GradebookError, match="not a regular file"):
        Gradebook(tmp_path / "link.db")
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(GradebookError, match="not a regular file"):
        open_gradebook(str(tmp_path / "dir.db"))


def test_closed_gradebook_raises_gradebook_error(tmp_path):
    book = Gradebook(tmp_path / "g.db")
    book.close()
    with pytest.raises(GradebookError, match="closed"):
        book.attempts()


# -- attempts ------------------------------------------------------------------------------

def test_round_trip_keeps_every_field_and_exact_points(gb):
    result = make_result(errors=["a problem"], notes=["a note"], ignored=["old.ipynb"],
                         status="graded", version="1.0.0", seed=123456789012345678,
                         seed_source="course-secret", submitted_at="2026-03-01T09:00:00Z",
                         submitted_at_source="timestamp.txt", review_policy="not-in-notebook")
    gb.record(result)
    [back] = gb.attempts()
    assert back.to_dict() == result.to_dict()
    assert back.points == Fraction(3, 3 * 1) + Fraction(0) and back.max_points == 2
    assert isinstance(back.cases[0].points, Fraction)
    assert back.cases[1].mistakes == [MistakeNote("mistake-1", "t", "h", ("x",))]


def test_cases_table_holds_structured_rows(gb, tmp_path):
    gb.record(make_result())
    with sqlite3.connect(tmp_path / "grades.db") as conn:
        rows = conn.execute("SELECT exercise, kind, number, visibility, points, max_points, "
                            "status, mistakes FROM cases ORDER BY position").fetchall()
    assert rows[0] == ("layer_sizes", "code", 1, "visible", "1/3", "2/3", "failed",
                       '["mistake-0"]')
    assert rows[2][4:7] == ("2/3", "2/3", "passed")


def test_strings_the_database_cannot_store_are_made_storable_not_fatal(gb):
    result = make_result(student="al\udcffice", errors=["bad \ud800 text"])
    result.cases[0].problems = ["\udcff" * 3]
    gb.record(result)
    [back] = gb.attempts()
    assert back.student == "al\ufffdice" and back.errors == ["bad \ufffd text"]
    assert back.cases[0].problems == ["\ufffd" * 3]


def test_latest_attempt_is_the_latest_submitted_not_the_latest_graded(gb):
    gb.record(make_result(points=(2, 2, 2), submitted_at="2026-03-02T10:00:00Z"))
    gb.record(make_result(points=(0, 0, 0), submitted_at="2026-03-01T10:00:00Z",
                          graded_at="2026-03-05T00:00:00Z"))  # an older file graded later
    assert gb.latest("alice", "week3").points == 2
    gb.record(make_result(points=(1, 1, 1), submitted_at="2026-03-03T10:00:00Z"))
    assert [r.points for r in gb.latest_per_student("week3")] == [1]
    # Without submission times, the order of recording decides.
    gb.record(make_result(student="bob", points=(2, 2, 2)))
    gb.record(make_result(student="bob", points=(0, 0, 0)))
    assert gb.latest("bob", "week3").points == 0
    assert len(gb.attempts()) == 5  # nothing is ever overwritten


def test_is_graded_only_for_exact_hash_version_seed_and_not_failed(gb):
    gb.record(make_result(sha="b" * 64, version="2.0", seed=7))
    assert gb.is_graded("alice", "week3", "b" * 64, "2.0", 7)
    for other in (("c" * 64, "2.0", 7), ("b" * 64, "2.1", 7), ("b" * 64, "2.0", 8)):
        assert not gb.is_graded("alice", "week3", *other)
    gb.record(make_result(student="eve", sha="d" * 64, status="failed"))
    assert not gb.is_graded("eve", "week3", "d" * 64, "1.0.0", 0)


def test_one_transaction_per_submission_nothing_half_recorded(gb, tmp_path):
    bad = make_result()
    bad.cases[1].status = None  # violates NOT NULL in the cases table
    with pytest.raises(GradebookError):
        gb.record(bad)
    assert gb.attempts() == []
    with sqlite3.connect(tmp_path / "grades.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 0


def test_students_and_assignments(gb):
    gb.record(make_result("bob", "week3"))
    gb.record(make_result("ann", "week4"))
    gb.record_quiz("cat", "week3", "bank", [])
    assert gb.students() == ["ann", "bob", "cat"]
    assert gb.students("week3") == ["bob", "cat"]
    assert gb.assignments() == ["week3", "week4"]


# -- manual grades ---------------------------------------------------------------------------

def test_an_override_sets_an_exercise_in_every_view_and_survives_regrading(gb):
    gb.record(make_result(points=(0, 0, 0)))
    gb.override("alice", "week3", "forward_propagation", "2/3", reason="regraded by hand",
                author="ta", created_at="2026-03-02T00:00:00Z")
    latest = gb.latest("alice", "week3")
    assert latest.exercise_points()["forward_propagation"] == (Fraction(2, 3), Fraction(2, 3))
    assert latest.points == Fraction(2, 3)
    assert any("set by hand to 2/3 (regraded by hand, ta" in n for n in latest.notes)
    gb.record(make_result(points=(2, 0, 2), graded_at="2026-03-09T00:00:00Z"))  # a regrade
    again = gb.latest_per_student("week3")[0]
    assert again.exercise_points()["forward_propagation"][0] == Fraction(2, 3)
    assert again.points == Fraction(2, 3) * 3
    assert any("graded again since the manual grade" in n for n in again.notes)
    [override] = gb.overrides()
    assert (override.exercise, override.points, override.author) == (
        "forward_propagation", Fraction(2, 3), "ta")


def test_an_override_needs_a_reason_and_non_negative_points(gb):
    with pytest.raises(GradebookError, match="needs a reason"):
        gb.override("alice", "week3", "x", 1, reason=" ")
    with pytest.raises(GradebookError, match="cannot be negative"):
        gb.override("alice", "week3", "x", -1, reason="why")


def test_an_override_for_an_exercise_not_graded_adds_a_manual_case(gb):
    gb.record(make_result())
    gb.override("alice", "week3", "explain_why", 3, reason="essay")
    latest = gb.latest("alice", "week3")
    manual = [c for c in latest.cases if c.kind == "manual"]
    assert [(c.exercise, c.points, c.max_points) for c in manual] == [("explain_why", 3, 3)]


# -- quizzes -------------------------------------------------------------------------------

def test_quiz_round_trip_and_latest(gb):
    answers = [{"question_id": "q1", "answer": "b", "correct": True, "score": 1.0,
                "max_score": 1.0},
               {"question_id": "q2", "answer": None, "correct": False, "score": 0.0,
                "max_score": 2.0}]
    gb.record_quiz("alice", "week3", "bank", answers, graded_at="2026-01-01T00:00:00Z")
    gb.record_quiz("alice", "week3", "bank", answers[:1])
    [first, second] = gb.quiz_attempts("alice")
    assert first["score"] == 1.0 and first["max_score"] == 3.0
    assert first["answers"][1] == {"question_id": "q2", "answer": None, "correct": False,
                                   "score": 0.0, "max_score": 2.0}
    assert gb.latest_quiz("week3")["alice"]["id"] == second["id"]


def test_quiz_answer_missing_a_key_stores_nothing(gb):
    with pytest.raises(ValueError, match="lacks correct"):
        gb.record_quiz("a", "w", "b", [{"question_id": "q", "answer": "x", "score": 1,
                                        "max_score": 1}])
    assert gb.quiz_attempts() == []


# -- migration -----------------------------------------------------------------------------

V1_SCHEMA = """
CREATE TABLE attempts (id INTEGER PRIMARY KEY, student TEXT NOT NULL, assignment TEXT NOT NULL,
 path TEXT, sha256 TEXT NOT NULL, grader_version TEXT, seed INTEGER, score REAL,
 max_score REAL, graded_at TEXT NOT NULL, duration_s REAL, layers TEXT, errors TEXT,
 result_json TEXT NOT NULL);
CREATE INDEX attempts_student_assignment ON attempts (student, assignment);
CREATE INDEX attempts_student_assignment_sha ON attempts (student, assignment, sha256);
CREATE INDEX attempts_assignment ON attempts (assignment);
CREATE TABLE tests (attempt_id INTEGER NOT NULL, position INTEGER NOT NULL, exercise TEXT,
 name TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL, status TEXT NOT NULL,
 mistake TEXT, PRIMARY KEY (attempt_id, position));
CREATE INDEX tests_exercise ON tests (exercise);
CREATE TABLE quiz_attempts (id INTEGER PRIMARY KEY, student TEXT NOT NULL,
 assignment TEXT NOT NULL, bank TEXT NOT NULL, graded_at TEXT NOT NULL, score REAL NOT NULL,
 max_score REAL NOT NULL);
CREATE INDEX quiz_attempts_student_assignment ON quiz_attempts (student, assignment);
CREATE INDEX quiz_attempts_assignment ON quiz_attempts (assignment);
CREATE TABLE quiz_answers (quiz_attempt_id INTEGER NOT NULL, position INTEGER NOT NULL,
 question_id TEXT NOT NULL, answer TEXT, correct INTEGER NOT NULL, score REAL NOT NULL,
 max_score REAL NOT NULL, PRIMARY KEY (quiz_attempt_id, position));
"""


def test_a_version_1_gradebook_is_migrated_in_place_keeping_every_attempt(tmp_path):
    path = tmp_path / "old.db"
    old = {"score": 10.333333, "max_score": 15.0, "execution_time": 0.5, "tests": [
        {"name": "forward_propagation: case 1 (visible)", "score": 5.0, "max_score": 5.0,
         "status": "passed", "output": "Called ...: correct", "tags": ["forward_propagation"]},
        {"name": "forward_propagation: case 2", "score": 5.333333, "max_score": 10.0,
         "status": "failed", "output": "Called x\nProblem: wrong", "tags":
         ["forward_propagation"], "extra_data": {"mistake": "forgot_bias"}}],
        "extra_data": {"student": "ann", "assignment": "planar_classifier", "path": "a.ipynb",
                       "sha256": "e" * 64, "errors": [], "layers": ["rlimits"], "seed": 0,
                       "graded_at": "2025-01-01T00:00:00Z", "grader_version": "0.1.0"}}
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_SCHEMA)
        conn.execute("PRAGMA application_id = 1397245778")
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO attempts (student, assignment, sha256, graded_at, result_json)"
                     " VALUES ('ann', 'planar_classifier', 'x', 'now', ?)", (json.dumps(old),))
        conn.execute("INSERT INTO quiz_attempts (student, assignment, bank, graded_at, score,"
                     " max_score) VALUES ('ann', 'planar_classifier', 'b', 'now', 1, 2)")
    with Gradebook(path) as book:
        [attempt] = book.attempts()
        assert attempt.student == "ann" and attempt.max_points == 15
        assert [c.status for c in attempt.cases] == ["passed", "failed"]
        assert attempt.cases[1].mistakes[0].id == "forgot_bias"
        assert attempt.cases[1].problems == ["Called x Problem: wrong"]
        assert len(book.quiz_attempts()) == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master "
                                                 "WHERE type = 'table'")}
    assert "tests" not in tables and "attempts_v1" not in tables


# -- several processes -----------------------------------------------------------------------

def _record_many(path, worker, barrier):
    barrier.wait(timeout=30)  # both processes open the new file and write at the same moment
    with Gradebook(path) as book:
        for i in range(50):
            book.record(make_result(student=f"w{worker}-s{i:02d}", sha=f"{worker}{i:063d}"))


def test_two_processes_write_at_once(tmp_path):
    path = tmp_path / "shared.db"
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_record_many, args=(path, n, barrier)) for n in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0]  # a "database is locked" would exit 1
    with Gradebook(path) as book:
        assert len(book.attempts()) == 100 and len(book.students()) == 100
        assert all(len(a.cases) == 3 for a in book.attempts())


KILLED_CHILD = textwrap.dedent("""
    import os, signal, sqlite3, sys
    sys.path[:0] = [{root!r}, {tests!r}]
    from autograder.gradebook import Gradebook
    from test_gradebook import make_result

    book = Gradebook({path!r})
    for i in range(20):
        book.record(make_result(student=f"s{{i:02d}}"))
    # A 21st attempt half-written by another connection when the process dies.
    raw = sqlite3.connect({path!r}, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("INSERT INTO attempts (student, assignment, sha256, status, points, max_points,"
                " graded_at, result_json) VALUES ('ghost', 'week3', 'x', 'graded', '0', '0',"
                " 'now', '{{}}')")
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_kill_9_loses_nothing_recorded(tmp_path):
    path = tmp_path / "grades.db"
    code = KILLED_CHILD.format(root=str(ROOT), tests=str(Path(__file__).parent), path=str(path))
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert Path(f"{path}-wal").exists()  # killed before any clean close
    with Gradebook(path) as book:
        assert [a.student for a in book.attempts()] == [f"s{i:02d}" for i in range(20)]
        assert all(len(a.cases) == 3 for a in book.attempts())
        assert "ghost" not in book.students()
