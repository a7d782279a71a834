"""Hostile submissions (tests/adversarial/corpus.py) graded under every layer combination.

Each test grades one attack and then a correct student in one batch (``grade_many``) into a copy
of a gradebook that already holds a correct student, with a 1 s budget per exercise, and checks
what the corpus's docstring lists: no forged score, the other students and the gradebook intact,
the time budget kept, no process left behind, a reason the instructor can read, no side effect.

Layer combinations (``COMBOS``) are the realistic fallbacks of ``layers.detect``: everything,
no bubblewrap (unshare + a uid per child), no uid (not root), uid only, and the base layers
only. The whole corpus runs under the strongest; the weaker ones run the attacks whose outcome
depends on the missing layer, and the weakest a handful of generic ones too. A combination this
machine cannot give is skipped with the reason; an attack that succeeds because its protecting
layer is absent is an expected failure (xfail) with what happened, never a pass.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from adversarial.corpus import BY_ID, ENTRIES, write_submission
from click.testing import CliRunner

from autograder.batch import grade_many
from autograder.cli import main
from autograder.grade import Submission
from autograder.gradebook import Gradebook
from autograder.isolation import layers as layers_module
from autograder.isolation import sandbox as sandbox_module
from autograder.isolation.sandbox import Limits, Sandbox, SandboxError
from autograder.reports.text import case_text
from autograder.seeds import load_secret
from notebooks import ALL_COURSE, CORRECT, options, write_notebook

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 1.0  # each exercise's budget in these tests
LOAD_TIMEOUT = 3.0  # the budget for loading a notebook's definitions
MARGIN = 4.0  # the rest of the batch: the correct student after the attack, fresh children
BASE = ("rlimits", "session", "clean-env")
COMBOS = {
    "all": None,  # every layer this machine offers
    "no-bwrap": BASE + ("seccomp", "netns", "pidns", "ipcns", "tmpfs", "uid"),
    "no-uid": BASE + ("seccomp", "netns", "pidns", "bwrap"),
    "uid-only": BASE + ("seccomp", "uid"),
    "base": BASE,
}
AVAILABLE, MISSING = layers_module.detect()
SECRETS = [
    REPO / "shallow_ref" / "network.py",  # the reference
    REPO / "autograder" / "course" / "builtin.py",  # the hidden cases and mutants
    REPO / "quizzes" / "banks" / "shallow_networks.yaml",  # the quiz bank
    REPO / "solutions" / "planar_classifier" / "planar_classifier.ipynb",  # the solution
]
GRADER_CODE = [REPO / "autograder" / "course" / "builtin.py", REPO / "autograder" / "grade.py",
               REPO / "shallow_ref" / "network.py"]


# -- processes -------------------------------------------------------------------------------

def _sandbox_uid(uid):
    """Whether ``uid`` is one of the sandbox's children's (a range no real user has)."""
    return layers_module.UID_BASE <= uid < layers_module.UID_BASE + 100 * layers_module.UID_SLOT


def _processes(zombies=False):
    """{pid: (uid, ppid, comm, cmdline, environ)} read from /proc (as root: every process)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        base = f"/proc/{entry}"
        try:
            with open(f"{base}/status") as handle:
                status = handle.read()
            with open(f"{base}/stat", "rb") as handle:
                stat = handle.read()
            with open(f"{base}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        try:
            with open(f"{base}/environ", "rb") as handle:
                environ = handle.read().decode("utf-8", "replace")
        except OSError:
            environ = ""
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        comm = stat[stat.index(b"(") + 1:stat.rindex(b")")].decode("utf-8", "replace")
        state, ppid = stat[stat.rindex(b")") + 2:].split()[:2]
        if state == b"Z" and not zombies:
            continue  # a zombie holds nothing (but counts towards its uid's RLIMIT_NPROC)
        table[int(entry)] = (uid, int(ppid), comm, cmdline, environ)
    return table


def _descendants(table, root):
    children = {}
    for pid, (_, ppid, *_rest) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


_TEST_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def _leftovers(marker):
    """Processes that should not exist: anything carrying the marker, anything of the sandbox's
    uid, or any descendant of this test process, except the grader's own fork server (the
    zygote, and the bwrap/unshare processes around it). A process the zygote forked is a
    leftover: its parent is the zygote."""
    table = _processes()
    me = os.getpid()
    mine = set(_descendants(table, me))

    def forked_by_zygote(ppid):
        parent = table.get(ppid)
        return parent is not None and "--zygote" in parent[3] and \
            parent[2].startswith("python")

    found = {}
    for pid, (puid, ppid, comm, cmdline, environ) in table.items():
        if pid == me:
            continue
        if marker and (marker in comm or marker in cmdline or marker in environ):
            found[pid] = f"pid {pid} ({comm}) carries the marker"
        elif _sandbox_uid(puid) or pid in mine:
            if ppid == me and any(helper in cmdline for helper in _TEST_HELPERS):
                continue  # the test process's own multiprocessing helpers (earlier tests')
            if "--zygote" not in cmdline or forked_by_zygote(ppid):
                found[pid] = f"pid {pid} uid {puid} ({comm}: {cmdline[:80]})"
    return found


def _kill(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _no_leftovers(marker, wait_s=2.0):
    """Poll up to ``wait_s`` for the kernel to finish; kill and report what is still there."""
    deadline = time.monotonic() + wait_s
    while True:
        found = _leftovers(marker)
        if not found or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    _kill(found)
    return [f"left behind: {what}" for what in found.values()]


# -- layer combinations ----------------------------------------------------------------------

@contextmanager
def _grading_with(sandbox):
    """grade_many grades with the default sandbox: make it this combination's sandbox."""
    saved = sandbox_module._DEFAULT
    sandbox_module._DEFAULT = sandbox
    try:
        yield
    finally:
        sandbox_module._DEFAULT = saved


def _copy_gradebook(source, target):
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()


def _rows(db, student):
    with sqlite3.connect(db) as con:
        attempts = con.execute("select * from attempts where student = ? order by id",
                               (student,)).fetchall()
        tests = con.execute("select t.* from cases t join attempts a on a.id = t.attempt_id "
                            "where a.student = ? order by t.attempt_id, t.position",
                            (student,)).fetchall()
    con.close()
    return attempts, tests


@pytest.fixture(scope="module")
def combo(request, tmp_path_factory):
    name = request.param
    wanted = COMBOS[name]
    if wanted is not None:
        absent = [layer for layer in wanted if layer not in AVAILABLE]
        if absent:
            pytest.skip(f"layer combination '{name}' needs {absent}, which this machine "
                        f"lacks: {'; '.join(MISSING)}")
        if set(wanted) == set(AVAILABLE):
            pytest.skip(f"layer combination '{name}' is every layer this machine has: the "
                        f"same as 'all' ({'; '.join(MISSING)})")
    try:
        sandbox = Sandbox(Limits(load_s=LOAD_TIMEOUT), layers=wanted)
    except SandboxError as exc:
        pytest.skip(f"layer combination '{name}' cannot run the child on this machine: {exc}")
    folder = tmp_path_factory.mktemp(f"combo-{name}")
    alice = write_notebook(folder / "alice.ipynb",
                           CORRECT + f"\n# %%\n# alice-{uuid.uuid4().hex}: her own work\n")
    db = folder / "template.db"
    with _grading_with(sandbox):
        [result] = grade_many([Submission(str(alice), "alice", "all")], gradebook=db,
                              options=options(timeout=TIMEOUT))
    full = result.exercise_points()
    assert result.points == result.max_points, result.errors
    results = folder / "results" / "alice" / "all" / "results.json"
    results.parent.mkdir(parents=True)
    results.write_text(json.dumps(result.to_gradescope()))
    yield SimpleNamespace(name=name, sandbox=sandbox, layers=set(sandbox.layers), folder=folder,
                          alice=alice, db=db, full=full, total=result.max_points,
                          results=folder / "results")
    sandbox.close()


BRACKET = ("all", "base")  # the strongest and the weakest: with a zygote, and without


def _pairs():
    """Every entry under 'all'; an entry marked ``everywhere`` under the weaker combinations
    too: all of them when its outcome hangs on a layer (``protected_by``, ``requires``), else
    only 'base', which with 'all' brackets the rest (its outcome hangs on no optional layer,
    only on how the child starts: forked by a zygote, or a process of its own)."""
    pairs = []
    for name in COMBOS:
        for entry in ENTRIES:
            if name != "all" and not entry.everywhere:
                continue
            if name not in BRACKET and not (entry.protected_by or entry.requires):
                continue
            marks = [pytest.mark.xfail(strict=True, reason=entry.hole)] if entry.hole else []
            pairs.append(pytest.param(name, entry.id, id=f"{name}-{entry.id}", marks=marks))
    return pairs


# -- the loopback listener -------------------------------------------------------------------

class Listener:
    """A TCP listener on 127.0.0.1 that records what anyone sends it, in a thread."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.1)  # short accept timeouts, so that close() is quick
        self.port = self.server.getsockname()[1]
        self.received = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(2)
            with connection:
                try:
                    self.received.append(connection.recv(4096) or b"(connected)")
                except OSError:
                    self.received.append(b"(connected)")

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.server.close()


# -- running one attack ----------------------------------------------------------------------

def _sha(path):
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _run_batch(submissions, db, limit, grading):
    """grade_many in a thread; past ``limit`` seconds, kill every process this test started (so
    that a grader blocked on a child comes back) and report the hang."""
    box = {}

    def work():
        try:
            box["results"] = grade_many(submissions, gradebook=db, options=grading)
        except BaseException as exc:  # noqa: BLE001 - reported as a problem
            box["error"] = exc

    start = time.monotonic()
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(limit)
    hung = thread.is_alive()
    if hung:
        _kill(_descendants(_processes(), os.getpid()))
        thread.join(15)
    return box.get("results"), box.get("error"), hung, time.monotonic() - start


def _secret_snippet(path):
    try:
        data = Path(path).read_bytes()[:40]
    except OSError:
        return ""
    return data.decode("utf-8", "replace").replace("\n", " ")


@pytest.mark.parametrize(("combo", "entry_id"), _pairs(), indirect=["combo"])
def test_attack(combo, entry_id, tmp_path):
    entry = BY_ID[entry_id]
    if entry.requires and not set(entry.requires) & combo.layers:
        pytest.skip(f"not run under '{combo.name}': neither of {list(entry.requires)} is "
                    f"active, so the child runs as root in the grader's pid namespace and "
                    f"could kill the test runner itself")
    if entry.hole_when is not None and not entry.hole_when(combo.sandbox):
        pytest.skip(f"not run under '{combo.name}': the hole needs what this sandbox lacks "
                    f"(e.g. a zygote): {entry.hole}")
    protected = not entry.protected_by or bool(set(entry.protected_by) & combo.layers)
    marker = f"adv-{uuid.uuid4().hex[:8]}"

    # The test's own files, outside the sandbox: copies the attack may target.
    db = tmp_path / "gradebook.db"
    _copy_gradebook(combo.db, db)
    other = tmp_path / "alice.ipynb"
    shutil.copy(combo.alice, other)
    results = tmp_path / "results"
    shutil.copytree(combo.results, results)
    alice_results = results / "alice" / "all" / "results.json"
    alice_before = _rows(db, "alice")
    source_text = (Path(__file__).resolve().parents[1] / "adversarial" / entry.source).read_text() \
        if entry.source else ""
    listener = Listener() if "ADV_PORT" in source_text else None
    tokens = {
        "ADV_MARKER": marker, "ADV_TMP": tmp_path, "ADV_REPO": REPO, "ADV_RESULTS": results,
        "ADV_PORT": listener.port if listener else 0,
        "ADV_SECRETS": "|".join(map(str, [*SECRETS, db, other, alice_results])),
        "ADV_CLOBBER": "|".join(map(str, [db, other, alice_results])),
        "ADV_CREATE": "|".join(map(str, [tmp_path / f"escaped-{marker}.txt",
                                          results / "mallory" / "all" / "results.json"])),
        "ADV_PROBE": "|".join(map(str, GRADER_CODE)),
    }
    watched = [other, alice_results, *GRADER_CODE]  # the gradebook: checked record by record
    sha_before = {str(path): _sha(path) for path in watched}
    secrets = {str(path): _secret_snippet(path) for path in [*SECRETS, other, alice_results]}

    attack_dir = tmp_path / "mallory"
    attack_dir.mkdir()
    mallory = write_submission(entry, attack_dir, tokens)
    bob = write_notebook(tmp_path / "bob" / "bob.ipynb")
    # Without a zygote every child is a new interpreter importing numpy (about 0.1 s each,
    # one per exercise and per submission): more of the margin goes to starting them.
    margin = MARGIN if combo.sandbox.prefork else MARGIN * 3
    allowed = entry.attempts * (entry.spend * TIMEOUT + entry.spend_load * LOAD_TIMEOUT) + \
        margin + entry.extra_s
    grading = options(timeout=TIMEOUT)
    if entry.secret_seeds:
        grading = options(timeout=TIMEOUT, seed=None, secret=load_secret(tmp_path))
    attacks = [Submission(str(mallory), "mallory", "all")] * entry.attempts

    with _grading_with(combo.sandbox):
        graded, error, hung, elapsed = _run_batch(
            [*attacks, Submission(str(bob), "bob", "all")], db, limit=allowed + 2,
            grading=grading)
    if entry.settle_s:
        time.sleep(max(0.0, entry.settle_s - elapsed))
    if listener is not None:
        listener.close()

    hard, layered = [], []
    leftovers = _no_leftovers(marker)
    (layered if "pidns" in entry.protected_by else hard).extend(leftovers)
    if hung:
        hard.append(f"the batch was still running after {allowed + 2:.0f} s (the grader hung; "
                    f"its children were killed by the test)")
    elif elapsed > allowed:
        hard.append(f"the batch took {elapsed:.1f} s, over the {allowed:.1f} s allowed")
    if error is not None:
        (layered if entry.protected_by else hard).append(
            f"the batch raised {type(error).__name__}: {error}")
    by_student = {}
    for graded_result in graded or []:
        by_student.setdefault(graded_result.student, []).append(graded_result)
    attempts = by_student.get("mallory", [])
    result = attempts[-1] if attempts else None
    texts = ""
    for attempt in attempts:
        texts += "\n".join([attempt.reason, *attempt.errors,
                            *(case_text(c) for c in attempt.cases)]) + "\n"
        scores = attempt.exercise_points()
        lose = set(combo.full) if entry.lose == ("*",) else set(entry.lose)
        reasons = "\n".join([attempt.reason, *attempt.errors, *(
            case_text(c) for c in attempt.cases if c.exercise in lose)])
        kept = sum(scores[name][0] for name in lose)
        if kept > entry.keep:
            hard.append(f"the attacked exercises {sorted(lose)} kept {float(kept):g} points "
                        f"(at most {entry.keep:g} allowed)")
        for name, (got, top) in scores.items():
            full = combo.full[name][0]
            if name not in lose and (got > full if entry.collateral else got != full):
                # Where the layer that stops the attack is absent, what it leaves running
                # (daemons busy-looping as root) may slow the attacker's own later exercises:
                # that belongs to the missing layer, not to a hole in the others.
                (hard if protected or got > full else layered).append(
                    f"{name} scored {float(got):g}/{float(top):g}, not as in the correct "
                    f"notebook")
        if entry.reason and not re.search(entry.reason, reasons):
            hard.append(f"no reason matches {entry.reason!r}: {attempt.errors[:3]} "
                        f"{reasons[-600:]!r}")
        if set(attempt.layers) != combo.layers:
            hard.append(f"the result lists layers {attempt.layers}, not {sorted(combo.layers)}")
    if len(attempts) != entry.attempts and error is None:
        hard.append(f"{len(attempts)} of the attack's {entry.attempts} results came back")

    bob_result = (by_student.get("bob") or [None])[0]
    book = []
    if bob_result is None or bob_result.points != combo.total:
        book.append(f"bob, graded after the attack, got "
                    f"{'nothing' if bob_result is None else float(bob_result.points)}")
    try:
        if _rows(db, "alice") != alice_before:
            book.append("alice's record in the gradebook changed")
        with sqlite3.connect(db) as con:
            check = con.execute("pragma integrity_check").fetchone()[0]
        con.close()
        if check != "ok":
            book.append(f"the gradebook fails its integrity check: {check}")
        with Gradebook(db) as gradebook:
            students = {r.student for r in gradebook.attempts()}
        if not {"alice", "mallory", "bob"} <= students:
            book.append(f"the gradebook holds {sorted(students)}")
    except Exception as exc:  # noqa: BLE001 - a clobbered gradebook
        book.append(f"the gradebook cannot be read: {type(exc).__name__}: {exc}")
    (layered if entry.writes else hard).extend(book)

    if entry.check is not None:
        ctx = SimpleNamespace(result=result, texts=texts, tmp=tmp_path, marker=marker,
                              tokens={k: str(v) for k, v in tokens.items()},
                              received=listener.received if listener else [],
                              secrets=secrets, sha_before=sha_before, sha=_sha)
        (layered if entry.protected_by else hard).extend(entry.check(ctx))

    assert not hard, f"{entry.id} ({entry.attack}) under '{combo.name}':\n" + "\n".join(hard)
    if layered:
        if protected:
            pytest.fail(f"{entry.id} under '{combo.name}':\n" + "\n".join(layered))
        absent = entry.protected_by
        missing = f"the {absent[0]} layer is not" if len(absent) == 1 else \
            f"neither the {' nor the '.join(absent)} layer is"
        pytest.xfail(f"{missing} active under '{combo.name}': {entry.attack} is not stopped "
                     f"without it: " + "; ".join(layered)[:600])


# -- the real command line: results.json is the grader's ----------------------------------

@pytest.mark.parametrize("combo", ["all"], indirect=True)
def test_cli_writes_the_graders_own_results_json(combo, tmp_path):
    """``shallow grade --results-dir``: the results.json of a student who wrote forged ones is
    the grader's, with the honest score."""
    marker = f"adv-{uuid.uuid4().hex[:8]}"
    results = tmp_path / "results"
    tokens = {"ADV_MARKER": marker, "ADV_RESULTS": results, "ADV_TMP": tmp_path}
    folder = tmp_path / "class"
    folder.mkdir()
    mallory = write_submission(BY_ID["fake_result_files"], folder, tokens)
    write_notebook(folder / "bob.ipynb")
    with _grading_with(combo.sandbox):
        out = CliRunner().invoke(main, ["grade", str(folder), "--gradebook",
                                        str(tmp_path / "g.db"), "--results-dir", str(results),
                                        "--timeout", str(TIMEOUT), "--format", "json",
                                        "--course", str(ALL_COURSE), "--assignment", "all",
                                        "--seed", "0"])
    assert mallory.name == "mallory.ipynb"
    assert out.exit_code == 0, out.output
    printed = {r["extra_data"]["student"]: r for r in json.loads(out.stdout)}
    written = json.loads((results / "mallory" / "all" / "results.json").read_text())
    assert written == printed["mallory"]
    assert written["score"] == combo.total - 2 and marker not in json.dumps(written)
    assert printed["bob"]["score"] == combo.total
    assert not _no_leftovers(marker)


# -- last, per combination: closing the sandbox leaves nothing ---------------------------------

@pytest.mark.parametrize("combo", list(COMBOS), indirect=True)
def test_zz_closing_the_sandbox_leaves_no_process(combo):
    """After the corpus, closing the sandbox ends its zygote too: nothing of the sandbox's uid
    and no descendant of this test process remains."""
    combo.sandbox.close()
    # the sandboxes earlier tests of this process left open (in-process grading's default
    # sandbox, for one) have zygotes of their own: they are closed too, or ended when dropped
    gc.collect()
    sandbox_module._cleanup_all()
    deadline = time.monotonic() + 2.0
    while True:
        table = _processes()
        left = {pid: info for pid, info in table.items()
                if _sandbox_uid(info[0]) or (pid in _descendants(table, os.getpid()) and not (
                    info[1] == os.getpid() and any(h in info[3] for h in _TEST_HELPERS)))}
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    _kill(left)
    assert not left, [f"pid {pid} uid {info[0]} ({info[3][:80]})" for pid, info in left.items()]
