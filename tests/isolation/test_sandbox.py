"""The sandbox for real: layer detection, and what each layer guarantees where it exists.

Every test runs real children (``Sandbox.run``) with code of its own: a fresh process per
exercise that shares nothing with the next one (memory, files, IPC, uid, processes), bounded
writable places, no new namespaces, and nothing left on the host afterwards.
"""

import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.grade import compile_chunks
from autograder.isolation import layers as L
from autograder.isolation.sandbox import ExerciseJob, Limits, Sandbox
from autograder.isolation.wire import encode

AVAILABLE, MISSING = L.detect()


@dataclass
class Chunk:
    cell: int
    source: str


def needs(*layers):
    absent = [layer for layer in layers if layer not in AVAILABLE]
    return pytest.mark.skipif(bool(absent), reason=f"needs the {', '.join(absent)} layer(s), "
                                                   f"which this machine lacks: {MISSING}")


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(Limits(load_s=5.0))
    yield box
    box.close()


def run(sandbox, source, functions, *, args=None, budget=5.0, review=()):
    """Load ``source``, then call each function of ``functions`` in an exercise of its own."""
    chunks = compile_chunks([Chunk(1, textwrap.dedent(source))])
    jobs = [ExerciseJob(name, [{"op": "call", "id": f"{name}/1", "function": name,
                                "args": [encode(a) for a in (args or [])], "kwargs": {},
                                "seed": None, "mutation": False}], budget)
            for name in functions]
    result = sandbox.run(chunks, jobs, review=review)
    values = {}
    for name in functions:
        outcome = result.exercises[name].calls[f"{name}/1"]
        values[name] = outcome.value if outcome.status == "ok" else (outcome.status,
                                                                     outcome.error)
    return values, result


def test_layer_detection_uses_the_strongest_layers_the_machine_can_run():
    print(f"layers: {AVAILABLE}; missing: {MISSING}")
    assert {"rlimits", "session", "clean-env"} <= set(AVAILABLE)
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed here: the bwrap layer cannot be tested "
                    "(make test installs it)")
    assert {"bwrap", "netns", "pidns", "seccomp"} <= set(AVAILABLE), MISSING
    if os.geteuid() == 0:
        assert {"uid", "ipcns", "tmpfs"} <= set(AVAILABLE), MISSING


def test_private_tmp_is_mounted_before_anything_bound_inside_tmp():
    argv = L.bwrap_argv(sys.executable)
    tmp = next(i for i in range(len(argv) - 1) if argv[i:i + 2] == ["--tmpfs", "/tmp"])
    for i, arg in enumerate(argv):
        if arg in ("--ro-bind", "--bind") and argv[i + 2].startswith("/tmp/"):
            assert i > tmp, f"{argv[i + 2]} is bound before /tmp is replaced"


def test_the_zygote_keeps_only_the_capabilities_it_needs():
    argv = L.bwrap_argv(sys.executable, privileged=True)
    added = [argv[i + 1] for i, a in enumerate(argv) if a == "--cap-add"]
    assert "--cap-drop" in argv and set(added) == set(L.ZYGOTE_CAPS)
    assert "--cap-add" not in L.bwrap_argv(sys.executable, privileged=False)


STATE = """
import os
_counter = [0]

def bump():
    _counter[0] += 1
    return _counter[0]

def ids():
    return [os.getuid(), os.getpid()]
"""


def test_each_exercise_runs_in_a_fresh_process_that_shares_no_memory(sandbox):
    values, result = run(sandbox, STATE, ["bump", "ids"])
    again, _ = run(sandbox, STATE.replace("def ids", "def ids2"), ["bump"])
    assert values["bump"] == 1 and again["bump"] == 1  # the global starts afresh each time
    assert result.children == 2  # one per exercise (the first also reads the review answers)


@needs("uid")
def test_every_child_has_a_uid_of_its_own_that_is_not_reused(sandbox):
    seen = set()
    for _ in range(3):
        values, _ = run(sandbox, STATE, ["ids"])
        uid = values["ids"][0]
        assert uid != 0 and L.UID_BASE <= uid < L.UID_BASE + 100 * L.UID_SLOT
        seen.add(uid)
    assert len(seen) == 3


