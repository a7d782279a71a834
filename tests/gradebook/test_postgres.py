"""The PostgreSQL gradebook against a real server (Debian's initdb and pg_ctl, started here):
every method answers as the SQLite gradebook does (test_gradebook.py's bodies and this file's,
each run on both backends), the schema is SQLite's translated, and every problem is one line
without the password."""

import multiprocessing
import sqlite3
import subprocess
import sys

import pytest
from cluster.pgserver import PASSWORD, free_port, running_server
from test_gradebook import (  # noqa: F401 - test bodies run here again, on both backends
    make_result,
    test_an_override_for_an_exercise_not_graded_adds_a_manual_case,
    test_an_override_needs_a_reason_and_non_negative_points,
    test_an_override_sets_an_exercise_in_every_view_and_survives_regrading,
    test_is_graded_only_for_exact_hash_version_seed_and_not_failed,
    test_latest_attempt_is_the_latest_submitted_not_the_latest_graded,
    test_quiz_answer_missing_a_key_stores_nothing,
    test_quiz_round_trip_and_latest,
    test_round_trip_keeps_every_field_and_exact_points,
    test_strings_the_database_cannot_store_are_made_storable_not_fatal,
    test_students_and_assignments,
)

from autograder.gradebook import Gradebook, GradebookError, open_gradebook
from autograder.gradebook.postgres import META, PostgresGradebook, safe_url

pytestmark = pytest.mark.slow  # starts a real PostgreSQL server
BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="module")
def server():
    with running_server() as running:
        yield running


@pytest.fixture
def new_book(server, tmp_path):
    """new_book(backend): a fresh, empty gradebook of that backend (closed afterwards)."""
    opened = []

    def make(backend):
        location = tmp_path / f"g{len(opened)}.db" if backend == "sqlite" else \
            server.create_database()
        opened.append(open_gradebook(location))
        return opened[-1]

    yield make
    for book in opened:
        book.close()


@pytest.fixture(params=BACKENDS)
def gb(request, new_book):
    """The fixture test_gradebook.py's bodies take, here once per backend."""
    return new_book(request.param)


@pytest.fixture
def book(gb):
    return gb


# -- one test body, both backends ----------------------------------------------------------

def test_ids_count_up_from_one(book):
    assert [book.record(make_result(s)) for s in ("ann", "bob")] == [1, 2]
    assert book.record_quiz("ann", "week3", "bank", []) == 1
    assert book.override("ann", "week3", "x", 1, reason="essay") == 1


def test_is_graded_and_record_once_use_the_same_key(book):
    book.record(make_result(sha="b" * 64, version="2.0", seed=7))
    assert book.is_graded("alice", "week3", "b" * 64, "2.0", 7)
    for other in (("c" * 64, "2.0", 7), ("b" * 64, "2.1", 7), ("b" * 64, "2.0", 8)):
        assert not book.is_graded("alice", "week3", *other)
    assert book.record_once(make_result(sha="b" * 64, version="2.0", seed=7)) is None
    assert book.record_once(make_result(sha="c" * 64, version="2.0", seed=7)) is not None
    failed = make_result(student="eve", status="failed")
    assert book.record_once(failed) and book.record_once(failed)  # a failure is never "graded"
    assert len(book.attempts()) == 4


def test_a_failed_insert_records_nothing(book):
    bad = make_result()
    bad.cases[1].status = None  # violates NOT NULL in the cases table
    with pytest.raises(GradebookError) as info:
        book.record(bad)
    assert "\n" not in str(info.value) and "cannot record alice/week3" in str(info.value)
    assert book.attempts() == [] and book.students() == []


def test_names_sort_and_match_by_code_point_even_unusual_ones(book):
    names = ["Zoe", "alice", "Émile", "émile", "bob\x00x", "bob", "bob\x01", "a\udcffb", "😀",
             "ä", "ab", "a b", "A"]
    for i, name in enumerate(names):
        book.record(make_result(name, "week3" if i % 2 else "week4"))
    answer = {"question_id": "q\x01", "answer": "a\x00b\x01\x01c", "correct": True, "score": 1,
              "max_score": 1}
    book.record_quiz("quentin", "week5", "bank", [answer])
    book.override("olga", "week6", "x", 1, reason="essay")
    assert book.quiz_attempts("quentin")[0]["answers"] == [{**answer, "correct": True,
                                                             "score": 1.0, "max_score": 1.0}]
    stored = [name.replace("\udcff", "\ufffd") for name in names]
    assert book.students() == sorted({*stored, "quentin"})
    assert book.students("week3") == sorted(stored[1::2])
    assert book.assignments() == ["week3", "week4", "week5", "week6"]
    assert [r.student for r in book.attempts("bob\x00x")] == ["bob\x00x"]
    assert book.latest("bob\x01", "week4").student == "bob\x01"


