"""The SQLite gradebook, on real files: attempts kept, transactions, processes, kill -9, CSV."""

import csv
import io
import json
import multiprocessing
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.gradebook import SCHEMA_VERSION, Gradebook, GradebookError
from autograder.result import SubmissionResult
from autograder.result import TestResult as Case  # not collected as a test class

ROOT = Path(__file__).resolve().parents[2]


def make_result(student="alice", assignment="week3", *, scores=(1.0, 0.5, 2.0), sha="a" * 64,
                version="1.0.0", seed=0, graded_at="2026-03-01T10:00:00Z", **extra):
    exercises = ["layer_sizes", "forward_propagation", "compute_cost"]
    tests = [
        Case(
            name=f"{exercises[i % 3]}: case {i}", exercise=exercises[i % 3], score=score,
            max_score=2.0, status="passed" if score == 2.0 else "failed",
            output=f"called case {i}", mistake=None if score == 2.0 else f"mistake-{i}",
        )
        for i, score in enumerate(scores)
    ]
    return SubmissionResult(
        student=student, assignment=assignment, path=f"submissions/{student}/{assignment}.ipynb",
        sha256=sha, score=sum(scores), max_score=2.0 * len(scores), tests=tests,
        errors=extra.pop("errors", []), layers=extra.pop("layers", ["subprocess", "rlimit"]),
        seed=seed, graded_at=graded_at, duration_s=extra.pop("duration_s", 1.25),
        grader_version=version, **extra,
    )


@pytest.fixture
def gb(tmp_path):
    with Gradebook(tmp_path / "grades.db") as book:
        yield book


def count_attempts(path):
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]


# -- opening -------------------------------------------------------------------------------------


def test_new_file_has_schema_wal_and_version(tmp_path):
    path = tmp_path / "nested" / "folder" / "grades.db"
    with Gradebook(path):
        pass
    assert path.exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"attempts", "tests", "quiz_attempts", "quiz_answers"} <= tables
    with Gradebook(path) as book:  # reopening an existing gradebook
        assert book.attempts() == []