LEAVE = """
import ctypes, os

def leave():
    left = []
    for folder in (".", os.environ["HOME"], "/tmp", "/dev/shm"):
        try:
            os.makedirs(os.path.join(folder, "locked"), exist_ok=True)
            with open(os.path.join(folder, "locked", "secret.txt"), "w") as handle:
                handle.write("left behind")
            os.chmod(os.path.join(folder, "locked"), 0)
            left.append(folder)
        except OSError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    shmid = libc.shmget(0x5EED, 4096, 0o1000 | 0o666)
    return [left, shmid]

def find():
    found = []
    for folder in (".", os.environ["HOME"], "/tmp", "/dev/shm"):
        if os.path.exists(os.path.join(folder, "locked")):
            found.append(folder)
    libc = ctypes.CDLL(None, use_errno=True)
    return [found, libc.shmget(0x5EED, 4096, 0o666)]
"""


@needs("tmpfs", "ipcns")
def test_nothing_a_child_leaves_reaches_the_next_one(sandbox):
    values, _ = run(sandbox, LEAVE, ["leave", "find"])
    left, shmid = values["leave"]
    assert left and shmid >= 0  # it could write and make a SysV segment in its own places
    found, seen = values["find"]
    assert found == [] and seen == -1  # the next exercise's child sees none of it
    values, _ = run(sandbox, LEAVE, ["find"])  # nor does the next submission's
    assert values["find"] == [[], -1]


FILL = """
import os

def fill():
    written = {}
    for folder in (".", "/tmp", "/dev/shm"):
        total = 0
        try:
            for i in range(200):
                with open(os.path.join(folder, f"f{i}"), "wb") as handle:
                    handle.write(b"x" * (8 << 20))
                total += 8
        except OSError as exc:
            written[folder] = [total, exc.errno]
        else:
            written[folder] = [total, 0]
    many = 0
    try:
        for i in range(100000):
            open(f"/tmp/empty{i}", "w").close()
            many += 1
    except OSError:
        pass
    written["files"] = many
    return written
"""


@needs("tmpfs")
def test_every_writable_place_is_a_small_tmpfs_the_host_disk_never_sees(sandbox):
    before = shutil.disk_usage("/tmp").used
    values, _ = run(sandbox, FILL, ["fill"], budget=20.0)
    written = values["fill"]
    for folder in (".", "/tmp", "/dev/shm"):
        total, errno = written[folder]
        assert total <= 64 and errno in (27, 28), (folder, written)  # EFBIG or ENOSPC
    assert written["files"] < 5000  # a cap on the number of files too
    assert shutil.disk_usage("/tmp").used - before < 50 << 20


NAMESPACES = """
import ctypes, os, subprocess

def escape():
    libc = ctypes.CDLL(None, use_errno=True)
    out = {}
    out["unshare_user"] = libc.unshare(0x10000000)
    out["unshare_net"] = libc.unshare(0x40000000)
    out["mount"] = libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)
    try:
        out["binary"] = subprocess.run(["unshare", "-U", "-r", "id"], capture_output=True,
                                       timeout=5).returncode
    except Exception as exc:
        out["binary"] = str(exc)[:40]
    return out
"""


@needs("seccomp")
def test_no_new_user_namespace_mount_or_namespace_inside_the_sandbox(sandbox):
    values, _ = run(sandbox, NAMESPACES, ["escape"])
    out = values["escape"]
    assert out["unshare_user"] == -1 and out["unshare_net"] == -1 and out["mount"] == -1
    assert out["binary"] != 0


def test_the_load_budget_is_shared_by_every_child_of_a_submission():
    box = Sandbox(Limits(load_s=1.5))
    try:
        slow = "import time\nclass Slow:\n    time.sleep(0.6)\n\ndef f():\n    return 1\n"
        start = time.monotonic()
        values, result = run(box, slow, ["f", "f2", "f3", "f4"])
        elapsed = time.monotonic() - start
    finally:
        box.close()
    assert values["f"] == 1
    assert values["f4"][0] == "timeout" and "used up its 1.5 s budget" in values["f4"][1]
    assert elapsed < 1.5 + 0.6 + 3, elapsed  # not 0.6 s per child for ever


@needs("bwrap")
def test_the_child_sees_only_its_three_files_of_the_grader():
    box = Sandbox()
    try:
        values, _ = run(box, "import os\ndef look():\n    return sorted(os.listdir('/sandbox'))\n",
                        ["look"])
    finally:
        box.close()
    assert values["look"] == ["child.py", "seccomp.py", "wire.py", "work"]