def test_a_closed_gradebook_is_a_one_line_error(book):
    book.close()
    with pytest.raises(GradebookError, match="closed"):
        book.attempts()


def test_every_method_answers_the_same_on_both_backends(new_book):
    """The same history into a SQLite and a PostgreSQL gradebook: every method's answer is
    equal, call for call."""
    books = [new_book(backend) for backend in BACKENDS]
    history = [
        ("record", make_result("ann", "week3", points=(2, 2, 2), submitted_at="2026-03-01Z")),
        ("record", make_result("ann", "week3", points=(0, 1, 2), submitted_at="2026-02-01Z")),
        ("record", make_result("bob", "week3", points=(1, 1, 1), sha="b" * 64, seed=9)),
        ("record", make_result("bob", "week4", points=(0, 0, 0), status="unreadable",
                               reason="x: not valid JSON")),
        ("record", make_result("cat", "week3", points=(2, 0, 0), status="failed")),
        ("override", ("ann", "week3", "compute_cost", "1/3"), {"reason": "typo", "author": "me",
                                                               "created_at": "2026-01-01Z"}),
        ("override", ("dan", "week3", "essay", 4), {"reason": "essay"}),
        ("quiz", ("ann", "week3", "bank", [{"question_id": "q1", "answer": "a", "correct": True,
                                            "score": 1, "max_score": 1}]), {}),
        ("quiz", ("eve", "week9", "bank", []), {"graded_at": "2026-01-01Z"}),
    ]
    for book in books:
        for step in history:
            if step[0] == "record":
                book.record(step[1])
            elif step[0] == "override":
                book.override(*step[1], **step[2])
            else:
                book.record_quiz(*step[1], **step[2])
    calls = [("attempts", ()), ("attempts", ("ann",)), ("attempts", (None, "week4")),
             ("latest", ("ann", "week3")), ("latest", ("dan", "week3")),
             ("latest_per_student", ("week3",)), ("latest_per_student", ("week4",)),
             ("is_graded", ("bob", "week3", "b" * 64, "1.0.0", 9)),
             ("is_graded", ("cat", "week3", "a" * 64, "1.0.0", 0)),
             ("students", ()), ("students", ("week3",)), ("assignments", ()),
             ("overrides", ()), ("overrides", ("ann", "week3")),
             ("quiz_attempts", ()), ("quiz_attempts", ("ann",)), ("latest_quiz", ("week3",))]

    def plain(value):
        if isinstance(value, list):
            return [plain(v) for v in value]
        if hasattr(value, "to_dict"):
            return value.to_dict()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    for name, args in calls:
        sqlite_answer, postgres_answer = (plain(getattr(b, name)(*args)) for b in books)
        assert sqlite_answer == postgres_answer, name


# -- several processes -----------------------------------------------------------------------

