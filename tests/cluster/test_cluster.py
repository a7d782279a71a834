"""Grading on a real Dask cluster: a LocalCluster of two worker processes, workers killed with
SIGKILL in the middle of a notebook, a real worker that lacks bubblewrap, a real PostgreSQL
gradebook; the results must be a local run's, recorded once each."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from autograder.batch import grade_many
from autograder.cluster import (
    SLOT_BASE,
    ClusterError,
    grade_on_cluster,
    grade_task,
    local_cluster,
    worker_report,
)
from autograder.grade import Options, Submission
from autograder.gradebook import open_gradebook
from notebooks import ALL_COURSE, CORRECT, replace_function, write_notebook

from .pgserver import running_server

pytestmark = pytest.mark.slow  # starts real Dask clusters (and a PostgreSQL server)
BIN = Path(sys.executable).parent
SLEEPS = "def relu(z):\n    import time\n    time.sleep(3600)\n"
TIMING = ("graded_at", "duration_s")


@pytest.fixture(scope="module")
def cluster():
    running = local_cluster(2)
    try:
        yield running
    finally:
        running.close()


def options(**kw):
    kw.setdefault("secret", b"the course secret of these tests!")  # per-student seeds
    return Options(course_root=str(ALL_COURSE), **kw)


def make_class(folder, names=("ann", "ben", "cy", "dee")):
    """Submissions of the "all" assignment: right, with a mistake, a .py file, broken."""
    subs = []
    for i, name in enumerate(names):
        if i % 4 == 2:
            path = folder / f"{name}.py"
            path.write_text(CORRECT)
        elif i % 4 == 3:
            path = folder / f"{name}.ipynb"
            path.write_text('{"cells": [')
        else:
            source = CORRECT if i % 4 == 0 else replace_function(
                CORRECT, "relu", "def relu(z):\n    return max(0, z)\n")
            path = write_notebook(folder / f"{name}.ipynb", source)
        subs.append(Submission(str(path), name, "all", f"2026-03-0{i % 9 + 1}T10:00:00Z",
                               "timestamp.txt"))
    return subs


def stored(location):
    """{student: [stored result dicts without timing]} of a gradebook."""
    out = {}
    with open_gradebook(location) as book:
        for result in book.attempts():
            data = result.to_dict()
            for name in TIMING:
                data.pop(name)
            out.setdefault(result.student, []).append(data)
    return out


class Killer(threading.Thread):
    """Kills (SIGKILL) the worker process that has been grading ``student``'s submission for
    ``after`` seconds, up to ``times`` times, looking through a client of its own."""

    def __init__(self, address, student, *, times=1, after=1.5):
        super().__init__(daemon=True)
        self.address, self.student, self.times, self.after = address, student, times, after
        self.killed = []
        self.done = threading.Event()

    def run(self):
        from distributed import Client

        with Client(self.address, set_as_default=False) as client:
            seen, since = None, 0.0
            while len(self.killed) < self.times and not self.done.is_set():
                busy = [w for w, keys in client.processing().items()
                        if any(f"-{self.student}-" in str(k) for k in keys)]
                if not busy:
                    seen = None
                elif busy[0] != seen:
                    seen, since = busy[0], time.monotonic()
                elif time.monotonic() - since >= self.after:
                    pid = client.run(worker_report, workers=[seen])[seen]["pid"]
                    os.kill(pid, signal.SIGKILL)
                    self.killed.append(pid)
                    seen = None
                time.sleep(0.1)


def test_a_class_graded_on_the_cluster_is_graded_as_locally(cluster, tmp_path):
    subs = make_class(tmp_path, ("ann", "ben", "cy", "dee", "émile o'neil", "fay", "gus"))
    (tmp_path / "fay-missing.ipynb").unlink(missing_ok=True)
    subs[5] = Submission(str(tmp_path / "fay-missing.ipynb"), "fay", "all")  # no such file
    (tmp_path / "gus-link.ipynb").symlink_to(subs[0].path)
    subs[6] = Submission(str(tmp_path / "gus-link.ipynb"), "gus", "all")  # a link, never read
    grade_many(subs, gradebook=tmp_path / "local.db", jobs=2, options=options())
    seen = []
    run = grade_on_cluster(subs, address=cluster.scheduler_address,
                           gradebook=tmp_path / "cluster.db", options=options(),
                           on_result=lambda kind, item: seen.append(kind))
    local, remote = stored(tmp_path / "local.db"), stored(tmp_path / "cluster.db")
    assert remote == local and all(len(v) == 1 for v in remote.values()) and len(remote) == 7
    assert seen == ["graded"] * 7 and [r.student for r in run.results] == [s.student for s in subs]
    assert remote["ann"][0]["seed_source"] == "course-secret" and remote["ann"][0]["points"] == \
        "113"
    assert remote["dee"][0]["status"] == "unreadable" and \
        remote["dee"][0]["reason"].startswith(f"{subs[3].path}: ")
    assert "symbolic link" in remote["gus"][0]["reason"]
    assert "bwrap" in remote["ann"][0]["layers"] and "uid" in remote["ann"][0]["layers"]
    reports = cluster_reports(cluster)
    slots = [slot for report in reports.values() for slot in report["slots"]]
    assert len(reports) == 2 and len(slots) == len(set(slots)) == 2  # a uid slot per worker
    assert min(slots) >= SLOT_BASE  # clear of the local runs' slots 0..jobs-1


def cluster_reports(cluster):
    from distributed import Client

    with Client(cluster.scheduler_address, set_as_default=False) as client:
        return client.run(worker_report)


def test_a_worker_killed_mid_notebook_costs_nothing(cluster, tmp_path):
    subs = make_class(tmp_path, ("ann", "ben", "cy"))
    subs.insert(1, Submission(str(write_notebook(tmp_path / "sleeper.ipynb", replace_function(
        CORRECT, "relu", SLEEPS))), "sleeper", "all"))
    grade_many(subs, gradebook=tmp_path / "local.db", jobs=2, options=options(timeout=4))
    killer = Killer(cluster.scheduler_address, "sleeper")
    killer.start()
    grade_on_cluster(subs, address=cluster.scheduler_address, gradebook=tmp_path / "cluster.db",
                     options=options(timeout=4))
    killer.done.set()
    assert len(killer.killed) == 1, "the worker grading the sleeper was not killed"
    remote = stored(tmp_path / "cluster.db")
    assert remote == stored(tmp_path / "local.db")  # one record each, the same as locally
    relu = [c for c in remote["sleeper"][0]["cases"] if c["exercise"] == "relu"]
    assert relu and all(c["status"] == "timeout" for c in relu)


def test_a_submission_that_keeps_killing_workers_is_recorded_failed_once(cluster, tmp_path):
    subs = make_class(tmp_path, ("ann", "ben"))
    subs.append(Submission(str(write_notebook(tmp_path / "poison.ipynb", replace_function(
        CORRECT, "relu", SLEEPS))), "poison", "all"))
    killer = Killer(cluster.scheduler_address, "poison", times=2, after=1.0)
    killer.start()
    run = grade_on_cluster(subs, address=cluster.scheduler_address,
                           gradebook=tmp_path / "cluster.db", options=options(timeout=20))
    killer.done.set()
    assert len(killer.killed) == 2
    remote = stored(tmp_path / "cluster.db")
    assert sorted(remote) == ["ann", "ben", "poison"] and all(len(v) == 1
                                                              for v in remote.values())
    [poison] = remote["poison"]
    assert poison["status"] == "failed" and "\n" not in poison["reason"]
    assert "the worker process grading it died 2 times" in poison["reason"]
    assert remote["ann"][0]["points"] == "113"
    assert [r.status for r in run.results] == ["graded", "graded", "failed"]


def test_concurrent_clients_and_resume_on_another_cluster_record_each_grading_once(
        cluster, tmp_path):
    with running_server() as server:
        url = server.create_database()
        slow = replace_function(CORRECT, "relu", SLEEPS)  # 2 s each: the clients overlap
        subs = [Submission(str(write_notebook(tmp_path / f"{name}.ipynb", slow)), name, "all")
                for name in ("ann", "ben", "cy", "dee")]
        runs, barrier = [], threading.Barrier(2)

        def client():
            barrier.wait(timeout=30)
            runs.append(grade_on_cluster(subs, address=cluster.scheduler_address,
                                         gradebook=url, options=options(timeout=2)))

        threads = [threading.Thread(target=client) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert len(runs) == 2
        assert sorted(len(r.results) + len(r.skipped) for r in runs) == [4, 4]
        assert sum(len(r.results) for r in runs) == 4  # each submission recorded by one client
        first = stored(url)
        assert sorted(first) == ["ann", "ben", "cy", "dee"] and all(len(v) == 1
                                                                   for v in first.values())
        write_notebook(subs[1].path)  # ben hands in a new version
        again = grade_on_cluster(subs, address="local:2", gradebook=url,
                                 options=options(timeout=2), resume=True)
        assert [s.student for s in again.skipped] == ["ann", "cy", "dee"]
        assert [r.student for r in again.results] == ["ben"]
        final = stored(url)
        assert [len(final[s]) for s in ("ann", "ben", "cy", "dee")] == [1, 2, 1, 1]
        assert final["ben"][1]["points"] == "113"


@pytest.fixture
def weak_worker(tmp_path):
    """A scheduler and one real `dask worker` process on a PATH without bubblewrap."""
    scheduler = local_cluster(0)
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("unshare",):
        os.symlink(subprocess.run(["which", tool], capture_output=True, text=True)
                   .stdout.strip(), tools / tool)
    worker = subprocess.Popen(
        [str(BIN / "dask"), "worker", scheduler.scheduler_address, "--nworkers", "1",
         "--nthreads", "1", "--no-dashboard", "--name", "weak"],
        env={**os.environ, "PATH": str(tools)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield scheduler.scheduler_address
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
        scheduler.close()


def test_a_worker_lacking_a_layer_is_named_and_refused_when_layers_are_required(
        weak_worker, tmp_path):
    subs = make_class(tmp_path, ("ann",))
    with pytest.raises(ClusterError) as info:
        grade_on_cluster(subs, address=weak_worker, options=options(), require_layers=True)
    text = str(info.value)
    assert "\n" not in text and text.startswith("worker tcp://127.0.0.1:")
    assert "lacks the isolation layer(s) " in text and "bwrap" in text.split("lacks")[1]
    assert "that the grading client's machine has (--require-layers)" in text
    run = grade_on_cluster(subs, address=weak_worker, gradebook=tmp_path / "g.db",
                           options=options())
    [result] = run.results
    assert "bwrap" not in result.layers and result.points == 113
    assert any("which lacks the isolation layer(s) " in note and "bwrap" in note
               for note in result.notes)
    assert any("bwrap: bubblewrap is not installed" in line and "worker tcp://" in line
               for line in run.missing_layers)
    cli = subprocess.run([str(BIN / "shallow"), "grade", str(tmp_path), "--cluster",
                          weak_worker, "--require-layers", "--course", str(ALL_COURSE),
                          "--assignment", "all", "--no-gradebook"],
                         capture_output=True, text=True, timeout=120)
    errors = error_lines(cli.stderr)
    assert cli.returncode == 1 and len(errors) == 1 and errors[0].startswith("Error: worker ")
    assert "lacks the isolation layer(s) " in cli.stderr and "bwrap" in cli.stderr


def error_lines(stderr):
    """The command's error output without the progress bar's label."""
    return [line for line in stderr.splitlines() if line.strip() and line != "grading"]


def test_the_cli_grades_on_local_workers_as_with_jobs(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    make_class(folder)
    common = [str(folder), "--course", str(ALL_COURSE), "--assignment", "all", "--timeout", "5"]
    for name, how in (("jobs.db", ["--jobs", "2"]), ("cluster.db", ["--cluster", "local:2"])):
        done = subprocess.run([str(BIN / "shallow"), "grade", *common, *how, "--gradebook",
                               str(tmp_path / name), "--format", "json"],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert len(json.loads(done.stdout)) == 4
    assert stored(tmp_path / "cluster.db") == stored(tmp_path / "jobs.db")
    again = subprocess.run([str(BIN / "shallow"), "grade", *common, "--cluster", "local:2",
                            "--resume", "--gradebook", str(tmp_path / "cluster.db")],
                           capture_output=True, text=True, timeout=300)
    assert "0 graded, 4 skipped" in again.stdout, again.stdout + again.stderr
    with sqlite3.connect(tmp_path / "cluster.db") as conn:
        assert conn.execute("SELECT count(*) FROM attempts").fetchone()[0] == 4
    for bad, words in (("nowhere", "not a cluster address"), ("local:0", "not a cluster")):
        done = subprocess.run([str(BIN / "shallow"), "grade", *common, "--cluster", bad,
                               "--no-gradebook"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 1 and words in done.stderr
        assert len(error_lines(done.stderr)) == 1 and "Traceback" not in done.stderr


def test_a_scheduler_that_does_not_answer_is_one_line(monkeypatch):
    import autograder.cluster as cluster_module
    from notebooks import DATA

    monkeypatch.setattr(cluster_module, "CONNECT_S", 2)
    with pytest.raises(ClusterError) as info:
        grade_on_cluster([Submission(str(DATA / "student_correct.py"), "a", "all")],
                         address="tcp://127.0.0.1:9", options=options())
    assert str(info.value).startswith("tcp://127.0.0.1:9: no Dask scheduler answers there (")
    assert "\n" not in str(info.value)


def test_a_cluster_left_without_workers_is_one_line_and_keeps_what_is_recorded(
        tmp_path, monkeypatch):
    import autograder.cluster as cluster_module

    monkeypatch.setattr(cluster_module, "WORKER_WAIT_S", 3)
    scheduler = local_cluster(0)
    worker = subprocess.Popen([str(BIN / "dask"), "worker", scheduler.scheduler_address,
                               "--no-nanny", "--nthreads", "1", "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        subs = make_class(tmp_path, ("ann",)) + [Submission(str(write_notebook(
            tmp_path / f"slow{i}.ipynb", replace_function(CORRECT, "relu", SLEEPS))),
            f"slow{i}", "all") for i in range(3)]
        seen = []

        def on_result(kind, item):
            seen.append(item.student)
            if len(seen) == 2:
                worker.kill()  # the only worker, and no nanny to start another

        with pytest.raises(ClusterError) as info:
            grade_on_cluster(subs, address=scheduler.scheduler_address,
                             gradebook=tmp_path / "g.db", options=options(timeout=2),
                             on_result=on_result)
        assert str(info.value) == (
            f"{scheduler.scheduler_address}: the cluster went away while grading (no worker or "
            f"scheduler for 3 s); every result shown as graded is recorded: run again with "
            f"--resume")
        assert sorted(stored(tmp_path / "g.db")) == sorted(seen)
    finally:
        worker.kill()
        worker.wait()
        scheduler.close()


def test_a_worker_checks_the_bytes_and_the_layers_itself(tmp_path):
    """The task refuses damaged bytes and, with --require-layers, a layer it lacks (a worker
    that joined after the client's check): each a failed result with the reason."""
    from autograder.cluster import course_bundle

    path = write_notebook(tmp_path / "ann.ipynb")
    payload = {"submission": Submission(str(path), "ann", "all"), "data": path.read_bytes(),
               "sha256": "0" * 64, "options": options(), "course": course_bundle(ALL_COURSE),
               "version": __import__("autograder").__version__, "client_layers": ("rlimits",),
               "require": ()}
    damaged = json.loads(grade_task(payload))
    assert damaged["status"] == "failed" and "arrived damaged" in damaged["reason"]
    import hashlib

    payload["sha256"] = hashlib.sha256(payload["data"]).hexdigest()
    payload["require"] = payload["client_layers"] = ("rlimits", "imaginary")
    refused = json.loads(grade_task(payload))
    assert refused["status"] == "failed"
    assert "lacks the isolation layer(s) imaginary" in refused["reason"]
    assert refused["path"] == str(path) and refused["student"] == "ann"


def test_a_worker_without_the_course_folder_grades_from_the_files_the_client_sent(tmp_path):
    """A worker machine has no copy of the course: it builds it from the exercise files that
    travel with each task (once), and grades exactly as the client's machine does."""
    import hashlib

    from autograder.cluster import course_bundle

    path = write_notebook(tmp_path / "ann.ipynb", replace_function(
        CORRECT, "relu", "def relu(z):\n    return max(0, z)\n"))
    bundle = course_bundle(ALL_COURSE)
    assert list(bundle["files"]) == ["solutions/all/exercises.py"]
    elsewhere = {**bundle, "root": str(tmp_path / "not-on-this-machine")}
    data = path.read_bytes()
    payload = {"submission": Submission(str(path), "ann", "all"), "data": data,
               "sha256": hashlib.sha256(data).hexdigest(), "options": options(),
               "course": elsewhere, "version": __import__("autograder").__version__,
               "client_layers": (), "require": ()}
    remote = json.loads(grade_task(payload))
    [local] = grade_many([payload["submission"]], options=options())
    expected = local.to_dict()
    for name in TIMING:
        remote.pop(name), expected.pop(name)
    assert remote == expected and remote["max_points"] == "113"


def test_uid_slots_are_one_per_process_and_freed_when_it_dies():
    code = ("import sys, time; from autograder.cluster import acquire_slot; "
            "print(acquire_slot(), flush=True); time.sleep(60)")
    first, second = (subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                      text=True) for _ in range(2))
    try:
        slots = [int(p.stdout.readline()) for p in (first, second)]
        assert slots[0] != slots[1] and min(slots) >= SLOT_BASE
        first.kill()
        first.wait()
        import fcntl

        from autograder.cluster import slot_folder

        fd = os.open(slot_folder() / f"{slots[0]}.lock", os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again: no error
        finally:
            os.close(fd)
    finally:
        for process in (first, second):
            process.kill()
            process.wait()