@needs("bwrap", "pidns")
def test_a_sandbox_dropped_without_close_ends_its_zygote():
    import gc

    box = Sandbox()
    run(box, "def f():\n    return 1\n", ["f"])
    zygote = box._zygote.proc.pid
    del box
    gc.collect()
    deadline = time.monotonic() + 5
    while Path(f"/proc/{zygote}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
        subprocess._cleanup()  # reaps the dropped Popen, as the next Popen would
    state = Path(f"/proc/{zygote}/stat").read_text().split(")")[-1].split()[0] \
        if Path(f"/proc/{zygote}").exists() else "gone"
    assert state in ("gone", "Z"), f"the zygote {zygote} is still running ({state})"


UNDER_TMP = """
import json, sys
sys.path[:0] = [{tests!r}]
from test_sandbox import run
from autograder.isolation.sandbox import Sandbox, Limits
import autograder
assert autograder.__file__.startswith({copy!r}), autograder.__file__
box = Sandbox(Limits(load_s=5))
values, _ = run(box, {source!r}, ["look", "after"])
box.close()
print(json.dumps(values))
"""

LOOK = """
import os
def look():
    from shallow_ref.datasets import load_planar_dataset  # a file bound under /tmp
    X, Y = load_planar_dataset()
    try:
        open(DATA, "a").close()
        writable = True
    except OSError:
        writable = False
    with open("/tmp/left-by-look", "w") as out:
        out.write("x")
    return [list(X.shape), writable, sorted(os.listdir("/tmp"))]
def after():
    return sorted(os.listdir("/tmp"))
"""


@needs("bwrap", "tmpfs")
def test_a_grader_installed_under_tmp_still_reads_its_files_in_each_fresh_tmp(tmp_path):
    """A checkout under /tmp (CI clones there): every child's fresh /tmp still shows the
    files bubblewrap bound there (the data sets, the interpreter's packages), read-only, and
    nothing else, not even what the previous child wrote."""
    assert str(tmp_path).startswith("/tmp/")
    root = Path(__file__).resolve().parents[2]
    copy = tmp_path / "checkout with space"
    for package in ("autograder", "shallow_ref", "quizzes"):
        shutil.copytree(root / package, copy / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    data = str(copy / "shallow_ref" / "datasets.py")
    script = UNDER_TMP.format(tests=str(Path(__file__).resolve().parent), copy=str(copy),
                              source=f"DATA = {data!r}\n" + LOOK)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=copy, env={**os.environ, "PYTHONPATH": str(copy)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    values = json.loads(done.stdout.strip().splitlines()[-1])
    shape, writable, seen = values["look"]
    assert shape == [2, 400] and writable is False, values
    # under /tmp: the first folder on the way to the copy, and to the interpreter's trees
    # when they live under /tmp too (a CI clone's .venv)
    tops = {str(tmp_path).split("/")[2]} | {tree.split("/")[2] for tree in
                                            L.python_trees(sys.executable)
                                            if tree.startswith("/tmp/")}
    assert seen == sorted(tops | {"left-by-look"}), seen
    assert values["after"] == sorted(tops), values


CLOSE = """
import sys, time
sys.path[:0] = [{root!r}, {tests!r}]
from autograder.isolation.sandbox import Sandbox, Limits
from autograder.grade import compile_chunks
from test_sandbox import Chunk, run
box = Sandbox(Limits(load_s=5), layers={layers!r})
print("ready", flush=True)
run(box, "import time\\ndef f():\\n    time.sleep(60)\\n", ["f"], budget=60)
"""


@pytest.mark.parametrize("layers", [None, ("rlimits", "session", "clean-env")],
                         ids=["strongest", "base"])
def test_sigterm_to_the_grader_leaves_no_process_and_no_folder(tmp_path, layers):
    before = {p for p in Path(tempfile_root()).glob("shallow-*")}
    script = CLOSE.format(root=str(Path(__file__).resolve().parents[2]),
                          tests=str(Path(__file__).resolve().parent), layers=layers)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.5)  # the child is sleeping in its call
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    time.sleep(0.5)
    leftover = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True, text=True)
    assert leftover.stdout.strip() == "", leftover.stdout
    after = {p for p in Path(tempfile_root()).glob("shallow-*")}
    assert after <= before, after - before


def tempfile_root():
    import tempfile

    return tempfile.gettempdir()


def test_compiled_chunks_keep_the_cell_and_line_for_errors(sandbox):
    _, result = run(sandbox, "x = 1\ny = undefined_name\n\ndef f():\n    return 2\n", ["f"])
    assert result.cell_errors == [(1, "NameError: name 'undefined_name' is not defined "
                                      "(cell 1, line 2)")]
    assert ast.parse("x = 1")  # compile_chunks is the parent's only compile step


def test_the_import_guards_import_nothing_while_they_are_asked():
    """A finder that imports inside find_spec asks itself again: without the site module
    (whose imports used to hide it) each child recursed ~500 deep on its first import."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(L.CHILD_PATH.parent)!r})
        import child
        asked = []

        class Spy:
            def find_spec(self, name, path=None, target=None):
                asked.append(name)
                return None

        sys.meta_path[:0] = [child._Blocker(["autograder"]), child._Lazy(), Spy()]
        import csv, fractions, statistics  # not imported yet by anything
        print(len(asked), len(set(asked)))
    """)
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    total, distinct = map(int, done.stdout.split())
    assert total == distinct, f"a module was asked for {total - distinct} times too often"