def test_garbage_file_is_a_one_line_error_with_the_path(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not sqlite at all\n" * 100)
    with pytest.raises(GradebookError) as caught:
        Gradebook(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not a gradebook database (")
    assert "\n" not in message and "Traceback" not in message
    assert path.read_bytes() == b"this is not sqlite at all\n" * 100  # left as it was


def test_newer_schema_version_is_refused(tmp_path):
    path = tmp_path / "grades.db"
    Gradebook(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(GradebookError, match=r"not a gradebook database \(schema version 2"):
        Gradebook(path)


def test_sqlite_file_of_another_program_is_refused_and_untouched(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    with pytest.raises(GradebookError, match="not a gradebook database"):
        Gradebook(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["recipes"]


def test_closed_gradebook_raises_gradebook_error(tmp_path):
    book = Gradebook(tmp_path / "grades.db")
    book.close()
    book.close()  # twice is fine
    with pytest.raises(GradebookError, match="closed"):
        book.attempts()


# -- code attempts -------------------------------------------------------------------------------


def test_round_trip_keeps_everything(gb):
    result = make_result(errors=["cell 4: NameError", "cell 9: timeout"], seed=7)
    attempt_id = gb.record(result)
    assert isinstance(attempt_id, int)
    [back] = gb.attempts()
    assert back == result
    assert [t.mistake for t in back.tests] == ["mistake-0", "mistake-1", None]
    assert back.layers == ["subprocess", "rlimit"]
    assert back.errors == ["cell 4: NameError", "cell 9: timeout"]
    assert gb.latest("alice", "week3") == result


def test_tests_table_rows(gb, tmp_path):
    attempt_id = gb.record(make_result())
    with sqlite3.connect(tmp_path / "grades.db") as conn:
        rows = conn.execute(
            "SELECT position, exercise, score, status, mistake FROM tests WHERE attempt_id = ?"
            " ORDER BY position", (attempt_id,),
        ).fetchall()
    assert rows == [
        (0, "layer_sizes", 1.0, "failed", "mistake-0"),
        (1, "forward_propagation", 0.5, "failed", "mistake-1"),
        (2, "compute_cost", 2.0, "passed", None),
    ]


def test_empty_graded_at_is_filled_in_row_and_json(gb, tmp_path):
    result = make_result(graded_at="")
    gb.record(result)
    assert result.graded_at == ""  # the caller's object is not changed
    stamp = gb.latest("alice", "week3").graded_at
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
    with sqlite3.connect(tmp_path / "grades.db") as conn:
        column, blob = conn.execute("SELECT graded_at, result_json FROM attempts").fetchone()
    assert column == stamp == json.loads(blob)["extra_data"]["graded_at"]


def test_every_attempt_is_kept_and_latest_is_the_last(gb):
    for i, score in enumerate((0.0, 1.0, 2.0)):
        gb.record(make_result(scores=(score, 2.0), sha=str(i) * 64))
    gb.record(make_result(student="bob"))
    attempts = gb.attempts("alice", "week3")
    assert [a.score for a in attempts] == [2.0, 3.0, 4.0]
    assert gb.latest("alice", "week3") == attempts[-1]
    assert len(gb.attempts()) == 4
    assert len(gb.attempts(assignment="week3")) == 4
    assert len(gb.attempts(student="bob")) == 1
    assert gb.latest("alice", "week9") is None
    assert [r.student for r in gb.latest_per_student("week3")] == ["alice", "bob"]
    assert gb.latest_per_student("week3")[0].score == 4.0


def test_is_graded_only_for_exact_hash_version_and_seed(gb):
    gb.record(make_result(sha="f" * 64, version="1.2.0", seed=3))
    assert gb.is_graded("alice", "week3", "f" * 64, "1.2.0", 3)
    assert not gb.is_graded("alice", "week3", "e" * 64, "1.2.0", 3)
    assert not gb.is_graded("alice", "week3", "f" * 64, "1.3.0", 3)
    assert not gb.is_graded("alice", "week3", "f" * 64, "1.2.0", 4)
    assert not gb.is_graded("bob", "week3", "f" * 64, "1.2.0", 3)
    assert not gb.is_graded("alice", "week4", "f" * 64, "1.2.0", 3)


def test_one_transaction_per_submission(gb, tmp_path):
    gb.record(make_result(student="before"))
    broken = make_result(student="broken")
    broken.tests[1].status = None  # violates NOT NULL / CHECK on the second test row
    with pytest.raises(GradebookError, match="broken/week3") as caught:
        gb.record(broken)
    assert "\n" not in str(caught.value)
    assert gb.attempts(student="broken") == []
    with sqlite3.connect(tmp_path / "grades.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM tests").fetchone()[0] == 3
    gb.record(make_result(student="after"))  # the connection is still usable
    assert gb.students() == ["after", "before"]


def test_students_and_assignments(gb):
    gb.record(make_result(student="carol", assignment="week3"))
    gb.record(make_result(student="alice", assignment="week4"))
    gb.record(make_result(student="alice", assignment="week3"))
    gb.record_quiz("dave", "week5", "bank.yaml", [])
    assert gb.students() == ["alice", "carol", "dave"]
    assert gb.students("week3") == ["alice", "carol"]
    assert gb.students("week5") == ["dave"]
    assert gb.assignments() == ["week3", "week4", "week5"]


# -- quizzes -------------------------------------------------------------------------------------

ANSWERS = [
    {"question_id": "q1", "answer": "tanh", "correct": True, "score": 1.0, "max_score": 1.0},
    {"question_id": "q2", "answer": "B", "correct": False, "score": 0.0, "max_score": 2.0},
    {"question_id": "q3", "answer": "0.5", "correct": True, "score": 2.0, "max_score": 2.0},
]


def test_quiz_round_trip(gb):
    quiz_id = gb.record_quiz("alice", "week3", "shallow.yaml", ANSWERS,
                             graded_at="2026-03-02T09:00:00Z")
    gb.record_quiz("bob", "week3", "shallow.yaml", ANSWERS[:1])
    [quiz] = gb.quiz_attempts(student="alice")
    assert quiz == {
        "id": quiz_id, "student": "alice", "assignment": "week3", "bank": "shallow.yaml",
        "graded_at": "2026-03-02T09:00:00Z", "score": 3.0, "max_score": 5.0, "answers": ANSWERS,
    }
    both = gb.quiz_attempts(assignment="week3")
    assert [q["student"] for q in both] == ["alice", "bob"]
    assert both[1]["answers"] == ANSWERS[:1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", both[1]["graded_at"])
    assert gb.quiz_attempts(assignment="week4") == []


def test_quiz_answer_missing_a_key_stores_nothing(gb):
    with pytest.raises(ValueError, match="quiz answer 1 lacks correct"):
        gb.record_quiz("alice", "week3", "b", [ANSWERS[0], {"question_id": "q2", "answer": "x",
                                                             "score": 0, "max_score": 1}])
    assert gb.quiz_attempts() == []


# -- CSV export ----------------------------------------------------------------------------------


def read_csv(text):
    return list(csv.reader(io.StringIO(text)))


def test_export_csv_latest_attempt_per_student(gb, tmp_path):
    gb.record(make_result(student="bob", scores=(0.0, 0.0, 0.0), sha="0" * 64))
    gb.record(make_result(student="bob", scores=(2.0, 1.5, 0.25), sha="1" * 64,
                          graded_at="2026-03-05T12:00:00Z"))
    gb.record(make_result(student="alice", scores=(1.0 / 3, 2.0, 2.0)))
    gb.record(make_result(student="zoe", assignment="week4"))  # another assignment
    out = tmp_path / "exports" / "week3.csv"
    assert gb.export_csv(out, "week3") == 2
    rows = read_csv(out.read_text(encoding="utf-8"))
    assert rows[0] == ["student", "layer_sizes", "forward_propagation", "compute_cost", "total",
                       "max_score", "graded_at", "sha256"]
    assert rows[1] == ["alice", "0.3333", "2.0", "2.0", "4.3333", "6.0",
                       "2026-03-01T10:00:00Z", "a" * 64]
    assert rows[2] == ["bob", "2.0", "1.5", "0.25", "3.75", "6.0", "2026-03-05T12:00:00Z",
                       "1" * 64]
    assert len(rows) == 3


def test_export_csv_exercise_order_and_missing_exercises(gb):
    gb.record(make_result(student="amy", scores=(2.0,)))  # layer_sizes only
    gb.record(make_result(student="ben", scores=(2.0, 1.0)))  # + forward_propagation
    handle = io.StringIO()
    assert gb.export_csv(handle, "week3") == 2
    rows = read_csv(handle.getvalue())
    assert rows[0][:3] == ["student", "layer_sizes", "forward_propagation"]
    assert rows[1][:3] == ["amy", "2.0", ""]
    assert rows[2][:3] == ["ben", "2.0", "1.0"]


def test_export_csv_quiz_column(gb):
    gb.record(make_result(student="alice"))
    gb.record(make_result(student="bob"))
    gb.record_quiz("alice", "week3", "b", ANSWERS[:1])  # 1.0
    gb.record_quiz("alice", "week3", "b", ANSWERS)  # latest: 3.0
    gb.record_quiz("carol", "week3", "b", ANSWERS[1:])  # quiz only: 2.0
    gb.record_quiz("bob", "week4", "b", ANSWERS)  # another assignment
    handle = io.StringIO()
    assert gb.export_csv(handle, "week3") == 3
    rows = read_csv(handle.getvalue())
    assert rows[0][-5:] == ["total", "max_score", "graded_at", "sha256", "quiz"]
    by_student = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_student["alice"]["quiz"] == "3.0"
    assert by_student["bob"]["quiz"] == ""
    assert by_student["carol"]["quiz"] == "2.0"
    assert by_student["carol"]["total"] == ""
    assert by_student["alice"]["total"] == "3.5"


def test_export_csv_empty_assignment(gb):
    handle = io.StringIO()
    assert gb.export_csv(handle, "week9") == 0
    assert read_csv(handle.getvalue()) == [["student", "total", "max_score", "graded_at",
                                            "sha256"]]


# -- several processes, and kill -9 --------------------------------------------------------------


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
        assert len(book.attempts()) == 100
        assert len(book.students()) == 100
        assert all(len(a.tests) == 3 for a in book.attempts())


KILLED_CHILD = textwrap.dedent("""
    import os, signal, sqlite3, sys
    sys.path.insert(0, {root!r})
    from autograder.gradebook import Gradebook
    from autograder.result import SubmissionResult, TestResult

    book = Gradebook({path!r})
    for i in range(20):
        tests = [TestResult(f"case {{k}}", "forward_propagation", 1.0, 1.0, "passed")
                 for k in range(3)]
        book.record(SubmissionResult(f"s{{i:02d}}", "week3", "nb.ipynb", "c" * 64, 3.0, 3.0,
                                     tests))
    # A 21st attempt half-written by another connection when the process dies.
    raw = sqlite3.connect({path!r}, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("INSERT INTO attempts (student, assignment, sha256, graded_at, result_json)"
                " VALUES ('ghost', 'week3', 'x', 'now', '{{}}')")
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_kill_9_loses_nothing_recorded(tmp_path):
    path = tmp_path / "grades.db"
    code = KILLED_CHILD.format(root=str(ROOT), path=str(path))
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert Path(f"{path}-wal").exists()  # killed before any clean close
    with Gradebook(path) as book:
        assert [a.student for a in book.attempts()] == [f"s{i:02d}" for i in range(20)]
        assert all(len(a.tests) == 3 for a in book.attempts())
        assert "ghost" not in book.students()