def _record_many(location, worker, barrier):
    barrier.wait(timeout=30)  # both open the new gradebook and write at the same moment
    with open_gradebook(location) as book:
        for i in range(50):
            book.record(make_result(student=f"w{worker}-s{i:02d}", sha=f"{worker}{i:063d}"))
            book.record_once(make_result(student="shared", sha=f"{i:064d}"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_write_at_once_and_record_a_shared_key_once(backend, server, tmp_path):
    location = str(tmp_path / "shared.db") if backend == "sqlite" else server.create_database()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_record_many, args=(location, n, barrier))
               for n in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    with open_gradebook(location) as book:
        assert len(book.attempts()) == 150  # 2 x 50 own, and each shared key exactly once
        assert len(book.attempts("shared")) == 50 and len(book.students()) == 101


# -- PostgreSQL's own: schema, version table, errors ----------------------------------------

def test_the_schema_is_sqlites_translated(server, tmp_path):
    url = server.create_database()
    with PostgresGradebook(url):
        pass
    with Gradebook(tmp_path / "g.db"), sqlite3.connect(tmp_path / "g.db") as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        sqlite_columns = {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")]
                          for t in tables}
    database = url.rsplit("/", 1)[1]
    rows = server.sql("SELECT table_name, column_name, data_type, collation_name FROM "
                      "information_schema.columns WHERE table_schema = 'public' ORDER BY "
                      "table_name, ordinal_position", database)
    postgres_columns = {}
    for table, column, _, _ in rows:
        postgres_columns.setdefault(table, []).append(column)
    assert postgres_columns.pop(META) == ["name", "value"]
    assert postgres_columns == sqlite_columns
    types = {(t, c): (d, collation) for t, c, d, collation in rows}
    assert types[("attempts", "id")][0] == "bigint"
    assert types[("attempts", "score")][0] == "double precision"
    assert types[("attempts", "student")] == ("text", "C")
    assert server.sql("SELECT is_identity FROM information_schema.columns WHERE table_name = "
                      "'quiz_attempts' AND column_name = 'id'", database) == [("YES",)]
    assert dict(server.sql(f"SELECT name, value FROM {META}", database)) == {
        "application_id": 0x53484752, "schema_version": 2}


def test_a_new_database_is_created_once_by_graders_opening_it_together(server):
    url = server.create_database()
    procs = [subprocess.Popen([sys.executable, "-c",
                               "import sys; from autograder.gradebook import open_gradebook; "
                               "open_gradebook(sys.argv[1]).close()", url]) for _ in range(4)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    with PostgresGradebook(url) as book:
        assert book.attempts() == []


def one_line_error(location):
    with pytest.raises(GradebookError) as info:
        open_gradebook(location)
    text = str(info.value)
    assert "\n" not in text and PASSWORD not in text
    return text


def test_problems_are_one_line_with_the_url_without_its_password(server):
    port = free_port()
    down = one_line_error(f"postgresql://grader:{PASSWORD}@127.0.0.1:{port}/grades")
    assert down.startswith(f"postgresql://grader@127.0.0.1:{port}/grades: cannot connect (")
    assert "no PostgreSQL server answers there" in down
    wrong = one_line_error(server.url(password="not-it"))
    assert wrong.startswith(f"postgresql://postgres@127.0.0.1:{server.port}/postgres: ")
    assert "wrong user name or password" in wrong
    missing = one_line_error(server.url("no_such_db"))
    assert "no such database" in missing
    query = one_line_error(f"postgresql://127.0.0.1:{server.port}/postgres?user=postgres"
                           f"&password={PASSWORD}x")
    assert "wrong user name or password" in query and "password=" not in query
    assert safe_url("postgres://u:p@h/d?sslmode=require&password=p") == \
        "postgres://u@h/d?sslmode=require"


def test_a_database_of_another_program_or_version_is_refused_untouched(server):
    url = server.create_database()
    database = url.rsplit("/", 1)[1]
    server.sql("CREATE TABLE invoices (id int)", database)
    text = one_line_error(url)
    assert "not a gradebook database (a database of another program: it holds the tables " \
           "invoices)" in text
    assert server.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                      "'public'", database) == [("invoices",)]
    newer = server.create_database()
    with PostgresGradebook(newer):
        pass
    server.sql(f"UPDATE {META} SET value = 99 WHERE name = 'schema_version'",
               newer.rsplit("/", 1)[1])
    assert "schema version 99 is newer than this grader's 2" in one_line_error(newer)
    server.sql(f"UPDATE {META} SET value = 1 WHERE name = 'application_id'",
               newer.rsplit("/", 1)[1])
    assert "its gradebook_meta is not the grader's" in one_line_error(newer)


def test_an_older_schema_is_migrated_on_open(server, monkeypatch):
    import autograder.gradebook.postgres as postgres

    url = server.create_database()
    database = url.rsplit("/", 1)[1]
    with PostgresGradebook(url) as book:
        book.record(make_result())
    server.sql(f"UPDATE {META} SET value = 1 WHERE name = 'schema_version'", database)
    assert "schema version 1 has no migration to 2" in one_line_error(url)
    ran = []
    monkeypatch.setitem(postgres.MIGRATIONS, 1, lambda conn: ran.append(
        conn.execute("SELECT count(*) FROM attempts").fetchone()[0]))
    with PostgresGradebook(url) as book:
        assert ran == [1] and len(book.attempts()) == 1
    assert server.sql(f"SELECT value FROM {META} WHERE name = 'schema_version'",
                      database) == [(2,)]


def test_a_connection_the_server_dropped_is_opened_again(server):
    url = server.create_database()
    with PostgresGradebook(url) as book:
        book.record(make_result())
        server.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                   f"datname = '{url.rsplit('/', 1)[1]}' AND pid <> pg_backend_pid()")
        assert len(book.attempts()) == 1  # found dead at BEGIN: connected again
        book.record(make_result("bob"))
    assert len(PostgresGradebook(url).attempts()) == 2