@needs("bwrap")
def test_children_under_bubblewrap_start_without_the_site_module(sandbox):
    values, _ = run(sandbox, """
        import sys
        import numpy as np
        def f():
            return [int(sys.flags.no_site), int("site" in sys.modules), np.__name__]
    """, ["f"])
    assert values["f"] == [1, 0, "numpy"]


def test_a_child_of_its_own_does_not_charge_its_start_to_the_load_budget():
    """Without a zygote every child starts an interpreter and numpy (a quarter of a second on a
    slow machine): thirteen exercises must not use up a 3 s load budget on that alone."""
    box = Sandbox(Limits(load_s=1.0), prefork=False)
    try:
        jobs = [ExerciseJob(f"e{i}", [], 5.0) for i in range(6)]
        result = box.run(compile_chunks([Chunk(1, "x = 1\n")]), jobs)
        assert result.loaded and not result.notes, result.notes
        assert result.children == 6
        assert result.load_seconds < 0.5, result.load_seconds
    finally:
        box.close()


def test_a_child_printing_without_end_is_stopped_at_its_file_limit_and_leaves_no_file(sandbox):
    """Its stdout and stderr go to a file in memory, bounded by the child's fsize limit: a
    child writing 4 times that limit, growing the file (truncate, allocate) or writing through
    a file it reopens from /proc gets "file too large" or a short write, and the grade goes on;
    no file of it is left on the host's disk, and the next child's file starts empty."""
    limit = sandbox.limits.file_mb << 20
    before = set(os.listdir(os.environ.get("TMPDIR", "/tmp")))
    values, result = run(sandbox, f"""
        import os
        def flood():
            chunk, sent = b"x" * (1 << 20), 0
            try:
                while sent < {4 * limit}:
                    sent += os.write(1, chunk)
            except OSError as exc:
                return [sent, exc.errno]
            return [sent, 0]
        def grow():
            refused = []
            for act in (lambda: os.ftruncate(1, 1 << 30),
                        lambda: os.posix_fallocate(2, 0, 1 << 30)):
                try:
                    act()
                except OSError as exc:
                    refused.append(exc.errno)
            again = os.open("/proc/self/fd/1", os.O_WRONLY | os.O_APPEND)
            try:
                os.write(again, b"y" * {2 * limit})
            except OSError as exc:
                refused.append(exc.errno)
            return [refused, os.fstat(1).st_size]
        def after():
            size = os.fstat(1).st_size
            print("still here")
            return [7, size]
    """, ["flood", "grow", "after"])
    sent, errno = values["flood"]
    assert errno == 27 and sent <= limit, values  # EFBIG
    refused, size = values["grow"]
    assert refused[:2] == [27, 27] and size <= limit, values
    assert values["after"] == [7, 0]
    assert "still here" in result.stderr or "x" * 100 in result.stderr
    assert len(result.stderr) <= 4096
    left = set(os.listdir(os.environ.get("TMPDIR", "/tmp"))) - before
    assert not [name for name in left if name.startswith("shallow-stderr")], left
